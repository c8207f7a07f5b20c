"""`make demo` as a test: deploy with the real CDK CLI into the local cloud, write messages with
the message store, and let the stream pump run the deployed function."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cruddur_messages import schema
from cruddur_messages.models import Message, User
from cruddur_messages.store import MessageStore
from local import authz, cloud, deploy
from local.pump import StreamPump, replay_records
from local.runtime.libraries import runtime_directory
from local.runtime.worker import ExecutionEnvironment
from tools import failure_records

PumpFactory = Callable[..., StreamPump]


def _user(name: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=name.title(), handle=name)


def _rows_show(store: MessageStore, group_uuid: str, message: Message) -> bool:
    rows = store.get_message_group_rows(group_uuid)
    return len(rows) == 2 and all(
        (row.last_message, row.last_message_at) == (message.text, message.created_at)
        for row in rows
    )


def _sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def test_deploy_creates_the_local_stage(endpoint: str, deployment: deploy.Deployment) -> None:
    """`cdk deploy -c stage=local` completes and leaves the table, function and mapping."""
    cfn = cloud.developer(endpoint)("cloudformation")
    (stack,) = cfn.describe_stacks(StackName=deployment.stack_name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    mappings = cloud.developer(endpoint)("lambda").list_event_source_mappings(
        FunctionName=deployment.function_name
    )["EventSourceMappings"]
    assert len(mappings) == 1
    assert f"table/{deployment.table_name}/stream/" in mappings[0]["EventSourceArn"]


def test_deployed_table_matches_the_schema_module(
    endpoint: str, deployment: deploy.Deployment
) -> None:
    """Keys, GSI (keys and projection) and stream of the deployed table are the schema's."""
    expected = schema.create_table_kwargs(deployment.table_name)
    table = cloud.developer(endpoint)("dynamodb").describe_table(TableName=deployment.table_name)
    table = table["Table"]
    assert table["KeySchema"] == expected["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        expected["AttributeDefinitions"], key=str
    )
    (gsi,) = table["GlobalSecondaryIndexes"]
    (expected_gsi,) = expected["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == expected_gsi["IndexName"]
    assert gsi["KeySchema"] == expected_gsi["KeySchema"]
    assert gsi["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(gsi["Projection"]["NonKeyAttributes"]) == sorted(schema.GSI_NON_KEY_ATTRIBUTES)
    assert table["StreamSpecification"] == expected["StreamSpecification"]


def test_pump_runs_the_deployed_package_not_the_working_tree(
    deployed_function: ExecutionEnvironment,
) -> None:
    """The worker's path is the extracted package and the runtime's libraries: the working
    tree's packages are in neither, and the deployed handler answers an empty batch."""
    task_root = deployed_function.task_root.resolve()
    assert (task_root / "stream_processor" / "handler.py").is_file()
    assert not task_root.is_relative_to(Path(__file__).resolve().parents[2] / "lambda_src")
    env = deployed_function.environment("127.0.0.1:1", "stream", 3)
    assert env["PYTHONPATH"].split(":") == [
        str(deployed_function.task_root),
        str(runtime_directory()),
    ]
    runtime_modules = {entry.name for entry in runtime_directory().iterdir()}
    assert not runtime_modules & {"stream_processor", "cruddur_messages", "moto", "aws_cdk"}

    assert deployed_function({"Records": []}) == {"batchItemFailures": []}


def test_messages_of_patterns_c_and_d_reach_both_group_rows(
    endpoint: str, store: MessageStore, make_pump: PumpFactory
) -> None:
    """D starts a conversation, C continues it; after the pump both rows show the newest one.
    Every call of the flow made as the execution role (stream reads, the function's reads and
    writes, log shipping) was authorized by the local endpoint, and none was denied."""
    audit_before = authz.audit_counts(endpoint)
    alice, bob = _user("alice"), _user("bob")
    group, _ = store.create_message_group(alice, bob, "hello bob")
    store.create_message(group.group_uuid, bob, "hi alice")
    last = store.create_message(group.group_uuid, alice, "how is the stream?")
    assert not _rows_show(store, group.group_uuid, last)

    stats = make_pump().run_until_idle()

    assert stats.records_done == 3
    assert _rows_show(store, group.group_uuid, last)
    (entry,) = [
        g for g in store.list_message_groups(bob.uuid).items if g.group_uuid == group.group_uuid
    ]
    assert entry.other_user == alice
    audit = authz.audit_counts(endpoint)
    assert audit["denied"] == audit_before["denied"], audit["first_denial"]
    # At least: the stream read, and per conversation the function's index query and writes.
    assert audit["authorized"] - audit_before["authorized"] >= 4


def test_pump_restarted_after_a_crash_mid_batch_applies_every_message_once(
    store: MessageStore, make_pump: PumpFactory, deployed_function: ExecutionEnvironment
) -> None:
    """Killed halfway through its second batch (after half the batch was written), a new pump
    redelivers that batch and the ones after it, never a finished one; the result is as if no
    crash had happened."""
    carol, dave, erin = _user("carol"), _user("dave"), _user("erin")
    groups = [store.create_message_group(carol, dave, "first")[0]]
    groups.append(store.create_message_group(erin, carol, "first")[0])
    newest: dict[str, Message] = {}
    for n in range(14):
        group = groups[n % 2]
        sender = carol if n % 4 < 2 else (dave if group is groups[0] else erin)
        newest[group.group_uuid] = store.create_message(group.group_uuid, sender, f"message {n}")

    delivered: list[list[str]] = []

    def crash_in_second_batch(event: dict[str, Any], context: Any) -> Any:
        delivered.append([_sequence(r) for r in event["Records"]])
        if len(delivered) == 2:
            half = event["Records"][: len(event["Records"]) // 2]
            deployed_function({"Records": half}, context)
            raise KeyboardInterrupt  # the process dies here: nothing after this line runs
        return deployed_function(event, context)

    with pytest.raises(KeyboardInterrupt):
        make_pump(handler=crash_in_second_batch).run_until_idle()
    first_batch, in_flight = delivered

    redelivered: list[list[str]] = []

    def recording(event: dict[str, Any], context: Any) -> Any:
        redelivered.append([_sequence(r) for r in event["Records"]])
        return deployed_function(event, context)

    make_pump(handler=recording).run_until_idle()

    again = [seq for batch in redelivered for seq in batch]
    assert again[: len(in_flight)] == in_flight
    assert not set(again) & set(first_batch)
    assert len(again) == len(set(again))
    for group in groups:
        assert _rows_show(store, group.group_uuid, newest[group.group_uuid])


def _failure_objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    """Key -> body of every failure object Lambda's layout puts under aws/lambda/."""
    s3 = cloud.developer(endpoint)("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=failure_records.KEY_PREFIX)
    return {
        obj["Key"]: s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        for obj in listed.get("Contents", [])
    }


def test_failing_record_is_retried_then_kept_in_the_failure_bucket(
    endpoint: str,
    store: MessageStore,
    make_pump: PumpFactory,
    deployed_function: ExecutionEnvironment,
    deployment: deploy.Deployment,
) -> None:
    """Only the failing record and those after it are retried; after the mapping's retry limit
    it goes to the on-failure bucket as an object in Lambda's layout holding the whole batch,
    and later records still get processed."""
    assert deployment.failure_bucket is not None
    before = set(_failure_objects(endpoint, deployment.failure_bucket))
    frank, grace = _user("frank"), _user("grace")
    group, _ = store.create_message_group(frank, grace, "one")
    store.create_message(group.group_uuid, grace, "two")
    poison = store.create_message(group.group_uuid, frank, "poison")
    last = store.create_message(group.group_uuid, grace, "four")
    invocations: list[list[str]] = []

    def fails_on_poison(event: dict[str, Any], context: Any) -> Any:
        records = event["Records"]
        invocations.append([r["dynamodb"]["NewImage"]["message"]["S"] for r in records])
        for index, record in enumerate(records):
            if record["dynamodb"]["NewImage"]["message"]["S"] == "poison":
                deployed_function({"Records": records[:index]}, context)
                return {"batchItemFailures": [{"itemIdentifier": _sequence(record)}]}
        return deployed_function(event, context)

    pump: StreamPump = make_pump(handler=fails_on_poison)
    pump.run_until_idle()

    assert invocations[0] == ["one", "two", "poison", "four"]
    retried = [text for batch in invocations[1:] for text in batch]
    assert "one" not in retried
    assert "two" not in retried
    assert retried.count("poison") > pump.mapping.max_retry_attempts
    assert _rows_show(store, group.group_uuid, last)

    new = {
        key: body
        for key, body in _failure_objects(endpoint, deployment.failure_bucket).items()
        if key not in before
    }
    ((key, body),) = new.items()
    assert key.startswith(f"{failure_records.KEY_PREFIX}{pump.mapping.uuid}/")
    assert failure_records.is_failure_key(key)
    document = json.loads(body)
    assert isinstance(document["payload"], str)  # the event, as an escaped JSON string
    failure = failure_records.parse(body)
    assert failure.condition == "RetryAttemptsExhausted"
    assert failure.batch_size == 1
    assert failure.stream_arn == pump.mapping.stream_arn
    (record,) = failure.records
    assert record["dynamodb"]["NewImage"]["sk"]["S"] == poison.created_at
    assert failure.start_sequence_number == failure.end_sequence_number == _sequence(record)
    assert replay_records(cloud.developer(endpoint), document) == failure.records


def test_second_deploy_is_a_no_op(
    endpoint: str, deployment: deploy.Deployment, tmp_path: Path, store: MessageStore
) -> None:
    """Deploying again into the same endpoint succeeds, keeps the stack and keeps the data."""
    henry, iris = _user("henry"), _user("iris")
    group, message = store.create_message_group(henry, iris, "still here?")

    again = deploy.deploy(endpoint, output_dir=tmp_path / "cdk.out", log=lambda _line: None)

    assert again == deployment
    (stack,) = cloud.developer(endpoint)("cloudformation").describe_stacks(
        StackName=deployment.stack_name
    )["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert [m.message_uuid for m in store.list_messages(group.group_uuid).items] == [
        message.message_uuid
    ]


def test_port_in_use_gives_one_clear_line(endpoint: str) -> None:
    """Starting the endpoint on a taken port exits 1 with one message, not a traceback."""
    port = endpoint.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "local.server", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
