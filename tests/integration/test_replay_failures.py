"""bin/ddb/replay-failures against the session's moto server: a failure object in Lambda's S3
format, listed, shown, replayed into the table, and moved under replayed/. The command runs
in-process (tests/integration/ddb_cli.py); one smoke test runs the script itself."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from ddb_cli import Ran, run, run_script, tool_env

from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import cloud, stream_events
from tools import failure_records


def replay(*args: str, env: dict[str, str]) -> Ran:
    return run("replay-failures", *args, env=env)


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return cloud.developer(moto_endpoint)("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"failures-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def env(moto_endpoint: str, table_name: str) -> dict[str, str]:
    return tool_env(moto_endpoint, DDB_MESSAGE_TABLE=table_name)


def test_a_failure_object_round_trips_through_replay(
    dynamodb_client: Any, s3: Any, bucket: str, env: Any
) -> None:
    """The rows the processor never updated are brought to the newest message by --apply, and
    the object moves under replayed/; replaying it again would change nothing."""
    table_name, moto_endpoint = env["DDB_MESSAGE_TABLE"], env["AWS_ENDPOINT_URL"]
    store = MessageStore(dynamodb_client, table_name=table_name)
    alice = User(uuid=str(uuid.uuid4()), display_name="Alice", handle="alice")
    bob = User(uuid=str(uuid.uuid4()), display_name="Bob", handle="bob")
    _, first = store.create_message_group(alice, bob, "hello")
    newest = store.create_message(first.group_uuid, bob, "see you")
    streams = cloud.developer(moto_endpoint)("dynamodbstreams")
    arn = stream_events.stream_arn(dynamodb_client, table_name)
    records = [
        stream_events.lambda_record(r, arn)
        for r in stream_events.read_records(streams, arn)
        if stream_events.passes_message_filter(r)
    ]
    shard = "shardId-00000001700000000000-abcdef12"
    now = datetime.now(UTC)
    key = failure_records.object_key(str(uuid.uuid4()), shard, now)
    document = failure_records.build(
        records,
        shard_id=shard,
        stream_arn=arn,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:processor",
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        function_error=None,
        at=now,
    )
    s3.put_object(Bucket=bucket, Key=key, Body=failure_records.to_json(document))
    assert failure_records.is_failure_key(key)

    listed = replay("--bucket", bucket, env=env)
    assert listed.returncode == 0, listed.stderr
    first_seq, last_seq = (records[i]["dynamodb"]["SequenceNumber"] for i in (0, -1))
    for expected in (shard, f"{first_seq}..{last_seq}", "RetryAttemptsExhausted", key):
        assert expected in listed.stdout

    shown = replay("--bucket", bucket, key, env=env)
    assert shown.returncode == 0, shown.stderr
    assert last_seq in shown.stdout and newest.created_at in shown.stdout
    assert "see you" not in shown.stdout  # message text stays private

    applied = replay("--bucket", bucket, key, "--apply", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "1 conversation(s) updated" in applied.stdout
    for owner in (alice, bob):
        [row] = store.list_message_groups(owner.uuid).items
        assert (row.last_message_at, row.last_message) == (newest.created_at, "see you")
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert remaining == [failure_records.replayed_key(key)]


def test_a_missing_or_malformed_object_is_one_line_and_a_non_zero_exit(
    s3: Any, bucket: str, env: Any
) -> None:
    """No traceback, nothing written: the user reads what is wrong with which key."""
    missing_key = failure_records.object_key(str(uuid.uuid4()), "shardId-1", datetime.now(UTC))
    missing = replay("--bucket", bucket, missing_key, "--apply", env=env)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1] == (
        f"Error: no failure object '{missing_key}' in bucket '{bucket}'"
    )
    assert "Traceback" not in missing.stderr
    malformed_key = failure_records.object_key(str(uuid.uuid4()), "shardId-2", datetime.now(UTC))
    s3.put_object(Bucket=bucket, Key=malformed_key, Body=b'{"version": "1.0"}')
    malformed = replay("--bucket", bucket, malformed_key, "--apply", env=env)
    assert malformed.returncode == 1
    assert malformed.stderr.strip().splitlines()[-1] == (
        f"Error: {malformed_key} is not a Lambda stream failure record: "
        "DDBStreamBatchInfo is missing or not a dict"
    )
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [malformed_key]


def test_without_a_bucket_the_tool_names_what_it_looked_for(env: Any) -> None:
    """No mapping with an S3 destination reads the table's stream: one line saying so (the
    script itself)."""
    result = run_script("replay-failures", env=env)
    assert result.returncode == 1
    assert "has an S3 on-failure destination; pass --bucket NAME" in result.stderr


def test_no_failure_records_is_one_line(bucket: str, env: Any) -> None:
    """An empty bucket is a sentence, not an empty table; --json is still a (empty) list."""
    result = replay("--bucket", bucket, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"no failure records in {bucket}: nothing to replay\n"
    as_json = replay("--bucket", bucket, "--json", env=env)
    assert json.loads(as_json.stdout) == []
