"""The stream processor's role: least privilege, checked on the synthesized policy."""

from __future__ import annotations

from typing import Any

from stage_synth import Synthesized

from cruddur_messages import schema
from stacks.stream_processor import ENI_ACTIONS, FAILURE_BUCKET_ACTIONS


def _statements(stage: Synthesized) -> list[dict[str, Any]]:
    _, role = stage.only("AWS::IAM::Role")
    return [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _granting(stage: Synthesized, action: str) -> list[dict[str, Any]]:
    return [s for s in _statements(stage) if action in _actions(s)]


def _table_attr(stage: Synthesized, attribute: str) -> dict[str, Any]:
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    return {"Fn::GetAtt": [table_id, attribute]}


def test_role_is_assumed_by_lambda_only(stage: Synthesized) -> None:
    """Only the Lambda service can assume the role."""
    _, role = stage.only("AWS::IAM::Role")
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_role_has_no_managed_policies_and_no_separate_policy(stage: Synthesized) -> None:
    """No AWS-managed policy (they grant logs on '*'); the one inline policy is all it has."""
    _, role = stage.only("AWS::IAM::Role")
    assert "ManagedPolicyArns" not in role["Properties"]
    assert stage.resources("AWS::IAM::Policy") == {}


def test_all_statements_allow(stage: Synthesized) -> None:
    """Every statement is an Allow (nothing relies on a Deny to be safe)."""
    assert {statement["Effect"] for statement in _statements(stage)} == {"Allow"}


def test_the_role_holds_exactly_the_expected_actions(stage: Synthesized) -> None:
    """Nothing beyond the processor's needs: index query, group-row writes, stream, logs, ENIs,
    failure bucket."""
    granted = set().union(*(_actions(statement) for statement in _statements(stage)))
    assert granted == {
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:PutObject",
        "s3:ListBucket",
        *ENI_ACTIONS,
    }


def test_query_is_allowed_on_the_gsi_only(stage: Synthesized) -> None:
    """dynamodb:Query's only resource is the GSI's ARN, not the table."""
    (statement,) = _granting(stage, "dynamodb:Query")
    assert statement["Resource"] == {
        "Fn::Join": ["", [_table_attr(stage, "Arn"), f"/index/{schema.GSI_NAME}"]]
    }


def test_item_writes_are_on_the_table_and_group_rows_only(stage: Synthesized) -> None:
    """PutItem and DeleteItem on the table, limited by LeadingKeys to GRP# partitions."""
    (put,) = _granting(stage, "dynamodb:PutItem")
    (delete,) = _granting(stage, "dynamodb:DeleteItem")
    assert put is delete
    assert put["Resource"] == _table_attr(stage, "Arn")
    assert put["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{schema.GROUP_PREFIX}*"]}
    }


def test_no_other_item_writes(stage: Synthesized) -> None:
    """No UpdateItem, BatchWriteItem or wildcard DynamoDB action."""
    granted = set().union(*(_actions(statement) for statement in _statements(stage)))
    assert not granted & {"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:*", "*"}


def test_stream_reads_are_on_the_table_stream(stage: Synthesized) -> None:
    """DescribeStream, GetRecords and GetShardIterator name the table's stream ARN."""
    stream_arn = _table_attr(stage, "StreamArn")
    for action in ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"):
        (statement,) = _granting(stage, action)
        assert statement["Resource"] == stream_arn, action


def test_wildcard_resource_only_where_aws_requires_it(stage: Synthesized) -> None:
    """Resource '*' appears only for ListStreams and the VPC ENI actions (no resource-level
    permissions exist for them)."""
    star_actions = set().union(
        *(_actions(statement) for statement in _statements(stage) if statement["Resource"] == "*")
    )
    assert star_actions == {"dynamodb:ListStreams", *ENI_ACTIONS}


def test_logs_are_written_to_its_own_log_group_only(stage: Synthesized) -> None:
    """CreateLogStream and PutLogEvents on the function's own log group."""
    log_group_id, _ = stage.only("AWS::Logs::LogGroup")
    (statement,) = _granting(stage, "logs:PutLogEvents")
    assert _actions(statement) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert statement["Resource"] == {"Fn::GetAtt": [log_group_id, "Arn"]}


def test_failure_bucket_actions_are_exactly_what_aws_documents(stage: Synthesized) -> None:
    """s3:PutObject and s3:ListBucket (services-dynamodb-errors.html), on the failure bucket and
    its objects only, and only while the bucket belongs to this account."""
    bucket_id, _ = stage.only("AWS::S3::Bucket")
    bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    (statement,) = _granting(stage, "s3:PutObject")
    assert FAILURE_BUCKET_ACTIONS == ("s3:PutObject", "s3:ListBucket")
    assert _actions(statement) == set(FAILURE_BUCKET_ACTIONS)
    assert statement["Resource"] == [bucket_arn, {"Fn::Join": ["", [bucket_arn, "/*"]]}]
    assert statement["Condition"] == {
        "StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}
    }
