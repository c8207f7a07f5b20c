"""What the cheaper patterns ask DynamoDB, request by request, on a real HTTP server: B's later
pages read only their own rows, C's participant check reads the index and at most one message
and one row, and every GRP# row D writes holds the preview while A returns the whole text; then
the same in the units the local cloud's meter charges (local/capacity)."""

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
from local.stream_events import synthetic_record
from stream_processor.batch import process_batch
from stream_processor.group_rows import DynamoGroupRows

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
    for n in range(18):
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


def test_c_by_a_participant_reads_the_index_then_writes_the_message_and_its_guard(
    store: MessageStore, dynamodb_client: Any
) -> None:
    andrew, bayko = make_user("andrew"), make_user("bayko")
    group, _ = store.create_message_group(andrew, bayko, "hello")
    with recorded(dynamodb_client) as calls:
        store.create_message(group.group_uuid, bayko, "hi")
    assert [(name, p.get("IndexName")) for name, p in calls] == [
        ("Query", schema.GSI_NAME),
        ("TransactWriteItems", None),  # the message and its message_uuid's guard (guards.py)
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
    assert names == ["Query", "Query", "GetItem", "TransactWriteItems"]
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


# -- the same, in the local cloud's metered units (local/capacity) --------------------------------


@contextmanager
def metered(client: Any) -> Iterator[list[tuple[str, float, float]]]:
    """(operation, table units, GSI units) of every request inside the block, as the endpoint
    reports them under ReturnConsumedCapacity INDEXES."""
    found: list[tuple[str, float, float]] = []

    def ask(params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "INDEXES"

    def keep(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        capacity = parsed.get("ConsumedCapacity")
        for entry in capacity if isinstance(capacity, list) else [capacity] if capacity else []:
            table = float(entry.get("Table", {}).get("CapacityUnits", 0.0))
            index = sum(
                float(gsi.get("CapacityUnits", 0.0))
                for gsi in (entry.get("GlobalSecondaryIndexes") or {}).values()
            )
            found.append((model.name, table, index))

    events = client.meta.events
    for operation in ("Query", "GetItem", "PutItem", "DeleteItem", "TransactWriteItems"):
        events.register(f"provide-client-params.dynamodb.{operation}", ask)
        events.register(f"after-call.dynamodb.{operation}", keep)
    try:
        yield found
    finally:
        for operation in ("Query", "GetItem", "PutItem", "DeleteItem", "TransactWriteItems"):
            events.unregister(f"provide-client-params.dynamodb.{operation}", ask)
            events.unregister(f"after-call.dynamodb.{operation}", keep)


def test_b_page_3_costs_what_page_1_does_on_the_meter(
    store: MessageStore, dynamodb_client: Any
) -> None:
    owner = make_user("owner")
    for n in range(25):
        store.create_message_group(make_user(f"friend{n}"), owner, f"hello number {n}")
    costs, cursor = [], None
    for _ in range(3):
        with metered(dynamodb_client) as found:
            cursor = store.list_message_groups(owner.uuid, limit=10, cursor=cursor).next_cursor
        costs.append(sum(table for _, table, _ in found))
    assert costs[0] == costs[1] >= costs[2] > 0  # page 3 holds the last 5 rows
    assert cursor is None


def test_a_long_message_moves_each_row_for_one_write_unit(
    store: MessageStore, dynamodb_client: Any, table_name: str
) -> None:
    """1,024 four-byte characters: the MSG# item is 4.3 KB (5 units), written in a transaction
    with its guard (under 1 KB: 1 unit), each twice: 12 units. Each row put and delete of the
    processor costs 1 unit on the table and 1 on the GSI, the preview's doing."""
    andrew, bayko = make_user("andrew"), make_user("bayko")
    group, _ = store.create_message_group(andrew, bayko, "hello")
    with metered(dynamodb_client) as sent:
        message = store.create_message(group.group_uuid, bayko, "\U0001f600" * 1024)
    assert ("TransactWriteItems", 12.0, 0.0) in sent
    rows = DynamoGroupRows(dynamodb_client, table_name=table_name, index_name=schema.GSI_NAME)
    record = synthetic_record(items.message_item(message), "1" * 21)
    with metered(dynamodb_client) as moved:
        result = process_batch([record], rows)
    assert result.rows_put == 2 and result.rows_deleted == 2
    writes = [(name, table, index) for name, table, index in moved if name != "Query"]
    assert sorted(writes) == [("DeleteItem", 1.0, 1.0)] * 2 + [("PutItem", 1.0, 1.0)] * 2


def test_a_strangers_post_costs_one_index_read_on_the_meter(
    store: MessageStore, dynamodb_client: Any
) -> None:
    """Even for a stranger in many conversations: half a unit, the index query alone."""
    andrew, bayko, mallory = make_user("andrew"), make_user("bayko"), make_user("mallory")
    group, _ = store.create_message_group(andrew, bayko, "hello")
    for n in range(10):
        store.create_message_group(mallory, make_user(f"friend{n}"), f"hi {n}")
    with metered(dynamodb_client) as found, pytest.raises(NotAParticipantError):
        store.create_message(group.group_uuid, mallory, "let me in")
    assert found == [("Query", 0.0, 0.5)]
