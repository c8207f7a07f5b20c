"""Stage settings: the stages, their lookup, and the errors bad settings produce."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.app import build_app
from stacks.settings import (
    DEV,
    LOG_RETENTION_DAYS,
    PROD,
    STAGES,
    AutoScaling,
    InvalidSettingsError,
    UnknownStageError,
    stage_settings,
)

from .conftest import ROOT


def test_stages_are_dev_prod_and_local() -> None:
    """The three stages the issue names exist, each under its own name."""
    assert set(STAGES) == {"dev", "prod", "local"}
    assert all(settings.name == name for name, settings in STAGES.items())


def test_dev_capacity_is_the_courses_five_and_five() -> None:
    """dev provisions 5 read and 5 write units, as the course's table does."""
    assert (DEV.read_capacity, DEV.write_capacity) == (5, 5)


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
        DEV.read_capacity = 1  # type: ignore[misc]


def test_capacity_below_one_names_the_field() -> None:
    """Zero read capacity is rejected, and the error names read_capacity."""
    with pytest.raises(InvalidSettingsError, match=r"StageSettings\.read_capacity"):
        dataclasses.replace(DEV, read_capacity=0)


def test_gsi_capacity_below_one_names_the_field() -> None:
    """The GSI's capacity is validated on its own field."""
    with pytest.raises(InvalidSettingsError, match=r"StageSettings\.gsi_write_capacity"):
        dataclasses.replace(DEV, gsi_write_capacity=-5)


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
    assert PROD.autoscaling is not None
    with pytest.raises(InvalidSettingsError, match="target_utilization_percent"):
        dataclasses.replace(PROD.autoscaling, target_utilization_percent=95)


def test_provisioned_capacity_outside_autoscaling_bounds_names_the_field() -> None:
    """The provisioned starting capacity must lie inside the autoscaling bounds."""
    with pytest.raises(InvalidSettingsError, match=r"StageSettings\.read_capacity \(500\)"):
        dataclasses.replace(PROD, read_capacity=500)


@pytest.mark.parametrize("days", [0, 2, 10, 4000])
def test_retention_not_a_cloudwatch_value_names_the_field(days: int) -> None:
    """Only the retention periods CloudWatch Logs accepts are allowed."""
    with pytest.raises(InvalidSettingsError, match=r"StageSettings\.log_retention_days"):
        dataclasses.replace(DEV, log_retention_days=days)


def test_retry_attempts_must_be_bounded() -> None:
    """-1 (retry forever) is rejected: one poison record would block its shard."""
    with pytest.raises(InvalidSettingsError, match=r"StageSettings\.retry_attempts"):
        dataclasses.replace(DEV, retry_attempts=-1)


def test_every_error_is_reported_at_once() -> None:
    """Several bad fields produce one error that names each of them."""
    with pytest.raises(InvalidSettingsError) as raised:
        dataclasses.replace(DEV, batch_size=0, processor_timeout_seconds=901, name="Dev!")
    message = str(raised.value)
    for field in ("batch_size", "processor_timeout_seconds", "name"):
        assert re.search(rf"StageSettings\.{field}\b", message), field


def test_allowed_retentions_match_cloudwatch() -> None:
    """The allowed retentions are CloudWatch Logs' values (the CDK's RetentionDays, finite)."""
    from aws_cdk import aws_logs as logs

    finite = {member for member in logs.RetentionDays if member is not logs.RetentionDays.INFINITE}
    assert set(LOG_RETENTION_DAYS.values()) == finite


@pytest.mark.parametrize("stage", ["", "  "])
def test_an_empty_stage_fails_the_synth_instead_of_meaning_dev(stage: str) -> None:
    """`make synth STAGE=` passes `-c stage=`: a mistake, never a silent dev synth."""
    with pytest.raises(UnknownStageError, match=r"stage is empty.*valid stages: dev, local, prod"):
        build_app(context={"stage": stage})
    with pytest.raises(UnknownStageError, match="stage is empty"):
        build_app(stage)


@pytest.mark.parametrize(("stage", "reason"), [("nope", "unknown stage 'nope'"), ("", "empty")])
def test_the_cli_entry_says_a_bad_stage_in_one_line(
    stage: str, reason: str, tmp_path: Path
) -> None:
    """cdk_app.py as `cdk synth -c stage=...` runs it (context in CDK_CONTEXT_JSON), in a
    process of its own: the jsii runtime of this one has its environment fixed already."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"stage": stage}),
           "CDK_OUTDIR": str(tmp_path)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "cdk_app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and reason in line
    assert line.endswith("valid stages: dev, local, prod")
