"""The store refuses bad input before it sends a single request.

The client is a real boto3 client under botocore's Stubber with no responses queued: any request
the store made would fail with the Stubber's own error instead of the expected ValueError.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cruddur_messages import schema
from cruddur_messages.models import MAX_MESSAGE_LENGTH, User
from cruddur_messages.store import (
    MAX_PAGE_SIZE,
    InvalidCursorError,
    MessageStore,
    WriteConflictError,
    encode_cursor,
    validate_limit,
)

ANDREW = User(uuid="3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d", display_name="Andrew", handle="andrew")
BAYKO = User(uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a", display_name="Bayko", handle="bayko")
GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"


def offline_client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
    )


@pytest.fixture
def stubber() -> Iterator[Stubber]:
    with Stubber(offline_client()) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def store(stubber: Stubber) -> MessageStore:
    return MessageStore(stubber.client, table_name="messages")


@pytest.mark.parametrize("limit", [1, 20, MAX_PAGE_SIZE])
def test_validate_limit_accepts_the_range(limit: int) -> None:
    """Page sizes from 1 to MAX_PAGE_SIZE are accepted as they are."""
    assert validate_limit(limit) == limit


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1, True, 2.0, "20", None])
def test_validate_limit_refuses_the_rest(limit: Any) -> None:
    """Zero, negative, oversized and non-integer page sizes are a ValueError."""
    with pytest.raises(ValueError, match="limit"):
        validate_limit(limit)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n", "x" * (MAX_MESSAGE_LENGTH + 1)],
    ids=["empty", "spaces", "newline", "too-long"],
)
def test_create_group_refuses_bad_text_offline(store: MessageStore, text: str) -> None:
    """D rejects empty, blank and over-long text without a request."""
    with pytest.raises(ValueError, match="message text"):
        store.create_message_group(ANDREW, BAYKO, text)


def test_create_group_refuses_the_same_user_twice_offline(store: MessageStore) -> None:
    """D rejects a sender who is also the recipient without a request."""
    with pytest.raises(ValueError, match="same user"):
        store.create_message_group(ANDREW, ANDREW, "hello me")


def test_create_group_refuses_a_non_user_offline(store: MessageStore) -> None:
    """D rejects a recipient that is not a User (e.g. a bare uuid) without a request."""
    with pytest.raises(TypeError, match="recipient"):
        store.create_message_group(ANDREW, BAYKO.uuid, "hi")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", " ", "x" * (MAX_MESSAGE_LENGTH + 1)])
def test_create_message_refuses_bad_text_offline(store: MessageStore, text: str) -> None:
    """C rejects bad text before it even looks the group up."""
    with pytest.raises(ValueError, match="message text"):
        store.create_message(GROUP, ANDREW, text)


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ({"group_uuid": "group-1"}, "message_group_uuid"),
        ({"message_uuid": GROUP[:-2]}, "message_uuid"),
        ({"message_uuid": 42}, "message_uuid"),
        ({"created_at": "2025-01-01T00:00:00+00:00"}, "created_at"),
        ({"created_at": "2025-01-01T02:00:00.000000+02:00"}, "created_at"),
        ({"created_at": "2025-01-01T00:00:00.000000"}, "created_at"),
        ({"created_at": "yesterday"}, "created_at"),
    ],
)
def test_create_group_refuses_malformed_explicit_ids_offline(
    store: MessageStore, ids: dict[str, Any], field: str
) -> None:
    """D rejects a given uuid or created_at that is not in the schema's form, naming it."""
    with pytest.raises(ValueError, match=field):
        store.create_message_group(ANDREW, BAYKO, "hi", **ids)


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ({"message_uuid": "m-1"}, "message_uuid"),
        ({"created_at": "2025-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_create_message_refuses_malformed_explicit_ids_offline(
    store: MessageStore, ids: dict[str, Any], field: str
) -> None:
    """C rejects a given message_uuid or created_at before it even looks the group up."""
    with pytest.raises(ValueError, match=field):
        store.create_message(GROUP, ANDREW, "hi", **ids)


@pytest.mark.parametrize("group", ["", "group-1", GROUP[:-2]])
def test_create_message_refuses_a_malformed_group_offline(store: MessageStore, group: str) -> None:
    """C rejects a malformed group uuid before it even looks the group up."""
    with pytest.raises(ValueError, match="message_group_uuid"):
        store.create_message(group, ANDREW, "hello")


def test_list_messages_refuses_a_malformed_group_offline(store: MessageStore) -> None:
    """A rejects a malformed group uuid without a request."""
    with pytest.raises(ValueError, match="message_group_uuid"):
        store.list_messages("nope")


def test_list_groups_refuses_a_malformed_user_offline(store: MessageStore) -> None:
    """B rejects a malformed user uuid without a request."""
    with pytest.raises(ValueError, match="user_uuid"):
        store.list_message_groups("andrew")


def test_list_messages_refuses_a_bad_limit_offline(store: MessageStore) -> None:
    """A rejects an out-of-range page size without a request."""
    with pytest.raises(ValueError, match="limit"):
        store.list_messages(GROUP, limit=MAX_PAGE_SIZE + 1)


def test_list_groups_refuses_a_bad_limit_offline(store: MessageStore) -> None:
    """B rejects an out-of-range page size without a request."""
    with pytest.raises(ValueError, match="limit"):
        store.list_message_groups(ANDREW.uuid, limit=0)


def test_list_messages_refuses_a_malformed_cursor_offline(store: MessageStore) -> None:
    """A rejects a tampered cursor without passing it to DynamoDB."""
    with pytest.raises(InvalidCursorError):
        store.list_messages(GROUP, before="not-a-cursor")


def test_list_groups_refuses_a_cursor_of_messages_offline(store: MessageStore) -> None:
    """B rejects a cursor issued by A (another partition) without a request."""

    cursor = encode_cursor(schema.message_pk(GROUP), "2025-01-01T00:00:00.000000+00:00")
    with pytest.raises(InvalidCursorError, match="another list"):
        store.list_message_groups(ANDREW.uuid, cursor=cursor)


def test_transaction_conflict_is_reported_without_retrying(
    stubber: Stubber, store: MessageStore
) -> None:
    """D turns a cancellation for a concurrent transaction into WriteConflictError at once."""
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message="Transaction cancelled",
        http_status_code=400,
        modeled_fields={
            "CancellationReasons": [
                {"Code": "None"},
                {"Code": "TransactionConflict"},
                {"Code": "None"},
            ]
        },
    )
    with pytest.raises(WriteConflictError, match="TransactionConflict"):
        store.create_message_group(ANDREW, BAYKO, "hello")


@pytest.mark.parametrize("kind", ["resource", "table"])
def test_a_resource_is_refused_for_a_client(kind: str) -> None:
    """Only a low-level client is accepted: a resource or Table is a TypeError at once."""
    resource = boto3.resource(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
    )
    given = resource if kind == "resource" else resource.Table("messages")
    with pytest.raises(TypeError, match="low-level DynamoDB client"):
        MessageStore(given, table_name="messages")


def test_table_name_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit name the store uses DDB_MESSAGE_TABLE."""
    monkeypatch.setenv("DDB_MESSAGE_TABLE", "from-the-env")
    assert MessageStore(offline_client()).table_name == "from-the-env"


def test_an_explicit_table_name_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit table_name overrides DDB_MESSAGE_TABLE."""
    monkeypatch.setenv("DDB_MESSAGE_TABLE", "from-the-env")
    assert MessageStore(offline_client(), table_name="explicit").table_name == "explicit"
