"""Stage settings: the stages, their lookup, and the errors bad settings produce."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from types import ModuleType
from typing import Any

import pytest
from stage_synth import ROOT

from stacks.app import build_app
from stacks.props import (
    LOG_RETENTION_DAYS,
    MAX_RECORD_AGE_LIMIT_SECONDS,
    AutoScaling,
    InvalidSettingsError,
    removal_policy,
)
from stacks.settings import DEV, PROD, STAGES, UNITS, UnknownStageError, stage_settings


def test_stages_are_dev_prod_and_local() -> None:
    """The three stages the issue names exist, each under its own name."""
    assert set(STAGES) == {"dev", "prod", "local"}
    assert all(settings.name == name for name, settings in STAGES.items())


def test_dev_capacity_is_the_courses_five_and_five() -> None:
    """dev provisions 5 read and 5 write units, as the course's table does."""
    assert (DEV.table.read_capacity, DEV.table.write_capacity) == (5, 5)


def test_unknown_stage_names_the_valid_stages() -> None:
    """Looking up a stage that does not exist fails with the list of valid stages."""
    with pytest.raises(UnknownStageError, match=r"'staging'.*valid stages: dev, local, prod"):
        stage_settings("staging")


def test_unknown_stage_from_context_fails_the_synth() -> None:
    """`-c stage=NAME` with an unknown name fails before any stack is built."""
    with pytest.raises(UnknownStageError, match="valid stages: dev, local, prod"):
        build_app(context={"stage": "qa"})


def test_settings_are_frozen() -> None:
    """A stage's settings cannot be changed after construction."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEV.table.read_capacity = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEV.table = PROD.table  # type: ignore[misc]


def test_capacity_below_one_names_the_field() -> None:
    """Zero read capacity is rejected, and the error names read_capacity."""
    with pytest.raises(InvalidSettingsError, match=r"TableProps\.read_capacity"):
        dataclasses.replace(DEV.table, read_capacity=0)


def test_gsi_capacity_below_one_names_the_field() -> None:
    """The GSI's capacity is validated on its own field."""
    with pytest.raises(InvalidSettingsError, match=r"TableProps\.gsi_write_capacity"):
        dataclasses.replace(DEV.table, gsi_write_capacity=-5)


def test_autoscaling_min_above_max_names_the_field() -> None:
    """Autoscaling bounds with min above max are rejected, naming the min field."""
    with pytest.raises(InvalidSettingsError, match=r"AutoScaling\.min_read_capacity \(50\)"):
        AutoScaling(
            min_read_capacity=50,
            max_read_capacity=10,
            min_write_capacity=5,
            max_write_capacity=10,
            target_utilization_percent=70,
        )


def test_autoscaling_target_outside_dynamodb_range_names_the_field() -> None:
    """Target utilization must be within DynamoDB's 20-90 percent."""
    assert PROD.table.autoscaling is not None
    with pytest.raises(InvalidSettingsError, match="target_utilization_percent"):
        dataclasses.replace(PROD.table.autoscaling, target_utilization_percent=95)


def test_provisioned_capacity_outside_autoscaling_bounds_names_the_field() -> None:
    """The provisioned starting capacity must lie inside the autoscaling bounds."""
    with pytest.raises(InvalidSettingsError, match=r"TableProps\.read_capacity \(500\)"):
        dataclasses.replace(PROD.table, read_capacity=500)


@pytest.mark.parametrize("days", [0, 2, 10, 4000])
def test_retention_not_a_cloudwatch_value_names_the_field(days: int) -> None:
    """Only the retention periods CloudWatch Logs accepts are allowed."""
    with pytest.raises(InvalidSettingsError, match=r"FunctionProps\.log_retention_days"):
        dataclasses.replace(DEV.function, log_retention_days=days)


def test_retry_attempts_must_be_bounded() -> None:
    """-1 (retry forever) is rejected: one poison record would block its shard."""
    with pytest.raises(InvalidSettingsError, match=r"EventSourceProps\.retry_attempts"):
        dataclasses.replace(DEV.event_source, retry_attempts=-1)


def test_every_error_is_reported_at_once() -> None:
    """Several bad fields produce one error that names each of them."""
    with pytest.raises(InvalidSettingsError) as raised:
        dataclasses.replace(DEV.event_source, batch_size=0, max_batching_window_seconds=301)
    message = str(raised.value)
    for field in ("batch_size", "max_batching_window_seconds"):
        assert re.search(rf"EventSourceProps\.{field}\b", message), field


# Every integer bound the props enforce: the service limits and the team's own caps.
_BOUNDS = [
    ("table", "read_capacity", 1, 40_000),
    ("table", "gsi_write_capacity", 1, 40_000),
    ("table.autoscaling", "target_utilization_percent", 20, 90),
    ("network", "availability_zones", 2, 6),
    ("event_source", "batch_size", 1, 10_000),
    ("event_source", "max_batching_window_seconds", 0, 300),
    ("event_source", "retry_attempts", 0, 10_000),
    ("event_source", "max_record_age_seconds", 60, 43_200),
    ("function", "memory_mb", 128, 10_240),
    ("function", "timeout_seconds", 1, 900),
    ("failure_bucket", "expiration_days", 1, 3650),
    ("alarms", "iterator_age_seconds", 1, 10**9),
    ("alarms", "table_system_errors", 1, 10**9),
    ("alarms", "consumed_capacity_evaluation_periods", 1, 100),
    ("alarms", "iterator_age_datapoints", 1, 5),
    ("alarms", "consumed_capacity_percent", 1, 100),
]


@pytest.mark.parametrize(("unit", "field", "low", "high"), _BOUNDS)
def test_integer_fields_are_bounded(unit: str, field: str, low: int, high: int) -> None:
    """Both ends of a field's range are accepted; one past either end, or a non-integer, is
    rejected with a message naming the field and the range."""
    props: Any = PROD
    for part in unit.split("."):
        props = getattr(props, part)
    # Bounds checked alone: no autoscaling to hold the provisioned values in.
    if unit == "table":
        props = dataclasses.replace(props, autoscaling=None)
    owner = type(props).__name__
    for value in (low, high):
        assert getattr(dataclasses.replace(props, **{field: value}), field) == value
    for value in (low - 1, high + 1):
        message = f"{owner}.{field} must be between {low} and {high}, got {value}"
        with pytest.raises(InvalidSettingsError, match=re.escape(message)):
            dataclasses.replace(props, **{field: value})
    with pytest.raises(InvalidSettingsError, match=rf"{owner}\.{field} must be an integer"):
        dataclasses.replace(props, **{field: True})


def test_flags_must_be_bools() -> None:
    """A protection flag given as anything but a bool names the field."""
    with pytest.raises(
        InvalidSettingsError, match=r"TableProps\.deletion_protection must be a bool"
    ):
        dataclasses.replace(DEV.table, deletion_protection="yes")  # type: ignore[arg-type]


def test_allowed_retentions_match_cloudwatch() -> None:
    """The allowed retentions are CloudWatch Logs' values (the CDK's RetentionDays, finite)."""
    from aws_cdk import aws_logs as logs

    finite = {member for member in logs.RetentionDays if member is not logs.RetentionDays.INFINITE}
    assert set(LOG_RETENTION_DAYS.values()) == finite


def test_stage_name_is_validated() -> None:
    """A stage name outside lower-case letters, digits and '-' names the field."""
    with pytest.raises(InvalidSettingsError, match=r"StageSettings\.name"):
        dataclasses.replace(DEV, name="Dev!")


@pytest.mark.parametrize("name", ["ab", "x" * 256, "has space", "semi;colon", "ümlaut"])
def test_table_name_must_follow_dynamodbs_rule(name: str) -> None:
    """3-255 characters of A-Z a-z 0-9 _ . - (DynamoDB's naming rule)."""
    with pytest.raises(InvalidSettingsError, match=r"TableProps\.table_name"):
        dataclasses.replace(DEV.table, table_name=name)


def test_dev_and_prod_tables_can_share_an_account() -> None:
    """Every stage that deploys to AWS names its table differently."""
    assert DEV.table.table_name != PROD.table.table_name


def test_record_age_stays_well_below_the_streams_retention() -> None:
    """Every stage gives records up (to the failure bucket) by half the stream's 24 h at most,
    and a longer age is rejected."""
    assert MAX_RECORD_AGE_LIMIT_SECONDS == 86_400 // 2
    for settings in STAGES.values():
        assert settings.event_source.max_record_age_seconds <= MAX_RECORD_AGE_LIMIT_SECONDS
    with pytest.raises(InvalidSettingsError, match=r"EventSourceProps\.max_record_age_seconds"):
        dataclasses.replace(PROD.event_source, max_record_age_seconds=86_400)


def test_lag_alarms_before_records_are_given_up() -> None:
    """The iterator-age alarm threshold must lie below the mapping's maximum record age."""
    with pytest.raises(InvalidSettingsError, match=r"alarms\.iterator_age_seconds"):
        dataclasses.replace(DEV, alarms=dataclasses.replace(DEV.alarms, iterator_age_seconds=3_600))


def test_retries_outlast_the_record_age_so_throttling_never_exhausts_them() -> None:
    """Each throttled invocation can take the whole timeout; the retries must cover the record
    age, so the age (not the count) ends a throttled backlog's retries."""
    too_few = dataclasses.replace(DEV.event_source, retry_attempts=119)
    with pytest.raises(InvalidSettingsError, match=r"event_source\.retry_attempts \(119\) x"):
        dataclasses.replace(DEV, event_source=too_few)
    for stage in STAGES.values():
        reach = stage.event_source.retry_attempts * stage.function.timeout_seconds
        assert reach >= stage.event_source.max_record_age_seconds


@pytest.mark.parametrize("period", [0, 45, 90, 86_460])
def test_alarm_period_must_be_a_cloudwatch_period(period: int) -> None:
    """10, 30 or a multiple of 60 seconds, at most a day."""
    with pytest.raises(InvalidSettingsError, match=r"AlarmProps\.period_seconds"):
        dataclasses.replace(DEV.alarms, period_seconds=period)


def test_alarm_emails_are_validated() -> None:
    """A malformed address in the stage's alarm e-mails names the field."""
    with pytest.raises(InvalidSettingsError, match=r"AlarmProps\.emails"):
        dataclasses.replace(DEV.alarms, emails=("ops@example.com", "not-an-address"))


def test_removal_policy_is_one_helper_for_the_stage() -> None:
    """The stage's data is retained exactly where retain_data says so."""
    import aws_cdk as cdk

    assert removal_policy(retain=True) is cdk.RemovalPolicy.RETAIN
    assert removal_policy(retain=False) is cdk.RemovalPolicy.DESTROY
    assert PROD.removal_policy is cdk.RemovalPolicy.RETAIN
    assert DEV.removal_policy is cdk.RemovalPolicy.DESTROY


def test_every_unit_has_its_own_frozen_props() -> None:
    """Each unit's props is an instance of its own type, and cannot be changed."""
    units = [getattr(DEV, unit) for unit in UNITS]
    assert len({type(props) for props in units}) == len(UNITS)
    for props in units:
        field = dataclasses.fields(props)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(props, field, None)


@pytest.mark.parametrize("stage", ["", "  "])
def test_an_empty_stage_fails_the_synth_instead_of_meaning_dev(stage: str) -> None:
    """`make synth STAGE=` passes `-c stage=`: a mistake, never a silent dev synth."""
    with pytest.raises(UnknownStageError, match=r"stage is empty.*valid stages: dev, local, prod"):
        build_app(context={"stage": stage})
    with pytest.raises(UnknownStageError, match="stage is empty"):
        build_app(stage)


@pytest.mark.parametrize(("stage", "reason"), [("nope", "unknown stage 'nope'"), ("", "empty")])
def test_the_cli_entry_says_a_bad_stage_in_one_line(
    stage: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """cdk_app.py's main with `-c stage=...`: exit 2, one line on stderr, no traceback (run as
    the CDK CLI runs it, in a process of its own, by tests/infra/test_context.py)."""
    assert cdk_app().main(context={"stage": stage}) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: ") and reason in line
    assert line.endswith("valid stages: dev, local, prod")


def cdk_app() -> ModuleType:
    """cdk_app.py, the CDK CLI's entry (a script at the root, not in a package)."""
    spec = importlib.util.spec_from_file_location("cdk_app", ROOT / "cdk_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
