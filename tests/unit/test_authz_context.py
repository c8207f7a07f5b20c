"""The request context the local authorizer builds, as AWS builds it (no sockets, no moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cruddur_messages import schema
from local.authz.authorizer import denial_message
from local.authz.deployed import Session
from local.authz.dynamodb import (
    Check,
    UnsupportedRequest,
    dynamodb_checks,
    expression_names,
    streams_checks,
)
from local.authz.engine import Decision, endpoint_policy_for_engine
from local.authz.requests import describe, signer

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "cruddur-messages"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"


def key_of(table: str, index: str | None) -> str | None:
    return schema.GSI_PARTITION_KEY if index == schema.GSI_NAME else schema.PARTITION_KEY


def checks(operation: str, body: dict[str, Any]) -> list[Check]:
    return list(dynamodb_checks(operation, body, region=REGION, account=ACCOUNT, key_of=key_of))


def test_put_item_leading_key_attributes_and_default_return_values() -> None:
    (check,) = checks(
        "PutItem",
        {
            "TableName": TABLE,
            "Item": {"pk": {"S": "GRP#u1"}, "sk": {"S": "2024"}, "message": {"S": "hi"}},
            "ConditionExpression": "attribute_not_exists(pk) OR #s < :sk",
            "ExpressionAttributeNames": {"#s": "sk"},
            "ExpressionAttributeValues": {":sk": {"S": "2025"}},
        },
    )
    assert check == Check(
        "dynamodb:PutItem",
        TABLE_ARN,
        {
            "dynamodb:LeadingKeys": ["GRP#u1"],
            "dynamodb:Attributes": ["pk", "sk", "message"],
            "dynamodb:ReturnValues": "NONE",
        },
    )


def test_delete_and_update_take_the_key_and_the_expressions_names() -> None:
    (delete,) = checks(
        "DeleteItem",
        {
            "TableName": TABLE,
            "Key": {"pk": {"S": "GRP#u2"}, "sk": {"S": "1"}},
            "ReturnValues": "ALL_OLD",
        },
    )
    assert delete.context["dynamodb:LeadingKeys"] == ["GRP#u2"]
    assert delete.context["dynamodb:ReturnValues"] == "ALL_OLD"
    (update,) = checks(
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": {"pk": {"S": "GRP#u2"}, "sk": {"S": "1"}},
            "UpdateExpression": "SET profile.name = :n, #c = if_not_exists(#c, :z) REMOVE old[0]",
            "ExpressionAttributeNames": {"#c": "count"},
        },
    )
    assert update.context["dynamodb:Attributes"] == ["pk", "sk", "profile", "count", "old"]


def test_query_on_the_index_names_the_index_arn_and_its_partition_value() -> None:
    (check,) = checks(
        "Query",
        {
            "TableName": TABLE,
            "IndexName": schema.GSI_NAME,
            "KeyConditionExpression": "#g = :g",
            "ExpressionAttributeNames": {"#g": schema.GSI_PARTITION_KEY},
            "ExpressionAttributeValues": {":g": {"S": "group-1"}},
        },
    )
    assert check.resource == f"{TABLE_ARN}/index/{schema.GSI_NAME}"
    assert check.context["dynamodb:LeadingKeys"] == ["group-1"]
    # No projection: an index query returns the projected attributes.
    assert check.context["dynamodb:Select"] == "ALL_PROJECTED_ATTRIBUTES"


def test_query_on_the_table_with_a_projection_selects_specific_attributes() -> None:
    (check,) = checks(
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": ":p = pk AND begins_with(sk, :s)",
            "ProjectionExpression": "message, sk",
            "ExpressionAttributeValues": {":p": {"S": "MSG#g"}, ":s": {"S": "2024"}},
        },
    )
    assert check.resource == TABLE_ARN
    assert check.context["dynamodb:LeadingKeys"] == ["MSG#g"]
    assert check.context["dynamodb:Select"] == "SPECIFIC_ATTRIBUTES"
    assert check.context["dynamodb:Attributes"] == ["message", "sk", "pk"]


def test_scan_has_no_leading_keys_and_selects_all_attributes() -> None:
    (check,) = checks("Scan", {"TableName": TABLE})
    assert check.context == {"dynamodb:Select": "ALL_ATTRIBUTES"}


def test_batch_write_is_one_check_per_table_with_every_partition_value() -> None:
    (check,) = checks(
        "BatchWriteItem",
        {
            "RequestItems": {
                TABLE: [
                    {"PutRequest": {"Item": {"pk": {"S": "GRP#a"}, "sk": {"S": "1"}}}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "MSG#b"}, "sk": {"S": "2"}}}},
                ]
            }
        },
    )
    assert check.action == "dynamodb:BatchWriteItem"
    assert check.context["dynamodb:LeadingKeys"] == ["GRP#a", "MSG#b"]


def test_a_transaction_is_authorized_item_by_item_with_its_enclosing_operation() -> None:
    found = checks(
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "MSG#g"}, "sk": {"S": "1"}}}},
                {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "GRP#u"}, "sk": {"S": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "GRP#v"}, "sk": {"S": "1"}},
                    }
                },
            ]
        },
    )
    assert [c.action for c in found] == [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    ]
    assert {c.context["dynamodb:EnclosingOperation"] for c in found} == {"TransactWriteItems"}
    assert found[0].context["dynamodb:LeadingKeys"] == ["MSG#g"]


def test_expression_names_skip_values_functions_keywords_and_nested_segments() -> None:
    names = expression_names(
        "attribute_exists(a.b) AND size(#l) > :n OR c IN (:x, :y) AND NOT contains(d[1].e, :z)",
        {"#l": "list"},
    )
    assert names == ["a", "list", "c", "d"]


def test_unmodelled_dynamodb_calls_are_refused_not_waved_through() -> None:
    with pytest.raises(UnsupportedRequest, match="dynamodb:CreateTable"):
        checks("CreateTable", {"TableName": TABLE})


def test_streams_calls_name_the_stream() -> None:
    stream = f"{TABLE_ARN}/stream/2024-01-01T00:00:00.000"
    assert streams_checks("GetRecords", {"ShardIterator": f"{stream}|1|abc"}) == [
        Check("dynamodb:GetRecords", stream)
    ]
    assert streams_checks("ListStreams", {}) == [Check("dynamodb:ListStreams", "*")]


def _describe(service: str, **request: Any) -> tuple[Any, Any]:
    headers = {
        "authorization": "AWS4-HMAC-SHA256 "
        f"Credential=ASIAX/20240101/{REGION}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0",
        **request.pop("headers", {}),
    }
    signed = signer(headers, "")
    assert signed is not None
    defaults: dict[str, Any] = {
        "method": "POST",
        "host": "localhost:8000",
        "path": "/",
        "query": "",
    }
    return describe(
        signed, headers=headers, account=ACCOUNT, key_of=key_of, **{**defaults, **request}
    )


def test_the_signer_and_the_target_header_give_service_and_operation() -> None:
    call, found = _describe(
        "dynamodb",
        headers={"x-amz-target": "DynamoDB_20120810.GetItem"},
        body=json.dumps({"TableName": TABLE, "Key": {"pk": {"S": "GRP#a"}}}).encode(),
    )
    assert (call.service, call.operation, call.protocol) == ("dynamodb", "GetItem", "json")
    assert found[0].context["dynamodb:LeadingKeys"] == ["GRP#a"]


def test_s3_put_object_sqs_send_and_logs_resources() -> None:
    _, (s3,) = _describe("s3", method="PUT", path="/failures/2024/batch.json", body=b"")
    assert s3 == Check(
        "s3:PutObject",
        "arn:aws:s3:::failures/2024/batch.json",
        {"s3:ResourceAccount": ACCOUNT},
    )
    _, (hosted,) = _describe(
        "s3", method="PUT", host="failures.localhost:8000", path="/k", body=b""
    )
    assert hosted.resource == "arn:aws:s3:::failures/k"
    _, (sqs,) = _describe(
        "sqs",
        headers={"x-amz-target": "AmazonSQS.SendMessage"},
        body=json.dumps({"QueueUrl": f"http://localhost:8000/{ACCOUNT}/q"}).encode(),
    )
    assert sqs == Check("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")
    _, (logs,) = _describe(
        "logs",
        headers={"x-amz-target": "Logs_20140328.PutLogEvents"},
        body=json.dumps({"logGroupName": "/aws/lambda/f", "logStreamName": "s"}).encode(),
    )
    assert logs.resource == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s"


def test_get_caller_identity_needs_no_permission() -> None:
    _, found = _describe("sts", body=b"Action=GetCallerIdentity&Version=2011-06-15")
    assert list(found) == []


def test_an_unsigned_request_has_no_signer() -> None:
    assert signer({}, "") is None


def test_endpoint_policy_principal_aws_star_reads_as_star() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*"}]}
    assert endpoint_policy_for_engine(policy)["Statement"][0]["Principal"] == "*"
    assert policy["Statement"][0]["Principal"] == {"AWS": "*"}  # the deployed copy is untouched


SESSION = Session("ASIAX", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/R", "fn")
PUT = Check("dynamodb:PutItem", TABLE_ARN)


@pytest.mark.parametrize(
    ("decision", "reason"),
    [
        (
            Decision("ImplicitlyDenied", "ImplicitlyDenied", None),
            "because no identity-based policy allows the dynamodb:PutItem action",
        ),
        (
            Decision("ExplicitlyDenied", "ExplicitlyDenied", None),
            "with an explicit deny in an identity-based policy",
        ),
        (
            Decision("ImplicitlyDenied", "Allowed", "ImplicitlyDenied"),
            "because no VPC endpoint policy allows the dynamodb:PutItem action",
        ),
        (
            Decision("ExplicitlyDenied", "Allowed", "ExplicitlyDenied"),
            "with an explicit deny in a VPC endpoint policy",
        ),
    ],
)
def test_denial_messages_use_aws_wording(decision: Decision, reason: str) -> None:
    assert denial_message(SESSION, PUT, decision) == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/R/fn is not authorized to perform: "
        f"dynamodb:PutItem on resource: {TABLE_ARN} {reason}"
    )
