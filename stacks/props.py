"""Per-unit props: frozen, keyword-only, validated on construction. Each construct takes its own.

`StageSettings` (stacks/settings.py) nests one of each; the stack hands every construct only its
part. The reasons for the values live with the stages in settings.py, the rules here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Annotated, Final, get_origin, get_type_hints

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

# The retention periods CloudWatch Logs accepts (and aws_cdk.aws_logs.RetentionDays names).
LOG_RETENTION_DAYS: Final[Mapping[int, logs.RetentionDays]] = MappingProxyType(
    {
        1: logs.RetentionDays.ONE_DAY,
        3: logs.RetentionDays.THREE_DAYS,
        5: logs.RetentionDays.FIVE_DAYS,
        7: logs.RetentionDays.ONE_WEEK,
        14: logs.RetentionDays.TWO_WEEKS,
        30: logs.RetentionDays.ONE_MONTH,
        60: logs.RetentionDays.TWO_MONTHS,
        90: logs.RetentionDays.THREE_MONTHS,
        120: logs.RetentionDays.FOUR_MONTHS,
        150: logs.RetentionDays.FIVE_MONTHS,
        180: logs.RetentionDays.SIX_MONTHS,
        365: logs.RetentionDays.ONE_YEAR,
        400: logs.RetentionDays.THIRTEEN_MONTHS,
        545: logs.RetentionDays.EIGHTEEN_MONTHS,
        731: logs.RetentionDays.TWO_YEARS,
        1096: logs.RetentionDays.THREE_YEARS,
        1827: logs.RetentionDays.FIVE_YEARS,
        2192: logs.RetentionDays.SIX_YEARS,
        2557: logs.RetentionDays.SEVEN_YEARS,
        2922: logs.RetentionDays.EIGHT_YEARS,
        3288: logs.RetentionDays.NINE_YEARS,
        3653: logs.RetentionDays.TEN_YEARS,
    }
)

# DynamoDB's table naming rule (Developer Guide, "Supported data types and naming rules").
TABLE_NAME_RULE: Final = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
EMAIL_ADDRESS: Final = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# Service limits the props must stay inside (DynamoDB, Lambda, event source mappings).
_MAX_PROVISIONED_CAPACITY = 40_000
_MAX_STREAM_BATCH_SIZE = 10_000
_MAX_BATCHING_WINDOW_SECONDS = 300
_MAX_RETRY_ATTEMPTS = 10_000
_MIN_RECORD_AGE_SECONDS = 60
# A DynamoDB stream keeps records for 24 hours and trims older ones without a trace: Lambda's
# DroppedEventCount excludes records lost to the source's retention (Lambda developer guide,
# "Types of metrics for Lambda functions"). Giving up at half the retention at the latest sends
# what lags behind to the failure bucket, whole, while it still exists.
MAX_RECORD_AGE_LIMIT_SECONDS: Final = 43_200
_MIN_MEMORY_MB, _MAX_MEMORY_MB = 128, 10_240
_MAX_TIMEOUT_SECONDS = 900
_MIN_TARGET_UTILIZATION, _MAX_TARGET_UTILIZATION = 20, 90
_ALARM_PERIODS_SECONDS = (10, 30, *range(60, 86_401, 60))


class InvalidSettingsError(ValueError):
    """Settings break a rule; the message names every offending field."""


def removal_policy(*, retain: bool) -> cdk.RemovalPolicy:
    """RETAIN for data a stage keeps when its stack goes, DESTROY otherwise (never SNAPSHOT)."""
    return cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY


@dataclass(frozen=True)
class Range:
    """An integer field's inclusive bounds, declared with it: `Annotated[int, Range(1, 10)]`."""

    low: int
    high: int


# Provisioned read or write capacity units of the table or its GSI.
Capacity = Annotated[int, Range(1, _MAX_PROVISIONED_CAPACITY)]
# An alarm threshold counted in events.
Count = Annotated[int, Range(1, 10**9)]


def check_range(errors: list[str], owner: str, field: str, value: object, bounds: Range) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{owner}.{field} must be an integer, got {value!r}")
    elif not bounds.low <= value <= bounds.high:
        errors.append(
            f"{owner}.{field} must be between {bounds.low} and {bounds.high}, got {value}"
        )


def check_table_name(errors: list[str], field: str, value: object) -> None:
    if not isinstance(value, str) or not TABLE_NAME_RULE.match(value):
        errors.append(
            f"{field} must be 3-255 characters of A-Z a-z 0-9 _ . - (DynamoDB's naming rule), "
            f"got {value!r}"
        )


def check_emails(errors: list[str], field: str, value: object) -> None:
    if not isinstance(value, tuple):
        errors.append(f"{field} must be a tuple of e-mail addresses, got {value!r}")
        return
    for address in value:
        if not isinstance(address, str) or not EMAIL_ADDRESS.match(address):
            errors.append(f"{field} has an invalid e-mail address: {address!r}")


_DeclaredRules = tuple[tuple[str, Range | None], ...]
_DECLARED: dict[type, _DeclaredRules] = {}


def _declared_rules(props_type: type) -> _DeclaredRules:
    """(field, its Range) for every ranged integer field, (field, None) for every bool one."""
    if props_type not in _DECLARED:
        rules: list[tuple[str, Range | None]] = []
        for name, hint in get_type_hints(props_type, include_extras=True).items():
            if hint is bool:
                rules.append((name, None))
            elif get_origin(hint) is Annotated:
                rules.extend((name, meta) for meta in hint.__metadata__ if isinstance(meta, Range))
        _DECLARED[props_type] = tuple(rules)
    return _DECLARED[props_type]


class _Validated:
    """Validates on construction: each field annotated with a `Range` must be an integer inside
    it, each `bool` field a bool; a subclass's `rules()` add what is not declared that way."""

    def __post_init__(self) -> None:
        errors = self.errors()
        if errors:
            raise InvalidSettingsError("; ".join(errors))

    def errors(self, owner: str | None = None) -> list[str]:
        """Every broken rule, each naming `owner.field` (owner: the class name by default)."""
        owner = owner or type(self).__name__
        errors: list[str] = []
        for name, bounds in _declared_rules(type(self)):
            value = getattr(self, name)
            if bounds is not None:
                check_range(errors, owner, name, value, bounds)
            elif not isinstance(value, bool):
                errors.append(f"{owner}.{name} must be a bool, got {value!r}")
        errors.extend(self.rules(owner))
        return errors

    def rules(self, owner: str) -> list[str]:
        """The errors of the rules beyond ranges and bools; none by default."""
        return []


@dataclass(frozen=True, kw_only=True)
class AutoScaling(_Validated):
    """Target-tracking bounds, applied to the table's and the GSI's read and write capacity."""

    min_read_capacity: Capacity
    max_read_capacity: Capacity
    min_write_capacity: Capacity
    max_write_capacity: Capacity
    target_utilization_percent: Annotated[
        int, Range(_MIN_TARGET_UTILIZATION, _MAX_TARGET_UTILIZATION)
    ]

    def rules(self, owner: str) -> list[str]:
        errors: list[str] = []
        for kind in ("read", "write"):
            low, high = self.bounds(kind)
            if isinstance(low, int) and isinstance(high, int) and low > high:
                errors.append(
                    f"{owner}.min_{kind}_capacity ({low}) must not exceed "
                    f"max_{kind}_capacity ({high})"
                )
        return errors

    def bounds(self, kind: str) -> tuple[int, int]:
        """The min and max capacity of `kind` ("read" or "write")."""
        low: int = getattr(self, f"min_{kind}_capacity")
        high: int = getattr(self, f"max_{kind}_capacity")
        return low, high


@dataclass(frozen=True, kw_only=True)
class TableProps(_Validated):
    """The messages table: name, provisioned throughput, scaling and protection."""

    table_name: str
    read_capacity: Capacity
    write_capacity: Capacity
    gsi_read_capacity: Capacity
    gsi_write_capacity: Capacity
    autoscaling: AutoScaling | None = None
    point_in_time_recovery: bool
    deletion_protection: bool

    def rules(self, owner: str) -> list[str]:
        errors: list[str] = []
        check_table_name(errors, f"{owner}.table_name", self.table_name)
        if self.autoscaling is not None:
            errors.extend(self.autoscaling.errors(f"{owner}.autoscaling"))
            errors.extend(self._outside_autoscaling(owner, self.autoscaling))
        return errors

    def _outside_autoscaling(self, owner: str, scaling: AutoScaling) -> list[str]:
        # The provisioned values are the starting point; they must sit inside the bounds.
        errors: list[str] = []
        for field in ("read_capacity", "gsi_read_capacity", "write_capacity", "gsi_write_capacity"):
            kind = "read" if "read" in field else "write"
            value = getattr(self, field)
            low, high = scaling.bounds(kind)
            if isinstance(value, int) and not low <= value <= high:
                errors.append(
                    f"{owner}.{field} ({value}) must lie within autoscaling "
                    f"min_{kind}_capacity..max_{kind}_capacity ({low}..{high})"
                )
        return errors


@dataclass(frozen=True, kw_only=True)
class NetworkProps(_Validated):
    """The processor's VPC: how many isolated subnets (one per availability zone)."""

    # Lambda asks for subnets in at least two AZs for a highly available VPC function.
    availability_zones: Annotated[int, Range(2, 6)]


@dataclass(frozen=True, kw_only=True)
class EventSourceProps(_Validated):
    """The event source mapping from the table's stream: batching, retries, record age."""

    batch_size: Annotated[int, Range(1, _MAX_STREAM_BATCH_SIZE)]
    max_batching_window_seconds: Annotated[int, Range(0, _MAX_BATCHING_WINDOW_SECONDS)]
    starting_position: lambda_.StartingPosition
    # Bounded on purpose: -1 (infinite) would let one poison record block its shard.
    retry_attempts: Annotated[int, Range(0, _MAX_RETRY_ATTEMPTS)]
    max_record_age_seconds: Annotated[
        int, Range(_MIN_RECORD_AGE_SECONDS, MAX_RECORD_AGE_LIMIT_SECONDS)
    ]

    def rules(self, owner: str) -> list[str]:
        if self.starting_position in (
            lambda_.StartingPosition.LATEST,
            lambda_.StartingPosition.TRIM_HORIZON,
        ):
            return []
        return [
            f"{owner}.starting_position must be LATEST or TRIM_HORIZON for a DynamoDB "
            f"stream, got {self.starting_position!r}"
        ]


@dataclass(frozen=True, kw_only=True)
class FunctionProps(_Validated):
    """The stream processor function: size, time limit and how long its logs are kept."""

    memory_mb: Annotated[int, Range(_MIN_MEMORY_MB, _MAX_MEMORY_MB)]
    timeout_seconds: Annotated[int, Range(1, _MAX_TIMEOUT_SECONDS)]
    log_retention_days: int

    def rules(self, owner: str) -> list[str]:
        if self.log_retention_days in LOG_RETENTION_DAYS:
            return []
        allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
        return [
            f"{owner}.log_retention_days must be a CloudWatch Logs retention ({allowed}), "
            f"got {self.log_retention_days!r}"
        ]


@dataclass(frozen=True, kw_only=True)
class FailureBucketProps(_Validated):
    """Where the mapping keeps what the processor gave up on, and for how long."""

    expiration_days: Annotated[int, Range(1, 3650)]


@dataclass(frozen=True, kw_only=True)
class AlarmProps(_Validated):
    """Alarm thresholds and periods, and who is told (e-mail subscriptions of the alarm topic)."""

    period_seconds: int
    iterator_age_seconds: Count
    iterator_age_datapoints: int
    iterator_age_evaluation_periods: Annotated[int, Range(1, 100)]
    function_errors: Count
    function_throttles: Count
    failure_destination_events: Count
    dropped_events: Count
    table_throttle_events: Count
    table_system_errors: Count
    consumed_capacity_percent: Annotated[int, Range(1, 100)]
    consumed_capacity_evaluation_periods: Annotated[int, Range(1, 100)]
    emails: tuple[str, ...] = ()
    # A stage that must page someone: no address is then an error, not a silent deploy that
    # unsubscribes everyone. Setting it False is the explicit, reviewed choice of no subscriber.
    subscribers_required: bool = False

    def rules(self, owner: str) -> list[str]:
        errors: list[str] = []
        if self.subscribers_required is True and self.emails == ():
            errors.append(
                f"{owner}.emails is empty, but {owner}.subscribers_required says this stage must "
                "page someone: add the on-call addresses (stacks/settings.py), or set "
                "subscribers_required=False to deploy it without a subscriber on purpose"
            )
        if self.period_seconds not in _ALARM_PERIODS_SECONDS:
            errors.append(
                f"{owner}.period_seconds must be 10, 30 or a multiple of 60 up to 86400 "
                f"(CloudWatch alarm periods), got {self.period_seconds!r}"
            )
        # M out of N: no more datapoints must breach than there are periods evaluated.
        periods = self.iterator_age_evaluation_periods
        most = max(1, periods) if isinstance(periods, int) else 1
        check_range(
            errors, owner, "iterator_age_datapoints", self.iterator_age_datapoints, Range(1, most)
        )
        check_emails(errors, f"{owner}.emails", self.emails)
        return errors


def field_names(props_type: type) -> tuple[str, ...]:
    """A props dataclass's field names in declaration order."""
    return tuple(field.name for field in fields(props_type))
