"""Patterns A-D against a real DynamoDB-compatible HTTP server (moto), table built from `schema`."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from cruddur_messages import items, schema, timestamps
from cruddur_messages.models import MAX_MESSAGE_LENGTH, MessageGroup, Page, User
from cruddur_messages.store import (
    GroupNotFoundError,
    InvalidCursorError,
    MessageStore,
    NotAParticipantError,
    WriteConflictError,
)


def make_user(handle: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=handle.title(), handle=handle)


@pytest.fixture
def andrew() -> User:
    return make_user("andrew")


@pytest.fixture
def bayko() -> User:
    return make_user("bayko")


@pytest.fixture
def store(dynamodb_client: Any, table_name: str) -> MessageStore:
    return MessageStore(dynamodb_client, table_name=table_name)


def all_items(client: Any, table_name: str) -> list[dict[str, Any]]:
    return list(client.scan(TableName=table_name, ConsistentRead=True)["Items"])


def put_raw(client: Any, table_name: str, item: dict[str, Any]) -> None:
    serializer = TypeSerializer()
    client.put_item(
        TableName=table_name, Item={k: serializer.serialize(v) for k, v in item.items()}
    )


def collect_pages(fetch: Callable[[str | None], Any]) -> Iterator[Any]:
    cursor = None
    while True:
        page = fetch(cursor)
        yield page
        cursor = page.next_cursor
        if cursor is None:
            return


# -- construction -------------------------------------------------------------------------------


# -- D: create a conversation -------------------------------------------------------------------


def test_create_group_writes_the_message_and_both_rows(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User, bayko: User
) -> None:
    """D writes exactly three items: the first message and one group row per participant."""
    group, message = store.create_message_group(andrew, bayko, "hello")
    keys = {
        (i[schema.PARTITION_KEY]["S"], i[schema.SORT_KEY]["S"])
        for i in all_items(dynamodb_client, table_name)
    }
    assert keys == {
        (schema.message_pk(group.group_uuid), message.created_at),
        (schema.group_pk(andrew.uuid), message.created_at),
        (schema.group_pk(bayko.uuid), message.created_at),
    }


def test_create_group_rows_hold_the_other_participant(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """Each participant's row names the other person and the first message."""
    group, message = store.create_message_group(andrew, bayko, "hello")
    assert group.owner_uuid == andrew.uuid and group.other_user == bayko
    (bayko_row,) = store.list_message_groups(bayko.uuid).items
    assert bayko_row.other_user == andrew
    assert bayko_row.group_uuid == group.group_uuid == message.group_uuid
    assert bayko_row.last_message == "hello"
    assert bayko_row.last_message_at == message.created_at


def test_create_group_writes_the_given_ids_and_time(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """Explicit uuids and created_at are written as given, and read back as given."""
    group_uuid, message_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    created_at = "2025-02-28T23:00:00.000000+00:00"
    group, message = store.create_message_group(
        andrew,
        bayko,
        "hello",
        group_uuid=group_uuid,
        message_uuid=message_uuid,
        created_at=created_at,
    )
    assert (group.group_uuid, group.last_message_at) == (group_uuid, created_at)
    assert (message.message_uuid, message.created_at) == (message_uuid, created_at)
    assert store.list_messages(group_uuid).items == [message]
    assert store.list_message_groups(bayko.uuid).items[0].last_message_at == created_at


def test_create_message_writes_the_given_id_and_time(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """C takes an explicit message_uuid and created_at, and lists the message by that time."""
    group, first = store.create_message_group(
        andrew, bayko, "hello", created_at="2025-01-01T00:00:00.000000+00:00"
    )
    message_uuid = str(uuid.uuid4())
    reply = store.create_message(
        group.group_uuid,
        bayko,
        "hi",
        message_uuid=message_uuid,
        created_at="2025-01-01T00:01:00.000000+00:00",
    )
    assert (reply.message_uuid, reply.created_at) == (
        message_uuid,
        "2025-01-01T00:01:00.000000+00:00",
    )
    assert store.list_messages(group.group_uuid).items == [reply, first]


def test_create_group_is_atomic_when_one_put_fails(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User, bayko: User
) -> None:
    """If one of D's three Puts fails its condition, none of the three items is written."""

    def break_recipients_row(params: dict[str, Any], **_: Any) -> None:
        # The server refuses the third Put (the recipient's row): its key does not exist yet.
        params["TransactItems"][2]["Put"]["ConditionExpression"] = "attribute_exists(#pk)"

    events = dynamodb_client.meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", break_recipients_row)
    try:
        with pytest.raises(WriteConflictError, match="nothing was written"):
            store.create_message_group(andrew, bayko, "hello")
    finally:
        events.unregister("provide-client-params.dynamodb.TransactWriteItems", break_recipients_row)
    assert all_items(dynamodb_client, table_name) == []


def test_create_group_takes_a_later_microsecond_when_a_row_key_is_taken(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """A participant's existing row at the same instant is neither overwritten nor fatal."""
    instant = "2025-01-01T00:00:00.000000+00:00"
    first, _ = store.create_message_group(bayko, make_user("other"), "first", created_at=instant)
    group, message = store.create_message_group(andrew, bayko, "second", created_at=instant)
    assert first.last_message_at == instant
    assert message.created_at == just_after(instant)
    bayko_groups = store.list_message_groups(bayko.uuid).items
    assert {g.group_uuid for g in bayko_groups} == {first.group_uuid, group.group_uuid}


# -- C: a message in an existing conversation ---------------------------------------------------


def test_create_message_appends_to_the_conversation(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """C writes a message both participants can read in the conversation."""
    group, first = store.create_message_group(andrew, bayko, "hello")
    reply = store.create_message(group.group_uuid, bayko, "hi andrew")
    assert reply.sender == bayko and reply.group_uuid == group.group_uuid
    assert reply.created_at > first.created_at
    assert store.list_messages(group.group_uuid).items == [reply, first]


def test_create_message_in_a_missing_group_fails(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User
) -> None:
    """C in a group that does not exist raises GroupNotFoundError and writes nothing."""
    with pytest.raises(GroupNotFoundError):
        store.create_message(str(uuid.uuid4()), andrew, "anyone there?")
    assert all_items(dynamodb_client, table_name) == []


def test_create_message_by_a_stranger_fails(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User, bayko: User
) -> None:
    """C by a user who is not a participant raises NotAParticipantError and writes nothing."""
    group, _ = store.create_message_group(andrew, bayko, "hello")
    before = all_items(dynamodb_client, table_name)
    with pytest.raises(NotAParticipantError):
        store.create_message(group.group_uuid, make_user("mallory"), "let me in")
    assert all_items(dynamodb_client, table_name) == before


def test_create_message_twice_in_one_microsecond_keeps_both(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """Two messages at the same time get distinct keys; neither overwrites the other."""
    instant = "2025-06-01T00:00:00.000000+00:00"
    group, _ = store.create_message_group(andrew, bayko, "one", created_at=instant)
    second = store.create_message(group.group_uuid, bayko, "two", created_at=instant)
    third = store.create_message(group.group_uuid, andrew, "three", created_at=instant)
    listed = store.list_messages(group.group_uuid).items
    assert [m.text for m in listed] == ["three", "two", "one"]
    assert [second.created_at, third.created_at] == [
        just_after(instant),
        just_after(just_after(instant)),
    ]


class FirstPutResponseLost:
    """A client whose first PutItem commits but whose response is lost, so the same request is
    sent again (as botocore retries a timeout or a 500 that came after the commit)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lost = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **request: Any) -> Any:
        if not self._lost:
            self._lost = True
            self._client.put_item(**request)
        return self._client.put_item(**request)


def test_create_message_retried_after_a_lost_response_is_written_once(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User, bayko: User
) -> None:
    """A retried put that finds its own message at the key succeeds without a second copy."""
    group, first = store.create_message_group(andrew, bayko, "hello")
    retrying = MessageStore(FirstPutResponseLost(dynamodb_client), table_name=table_name)
    reply = retrying.create_message(group.group_uuid, bayko, "said once")
    assert store.list_messages(group.group_uuid).items == [reply, first]


@contextlib.contextmanager
def index_lag(client: Any) -> Iterator[None]:
    """Every GSI query comes back empty, as it can for rows written a moment ago."""

    def ask_for_a_group_nobody_has(params: dict[str, Any], **_: Any) -> None:
        if params.get("IndexName"):
            params["ExpressionAttributeValues"][":group"] = {"S": str(uuid.uuid4())}

    event = "provide-client-params.dynamodb.Query"
    client.meta.events.register(event, ask_for_a_group_nobody_has)
    try:
        yield
    finally:
        client.meta.events.unregister(event, ask_for_a_group_nobody_has)


def test_create_message_succeeds_before_the_index_catches_up(
    store: MessageStore, dynamodb_client: Any, andrew: User, bayko: User
) -> None:
    """A participant can reply at once: C confirms membership with a consistent base-table read."""
    group, _ = store.create_message_group(andrew, bayko, "hello")
    with index_lag(dynamodb_client):
        assert store.get_message_group_rows(group.group_uuid) == []
        reply = store.create_message(group.group_uuid, bayko, "hi")
    assert store.list_messages(group.group_uuid).items[0] == reply


def test_create_message_by_a_stranger_fails_before_the_index_catches_up(
    store: MessageStore, dynamodb_client: Any, andrew: User, bayko: User
) -> None:
    """With the index lagging, a stranger is still refused as a non-participant, not a 404."""
    group, _ = store.create_message_group(andrew, bayko, "hello")
    with index_lag(dynamodb_client), pytest.raises(NotAParticipantError):
        store.create_message(group.group_uuid, make_user("mallory"), "let me in")


# -- A: a conversation's messages ----------------------------------------------------------------


def converse(store: MessageStore, andrew: User, bayko: User, count: int) -> tuple[str, list[str]]:
    """A conversation of `count` messages; returns its uuid and the texts, oldest first."""
    group, _ = store.create_message_group(andrew, bayko, "message 0")
    texts = ["message 0"]
    for n in range(1, count):
        texts.append(f"message {n}")
        store.create_message(group.group_uuid, (andrew, bayko)[n % 2], texts[-1])
    return group.group_uuid, texts


def test_list_messages_is_newest_first(store: MessageStore, andrew: User, bayko: User) -> None:
    """A returns a conversation's messages in reverse chronological order."""
    group_uuid, texts = converse(store, andrew, bayko, 4)
    page = store.list_messages(group_uuid)
    assert [m.text for m in page.items] == texts[::-1]
    assert page.next_cursor is None


def test_list_messages_pages_cover_everything_once(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """Paging through A with a cursor yields every message once, in order, `limit` per page."""
    group_uuid, texts = converse(store, andrew, bayko, 7)
    pages = list(collect_pages(lambda c: store.list_messages(group_uuid, limit=3, before=c)))
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert [m.text for p in pages for m in p.items] == texts[::-1]


def test_list_messages_last_full_page_has_no_cursor(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """When the messages fill the last page exactly, it carries no cursor to an empty page."""
    group_uuid, _ = converse(store, andrew, bayko, 4)
    pages = list(collect_pages(lambda c: store.list_messages(group_uuid, limit=2, before=c)))
    assert [len(p.items) for p in pages] == [2, 2]


def test_list_messages_spans_years(store: MessageStore, andrew: User, bayko: User) -> None:
    """Messages from an earlier year are listed: no begins_with(sk, <this year>) filter."""
    group, _ = store.create_message_group(
        andrew, bayko, "last year", created_at="2023-12-31T23:59:59.000000+00:00"
    )
    store.create_message(
        group.group_uuid, bayko, "this year", created_at="2025-01-01T00:00:00.000000+00:00"
    )
    listed = store.list_messages(group.group_uuid).items
    assert [(m.text, m.created_at[:4]) for m in listed] == [
        ("this year", "2025"),
        ("last year", "2023"),
    ]


def test_list_messages_of_an_unknown_group_is_empty(store: MessageStore) -> None:
    """A on a group without messages is an empty last page, not an error."""
    assert store.list_messages(str(uuid.uuid4())) == Page(items=[], next_cursor=None)


def test_list_messages_refuses_a_cursor_of_another_group(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """A cursor issued for one conversation is rejected for another."""
    group_uuid, _ = converse(store, andrew, bayko, 3)
    other_uuid, _ = converse(store, andrew, bayko, 1)
    cursor = store.list_messages(group_uuid, limit=1).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursorError):
        store.list_messages(other_uuid, before=cursor)


# -- B: a user's conversations -------------------------------------------------------------------


def start_conversations(store: MessageStore, owner: User, count: int) -> list[str]:
    """`count` conversations of `owner`, each with a new person; group uuids, oldest first."""
    return [
        store.create_message_group(owner, make_user(f"friend{n}"), f"hi {n}")[0].group_uuid
        for n in range(count)
    ]


def test_list_message_groups_is_newest_first(store: MessageStore, andrew: User) -> None:
    """B lists a user's conversations by last message, newest first."""
    groups = start_conversations(store, andrew, 3)
    page = store.list_message_groups(andrew.uuid)
    assert [g.group_uuid for g in page.items] == groups[::-1]
    assert [g.last_message for g in page.items] == ["hi 2", "hi 1", "hi 0"]
    assert page.next_cursor is None


def test_list_message_groups_pages_cover_everything_once(store: MessageStore, andrew: User) -> None:
    """Paging through B yields every conversation once, in order, `limit` per page."""
    groups = start_conversations(store, andrew, 5)
    pages = list(collect_pages(lambda c: store.list_message_groups(andrew.uuid, 2, c)))
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [g.group_uuid for p in pages for g in p.items] == groups[::-1]


def test_list_message_groups_only_lists_the_users_own(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """B for one user does not show another user's conversations with third people."""
    store.create_message_group(bayko, make_user("carol"), "not andrew's")
    group, _ = store.create_message_group(andrew, bayko, "andrew's")
    assert [g.group_uuid for g in store.list_message_groups(andrew.uuid).items] == [
        group.group_uuid
    ]


def move_row(client: Any, table_name: str, row: MessageGroup, last_message_at: str) -> None:
    """Half of the stream processor's move: the new row is put, the old one not yet deleted."""
    moved = MessageGroup(
        group_uuid=row.group_uuid,
        owner_uuid=row.owner_uuid,
        last_message_at=last_message_at,
        last_message="moved",
        other_user=row.other_user,
    )
    put_raw(client, table_name, items.group_item(moved))


def just_after(timestamp: str) -> str:
    moment = timestamps.parse_timestamp(timestamp) + timedelta(microseconds=1)
    return timestamps.format_timestamp(moment)


def test_list_message_groups_shows_a_moving_conversation_once(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User
) -> None:
    """With a conversation's old and new rows both present, B shows it once: the newest row."""
    groups = start_conversations(store, andrew, 3)
    oldest = store.list_message_groups(andrew.uuid).items[-1]
    assert oldest.group_uuid == groups[0]
    move_row(dynamodb_client, table_name, oldest, "2030-01-01T00:00:00.000000+00:00")
    listed = store.list_message_groups(andrew.uuid).items
    assert [g.group_uuid for g in listed] == [groups[0], groups[2], groups[1]]
    assert listed[0].last_message == "moved"


def test_list_message_groups_honours_the_page_size_despite_a_duplicate(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User
) -> None:
    """A duplicate row inside a page does not make the page one conversation short."""
    groups = start_conversations(store, andrew, 4)
    first_page = store.list_message_groups(andrew.uuid, limit=2)
    # groups[2]'s row moves just above groups[3]'s: its stale row sits between them and groups[1].
    stale = first_page.items[1]
    move_row(dynamodb_client, table_name, stale, just_after(first_page.items[0].last_message_at))
    page = store.list_message_groups(andrew.uuid, limit=3)
    assert [g.group_uuid for g in page.items] == [groups[2], groups[3], groups[1]]
    assert page.next_cursor is not None


def test_list_message_groups_never_repeats_a_duplicate_across_pages(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User
) -> None:
    """A conversation shown on page 1 is not shown again on page 2 by its stale row: the
    cursor names it (one of the newest), no earlier row is read again."""
    groups = start_conversations(store, andrew, 4)
    rows = store.list_message_groups(andrew.uuid).items
    oldest = rows[-1]
    move_row(dynamodb_client, table_name, oldest, "2030-01-01T00:00:00.000000+00:00")
    # Now: moved groups[0], groups[3], groups[2], groups[1], stale groups[0].
    pages = list(collect_pages(lambda c: store.list_message_groups(andrew.uuid, 2, c)))
    listed = [g.group_uuid for p in pages for g in p.items]
    assert listed == [groups[0], groups[3], groups[2], groups[1]]
    assert [len(p.items) for p in pages] == [2, 2]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_list_message_groups_duplicate_straddling_a_page_boundary(
    store: MessageStore, dynamodb_client: Any, table_name: str, andrew: User, limit: int
) -> None:
    """A duplicate whose rows fall on either side of a page boundary is listed exactly once."""
    groups = start_conversations(store, andrew, 3)
    rows = store.list_message_groups(andrew.uuid).items
    newest = rows[0]
    # groups[2]'s new row one microsecond later: old and new rows are adjacent, straddling
    # the boundary after the first page when limit is 1.
    move_row(dynamodb_client, table_name, newest, just_after(newest.last_message_at))
    pages = list(collect_pages(lambda c: store.list_message_groups(andrew.uuid, limit, c)))
    assert [g.group_uuid for p in pages for g in p.items] == groups[::-1]
    assert all(len(p.items) == limit for p in pages[:-1])


# -- input limits against the real server (refusals are unit-tested offline:
# tests/unit/test_store_validation.py and test_store_refusals.py) ------------------------------


def test_the_longest_allowed_message_is_stored_whole(
    store: MessageStore, andrew: User, bayko: User
) -> None:
    """Text of exactly MAX_MESSAGE_LENGTH characters is accepted and read back unchanged."""
    text = "é" * MAX_MESSAGE_LENGTH
    _, message = store.create_message_group(andrew, bayko, text)
    assert store.list_messages(message.group_uuid).items[0].text == text
