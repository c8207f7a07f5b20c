"""Per-stage settings of the messaging stack: one frozen, validated props object per unit.

The stack hands each construct only its part (`settings.table`, `settings.function`...);
constructs never read the environment or the CDK context. The app picks a stage with
`stage_settings(name)` from `-c stage=NAME` and applies the context overrides
(`stacks.context`). Each value's reason is next to it, here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from cruddur_messages import schema
from stacks.props import (
    AlarmProps,
    AutoScaling,
    EventSourceProps,
    FailureBucketProps,
    FunctionProps,
    InvalidSettingsError,
    NetworkProps,
    TableProps,
    field_names,
    removal_policy,
)

DEFAULT_STAGE: Final = "dev"
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# The units in the order the stack builds them (and the settings table lists them).
UNITS: Final = ("table", "network", "event_source", "function", "failure_bucket", "alarms")


class UnknownStageError(ValueError):
    """No stage has this name; the message lists the valid ones."""


@dataclass(frozen=True, kw_only=True)
class StageSettings:
    """Everything that differs between stages, grouped by the unit it configures."""

    name: str
    description: str
    # Stage-wide: prod keeps its table, logs and failure records when the stack goes.
    retain_data: bool
    table: TableProps
    network: NetworkProps
    event_source: EventSourceProps
    function: FunctionProps
    failure_bucket: FailureBucketProps
    alarms: AlarmProps

    def __post_init__(self) -> None:
        errors = self.errors()
        if errors:
            raise InvalidSettingsError(
                f"invalid settings for stage {self.name!r}: " + "; ".join(errors)
            )

    def errors(self) -> list[str]:
        """Rules that span units (each unit validated itself on construction)."""
        errors: list[str] = []
        if not isinstance(self.name, str) or not _STAGE_NAME.match(self.name):
            errors.append(
                "StageSettings.name must be lower-case letters, digits and '-' (at most 20, "
                f"starting with a letter), got {self.name!r}"
            )
        if not isinstance(self.retain_data, bool):
            errors.append(f"StageSettings.retain_data must be a bool, got {self.retain_data!r}")
        # Throttling: each invocation waits throttles out until its margin and reports the rest,
        # and Lambda counts every such retry. Retries that outlast the record age leave the age
        # to decide (services-ddb-params.html: MaximumRetryAttempts up to 10,000), so a throttled
        # backlog is retried while it may still be, and only a poison record exhausts them.
        spent = self.event_source.retry_attempts * self.function.timeout_seconds
        if spent < self.event_source.max_record_age_seconds:
            errors.append(
                f"event_source.retry_attempts ({self.event_source.retry_attempts}) x "
                f"function.timeout_seconds ({self.function.timeout_seconds}) must reach "
                f"event_source.max_record_age_seconds ({self.event_source.max_record_age_seconds})"
            )
        # Lag must page someone before the mapping starts giving records up for age.
        if self.alarms.iterator_age_seconds >= self.event_source.max_record_age_seconds:
            errors.append(
                f"alarms.iterator_age_seconds ({self.alarms.iterator_age_seconds}) must be below "
                f"event_source.max_record_age_seconds ({self.event_source.max_record_age_seconds})"
            )
        return errors

    @property
    def removal_policy(self) -> cdk.RemovalPolicy:
        """The one removal policy of the stage's data: table, log group, failure bucket."""
        return removal_policy(retain=self.retain_data)


# Alarm defaults shared by the stages; prod tightens what its users would notice first.
_ALARMS = AlarmProps(
    # One-minute periods: Lambda and DynamoDB publish these metrics every minute.
    period_seconds=60,
    # Conversation lists fall behind when the mapping lags; a burst can lag for a minute or two,
    # so it takes 3 bad minutes out of 5.
    iterator_age_seconds=300,
    iterator_age_datapoints=3,
    iterator_age_evaluation_periods=5,
    # Each of these is already a failure someone must look at: the first one alarms.
    function_errors=1,
    function_throttles=1,
    failure_destination_events=1,
    dropped_events=1,
    # A throttled GSI write throttles the table write behind it; the processor and the store wait
    # throttles out, so one event is not lost data, but any throttling means the capacity is
    # wrong for the traffic.
    table_throttle_events=1,
    table_system_errors=1,
    # Without auto scaling, 80% of provisioned for 5 minutes leaves time to raise capacity
    # before requests are throttled (burst capacity covers short peaks).
    consumed_capacity_percent=80,
    consumed_capacity_evaluation_periods=5,
)

# Dev and local keep the course's 5/5 table: by the capacity model a quiet message costs 8 table
# WCU (C's transaction with its guard, 4; the processor's row moves, 4), so they sustain about
# 0.6 msg/s, and a full burst bucket (300 s of 5 WCU) takes `make demo`'s
# seed (30 messages) and its 5 sends at once; a test that needs more creates a bigger table.
DEV: Final = StageSettings(
    name="dev",
    description="development: the course's 5/5 table, destroyable, short log retention",
    retain_data=False,
    table=TableProps(
        # Not the course's name: dev and prod can share an account (prod keeps the course's).
        table_name=f"{schema.TABLE_NAME_DEFAULT}-dev",
        read_capacity=5,
        write_capacity=5,
        gsi_read_capacity=5,
        gsi_write_capacity=5,
        point_in_time_recovery=False,
        deletion_protection=False,
    ),
    network=NetworkProps(availability_zones=2),
    event_source=EventSourceProps(
        batch_size=25,
        max_batching_window_seconds=1,
        starting_position=lambda_.StartingPosition.LATEST,
        # Enough full-length throttled invocations to reach the record age (3,600 / 30): under
        # throttling the age ends the retries, not the count (the cross-unit rule above). A
        # poison record fails fast, so its 120 retries take seconds, then it goes to S3.
        retry_attempts=120,
        # An hour: a developer notices a stuck shard within it; then the records go to S3.
        max_record_age_seconds=3_600,
    ),
    function=FunctionProps(
        # 256 MB: the processor is CPU-bound (the SDK's work per request), and Lambda gives CPU in
        # proportion to memory (1,769 MB = one vCPU). `make bench` part 6 puts 256 MB at about
        # 66 quiet msg/s per invocation, far above what a 5-WCU table can feed it.
        memory_mb=256,
        # 30 s: a full batch is a few hundred single-digit-ms calls, so this is headroom for
        # throttling retries, not for work; the handler works against this deadline and a
        # stuck batch is retried and bisected instead.
        timeout_seconds=30,
        log_retention_days=14,
    ),
    # A week: long enough to replay after a weekend, short enough for development data.
    failure_bucket=FailureBucketProps(expiration_days=7),
    alarms=_ALARMS,
)


@dataclass(frozen=True, kw_only=True)
class TrafficAssumption:
    """The traffic a stage's capacity is sized for, in the capacity model's terms
    (tools/capacity_model; `bin/ddb/capacity --stage NAME` holds a profile against a stage)."""

    average_messages_per_second: float
    peak_messages_per_second: float
    new_conversation_share: float
    # Reads per message sent: opening the conversation (A) and the conversation list (B).
    a_pages_per_message: float
    b_pages_per_message: float


# Prod is sized for a launch: 4 msg/s on average (about 350,000 messages a day), peaks of ten times
# that, one message in ten starting a conversation, each sent message read twice in A and twice in
# B (20 a page). By the model (tests/unit/test_capacity_stages.py checks it): the average needs
# table 16 RCU / 32.8 WCU, GSI 3.8 RCU / 15.2 WCU; the peak table 160 RCU / 328 WCU, GSI 38 RCU /
# 152 WCU. The table's writes include C's and D's idempotency guards, written in their
# transactions (cruddur_messages/guards.py): 8.2 WCU a message in this mix, 5.1 before them, so
# the write bounds rose from 30-300. docs/capacity.md shows what changes past that.
PROD_TRAFFIC: Final = TrafficAssumption(
    average_messages_per_second=4,
    peak_messages_per_second=40,
    new_conversation_share=0.1,
    a_pages_per_message=2,
    b_pages_per_message=2,
)

PROD: Final = StageSettings(
    name="prod",
    description="production: retained, deletion-protected, PITR on, auto-scaled capacity",
    retain_data=True,
    table=TableProps(
        table_name=schema.TABLE_NAME_DEFAULT,
        # Deployed at the minimums; auto scaling moves them (table and GSI share the bounds).
        read_capacity=25,
        write_capacity=50,
        gsi_read_capacity=25,
        gsi_write_capacity=50,
        autoscaling=AutoScaling(
            # The minimums carry PROD_TRAFFIC's average at the target (23 RCU, 47 WCU), so a quiet
            # day never waits two minutes for auto scaling, and bank 300 s of it as burst.
            min_read_capacity=25,
            # The maximums carry its peak at the target (229 RCU, 469 WCU): past them the
            # AtScalingMaximum alarms page, and docs/capacity.md says what to change.
            max_read_capacity=240,
            min_write_capacity=50,
            max_write_capacity=480,
            # 70%: AWS's default target; 30% headroom covers a doubling while auto scaling
            # waits for two minutes above the target.
            target_utilization_percent=70,
        ),
        point_in_time_recovery=True,
        deletion_protection=True,
    ),
    network=NetworkProps(availability_zones=2),
    event_source=EventSourceProps(
        batch_size=100,
        max_batching_window_seconds=1,
        # TRIM_HORIZON: a newly created mapping also processes the last 24 hours in the stream.
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        # 21,600 / 30, as in dev: the record age decides while throttled.
        retry_attempts=720,
        # 6 hours, a quarter of the stream's 24 h retention: the iterator-age alarm has paged
        # long before, and what is still stuck goes to the failure bucket whole, while the
        # stream still holds it, instead of being trimmed unseen.
        max_record_age_seconds=21_600,
    ),
    function=FunctionProps(
        # 512 MB: twice dev's CPU, about 133 quiet msg/s per invocation (`make bench` part 6).
        # Cost per message is flat (CPU-bound at both sizes); batch time, backlog drain and cold
        # start halve, which the 60 s iterator-age alarm needs.
        memory_mb=512,
        timeout_seconds=30,
        log_retention_days=90,
    ),
    # 30 days: time to notice, investigate and replay; PITR covers the table itself.
    failure_bucket=FailureBucketProps(expiration_days=30),
    # Users notice a stale conversation list within a minute: page on sustained lag sooner.
    # Who is paged is committed here, reviewed with every change (a `-c` flag would be forgotten
    # by the next deploy, which would then delete the subscriptions). The address is the team's
    # on-call list: replace this placeholder (example.com receives no mail) before the first
    # deploy; `make smoke STAGE=prod` warns while no subscription is confirmed.
    alarms=dataclasses.replace(
        _ALARMS,
        iterator_age_seconds=60,
        emails=("cruddur-oncall@example.com",),
        subscribers_required=True,
    ),
)

# Deployed by the real `cdk deploy` into the embedded cloud (moto): dev's table and function (no
# custom resources in any stage), with small immediate batches so a local test sees each message
# processed at once, and the whole stream read from its start. The course's table name: the ddb
# tools' default.
LOCAL: Final = dataclasses.replace(
    DEV,
    name="local",
    description="embedded local cloud: destroyable, smallest batches, shortest retention",
    table=dataclasses.replace(DEV.table, table_name=schema.TABLE_NAME_DEFAULT),
    event_source=dataclasses.replace(
        DEV.event_source,
        batch_size=10,
        max_batching_window_seconds=0,
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        # 600 / 30, as in dev.
        retry_attempts=20,
        max_record_age_seconds=600,
    ),
    function=dataclasses.replace(DEV.function, log_retention_days=1),
    failure_bucket=FailureBucketProps(expiration_days=1),
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


def settings_rows(settings: StageSettings) -> Iterator[tuple[str, object]]:
    """(row name, value) per setting, grouped by unit: `retain_data`, `table.read_capacity`..."""
    yield "retain_data", settings.retain_data
    for unit in UNITS:
        props = getattr(settings, unit)
        for field in field_names(type(props)):
            yield f"{unit}.{field}", getattr(props, field)


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
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


def render_settings_table(stages: Mapping[str, StageSettings] = STAGES) -> str:
    """The stage settings as a Markdown table (one row per setting, grouped by unit), as README
    and docs/infrastructure.md show it; `python -m stacks.settings` prints it."""
    names = list(stages)
    columns = [list(settings_rows(stages[name])) for name in names]
    lines = [
        "| setting | " + " | ".join(f"`{name}`" for name in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for index, (row, _) in enumerate(columns[0]):
        cells = (_render_value(column[index][1]) for column in columns)
        lines.append(f"| `{row}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_settings_table(), end="")
