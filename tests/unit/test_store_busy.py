"""The store under a throttled table: one clear error within its bound, nothing written.

A real boto3 client built with the store's own config; its requests are answered in botocore's
`before-send` (no socket) by a table that is out of capacity for writes, as DynamoDB answers:
ProvisionedThroughputExceededException, or a transaction cancelled with ThrottlingError.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from cruddur_messages import items, retries, wire
from cruddur_messages.models import MessageGroup, User
from cruddur_messages.store import (
    DEFAULT_BUSY_TIMEOUT_S,
    MessageStore,
    TableBusyError,
    WriteConflictError,
    client_config,
)

ANDREW = User(uuid="3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d", display_name="Andrew", handle="andrew")
BAYKO = User(uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a", display_name="Bayko", handle="bayko")
GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
_PREFIX = "com.amazonaws.dynamodb.v20120810#"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


class ThrottledWrites:
    """Reads answer (the conversation's rows); every write is refused for capacity."""

    def __init__(self, *, cancelled: bool = False) -> None:
        self.cancelled = cancelled
        self.writes = 0

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        status, payload = 200, self._dispatch(operation)
        if "__type" in payload:
            status = 400
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "unit"}
        return AWSResponse(request.url, status, headers, _Body(json.dumps(payload).encode()))

    def _dispatch(self, operation: str) -> dict[str, Any]:
        if operation == "Query":
            row = MessageGroup(
                group_uuid=GROUP,
                owner_uuid=ANDREW.uuid,
                last_message_at="2024-05-01T12:00:00.000000+00:00",
                last_message="hi",
                other_user=BAYKO,
            )
            return {"Items": [wire.serialize(items.group_item(row))], "Count": 1}
        self.writes += 1
        if self.cancelled:
            return {
                "__type": _PREFIX + "TransactionCanceledException",
                "message": "Transaction cancelled, please refer cancellation reasons for specific "
                "reasons [ThrottlingError, None]",
                "CancellationReasons": [
                    {"Code": "ThrottlingError", "Message": "Throughput exceeds the current "
                     "capacity of your table or index."},
                    {"Code": "None"},
                ],
            }  # fmt: skip
        return {
            "__type": _PREFIX + "ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded.",
        }


def store_over(table: ThrottledWrites, **options: Any) -> MessageStore:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
        config=client_config(),
    )
    client.meta.events.register("before-send.dynamodb", table.answer)
    return MessageStore(client, table_name="messages", **options)


@pytest.mark.parametrize(
    "cancelled", [False, True], ids=["throughput-exceeded", "transaction-cancelled"]
)
def test_a_throttled_write_ends_within_the_bound_as_one_busy_error(cancelled: bool) -> None:
    """The throttle is retried (several writes are sent) until the bound, then TableBusyError
    with a retry hint: not WriteConflictError, not a raw ClientError."""
    table = ThrottledWrites(cancelled=cancelled)
    store = store_over(table, busy_timeout_s=0.4)
    started = time.monotonic()
    with pytest.raises(TableBusyError) as busy:
        store.create_message(GROUP, ANDREW, "hello")
    elapsed = time.monotonic() - started
    assert elapsed < 0.4 + 0.2
    assert table.writes > 1
    assert busy.value.retry_after_s == wire.RETRY_AFTER_S
    assert "busy" in str(busy.value) and "nothing was written" in str(busy.value)
    assert not isinstance(busy.value, WriteConflictError)
    assert retries.is_throttle(busy.value.__cause__)  # type: ignore[arg-type]


def test_a_new_conversation_on_a_throttled_table_is_busy_too() -> None:
    table = ThrottledWrites(cancelled=True)
    with pytest.raises(TableBusyError):
        store_over(table, busy_timeout_s=0.2).create_message_group(ANDREW, BAYKO, "hello")


def test_the_default_bound_is_a_few_seconds_and_the_client_retries_nothing_itself() -> None:
    assert 1 <= DEFAULT_BUSY_TIMEOUT_S <= 5
    config = client_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert (config.connect_timeout, config.read_timeout) == (1.0, 1.0)


@pytest.mark.parametrize("bound", [0, -1.0, float("nan")])
def test_a_bound_that_is_not_positive_is_refused(bound: float) -> None:
    with pytest.raises(ValueError, match="busy_timeout_s must be positive"):
        store_over(ThrottledWrites(), busy_timeout_s=bound)


def test_one_deadline_covers_every_request_of_a_call() -> None:
    """A call's requests share its deadline (the participant check's and the write's)."""
    now = [0.0]
    sent: list[float] = []

    def throttled(**_: Any) -> Mapping[str, Any]:
        sent.append(now[0])
        raise retries_error()

    client = wire.BoundedClient(
        _OnlyThrottles(throttled), bound_s=99, clock=lambda: now[0], sleep=_advance(now)
    )
    with wire.deadline(1.0, clock=lambda: now[0]), pytest.raises(TableBusyError):
        client.put_item()
    assert max(sent) < 1.0 and now[0] < 1.0


class _OnlyThrottles:
    def __init__(self, put_item: Any) -> None:
        self.put_item = put_item


def _advance(now: list[float]) -> Any:
    def sleep(seconds: float) -> None:
        now[0] += seconds

    return sleep


def retries_error() -> Exception:
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "busy"}},
        "PutItem",
    )
