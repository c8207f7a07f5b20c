"""Issue 13's proofs on the deployed `local` stage: what the execution role lacks fails as it
would in AWS. A test-only variant of the deployed role is made without a second `cdk deploy`:
the role's inline policy document is replaced in the local IAM (put_role_policy) for the test,
and the deployed document restored after it (the authorizer reads policies on every call)."""

from __future__ import annotations

import ast
import copy
import json
import textwrap
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import authz, cloud, deploy
from local.pump import MappingProblem, StreamPump
from local.runtime.function import FunctionConfig
from local.runtime.worker import ExecutionEnvironment
from tools import failure_records

PumpFactory = Callable[..., StreamPump]
Edit = Callable[[dict[str, Any]], None]


def _user(name: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=name.title(), handle=name)


def _parsed(document: str | dict[str, Any]) -> dict[str, Any]:
    """moto describes a policy CloudFormation created as Python's repr of the template's dict."""
    if isinstance(document, dict):
        return document
    try:
        return dict(json.loads(document))
    except json.JSONDecodeError:
        return dict(ast.literal_eval(document))


@contextmanager
def _role_policy_edited(endpoint: str, deployment: deploy.Deployment, edit: Edit) -> Iterator[None]:
    """The function's execution role with `edit` applied to each statement of its inline
    policies (a statement left without actions is removed); the deployed documents after."""
    iam = cloud.developer(endpoint)("iam")
    role_arn = cloud.developer(endpoint)("lambda").get_function_configuration(
        FunctionName=deployment.function_name
    )["Role"]
    role = role_arn.rsplit("/", 1)[-1]
    deployed = {
        name: _parsed(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    assert deployed, "the deployed role has no inline policy"
    try:
        for name, document in deployed.items():
            variant = copy.deepcopy(document)
            for statement in variant["Statement"]:
                edit(statement)
            variant["Statement"] = [s for s in variant["Statement"] if s.get("Action")]
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(variant))
        yield
    finally:
        for name, document in deployed.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))


def _without(*actions: str) -> Edit:
    def edit(statement: dict[str, Any]) -> None:
        listed = statement["Action"]
        listed = [listed] if isinstance(listed, str) else listed
        statement["Action"] = [action for action in listed if action not in actions]

    return edit


def _failure_keys(endpoint: str, bucket: str) -> set[str]:
    listed = cloud.developer(endpoint)("s3").list_objects_v2(
        Bucket=bucket, Prefix=failure_records.KEY_PREFIX
    )
    return {obj["Key"] for obj in listed.get("Contents", [])}


def test_a_role_without_delete_item_fails_the_batch_until_it_is_kept_in_the_bucket(
    endpoint: str, deployment: deploy.Deployment, store: MessageStore, make_pump: PumpFactory
) -> None:
    """The write statement without dynamodb:DeleteItem: moving a conversation's rows to its
    newest message is denied (AccessDenied), the batch is retried up to the mapping's limit and
    then recorded in the failure bucket with the message; the rows stay where they were."""
    assert deployment.failure_bucket is not None
    mia, ned = _user("mia"), _user("ned")
    group, _ = store.create_message_group(mia, ned, "first")
    make_pump().run_until_idle()
    before_keys = _failure_keys(endpoint, deployment.failure_bucket)
    before = authz.audit_counts(endpoint)

    with _role_policy_edited(endpoint, deployment, _without("dynamodb:DeleteItem")):
        second = store.create_message(group.group_uuid, ned, "second")
        pump = make_pump()
        stats = pump.run_until_idle()

    after = authz.audit_counts(endpoint)
    assert stats.records_sent_to_failure == 1
    assert stats.invocations == pump.mapping.max_retry_attempts + 1
    # Each attempt's DeleteItem was denied by the role, and nothing else was.
    assert after["denied"] - before["denied"] == stats.invocations
    (key,) = _failure_keys(endpoint, deployment.failure_bucket) - before_keys
    body = cloud.developer(endpoint)("s3").get_object(Bucket=deployment.failure_bucket, Key=key)
    failure = failure_records.parse(body["Body"].read())
    assert failure.condition == "RetryAttemptsExhausted"
    assert [r["dynamodb"]["NewImage"]["sk"]["S"] for r in failure.records] == [second.created_at]
    assert {row.last_message for row in store.get_message_group_rows(group.group_uuid)} != {
        "second"
    }


_WRITES_A_MESSAGE = textwrap.dedent(
    """
    import os, uuid
    import boto3
    from botocore.exceptions import ClientError

    def handler(event, context):
        try:
            boto3.client("dynamodb").put_item(
                TableName=os.environ["TABLE"],
                Item={"pk": {"S": "MSG#" + str(uuid.uuid4())}, "sk": {"S": "1"}},
            )
        except ClientError as error:
            return {"code": error.response["Error"]["Code"],
                    "message": error.response["Error"]["Message"]}
        return {"code": None}
    """
)


def test_a_handler_writing_a_message_item_is_denied_by_leading_keys(
    endpoint: str, deployment: deploy.Deployment, tmp_path: Path
) -> None:
    """A test-only function package, run in a worker with a session of the deployed execution
    role (as the deployed function runs), writes an item under MSG#: the write statement's
    dynamodb:LeadingKeys condition (GRP# only) denies it."""
    assert schema.PARTITION_KEY == "pk" and schema.MESSAGE_PREFIX == "MSG#"
    (tmp_path / "handler.py").write_text(_WRITES_A_MESSAGE)
    deployed = cloud.developer(endpoint)("lambda").get_function_configuration(
        FunctionName=deployment.function_name
    )
    config = FunctionConfig(
        name=deployment.function_name,
        arn=deployed["FunctionArn"],
        handler="handler.handler",
        environment={"TABLE": deployment.table_name},
        timeout_s=30,
        memory_mb=256,
        code_sha256="test-only",
    )
    name = deployment.function_name
    with ExecutionEnvironment(
        config,
        tmp_path,
        endpoint=endpoint,
        credentials=lambda: authz.function_credentials(cloud.developer(endpoint), name),
        echo=lambda _line: None,
    ) as environment:
        answer = environment({"Records": []})

    assert answer["code"] == "AccessDeniedException"
    assert f"/{name[:64]} is not authorized to perform: dynamodb:PutItem" in answer["message"]
    assert answer["message"].endswith(
        "because no identity-based policy allows the dynamodb:PutItem action"
    )


def test_without_stream_read_permissions_the_mapping_reports_a_problem(
    endpoint: str, deployment: deploy.Deployment, store: MessageStore, make_pump: PumpFactory
) -> None:
    """Lambda's poller reads the stream as the execution role: without the stream statement the
    mapping reads nothing and says why in one line; with it back, it delivers what waited."""
    olga, pat = _user("olga"), _user("pat")
    group, _ = store.create_message_group(olga, pat, "waiting")
    pump = make_pump()
    reads = ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream")

    with (
        _role_policy_edited(endpoint, deployment, _without(*reads)),
        pytest.raises(MappingProblem) as problem,
    ):
        pump.run_until_idle()

    (line,) = str(problem.value).splitlines()
    assert line.startswith("PROBLEM: ")
    assert "is not authorized to perform: dynamodb:" in line
    assert pump.problem == line
    assert pump.stats.invocations == 0
    assert pump.run_until_idle().records_done == 1
    assert pump.problem is None
    assert {row.last_message for row in store.get_message_group_rows(group.group_uuid)} == {
        "waiting"
    }


def test_a_failure_record_the_destination_refuses_is_dropped_and_reported(
    endpoint: str, deployment: deploy.Deployment, store: MessageStore, make_pump: PumpFactory
) -> None:
    """Without s3:PutObject on the failure bucket, the record of a batch given up on is not
    delivered: the pump says so in one line and counts it as dropped (DroppedEventCount)."""
    assert deployment.failure_bucket is not None
    quinn, rita = _user("quinn"), _user("rita")
    store.create_message_group(quinn, rita, "doomed")
    before_keys = _failure_keys(endpoint, deployment.failure_bucket)
    lines: list[str] = []

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("the processor's bug")

    with _role_policy_edited(endpoint, deployment, _without("s3:PutObject")):
        stats = make_pump(handler=broken, log=lines.append).run_until_idle()

    assert stats.records_dropped == 1
    assert stats.records_sent_to_failure == 0
    assert _failure_keys(endpoint, deployment.failure_bucket) == before_keys
    (dropped,) = [line for line in lines if "NOT delivered" in line]
    assert "RetryAttemptsExhausted" in dropped
    assert "s3:PutObject" in dropped
