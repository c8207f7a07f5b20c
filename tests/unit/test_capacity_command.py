"""bin/ddb/capacity in-process: the model's figures in text and JSON, a stage's verdict, and one
clear line for bad input."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from stacks.settings import DEV, PROD
from tools.capacity_model.plan import Plan, TrafficProfile
from tools.capacity_model.stages import stage_capacity, verdict
from tools.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["capacity", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_is_the_models_plan_for_the_profile() -> None:
    code, out, _ = run("--messages-per-second", "12", "--new-conversations", "0", "--json")
    assert code == 0
    doc = json.loads(out)
    plan = Plan(TrafficProfile(messages_per_second=12, new_conversation_share=0))
    # 12 quiet msg/s x 8 table WCU (C's transaction 2 x 2, E's 4 row writes) = 96.
    assert doc["per_second"]["table_wcu"] == plan.per_second.table_write == 96
    assert doc["provisioned"]["table_wcu"] == plan.provisioned.table_write
    # 12 WCU and 1 RCU a message: 12 x $0.625 + $0.125 = $7.625 a million, rounded to cents.
    assert doc["cost_usd"]["per_million_messages_on_demand"] == pytest.approx(7.625, abs=0.005)
    assert doc["stage"] is None


def test_a_stage_that_holds_says_so_with_what_it_sustains() -> None:
    code, out, _ = run("--messages-per-second", "0.5", "--stage", "dev")
    assert code == 0
    sustained = verdict(
        Plan(TrafficProfile(messages_per_second=0.5)), stage_capacity("dev", DEV.table)
    ).sustained_floor
    assert f"sustains {round(sustained, 2):g} msg/s as provisioned" in out
    assert "holds the profile" in out and "NOT" not in out


def test_a_stage_that_does_not_hold_names_the_short_resource() -> None:
    assert PROD.table.autoscaling is not None
    too_many = PROD.table.autoscaling.max_write_capacity  # 8 WCU a message: eight times too many
    code, out, _ = run("--messages-per-second", str(too_many), "--stage", "prod", "--json")
    assert code == 0
    stage = json.loads(out)["stage"]
    assert stage["holds"] is False and stage["target_utilization_percent"] == 70
    assert any(reason.startswith("table WCU") for reason in stage["reasons"])


def test_an_unknown_stage_is_one_line_and_exit_1() -> None:
    code, out, err = run("--stage", "staging")
    assert code == 1 and not out
    assert err.strip().splitlines() == [
        "Error: unknown stage 'staging'; valid stages: dev, local, prod"
    ]


def test_a_share_over_one_is_refused_by_its_option() -> None:
    code, _, err = run("--new-conversations", "1.5")
    assert code == 2 and "--new-conversations" in err


def test_the_options_defaults_are_the_models_default_profile() -> None:
    code, out, _ = run("--json")
    assert code == 0
    assert json.loads(out)["profile"] == dataclasses.asdict(TrafficProfile())


def test_each_profile_option_sets_its_field() -> None:
    code, out, _ = run("--a-reads", "3", "--b-page", "7", "--bytes-per-char", "2", "--json")
    assert code == 0
    profile = json.loads(out)["profile"]
    assert (profile["a_reads_per_second"], profile["b_page"], profile["bytes_per_char"]) == (
        3,
        7,
        2,
    )
