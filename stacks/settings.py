"""Per-stage settings of the messaging stack: frozen, typed and validated on construction.

Constructs receive a `StageSettings` and never read the environment or the CDK context; the app
picks one with `stage_settings(name)` from `-c stage=NAME`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Final

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from cruddur_messages import schema

DEFAULT_STAGE: Final = "dev"

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

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
# Service limits the settings must stay inside (DynamoDB, Lambda, event source mappings).
_MAX_PROVISIONED_CAPACITY = 40_000
_MAX_STREAM_BATCH_SIZE = 10_000
_MAX_BATCHING_WINDOW_SECONDS = 300
_MAX_RETRY_ATTEMPTS = 10_000
_MIN_RECORD_AGE_SECONDS = 60
_MAX_RECORD_AGE_SECONDS = 604_800
_MIN_MEMORY_MB, _MAX_MEMORY_MB = 128, 10_240
_MAX_TIMEOUT_SECONDS = 900
_MIN_TARGET_UTILIZATION, _MAX_TARGET_UTILIZATION = 20, 90


class InvalidSettingsError(ValueError):
    """A stage's settings break a rule; the message names every offending field."""


class UnknownStageError(ValueError):
    """No stage has this name; the message lists the valid ones."""


def _check_range(
    errors: list[str], owner: str, field: str, value: int, bounds: tuple[int, int]
) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{owner}.{field} must be an integer, got {value!r}")
    elif not low <= value <= high:
        errors.append(f"{owner}.{field} must be between {low} and {high}, got {value}")


@dataclass(frozen=True, kw_only=True)
class AutoScaling:
    """Target-tracking bounds, applied to the table's and the GSI's read and write capacity."""

    min_read_capacity: int
    max_read_capacity: int
    min_write_capacity: int
    max_write_capacity: int
    target_utilization_percent: int

    def __post_init__(self) -> None:
        errors = self.errors()
        if errors:
            raise InvalidSettingsError("; ".join(errors))

    def errors(self, owner: str = "AutoScaling") -> list[str]:
        errors: list[str] = []
        for kind in ("read", "write"):
            low_field, high_field = f"min_{kind}_capacity", f"max_{kind}_capacity"
            low, high = getattr(self, low_field), getattr(self, high_field)
            _check_range(errors, owner, low_field, low, (1, _MAX_PROVISIONED_CAPACITY))
            _check_range(errors, owner, high_field, high, (1, _MAX_PROVISIONED_CAPACITY))
            if isinstance(low, int) and isinstance(high, int) and low > high:
                errors.append(f"{owner}.{low_field} ({low}) must not exceed {high_field} ({high})")
        _check_range(
            errors,
            owner,
            "target_utilization_percent",
            self.target_utilization_percent,
            (_MIN_TARGET_UTILIZATION, _MAX_TARGET_UTILIZATION),
        )
        return errors


@dataclass(frozen=True, kw_only=True)
class StageSettings:
    """Everything that differs between stages. Construction fails on any invalid value."""

    name: str
    description: str
    table_name: str = schema.TABLE_NAME_DEFAULT
    # Provisioned throughput (the course's table is PROVISIONED 5/5).
    read_capacity: int
    write_capacity: int
    gsi_read_capacity: int
    gsi_write_capacity: int
    autoscaling: AutoScaling | None = None
    # Data protection.
    point_in_time_recovery: bool
    deletion_protection: bool
    retain_data: bool
    log_retention_days: int
    # Event source mapping from the table's stream.
    batch_size: int
    max_batching_window_seconds: int
    starting_position: lambda_.StartingPosition
    retry_attempts: int
    max_record_age_seconds: int
    # Stream processor function.
    processor_memory_mb: int
    processor_timeout_seconds: int
    # Alarm thresholds.
    iterator_age_alarm_seconds: int
    errors_alarm_threshold: int
    throttles_alarm_threshold: int
    failure_queue_alarm_threshold: int

    def __post_init__(self) -> None:
        errors = self.errors()
        if errors:
            raise InvalidSettingsError(
                f"invalid settings for stage {self.name!r}: " + "; ".join(errors)
            )

    def errors(self) -> list[str]:
        """Every rule this instance breaks, each naming its field."""
        owner = "StageSettings"
        errors: list[str] = []
        if not isinstance(self.name, str) or not _STAGE_NAME.match(self.name):
            errors.append(
                f"{owner}.name must be lower-case letters, digits and '-' (at most 20, "
                f"starting with a letter), got {self.name!r}"
            )
        if not isinstance(self.table_name, str) or not _TABLE_NAME.match(self.table_name):
            errors.append(
                f"{owner}.table_name must be 3-255 characters of A-Z a-z 0-9 _ . -, "
                f"got {self.table_name!r}"
            )
        for field in ("read_capacity", "write_capacity", "gsi_read_capacity", "gsi_write_capacity"):
            _check_range(errors, owner, field, getattr(self, field), (1, _MAX_PROVISIONED_CAPACITY))
        if self.autoscaling is not None:
            errors.extend(self._autoscaling_errors(owner, self.autoscaling))
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
            errors.append(
                f"{owner}.log_retention_days must be a CloudWatch Logs retention ({allowed}), "
                f"got {self.log_retention_days!r}"
            )
        for flag in ("point_in_time_recovery", "deletion_protection", "retain_data"):
            if not isinstance(getattr(self, flag), bool):
                errors.append(f"{owner}.{flag} must be a bool, got {getattr(self, flag)!r}")
        _check_range(errors, owner, "batch_size", self.batch_size, (1, _MAX_STREAM_BATCH_SIZE))
        _check_range(
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
        _check_range(errors, owner, "retry_attempts", self.retry_attempts, (0, _MAX_RETRY_ATTEMPTS))
        _check_range(
            errors,
            owner,
            "max_record_age_seconds",
            self.max_record_age_seconds,
            (_MIN_RECORD_AGE_SECONDS, _MAX_RECORD_AGE_SECONDS),
        )
        _check_range(
            errors,
            owner,
            "processor_memory_mb",
            self.processor_memory_mb,
            (_MIN_MEMORY_MB, _MAX_MEMORY_MB),
        )
        _check_range(
            errors,
            owner,
            "processor_timeout_seconds",
            self.processor_timeout_seconds,
            (1, _MAX_TIMEOUT_SECONDS),
        )
        for field in (
            "iterator_age_alarm_seconds",
            "errors_alarm_threshold",
            "throttles_alarm_threshold",
            "failure_queue_alarm_threshold",
        ):
            _check_range(errors, owner, field, getattr(self, field), (1, 10**9))
        return errors

    def _autoscaling_errors(self, owner: str, scaling: AutoScaling) -> list[str]:
        errors = scaling.errors(f"{owner}.autoscaling")
        # The provisioned values are the starting point; they must sit inside the bounds.
        pairs = (
            ("read_capacity", "read"),
            ("gsi_read_capacity", "read"),
            ("write_capacity", "write"),
            ("gsi_write_capacity", "write"),
        )
        for field, kind in pairs:
            value = getattr(self, field)
            low = getattr(scaling, f"min_{kind}_capacity")
            high = getattr(scaling, f"max_{kind}_capacity")
            if isinstance(value, int) and not low <= value <= high:
                errors.append(
                    f"{owner}.{field} ({value}) must lie within autoscaling "
                    f"min_{kind}_capacity..max_{kind}_capacity ({low}..{high})"
                )
        return errors


DEV: Final = StageSettings(
    name="dev",
    description="development: the course's 5/5 table, destroyable, short log retention",
    read_capacity=5,
    write_capacity=5,
    gsi_read_capacity=5,
    gsi_write_capacity=5,
    point_in_time_recovery=False,
    deletion_protection=False,
    retain_data=False,
    log_retention_days=14,
    batch_size=25,
    max_batching_window_seconds=1,
    starting_position=lambda_.StartingPosition.LATEST,
    retry_attempts=3,
    max_record_age_seconds=3_600,
    processor_memory_mb=256,
    processor_timeout_seconds=30,
    iterator_age_alarm_seconds=300,
    errors_alarm_threshold=1,
    throttles_alarm_threshold=1,
    failure_queue_alarm_threshold=1,
)

PROD: Final = StageSettings(
    name="prod",
    description="production: retained, deletion-protected, PITR on, auto-scaled capacity",
    read_capacity=5,
    write_capacity=5,
    gsi_read_capacity=5,
    gsi_write_capacity=5,
    autoscaling=AutoScaling(
        min_read_capacity=5,
        max_read_capacity=100,
        min_write_capacity=5,
        max_write_capacity=100,
        target_utilization_percent=70,
    ),
    point_in_time_recovery=True,
    deletion_protection=True,
    retain_data=True,
    log_retention_days=90,
    batch_size=100,
    max_batching_window_seconds=1,
    # TRIM_HORIZON: a newly created mapping also processes the last 24 hours still in the stream.
    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
    retry_attempts=5,
    max_record_age_seconds=86_400,
    processor_memory_mb=256,
    processor_timeout_seconds=30,
    iterator_age_alarm_seconds=60,
    errors_alarm_threshold=1,
    throttles_alarm_threshold=1,
    failure_queue_alarm_threshold=1,
)

# Deployed by the real `cdk deploy` into the embedded cloud (moto): dev's table and function (no
# custom resources in any stage), with small immediate batches so a local test sees each message
# processed at once, and the whole stream read from its start.
LOCAL: Final = dataclasses.replace(
    DEV,
    name="local",
    description="embedded local cloud: destroyable, smallest batches, shortest retention",
    log_retention_days=1,
    batch_size=10,
    max_batching_window_seconds=0,
    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
    retry_attempts=2,
    max_record_age_seconds=600,
)

STAGES: Final[Mapping[str, StageSettings]] = MappingProxyType(
    {stage.name: stage for stage in (DEV, PROD, LOCAL)}
)


def stage_settings(name: str) -> StageSettings:
    """The settings of stage `name`; UnknownStageError lists the valid stages."""
    try:
        return STAGES[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(STAGES))
        raise UnknownStageError(f"unknown stage {name!r}; valid stages: {valid}") from None


def settings_fields() -> tuple[str, ...]:
    """Field names of StageSettings in declaration order (the docs table's rows)."""
    return tuple(field.name for field in fields(StageSettings))


def _render_value(value: object) -> str:
    if isinstance(value, AutoScaling):
        return (
            f"read {value.min_read_capacity}-{value.max_read_capacity}, "
            f"write {value.min_write_capacity}-{value.max_write_capacity}, "
            f"target {value.target_utilization_percent}%"
        )
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, lambda_.StartingPosition):
        return value.name
    return str(value)


def render_settings_table(stages: Mapping[str, StageSettings] = STAGES) -> str:
    """The stage settings as a Markdown table (one row per field), as docs/infrastructure.md
    shows it; `python -m stacks.settings` prints it."""
    names = list(stages)
    lines = [
        "| setting | " + " | ".join(f"`{name}`" for name in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for field in settings_fields():
        if field in ("name", "description"):
            continue
        cells = (_render_value(getattr(stages[name], field)) for name in names)
        lines.append(f"| `{field}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_settings_table(), end="")
