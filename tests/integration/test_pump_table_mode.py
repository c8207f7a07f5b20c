"""`python -m local.pump --table NAME`: the pump for an endpoint without a Lambda API (DynamoDB
Local), against moto and a table made by the schema (what `bin/ddb/schema-load` creates).

One test runs the module as users run it, in a process of its own; the others call its `main`
in-process, with the endpoint in AWS_ENDPOINT_URL as a DynamoDB Local user sets it."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ddb_cli import Ran

from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import cloud
from local.pump import TABLE_MODE_DEFAULTS, table_mapping
from local.pump.cli import main
from stacks.settings import LOCAL


@pytest.fixture
def pump(
    moto_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Ran]:
    """`python -m local.pump --state-dir TMP ARGS` in-process: its `main`, the endpoint from
    AWS_ENDPOINT_URL; a usage error exits as argparse makes it exit."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(["--state-dir", str(tmp_path), *args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def _one_error_line(result: Ran | subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    return line


def _user(name: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=name.title(), handle=name)


def test_defaults_are_the_local_stage_mapping() -> None:
    """Without options the mapping is the one the local stage deploys."""
    local_stage = {
        "batch_size": LOCAL.event_source.batch_size,
        "batching_window_s": LOCAL.event_source.max_batching_window_seconds,
        "starting_position": LOCAL.event_source.starting_position.name,
        "max_retry_attempts": LOCAL.event_source.retry_attempts,
        "max_record_age_s": LOCAL.event_source.max_record_age_seconds,
    }
    assert dict(TABLE_MODE_DEFAULTS) == local_stage


def test_messages_reach_both_group_rows_through_the_working_tree_handler(
    moto_endpoint: str, dynamodb_client: Any, table_name: str, tmp_path: Path
) -> None:
    """D then C written with the store; one run until idle moves both rows to the last message
    and reports the records it delivered."""
    store = MessageStore(dynamodb_client, table_name=table_name)
    alice, bob = _user("alice"), _user("bob")
    group, _ = store.create_message_group(alice, bob, "hello bob")
    last = store.create_message(group.group_uuid, bob, "hi alice")

    args = ("--state-dir", str(tmp_path), "--table", table_name, "--until-idle")
    result = subprocess.run(
        [sys.executable, "-m", "local.pump", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=cloud.environment(moto_endpoint),
    )

    assert result.returncode == 0, result.stderr
    assert "2 record(s) delivered" in result.stdout
    rows = store.get_message_group_rows(group.group_uuid)
    assert sorted(row.owner_uuid for row in rows) == sorted([alice.uuid, bob.uuid])
    assert {(row.last_message, row.last_message_at) for row in rows} == {
        (last.text, last.created_at)
    }


def test_a_second_run_resumes_from_its_checkpoint(
    pump: Callable[..., Ran], dynamodb_client: Any, table_name: str
) -> None:
    """The position is kept per table in the state directory: a second run delivers nothing
    the first one delivered."""
    store = MessageStore(dynamodb_client, table_name=table_name)
    store.create_message_group(_user("carol"), _user("dave"), "hello dave")
    # No batching window: the local stage's second would only add a wait to each run.
    args = ("--table", table_name, "--batching-window", "0", "--until-idle")

    first = pump(*args)
    second = pump(*args)

    assert "1 record(s) delivered" in first.stdout, first.stderr
    assert "0 record(s) delivered" in second.stdout, second.stderr


def test_a_missing_table_is_one_clear_line(pump: Callable[..., Ran]) -> None:
    """No such table: exit 1 and a line that says how to create it."""
    result = pump("--table", "no-such-table")

    line = _one_error_line(result)
    assert "no table 'no-such-table'" in line
    assert "bin/ddb/schema-load" in line


def test_a_table_without_a_stream_is_one_clear_line(
    pump: Callable[..., Ran], dynamodb_client: Any
) -> None:
    """A table created without the schema's stream: exit 1, the table named."""
    name = f"no-stream-{uuid.uuid4().hex[:8]}"
    kwargs = schema.create_table_kwargs(name)
    del kwargs["StreamSpecification"]
    dynamodb_client.create_table(**kwargs)
    try:
        result = pump("--table", name)
    finally:
        dynamodb_client.delete_table(TableName=name)

    assert f"table {name!r} has no stream" in _one_error_line(result)


def test_an_unreachable_endpoint_is_one_clear_line(pump: Callable[..., Ran]) -> None:
    """Nothing listening at --endpoint: exit 1 and a line naming the endpoint."""
    with socket.socket() as sock:
        sock.bind((cloud.HOST, 0))
        closed = cloud.endpoint_url(int(sock.getsockname()[1]))  # freed when the block ends

    result = pump("--table", "t", "--endpoint", closed)

    assert f"cannot reach {closed}" in _one_error_line(result)


@pytest.mark.parametrize("option", ["--batch-size", "--starting-position"])
def test_mapping_options_need_table_mode(option: str, pump: Callable[..., Ran]) -> None:
    """Mapping settings come from the deployment unless --table: giving one is a usage error."""
    value = "LATEST" if option == "--starting-position" else "5"

    result = pump(option, value)

    assert result.returncode == 2
    assert f"{option} only apply with --table" in result.stderr


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("arn:aws:s3:::failures", "arn:aws:s3:::failures"),
        ("failures", "arn:aws:sqs:us-east-1:{account}:failures"),
    ],
)
def test_on_failure_takes_a_bucket_arn_or_a_queue(
    given: str, expected: str, moto_endpoint: str, table_name: str
) -> None:
    """`--on-failure`: an S3 bucket by ARN (Lambda writes the whole batch there), or an SQS
    queue by ARN or name (a pointer only), on the table's endpoint."""
    mapping = table_mapping(cloud.developer(moto_endpoint), table_name, on_failure=given)

    account = mapping.stream_arn.split(":")[4]
    assert mapping.on_failure_arn == expected.format(account=account)
