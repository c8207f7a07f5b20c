"""The table is shared: items the store did not write, of any shape and type, are counted in
`Page.skipped` and left out, never raised. Responses are queued on botocore's Stubber, so the
store parses exactly what DynamoDB would return."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.stub import Stubber

from cruddur_messages import items, schema
from cruddur_messages.models import Message, MessageGroup, User
from cruddur_messages.store import MessageStore

ANDREW = User(uuid="3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d", display_name="Andrew", handle="andrew")
BAYKO = User(uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a", display_name="Bayko", handle="bayko")
GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
_SERIALIZER = TypeSerializer()


def wire(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in item.items()}


def message(second: int) -> dict[str, Any]:
    created = f"2025-01-01T00:00:{second:02d}.000000+00:00"
    return items.message_item(
        Message(
            message_uuid=f"00000000-0000-4000-8000-0000000000{second:02d}",
            group_uuid=GROUP,
            created_at=created,
            text=f"message {second}",
            sender=ANDREW,
        )
    )


def foreign_messages(second: int) -> list[dict[str, Any]]:
    """Items in the conversation's partition that are not messages this store writes."""
    pk, sk = schema.message_pk(GROUP), f"2025-01-01T00:00:{second:02d}.5+00:00"
    number = {**message(second), schema.SORT_KEY: sk + "a", "message": 42}
    binary = {**message(second), schema.SORT_KEY: sk + "b", "user_handle": b"\x01"}
    return [number, binary, {schema.PARTITION_KEY: pk, schema.SORT_KEY: sk + "c"}]


@pytest.fixture
def stubbed() -> Iterator[tuple[Stubber, MessageStore]]:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="u", aws_secret_access_key="u"
    )
    with Stubber(client) as stub:
        yield stub, MessageStore(client, table_name="messages")
        stub.assert_no_pending_responses()


def test_list_messages_skips_and_counts_foreign_items(
    stubbed: tuple[Stubber, MessageStore],
) -> None:
    stub, store = stubbed
    raw = [message(3), *foreign_messages(2), message(1)]
    stub.add_response("query", {"Items": [wire(item) for item in raw]})
    page = store.list_messages(GROUP, limit=5)
    assert [m.text for m in page.items] == ["message 3", "message 1"]
    assert page.skipped == 3
    assert page.next_cursor is None


def test_foreign_items_do_not_shorten_a_page_or_hide_the_next_one(
    stubbed: tuple[Stubber, MessageStore],
) -> None:
    """A page of 2 reads past the foreign items to fill itself and to see a third message."""
    stub, store = stubbed
    first = [message(9), *foreign_messages(8)]
    stub.add_response(
        "query",
        {"Items": [wire(i) for i in first], "LastEvaluatedKey": wire(first[-1])},
    )
    stub.add_response("query", {"Items": [wire(message(7)), wire(message(6))]})
    page = store.list_messages(GROUP, limit=2)
    assert [m.text for m in page.items] == ["message 9", "message 7"]
    assert page.skipped == 3
    assert page.next_cursor is not None


def group_row(owner: User, other: User, second: int) -> dict[str, Any]:
    return items.group_item(
        MessageGroup(
            group_uuid=GROUP,
            owner_uuid=owner.uuid,
            last_message_at=f"2025-01-01T00:00:{second:02d}.000000+00:00",
            last_message="hi",
            other_user=other,
        )
    )


def test_list_message_groups_skips_a_row_without_message(
    stubbed: tuple[Stubber, MessageStore],
) -> None:
    stub, store = stubbed
    broken = group_row(ANDREW, BAYKO, 5)
    del broken["message"]
    broken[schema.GSI_PARTITION_KEY] = "5ae290ed-55d1-47a0-bc6d-fe2bc2700400"
    stub.add_response("query", {"Items": [wire(broken), wire(group_row(ANDREW, BAYKO, 4))]})
    page = store.list_message_groups(ANDREW.uuid, limit=5)
    assert [g.last_message_at[17:19] for g in page.items] == ["04"]
    assert page.skipped == 1


def test_group_rows_from_the_index_skip_foreign_items(
    stubbed: tuple[Stubber, MessageStore],
) -> None:
    stub, store = stubbed
    foreign = {"pk": "ADMIN#note", "sk": "x", schema.GSI_PARTITION_KEY: GROUP, "blob": b"\x01"}
    good = [group_row(ANDREW, BAYKO, 1), group_row(BAYKO, ANDREW, 1)]
    stub.add_response("query", {"Items": [wire(foreign), *(wire(g) for g in good)]})
    rows = store.message_group_rows(GROUP)
    assert sorted(r.owner_uuid for r in rows.items) == sorted([ANDREW.uuid, BAYKO.uuid])
    assert rows.skipped == 1
