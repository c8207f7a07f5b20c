"""A whole batch over an in-memory table: failures, replays, and the ordering property."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cruddur_messages import items, schema, timestamps
from cruddur_messages.models import Message, MessageGroup, User
from local.stream_events import synthetic_record
from stream_processor import batch, logic
from stream_processor.budget import Budget

USERS = [
    User(uuid=str(uuid.UUID(int=n + 1)), display_name=f"User {n}", handle=f"user{n}")
    for n in range(4)
]
# Three conversations; user 0 is in two of them, so their GRP# partition holds two groups.
CONVERSATIONS = {
    str(uuid.UUID(int=100)): (USERS[0], USERS[1]),
    str(uuid.UUID(int=101)): (USERS[0], USERS[2]),
    str(uuid.UUID(int=102)): (USERS[2], USERS[3]),
}
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


# Each conversation's clock ticks on its own microsecond, so rows of a participant's two
# conversations never share a key by accident (the collision has its own test).
MICROSECOND = {group_uuid: n for n, group_uuid in enumerate(CONVERSATIONS)}


def at(seconds: int, group_uuid: str | None = None) -> str:
    micro = MICROSECOND[group_uuid] if group_uuid else 0
    return timestamps.format_timestamp(START + timedelta(seconds=seconds, microseconds=micro))


class Throttled(Exception):
    """Shaped like botocore's ClientError where the processor looks (`response`)."""

    response: Mapping[str, Any] = {"Error": {"Code": "ProvisionedThroughputExceededException"}}


class MemoryTable:
    """The GroupRows port over a dict of GRP# items; the GSI view is always consistent.

    `fail_calls` holds the numbers (1-based, across query/put/delete) of calls that raise, to
    play a throttle that outlasted the SDK's retries at any point of a conversation's writes.
    """

    def __init__(self, fail_calls: frozenset[int] = frozenset()) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls = 0
        self._fail_calls = fail_calls

    def _call(self) -> None:
        self.calls += 1
        if self.calls in self._fail_calls:
            raise Throttled

    def seed(self, group: MessageGroup) -> None:
        item = items.group_item(group)
        self.items[item[schema.PARTITION_KEY], item[schema.SORT_KEY]] = item

    def query(self, group_uuid: str) -> Sequence[Mapping[str, Any]]:
        self._call()
        found = [i for i in self.items.values() if i[schema.GSI_PARTITION_KEY] == group_uuid]
        return sorted(found, key=lambda i: i[schema.SORT_KEY])

    def put(self, group: MessageGroup) -> None:
        self._call()
        item = items.group_item(group)
        key = item[schema.PARTITION_KEY], item[schema.SORT_KEY]
        existing = self.items.get(key)
        if existing and existing[schema.GSI_PARTITION_KEY] != group.group_uuid:
            raise logic.RowKeyTakenError("the key holds another conversation's row")
        self.items[key] = item

    def delete(self, key: logic.RowKey, group_uuid: str) -> None:
        self._call()
        existing = self.items.get((key.pk, key.sk))
        if existing and existing[schema.GSI_PARTITION_KEY] == group_uuid:
            del self.items[key.pk, key.sk]


def seed_conversation(table: MemoryTable, group_uuid: str, seconds: int = 0) -> None:
    """Both rows as the store's create_message_group writes them."""
    first, second = CONVERSATIONS[group_uuid]
    for owner, other in ((first, second), (second, first)):
        table.seed(
            MessageGroup(
                group_uuid=group_uuid,
                owner_uuid=owner.uuid,
                last_message_at=at(seconds, group_uuid),
                last_message=f"text {seconds}",
                other_user=other,
            )
        )


def make_message(group_uuid: str, seconds: int, sender_index: int = 0) -> Message:
    return Message(
        message_uuid=str(uuid.uuid5(uuid.NAMESPACE_OID, f"{group_uuid}/{seconds}")),
        group_uuid=group_uuid,
        created_at=at(seconds, group_uuid),
        text=f"text {seconds}",
        sender=CONVERSATIONS[group_uuid][sender_index],
    )


def records_of(messages: Sequence[Message]) -> list[Any]:
    return [
        synthetic_record(items.message_item(m), str(1000 + n)) for n, m in enumerate(messages, 1)
    ]


def expected_rows(messages: Sequence[Message]) -> dict[tuple[str, str], dict[str, Any]]:
    """Reference model: per conversation, both rows at its newest message."""
    table = MemoryTable()
    newest: dict[str, Message] = {}
    for m in messages:
        if m.group_uuid not in newest or m.created_at > newest[m.group_uuid].created_at:
            newest[m.group_uuid] = m
    for group_uuid, m in newest.items():
        first, second = CONVERSATIONS[group_uuid]
        for owner, other in ((first, second), (second, first)):
            table.seed(
                MessageGroup(
                    group_uuid=group_uuid,
                    owner_uuid=owner.uuid,
                    last_message_at=m.created_at,
                    last_message=m.text,
                    other_user=other,
                )
            )
    return table.items


GROUP_A, GROUP_B, GROUP_C = CONVERSATIONS


def test_every_conversation_of_a_batch_ends_at_its_newest_message() -> None:
    """All records count, not only the first: each conversation's rows reach its newest message."""
    table = MemoryTable()
    for group_uuid in (GROUP_A, GROUP_B):
        seed_conversation(table, group_uuid)
    messages = [make_message(GROUP_A, 1), make_message(GROUP_B, 2), make_message(GROUP_A, 3, 1)]
    result = batch.process_batch(records_of(messages), table)
    assert table.items == expected_rows(messages)
    assert (result.groups_updated, result.rows_put, result.rows_deleted) == (2, 4, 4)
    assert result.response() == {"batchItemFailures": []}


def test_processing_a_batch_twice_leaves_the_table_as_once() -> None:
    """A retried batch is a no-op the second time."""
    table = MemoryTable()
    seed_conversation(table, GROUP_A)
    records = records_of([make_message(GROUP_A, 1), make_message(GROUP_A, 2)])
    batch.process_batch(records, table)
    once = dict(table.items)
    again = batch.process_batch(records, table)
    assert table.items == once
    assert (again.groups_updated, again.groups_unchanged) == (0, 1)


def test_a_failed_conversation_reports_its_earliest_record_and_others_still_update() -> None:
    """The failure is reported by the conversation's first sequence number; others go on."""
    table = MemoryTable(fail_calls=frozenset({1}))  # the first query: conversation A
    seed_conversation(table, GROUP_A)
    seed_conversation(table, GROUP_B)
    messages = [make_message(GROUP_A, 1), make_message(GROUP_B, 2), make_message(GROUP_A, 3)]
    records = records_of(messages)
    result = batch.process_batch(records, table)
    first_a = records[0]["dynamodb"]["SequenceNumber"]
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": first_a}]}
    assert result.failures[0].error == "ProvisionedThroughputExceededException"
    b_row = table.items[schema.group_pk(USERS[0].uuid), at(2, GROUP_B)]
    assert b_row[schema.GSI_PARTITION_KEY] == GROUP_B


def test_a_crash_between_put_and_delete_heals_on_the_retry() -> None:
    """After a failed delete the participant briefly has two rows; the replay removes the old."""
    table = MemoryTable(fail_calls=frozenset({4}))  # query, put, put, then the first delete
    seed_conversation(table, GROUP_A)
    records = records_of([make_message(GROUP_A, 5)])
    first = batch.process_batch(records, table)
    assert len(first.failures) == 1
    assert len(table.items) == 4  # new rows visible before any old row is gone
    batch.process_batch(records, table)
    assert table.items == expected_rows([make_message(GROUP_A, 5)])


def test_a_key_taken_by_another_conversation_moves_to_the_next_microsecond() -> None:
    """Two conversations of one user with last messages in the same microsecond both keep a
    row: the later put takes the next free microsecond instead of overwriting."""
    table = MemoryTable()
    seed_conversation(table, GROUP_A)
    seed_conversation(table, GROUP_B)
    same_time = at(7)
    messages = [
        dataclasses.replace(make_message(group_uuid, 7), created_at=same_time)
        for group_uuid in (GROUP_A, GROUP_B)
    ]
    result = batch.process_batch(records_of(messages), table)
    assert result.failures == []
    user_rows = {
        sk: item[schema.GSI_PARTITION_KEY]
        for (pk, sk), item in table.items.items()
        if pk == schema.group_pk(USERS[0].uuid)
    }
    nudged = timestamps.format_timestamp(
        timestamps.parse_timestamp(same_time) + timedelta(microseconds=1)
    )
    assert user_rows == {same_time: GROUP_A, nudged: GROUP_B}


def test_skipped_records_are_counted_and_not_reported() -> None:
    """A malformed record is skipped; the partial batch response does not name it."""
    table = MemoryTable()
    seed_conversation(table, GROUP_A)
    malformed = synthetic_record({"pk": "MSG#nothing"}, "5")
    result = batch.process_batch([malformed, *records_of([make_message(GROUP_A, 1)])], table)
    assert [s.sequence_number for s in result.skipped_records] == ["5"]
    assert result.response() == {"batchItemFailures": []}
    assert result.groups_updated == 1


# -- the ordering property ------------------------------------------------------------------

MAX_INVOCATIONS = 1000


def deliver(
    records: Sequence[Any],
    table: MemoryTable,
    batch_size: int,
    timeouts: frozenset[int],
) -> None:
    """Play Lambda's event source mapping on one shard: batches in order; after a partial
    failure, resume from the lowest reported sequence number; an invocation in `timeouts` does
    its work but its response is lost, so the same batch comes again."""
    position = 0
    for invocation in range(MAX_INVOCATIONS):
        if position >= len(records):
            return
        delivery = records[position : position + batch_size]
        response = batch.process_batch(delivery, table).response()
        if invocation in timeouts:
            continue
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        sequence = [r["dynamodb"]["SequenceNumber"] for r in delivery]
        position += min((sequence.index(s) for s in failed), default=len(delivery))
    raise AssertionError("the batch never completed")


@st.composite
def streams(draw: st.DrawFn) -> list[Message]:
    """Per conversation, messages in stream order with distinct created_at (writers' clocks may
    disagree with stream order), interleaved across conversations in any way."""
    queues: dict[str, list[Message]] = {}
    for group_uuid in draw(st.lists(st.sampled_from(list(CONVERSATIONS)), unique=True)):
        offsets = draw(st.lists(st.integers(1, 40), unique=True, min_size=1, max_size=8))
        senders = draw(st.lists(st.integers(0, 1), min_size=len(offsets), max_size=len(offsets)))
        # The store's first message (offset 0) is the first record of every conversation.
        queues[group_uuid] = [make_message(group_uuid, 0)] + [
            make_message(group_uuid, o, s) for o, s in zip(offsets, senders, strict=True)
        ]
    order = draw(st.permutations([g for g, queue in queues.items() for _ in queue]))
    return [queues[group_uuid].pop(0) for group_uuid in order]


@settings(max_examples=150, deadline=None)
@given(
    messages=streams(),
    batch_size=st.integers(1, 12),
    faults=st.frozensets(st.integers(1, 80), max_size=6),
    timeouts=st.frozensets(st.integers(0, 15), max_size=3),
)
def test_any_delivery_ends_as_processing_the_distinct_records_in_order(
    messages: list[Message], batch_size: int, faults: frozenset[int], timeouts: frozenset[int]
) -> None:
    """Batches of any size, replayed batches, retries from a failed record and failures at any
    write: the rows end as processing each distinct record once, in order, and both
    participants of every conversation have exactly one row, at its newest message."""
    records = records_of(messages)

    delivered = MemoryTable(fail_calls=faults)
    in_order = MemoryTable()
    for table in (delivered, in_order):
        for group_uuid in {m.group_uuid for m in messages}:
            seed_conversation(table, group_uuid)

    deliver(records, delivered, batch_size, timeouts)
    for record in records:
        assert batch.process_batch([record], in_order).response()["batchItemFailures"] == []

    assert delivered.items == in_order.items
    assert delivered.items == expected_rows(messages)


class LaggingIndex(MemoryTable):
    """A GSI that shows only the first row of each conversation for the first `lag` queries of it,
    as right after create_message_group: the second row is not in the index yet."""

    def __init__(self, lag: int) -> None:
        super().__init__()
        self.lag = lag
        self.queries: dict[str, int] = {}

    def query(self, group_uuid: str) -> Sequence[Mapping[str, Any]]:
        rows = super().query(group_uuid)
        self.queries[group_uuid] = self.queries.get(group_uuid, 0) + 1
        return rows[:1] if self.queries[group_uuid] <= self.lag else rows


class Clock:
    """A budget's clock: time passes only when the processor sleeps or a call is made."""

    def __init__(self, remaining_s: float) -> None:
        self.remaining = remaining_s
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.remaining -= seconds

    def budget(self) -> Budget:
        return Budget(remaining_s=lambda: self.remaining, sleep=self.sleep)


def test_rows_not_yet_in_the_index_get_one_wait_for_all_then_are_updated() -> None:
    """Lagging conversations are not waited on one by one: one wait, then one more query each."""
    table = LaggingIndex(lag=1)
    for group_uuid in (GROUP_A, GROUP_B, GROUP_C):
        seed_conversation(table, group_uuid)
    messages = [make_message(g, 1) for g in (GROUP_A, GROUP_B, GROUP_C)]
    clock = Clock(remaining_s=30)
    result = batch.process_batch(records_of(messages), table, budget=clock.budget())
    assert result.failures == []
    assert clock.sleeps == [batch.INDEX_WAIT_S]
    assert table.items == expected_rows(messages)
    assert set(table.queries.values()) == {2}


def test_an_index_that_never_catches_up_is_reported_after_the_one_wait() -> None:
    """When the rows never appear, the one wait is spent and each record is reported for retry."""
    table = LaggingIndex(lag=99)
    seed_conversation(table, GROUP_A)
    clock = Clock(remaining_s=30)
    records = records_of([make_message(GROUP_A, 1)])
    result = batch.process_batch(records, table, budget=clock.budget())
    assert clock.sleeps == [batch.INDEX_WAIT_S]
    first = records[0]["dynamodb"]["SequenceNumber"]
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": first}]}
    assert result.failures[0].error == batch.INDEX_LAG


def test_the_index_wait_never_eats_into_the_margin() -> None:
    """With little time left the wait shrinks so that one call still fits after it; with less,
    there is no wait and the lagging conversation is reported at once."""
    seed = LaggingIndex(lag=99)
    seed_conversation(seed, GROUP_A)
    records = records_of([make_message(GROUP_A, 1)])
    short = Clock(remaining_s=Budget(lambda: 0, print).margin_s + 0.5)
    batch.process_batch(records, seed, budget=short.budget())
    assert len(short.sleeps) == 1 and 0 < short.sleeps[0] < batch.INDEX_WAIT_S
    none = Clock(remaining_s=Budget(lambda: 0, print).margin_s + 0.05)
    result = batch.process_batch(records, seed, budget=none.budget())
    assert none.sleeps == []
    assert [f.error for f in result.failures] == [batch.INDEX_LAG]


def test_no_call_starts_inside_the_margin_and_the_rest_is_reported() -> None:
    """When the budget runs down mid-batch, calls stop; every conversation not finished is
    reported by its earliest record, and nothing after the checkpoint is lost."""
    table = MemoryTable()
    for group_uuid in (GROUP_A, GROUP_B, GROUP_C):
        seed_conversation(table, group_uuid)
    clock = Clock(remaining_s=0)
    margin = Budget(lambda: 0, print).margin_s
    calls_allowed = 7  # conversation A's five calls, then two of B's

    def remaining() -> float:
        return margin + 1 if table.calls < calls_allowed else margin

    budget = Budget(remaining_s=remaining, sleep=clock.sleep)
    messages = [make_message(g, 1) for g in (GROUP_A, GROUP_B, GROUP_C)]
    records = records_of(messages)
    result = batch.process_batch(records, table, budget=budget)
    assert table.calls == calls_allowed
    assert [f.error for f in result.failures] == [batch.OUT_OF_TIME] * 2
    reported = [f["itemIdentifier"] for f in result.response()["batchItemFailures"]]
    assert reported == [r["dynamodb"]["SequenceNumber"] for r in records[1:]]
    assert result.groups_updated == 1


def test_a_thread_pool_gives_the_same_rows_as_one_thread() -> None:
    """Conversations run on several threads, each whole on one: every participant ends with one
    row at the newest message, as in a sequential run, even when a user's two conversations
    land on the same microsecond (one of them then takes the next one, whichever thread won)."""
    messages = [make_message(g, s, s % 2) for s in range(1, 6) for g in CONVERSATIONS]
    same_time = at(9)
    messages += [
        dataclasses.replace(make_message(g, 9), created_at=same_time) for g in (GROUP_A, GROUP_B)
    ]
    nudged = timestamps.format_timestamp(
        timestamps.parse_timestamp(same_time) + timedelta(microseconds=1)
    )
    for workers in (1, 3):
        table = MemoryTable()
        for group_uuid in CONVERSATIONS:
            seed_conversation(table, group_uuid)
        result = batch.process_batch(records_of(messages), table, workers=workers)
        assert result.failures == []
        owners = sorted(
            (pk, item[schema.GSI_PARTITION_KEY]) for (pk, _), item in table.items.items()
        )
        assert owners == sorted(
            (schema.group_pk(user.uuid), group)
            for group, pair in CONVERSATIONS.items()
            for user in pair
        )
        assert {i["message"] for i in table.items.values()} == {"text 9", "text 5"}
        user0 = sorted(sk for pk, sk in table.items if pk == schema.group_pk(USERS[0].uuid))
        assert user0 == [same_time, nudged]
