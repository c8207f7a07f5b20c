"""The guard over real synthesized templates: each test edits a copy of one stage's template the
way a change would, runs the diff engine `make diff` runs, and asks the guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from stage_templates import Templates, only

from review.changes import diff_stages
from review.guard import findings
from review.model import StageDiff
from review.render import report

TABLE = "AWS::DynamoDB::Table"


def diff_one(base: Templates, head: Templates, stage: str) -> StageDiff:
    """The diff of one stage, through the engine."""
    (diff,) = diff_stages({stage: base[stage]}, {stage: head[stage]})
    return diff


def edited(
    templates: Callable[[], Templates], stage: str, edit: Callable[[Any], None]
) -> StageDiff:
    base, head = templates(), templates()
    edit(head[stage])
    return diff_one(base, head, stage)


def test_unchanged_templates_have_no_changes_and_no_findings(
    templates: Callable[[], Templates],
) -> None:
    diffs = diff_stages(templates(), templates())
    assert [d.stage for d in diffs] == ["dev", "local", "prod"]
    assert all(d.is_empty for d in diffs)
    assert findings(diffs) == []


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_key_schema_change_replaces_the_table_and_the_guard_fires(
    templates: Callable[[], Templates], stage: str
) -> None:
    def rename_sort_key(template: Any) -> None:
        table = only(template, TABLE)[1]["Properties"]
        table["KeySchema"][1]["AttributeName"] = "created_at"
        table["AttributeDefinitions"].append({"AttributeName": "created_at", "AttributeType": "S"})

    diff = edited(templates, stage, rename_sort_key)
    table_id = only(templates()[stage], TABLE)[0]
    table = next(r for r in diff.resources if r.logical_id == table_id)
    assert table.impact == "WILL_REPLACE"
    found = {f.token: f for f in findings([diff])}
    assert f"{stage}/{table_id}" in found
    assert "KeySchema" in found[f"{stage}/{table_id}"].what
    # The mapping reads the replaced table's stream, so it is replaced too: guarded as well.
    mapping_id = only(templates()[stage], "AWS::Lambda::EventSourceMapping")[0]
    assert f"{stage}/{mapping_id}" in found


def test_a_table_name_change_replaces_the_table_and_the_guard_fires(
    templates: Callable[[], Templates],
) -> None:
    def rename(template: Any) -> None:
        only(template, TABLE)[1]["Properties"]["TableName"] = "cruddur-messages-v2"

    diff = edited(templates, "prod", rename)
    table_id = only(templates()["prod"], TABLE)[0]
    assert f"prod/{table_id}" in {f.token for f in findings([diff])}
    assert "TableName" in next(f.what for f in findings([diff]) if f.subject == table_id)


@pytest.mark.parametrize(("stage", "impact"), [("dev", "WILL_DESTROY"), ("prod", "WILL_ORPHAN")])
def test_a_new_logical_id_for_the_table_destroys_or_orphans_it_and_the_guard_fires(
    templates: Callable[[], Templates], stage: str, impact: str
) -> None:
    def move(template: Any) -> None:
        table_id = only(template, TABLE)[0]
        template["Resources"]["MessagesTable"] = template["Resources"].pop(table_id)

    diff = edited(templates, stage, move)
    table_id = only(templates()[stage], TABLE)[0]
    found = {f.token: f.what for f in findings([diff])}
    assert found[f"{stage}/{table_id}"].startswith(f"{impact} {TABLE}")


def test_a_capacity_change_is_shown_and_the_guard_stays_quiet(
    templates: Callable[[], Templates],
) -> None:
    def raise_reads(template: Any) -> None:
        only(template, TABLE)[1]["Properties"]["ProvisionedThroughput"]["ReadCapacityUnits"] = 10

    diff = edited(templates, "dev", raise_reads)
    (table,) = diff.resources
    assert table.impact == "WILL_UPDATE"
    assert [(p.name, p.new["ReadCapacityUnits"]) for p in table.properties] == [
        ("ProvisionedThroughput", 10)
    ]
    assert findings([diff]) == []


@pytest.mark.parametrize(
    ("resource_type", "prop", "value"),
    [
        ("AWS::Logs::LogGroup", "LogGroupName", "/cruddur/renamed"),
        ("AWS::Lambda::EventSourceMapping", "StartingPosition", "AT_TIMESTAMP"),
        ("AWS::S3::Bucket", "BucketName", "cruddur-failures-renamed"),
    ],
)
def test_replacing_any_stateful_resource_fires(
    templates: Callable[[], Templates], resource_type: str, prop: str, value: Any
) -> None:
    def change(template: Any) -> None:
        only(template, resource_type)[1]["Properties"][prop] = value

    diff = edited(templates, "prod", change)
    logical_id = only(templates()["prod"], resource_type)[0]
    assert f"prod/{logical_id}" in {f.token for f in findings([diff])}


def test_removing_the_failure_destination_fires(templates: Callable[[], Templates]) -> None:
    def remove_bucket(template: Any) -> None:
        del template["Resources"][only(template, "AWS::S3::Bucket")[0]]

    diff = edited(templates, "dev", remove_bucket)
    bucket_id = only(templates()["dev"], "AWS::S3::Bucket")[0]
    assert f"dev/{bucket_id}" in {f.token for f in findings([diff])}


SUBSCRIPTION = "AWS::SNS::Subscription"


def test_removing_the_alarm_subscription_fires(templates: Callable[[], Templates]) -> None:
    """A change that drops prod's last address pages nobody: refused unless a trailer says so."""

    def unsubscribe(template: Any) -> None:
        del template["Resources"][only(template, SUBSCRIPTION)[0]]

    diff = edited(templates, "prod", unsubscribe)
    subscription_id = only(templates()["prod"], SUBSCRIPTION)[0]
    found = {f.token: f for f in findings([diff])}
    assert found[f"prod/{subscription_id}"].what.startswith("WILL_DESTROY AWS::SNS::Subscription")


def test_replacing_the_alarm_subscription_fires(templates: Callable[[], Templates]) -> None:
    """A new address is a new subscription, unconfirmed until someone clicks its link."""

    def readdress(template: Any) -> None:
        only(template, SUBSCRIPTION)[1]["Properties"]["Endpoint"] = "someone-else@example.com"

    diff = edited(templates, "prod", readdress)
    subscription_id = only(templates()["prod"], SUBSCRIPTION)[0]
    found = {f.token: f for f in findings([diff])}
    assert "Endpoint" in found[f"prod/{subscription_id}"].what
    assert "REPLACE" in found[f"prod/{subscription_id}"].what


def test_adding_an_alarm_subscription_is_quiet(templates: Callable[[], Templates]) -> None:
    def subscribe_another(template: Any) -> None:
        subscription_id, subscription = only(template, SUBSCRIPTION)
        template["Resources"][subscription_id + "Second"] = {
            **subscription,
            "Properties": {**subscription["Properties"], "Endpoint": "second@example.com"},
        }

    diff = edited(templates, "prod", subscribe_another)
    assert [r.impact for r in diff.resources] == ["WILL_CREATE"]
    assert findings([diff]) == []


def test_a_log_retention_change_is_quiet(templates: Callable[[], Templates]) -> None:
    def retain_longer(template: Any) -> None:
        only(template, "AWS::Logs::LogGroup")[1]["Properties"]["RetentionInDays"] = 365

    diff = edited(templates, "prod", retain_longer)
    assert len(diff.resources) == 1
    assert findings([diff]) == []


def test_a_broader_iam_statement_fires(templates: Callable[[], Templates]) -> None:
    def add_action(template: Any) -> None:
        role = only(template, "AWS::IAM::Role")[1]["Properties"]
        statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        statements.append({"Action": "dynamodb:Scan", "Effect": "Allow", "Resource": "*"})

    diff = edited(templates, "prod", add_action)
    assert diff.iam_broadened
    assert [f.token for f in findings([diff])] == ["prod/iam"]
    assert any("dynamodb:Scan" in cell for row in diff.iam_statements for cell in row)
    table = [line for line in report([diff], "t").splitlines() if line.startswith("|")]
    assert table[0] == "| change | Resource | Effect | Action | Principal | Condition |"
    assert any(line.startswith("| + | * | Allow | dynamodb:Scan |") for line in table)


def test_an_added_security_group_rule_fires_and_reads_as_a_table(
    templates: Callable[[], Templates],
) -> None:
    def open_ssh(template: Any) -> None:
        group = only(template, "AWS::EC2::SecurityGroup")[1]["Properties"]
        group["SecurityGroupIngress"] = [
            {"CidrIp": "0.0.0.0/0", "FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}
        ]

    diff = edited(templates, "prod", open_ssh)
    assert [f.token for f in findings([diff])] == ["prod/security-groups"]
    text = report([diff], "t")
    assert "Security group changes (rules added):" in text
    assert any(
        line.startswith("| + |") and "| In | TCP 22 | Everyone (IPv4) |" in line
        for line in text.splitlines()
    )
