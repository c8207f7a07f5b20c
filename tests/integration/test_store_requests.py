"""What the cheaper patterns ask DynamoDB, request by request, on a real HTTP server: B's later
pages read only their own rows, C's participant check reads the index and at most one message
and one row, and every GRP# row D writes holds the preview while A returns the whole text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from test_store import index_lag

from cruddur_messages import items, schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore, NotAParticipantError

pytestmark = pytest.mark.integration


def make_user(handle: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=handle.title(), handle=handle)


@pytest.fixture
def store(dynamodb_client: Any, table_name: str) -> MessageStore:
    return MessageStore(dynamodb_client, table_name=table_name)


@contextmanager
def recorded(client: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every request the client sends inside the block: (operation, parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def keep(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    client.meta.events.register("provide-client-params.dynamodb.*", keep)
    try:
        yield calls
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.*", keep)


def test_a_later_page_of_b_is_one_query_of_its_own_rows(
    store: MessageStore, dynamodb_client: Any
) -> None:
    """Page 4 is one eventually consistent Query of limit + 1 rows from its cursor: nothing
    above the cursor is read again, whatever the page number."""
    owner = make_user("owner")
    for n in range(20):
        store.create_message_group(owner, make_user(f"friend{n}"), f"hi {n}")
    cursor = None
    for _ in range(3):
        cursor = store.list_message_groups(owner.uuid, limit=4, cursor=cursor).next_cursor
    with recorded(dynamodb_client) as calls:
        page = store.list_message_groups(owner.uuid, limit=4, cursor=cursor)
    assert len(page.items) == 4
    assert [name for name, _ in calls] == ["Query"]
    query = calls[0][1]
    assert query["Limit"] == 5 and "ExclusiveStartKey" in query
    assert not query.get("ConsistentRead") and "IndexName" not in query


def test_c_by_a_participant_reads_the_index_then_puts(
    store: MessageStore, dynamodb_client: Any
) -> None:
    andrew, bayko = make_user("andrew"), make_user("bayko")
    group, _ = store.create_message_group(andrew, bayko, "hello")
    with recorded(dynamodb_client) as calls:
        store.create_message(group.group_uuid, bayko, "hi")
    assert [(name, p.get("IndexName")) for name, p in calls] == [
        ("Query", schema.GSI_NAME),
        ("PutItem", None),
    ]


def test_c_by_a_stranger_is_refused_by_the_index_alone(
    store: MessageStore, dynamodb_client: Any
) -> None:
    """The rows the index lists name both participants: no read of the stranger's partition."""
    andrew, bayko = make_user("andrew"), make_user("bayko")
    group, _ = store.create_message_group(andrew, bayko, "hello")
    with recorded(dynamodb_client) as calls, pytest.raises(NotAParticipantError):
        store.create_message(group.group_uuid, make_user("mallory"), "let me in")
    assert [(name, p.get("IndexName")) for name, p in calls] == [("Query", schema.GSI_NAME)]


def test_c_before_the_index_catches_up_reads_one_message_and_one_row(
    store: MessageStore, dynamodb_client: Any
) -> None:
    """The first message (one item, strongly consistent) and the sender's row at its time (one
    key): whatever the size of the sender's partition."""
    andrew, bayko = make_user("andrew"), make_user("bayko")
    for n in range(5):  # bayko's partition holds other rows: none of them is read
        store.create_message_group(bayko, make_user(f"friend{n}"), f"hi {n}")
    group, first = store.create_message_group(andrew, bayko, "hello")
    with index_lag(dynamodb_client), recorded(dynamodb_client) as calls:
        store.create_message(group.group_uuid, bayko, "hi")
    names = [name for name, _ in calls]
    assert names == ["Query", "Query", "GetItem", "PutItem"]
    message_query, get = calls[1][1], calls[2][1]
    assert message_query["Limit"] == 1 and message_query["ConsistentRead"] is True
    assert get["Key"] == {
        schema.PARTITION_KEY: {"S": schema.group_pk(bayko.uuid)},
        schema.SORT_KEY: {"S": first.created_at},
    }


def test_d_rows_hold_the_preview_and_a_returns_the_whole_text(
    store: MessageStore, dynamodb_client: Any, table_name: str
) -> None:
    andrew, bayko = make_user("andrew"), make_user("bayko")
    text = "\u00e9" * 1024
    group, _ = store.create_message_group(andrew, bayko, text)
    assert group.last_message == items.message_preview(text) != text
    for user in (andrew, bayko):
        assert store.list_message_groups(user.uuid).items[0].last_message == group.last_message
    assert store.list_messages(group.group_uuid).items[0].text == text
