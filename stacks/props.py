"""Per-unit props: frozen, keyword-only, validated on construction. Each construct takes its own.

`StageSettings` (stacks/settings.py) nests one of each; the stack hands every construct only its
part. The reasons for the values live with the stages in settings.py, the rules here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Final

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


def check_range(
    errors: list[str], owner: str, field: str, value: object, bounds: tuple[int, int]
) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{owner}.{field} must be an integer, got {value!r}")
    elif not low <= value <= high:
        errors.append(f"{owner}.{field} must be between {low} and {high}, got {value}")


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


class _Validated:
    """Validates on construction; subclasses list their rules in `errors()`."""

    def __post_init__(self) -> None:
        errors = self.errors()
        if errors:
            raise InvalidSettingsError("; ".join(errors))

    def errors(self, owner: str | None = None) -> list[str]:
        raise NotImplementedError

    def _owner(self, owner: str | None) -> str:
        return owner or type(self).__name__

    def _flags(self, errors: list[str], owner: str, *names: str) -> None:
        for name in names:
            if not isinstance(getattr(self, name), bool):
                errors.append(f"{owner}.{name} must be a bool, got {getattr(self, name)!r}")


@dataclass(frozen=True, kw_only=True)
class AutoScaling(_Validated):
    """Target-tracking bounds, applied to the table's and the GSI's read and write capacity."""

    min_read_capacity: int
    max_read_capacity: int
    min_write_capacity: int
    max_write_capacity: int
    target_utilization_percent: int

    def errors(self, owner: str | None = None) -> list[str]:
        owner = self._owner(owner)
        errors: list[str] = []
        for kind in ("read", "write"):
            low_field, high_field = f"min_{kind}_capacity", f"max_{kind}_capacity"
            low, high = getattr(self, low_field), getattr(self, high_field)
            check_range(errors, owner, low_field, low, (1, _MAX_PROVISIONED_CAPACITY))
            check_range(errors, owner, high_field, high, (1, _MAX_PROVISIONED_CAPACITY))
            if isinstance(low, int) and isinstance(high, int) and low > high:
                errors.append(f"{owner}.{low_field} ({low}) must not exceed {high_field} ({high})")
        check_range(
            errors,
            owner,
            "target_utilization_percent",
            self.target_utilization_percent,
            (_MIN_TARGET_UTILIZATION, _MAX_TARGET_UTILIZATION),
        )
        return errors


@dataclass(frozen=True, kw_only=True)
class TableProps(_Validated):
    """The messages table: name, provisioned throughput, scaling and protection."""

    table_name: str
    read_capacity: int
    write_capacity: int
    gsi_read_capacity: int
    gsi_write_capacity: int
    autoscaling: AutoScaling | None = None
    point_in_time_recovery: bool
    deletion_protection: bool

    def errors(self, owner: str | None = None) -> list[str]:
        owner = self._owner(owner)
        errors: list[str] = []
        check_table_name(errors, f"{owner}.table_name", self.table_name)
        for field in ("read_capacity", "write_capacity", "gsi_read_capacity", "gsi_write_capacity"):
            check_range(errors, owner, field, getattr(self, field), (1, _MAX_PROVISIONED_CAPACITY))
        self._flags(errors, owner, "point_in_time_recovery", "deletion_protection")
        if self.autoscaling is not None:
            errors.extend(self._autoscaling_errors(owner, self.autoscaling))
        return errors

    def _autoscaling_errors(self, owner: str, scaling: AutoScaling) -> list[str]:
        errors = scaling.errors(f"{owner}.autoscaling")
        # The provisioned values are the starting point; they must sit inside the bounds.
        for field in ("read_capacity", "gsi_read_capacity", "write_capacity", "gsi_write_capacity"):
            kind = "read" if "read" in field else "write"
            value = getattr(self, field)
            low = getattr(scaling, f"min_{kind}_capacity")
            high = getattr(scaling, f"max_{kind}_capacity")
            if isinstance(value, int) and not low <= value <= high:
                errors.append(
                    f"{owner}.{field} ({value}) must lie within autoscaling "
                    f"min_{kind}_capacity..max_{kind}_capacity ({low}..{high})"
                )
        return errors


@dataclass(frozen=True, kw_only=True)
class NetworkProps(_Validated):
    """The processor's VPC: how many isolated subnets (one per availability zone)."""

    availability_zones: int

    def errors(self, owner: str | None = None) -> list[str]:
        errors: list[str] = []
        # Lambda asks for subnets in at least two AZs for a highly available VPC function.
        check_range(
            errors, self._owner(owner), "availability_zones", self.availability_zones, (2, 6)
        )
        return errors


@dataclass(frozen=True, kw_only=True)
class EventSourceProps(_Validated):
    """The event source mapping from the table's stream: batching, retries, record age."""

    batch_size: int
    max_batching_window_seconds: int
    starting_position: lambda_.StartingPosition
    retry_attempts: int
    max_record_age_seconds: int

    def errors(self, owner: str | None = None) -> list[str]:
        owner = self._owner(owner)
        errors: list[str] = []
        check_range(errors, owner, "batch_size", self.batch_size, (1, _MAX_STREAM_BATCH_SIZE))
        check_range(
            errors,
            owner,
            "max_batching_window_seconds",
            self.max_batching_window_seconds,
            (0, _MAX_BATCHING_WINDOW_SECONDS),
        )
        if self.starting_position not in (
            lambda_.StartingPosition.LATEST,
            lambda_.StartingPosition.TRIM_HORIZON,
        ):
            errors.append(
                f"{owner}.starting_position must be LATEST or TRIM_HORIZON for a DynamoDB "
                f"stream, got {self.starting_position!r}"
            )
        # Bounded on purpose: -1 (infinite) would let one poison record block its shard.
        check_range(errors, owner, "retry_attempts", self.retry_attempts, (0, _MAX_RETRY_ATTEMPTS))
        check_range(
            errors,
            owner,
            "max_record_age_seconds",
            self.max_record_age_seconds,
            (_MIN_RECORD_AGE_SECONDS, MAX_RECORD_AGE_LIMIT_SECONDS),
        )
        return errors


@dataclass(frozen=True, kw_only=True)
class FunctionProps(_Validated):
    """The stream processor function: size, time limit and how long its logs are kept."""

    memory_mb: int
    timeout_seconds: int
    log_retention_days: int

    def errors(self, owner: str | None = None) -> list[str]:
        owner = self._owner(owner)
        errors: list[str] = []
        check_range(errors, owner, "memory_mb", self.memory_mb, (_MIN_MEMORY_MB, _MAX_MEMORY_MB))
        check_range(
            errors, owner, "timeout_seconds", self.timeout_seconds, (1, _MAX_TIMEOUT_SECONDS)
        )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
            errors.append(
                f"{owner}.log_retention_days must be a CloudWatch Logs retention ({allowed}), "
                f"got {self.log_retention_days!r}"
            )
        return errors


@dataclass(frozen=True, kw_only=True)
class FailureBucketProps(_Validated):
    """Where the mapping keeps what the processor gave up on, and for how long."""

    expiration_days: int

    def errors(self, owner: str | None = None) -> list[str]:
        errors: list[str] = []
        check_range(errors, self._owner(owner), "expiration_days", self.expiration_days, (1, 3650))
        return errors


@dataclass(frozen=True, kw_only=True)
class AlarmProps(_Validated):
    """Alarm thresholds and periods, and who is told (e-mail subscriptions of the alarm topic)."""

    period_seconds: int
    iterator_age_seconds: int
    iterator_age_datapoints: int
    iterator_age_evaluation_periods: int
    function_errors: int
    function_throttles: int
    failure_destination_events: int
    dropped_events: int
    table_throttle_events: int
    table_system_errors: int
    consumed_capacity_percent: int
    consumed_capacity_evaluation_periods: int
    emails: tuple[str, ...] = ()

    def errors(self, owner: str | None = None) -> list[str]:
        owner = self._owner(owner)
        errors: list[str] = []
        if self.period_seconds not in _ALARM_PERIODS_SECONDS:
            errors.append(
                f"{owner}.period_seconds must be 10, 30 or a multiple of 60 up to 86400 "
                f"(CloudWatch alarm periods), got {self.period_seconds!r}"
            )
        counts = (
            "function_errors",
            "function_throttles",
            "failure_destination_events",
            "dropped_events",
            "table_throttle_events",
            "table_system_errors",
        )
        for field in ("iterator_age_seconds", *counts):
            check_range(errors, owner, field, getattr(self, field), (1, 10**9))
        for field in ("iterator_age_evaluation_periods", "consumed_capacity_evaluation_periods"):
            check_range(errors, owner, field, getattr(self, field), (1, 100))
        check_range(
            errors,
            owner,
            "iterator_age_datapoints",
            self.iterator_age_datapoints,
            (1, max(1, int(self.iterator_age_evaluation_periods))),
        )
        check_range(
            errors, owner, "consumed_capacity_percent", self.consumed_capacity_percent, (1, 100)
        )
        check_emails(errors, f"{owner}.emails", self.emails)
        return errors


def field_names(props_type: type) -> tuple[str, ...]:
    """A props dataclass's field names in declaration order."""
    return tuple(field.name for field in fields(props_type))
