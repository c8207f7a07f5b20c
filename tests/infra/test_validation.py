"""Whole-template checks: cdk-nag, cfn-lint, no custom resources, no lookups, stable IDs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import ManualArgs, lint_file
from stage_synth import Synthesized, cdk_json_context

from stacks.app import build_app
from stacks.nag import acknowledgements

NAG_PACKS = {"AwsSolutions", "Serverless"}
# W3005 (redundant DependsOn): aws-cdk-lib's Function adds DependsOn its role to every VPC
# function, next to the Role GetAtt; harmless, and not ours to remove.
CFN_LINT_IGNORED = ("W3005",)


def _report_by_pack(stage: Synthesized) -> dict[str, dict[str, Any]]:
    return {report["pluginName"]: report for report in stage.validation_report["pluginReports"]}


def test_both_nag_packs_ran(stage: Synthesized) -> None:
    """The AwsSolutions and Serverless packs both checked the stack on synth."""
    assert set(_report_by_pack(stage)) == NAG_PACKS


def test_no_unacknowledged_nag_findings(stage: Synthesized) -> None:
    """Zero open findings of any severity: every finding is fixed or acknowledged."""
    for pack, report in _report_by_pack(stage).items():
        assert report["violations"] == [], pack
        assert report["conclusion"] == "success", pack


def test_every_acknowledgement_has_a_reason(stage: Synthesized) -> None:
    """Each suppressed finding carries a reason a reviewer can read."""
    for report in _report_by_pack(stage).values():
        for suppressed in report["suppressedViolations"]:
            assert len(suppressed["reason"]) > 40, suppressed["ruleName"]


def test_every_acknowledgement_is_used(stage: Synthesized) -> None:
    """No stale acknowledgement: each one matches a finding of this stage."""
    used = {
        (suppressed["acknowledgedAt"], suppressed["acknowledgedId"])
        for report in _report_by_pack(stage).values()
        for suppressed in report["suppressedViolations"]
    }
    declared = {(ack.path, ack.rule) for ack in acknowledgements(stage.stack)}
    assert declared == used


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    """A non-compliant resource (a queue without TLS enforcement or a DLQ) stops the synth."""
    app, stack = build_app("dev", context=cdk_json_context(), outdir=str(tmp_path))
    sqs.Queue(stack, "NonCompliant")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_cfn_lint_reports_nothing(stage: Synthesized) -> None:
    """cfn-lint finds no error or warning in the template (bar the documented exceptions)."""
    matches = lint_file(stage.template_path, ManualArgs(ignore_checks=list(CFN_LINT_IGNORED)))
    assert [str(match) for match in matches] == []


def test_no_custom_resources(stage: Synthesized) -> None:
    """No custom resource of any kind: the local stage must deploy into an emulator."""
    types = {resource["Type"] for resource in stage.template_json["Resources"].values()}
    assert not {t for t in types if t.startswith("Custom::")}
    assert "AWS::CloudFormation::CustomResource" not in types
    # Custom resources are backed by a provider function; ours is the only function.
    assert len(stage.resources("AWS::Lambda::Function")) == 1


def test_synth_with_a_concrete_environment_needs_no_lookups(tmp_path: Path) -> None:
    """With an account and region set, synth still asks nothing of AWS (no context lookups)."""
    env = cdk.Environment(account="123456789012", region="eu-west-1")
    app, _ = build_app("prod", context=cdk_json_context(), outdir=str(tmp_path), env=env)
    manifest = json.loads((Path(app.synth().directory) / "manifest.json").read_text())
    assert "missing" not in manifest


@pytest.mark.parametrize(
    ("resource_type", "logical_id"),
    [
        ("AWS::DynamoDB::Table", "Table7ABB320E"),
        ("AWS::Lambda::Function", "StreamProcessorFunctionA601E1E4"),
        ("AWS::Lambda::EventSourceMapping", "StreamProcessorEventSourceMappingD371380A"),
    ],
)
def test_logical_ids_are_pinned(stage: Synthesized, resource_type: str, logical_id: str) -> None:
    """A refactor cannot silently rename (and so replace) the table, function or mapping."""
    assert stage.only(resource_type)[0] == logical_id


def test_stack_is_named_for_its_stage(stage: Synthesized) -> None:
    """One stack per stage, named CruddurMessages-<stage>."""
    assert stage.stack.stack_name == f"CruddurMessages-{stage.settings.name}"
