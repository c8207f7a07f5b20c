"""The Lambda handler over a stubbed DynamoDB client: requests, partial batch response, logs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from cruddur_messages import schema
from stream_processor import handler as handler_module

EVENTS = Path(__file__).parent.parent / "events"
TABLE = "messages-under-test"
INDEX = "groups-index-under-test"
ALICE = "5a9b6c3e-2f3d-4c1b-9a7e-0d1e2f3a4b5c"
BOB = "7c1e2d3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5"
GROUP = "0b6c1d2e-3f4a-4b5c-9d6e-7f8091a2b3c4"
CREATED = "2024-05-01T12:00:00.000000+00:00"
NEWEST = "2024-05-01T12:00:09.000000+00:00"


def load_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def group_row(owner: str, other: str, name: str) -> dict[str, Any]:
    return {
        "pk": {"S": schema.group_pk(owner)},
        "sk": {"S": CREATED},
        schema.GSI_PARTITION_KEY: {"S": GROUP},
        "message": {"S": "first words"},
        "user_uuid": {"S": other},
        "user_display_name": {"S": name},
        "user_handle": {"S": name.lower()},
    }


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A stubbed client in place of the handler's, the env pointing at test names, and the
    list of (operation, params) the handler sends."""
    monkeypatch.setenv(schema.TABLE_NAME_ENV, TABLE)
    monkeypatch.setenv(schema.GSI_NAME_ENV, INDEX)
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.append((model.name, params))

    client.meta.events.register("before-parameter-build.dynamodb.*", record)
    stubber = Stubber(client)
    monkeypatch.setattr(handler_module, "client", lambda: client)
    with stubber:
        yield stubber, sent
        stubber.assert_no_pending_responses()


def stub_update(stubber: Stubber, *, put_error: str | None = None) -> None:
    stubber.add_response(
        "query",
        {"Items": [group_row(ALICE, BOB, "Bayko"), group_row(BOB, ALICE, "Andrew")]},
    )
    if put_error:
        stubber.add_client_error("put_item", service_error_code=put_error, http_status_code=400)
        return
    for operation in ("put_item", "put_item", "delete_item", "delete_item"):
        stubber.add_response(operation, {})


def test_a_batch_queries_the_index_once_then_puts_before_it_deletes(calls: Any) -> None:
    """One GSI query per conversation, both new rows written before either old row goes."""
    stubber, sent = calls
    stub_update(stubber)
    response = handler_module.handler(load_event("stream_message_inserts.json"), None)
    assert response == {"batchItemFailures": []}
    assert [operation for operation, _ in sent] == [
        "Query",
        "PutItem",
        "PutItem",
        "DeleteItem",
        "DeleteItem",
    ]
    query = sent[0][1]
    assert (query["TableName"], query["IndexName"]) == (TABLE, INDEX)
    puts = [params for operation, params in sent if operation == "PutItem"]
    assert {p["Item"]["sk"]["S"] for p in puts} == {NEWEST}
    assert {p["Item"]["message"]["S"] for p in puts} == {"Yes, see you there"}
    assert all("ConditionExpression" in p for p in puts)
    deletes = [params for operation, params in sent if operation == "DeleteItem"]
    assert {d["Key"]["sk"]["S"] for d in deletes} == {CREATED}


def test_a_throttled_write_reports_the_conversations_first_record(calls: Any) -> None:
    """A write that fails after the SDK's retries is reported by the earliest sequence number."""
    stubber, _ = calls
    stub_update(stubber, put_error="ProvisionedThroughputExceededException")
    event = load_event("stream_message_inserts.json")
    response = handler_module.handler(event, None)
    first = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": first}]}


def test_a_malformed_record_is_logged_with_its_sequence_number_and_skipped(
    calls: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch still succeeds; the skip names the record and the summary counts it."""
    stubber, _ = calls
    stub_update(stubber)
    caplog.set_level(logging.INFO, logger=handler_module.__name__)
    event = load_event("stream_batch_with_malformed_record.json")
    assert handler_module.handler(event, None) == {"batchItemFailures": []}
    [skip] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert vars(skip)["sequence_number"] == event["Records"][1]["dynamodb"]["SequenceNumber"]
    [summary] = [vars(r) for r in caplog.records if r.getMessage() == "batch processed"]
    counts = [summary[key] for key in ("batch_size", "records_skipped", "groups_updated", "failed")]
    assert counts == [3, 1, 1, 0]


def test_no_message_text_reaches_the_logs(calls: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Message text is private: no log record or field carries it."""
    stubber, _ = calls
    stub_update(stubber)
    caplog.set_level(logging.DEBUG, logger=handler_module.__name__)
    handler_module.handler(load_event("stream_batch_with_malformed_record.json"), None)
    logged = " ".join(str(vars(record)) for record in caplog.records)
    assert caplog.records
    for text in ("Are you coming", "see you there", "lost text"):
        assert text not in logged


@pytest.mark.parametrize("event", [{}, {"Records": "nope"}, None])
def test_an_event_that_is_not_a_stream_batch_is_refused(calls: Any, event: Any) -> None:
    """A wrong trigger is a configuration error, raised clearly rather than ignored."""
    with pytest.raises(ValueError, match="not a DynamoDB stream batch"):
        handler_module.handler(event, None)


def test_the_client_is_created_once_per_execution_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every invocation of a warm environment reuses one client (its connection pool too)."""
    for name, value in (
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ):
        monkeypatch.setenv(name, value)
    assert handler_module.client() is handler_module.client()


def test_the_cold_import_loads_nothing_the_handler_does_not_use() -> None:
    """Importing the handler (the Lambda's init phase) loads neither the store, the CDK, nor a
    logging library: a cold start pays for boto3 and the processor only."""
    probe = (
        "import sys, stream_processor.handler; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aws_cdk', 'constructs', 'aws_lambda_powertools', 'hypothesis'} "
        "or m == 'cruddur_messages.store'))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert run.stdout.strip() == "[]"


def test_a_cold_start_logs_no_botocore_info(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """At the application log level INFO (the root logger's, as the runtime sets it), building
    the client logs nothing of botocore's, such as "Found credentials in environment variables."
    """
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    handler_module._client.cache_clear()
    with caplog.at_level(logging.INFO):
        handler_module.client()
        shown = [r.getMessage() for r in caplog.records if r.name.startswith("botocore")]
        # The same call with botocore's own level shows the line: the check above can fail.
        monkeypatch.setattr(logging.getLogger("botocore"), "level", logging.NOTSET)
        boto3.session.Session().client("dynamodb")
    handler_module._client.cache_clear()
    assert shown == []
    assert "Found credentials in environment variables." in caplog.messages
