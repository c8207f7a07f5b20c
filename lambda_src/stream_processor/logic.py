"""Every decision of the stream processor, as plain functions: no AWS client, no I/O of its own.

A batch goes through three steps:

1. `parse_record`: a stream record (read by `cruddur_messages.stream_records`) becomes a
   `MessageRecord`, or a `SkippedRecord` with the reason (not an INSERT, not a MSG# item, a
   missing attribute...). Skipped records are never retried.
2. `newest_per_conversation`: only the newest message of each conversation matters; the update
   keeps the conversation's earliest sequence number in the batch, the one to report on failure.
3. `plan_rows`: from the conversation's GRP# rows (one GSI query), which rows to put and which to
   delete. A row never moves backwards (an equal or newer `sk` wins), and every older row of the
   same participant is deleted, so a crash between a put and a delete heals on the next message.

`batch.process_batch` runs the three steps over an injected `GroupRows` port (group_rows.py on
DynamoDB, an in-memory table in the unit tests), concurrently and inside the invocation's time.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cruddur_messages import items, schema, stream_records, timestamps
from cruddur_messages.models import Message, MessageGroup, validate_text


@dataclass(frozen=True)
class MessageRecord:
    """A well-formed MSG# INSERT of the batch."""

    sequence_number: str
    message: Message


@dataclass(frozen=True)
class SkippedRecord:
    """A record that is not a well-formed MSG# INSERT: logged and skipped, never retried."""

    sequence_number: str | None
    event_id: str | None
    reason: str


@dataclass(frozen=True)
class ConversationUpdate:
    """The newest message of one conversation in the batch."""

    message: Message
    first_sequence_number: str
    record_count: int

    @property
    def group_uuid(self) -> str:
        return self.message.group_uuid


@dataclass(frozen=True)
class RowKey:
    """A GRP# row's primary key (its owner's partition and its time): what a delete needs."""

    pk: str
    sk: str


@dataclass(frozen=True)
class RowPlan:
    """The writes that bring one conversation's rows to its newest message: puts before deletes."""

    puts: tuple[MessageGroup, ...] = ()
    deletes: tuple[RowKey, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.puts and not self.deletes


class IndexNotCaughtUpError(Exception):
    """A participant's row is not in the GSI yet (it is eventually consistent): retry the record."""


class RowKeyTakenError(Exception):
    """The new row's key holds another conversation's row (same owner, same microsecond)."""


class UnprocessableConversationError(ValueError):
    """The conversation's rows contradict the message; a retry cannot fix data, so it is skipped."""


class GroupRows(Protocol):
    """The data access the processor needs: exactly what its IAM policy grants. Called from
    several threads at once, one conversation per thread."""

    def query(self, group_uuid: str) -> Sequence[Mapping[str, Any]]:
        """Every GRP# row of the conversation, from the GSI, as plain items."""
        ...

    def put(self, group: MessageGroup) -> None:
        """Write the row; RowKeyTakenError if the key holds another conversation's row."""
        ...

    def delete(self, key: RowKey, group_uuid: str) -> None:
        """Delete the row if it still belongs to the conversation; gone already is fine."""
        ...


def parse_record(record: Any) -> MessageRecord | SkippedRecord:
    """A stream record as the event source mapping delivers it, classified."""
    try:
        parsed = stream_records.parse(record)
    except stream_records.MalformedStreamRecordError as error:
        return SkippedRecord(None, error.event_id, str(error))
    try:
        message = _message_of(parsed)
    except ValueError as error:
        return SkippedRecord(parsed.sequence_number, parsed.event_id, str(error))
    return MessageRecord(parsed.sequence_number, message)


def _message_of(record: stream_records.StreamRecord) -> Message:
    """The message a record inserts; ValueError (text-free) saying why it is not one."""
    if record.event_name != stream_records.INSERT:
        raise ValueError(f"event is {record.event_name!r}, not {stream_records.INSERT}")
    item = record.new_item()
    pk = item.get(schema.PARTITION_KEY)
    if not isinstance(pk, str) or not schema.is_message_pk(pk):
        raise ValueError("not a message item (no MSG# partition key)")
    message = items.message_from_item(item)
    validate_text(message.text)
    schema.validate_uuid(message.message_uuid, field="message_uuid")
    if not timestamps.is_canonical(message.created_at):
        # Group rows are ordered by string comparison of sk: only the canonical form sorts right.
        raise ValueError("created_at is not a canonical timestamp")
    return message


def newest_per_conversation(records: Iterable[MessageRecord]) -> list[ConversationUpdate]:
    """One update per conversation, in order of first appearance in the batch.

    The newest message is the one with the greatest `created_at` (stream order can differ when
    writers' clocks do); the first sequence number is the earliest of the conversation's records.
    """
    updates: dict[str, ConversationUpdate] = {}
    for record in records:
        message = record.message
        current = updates.get(message.group_uuid)
        if current is None:
            updates[message.group_uuid] = ConversationUpdate(message, record.sequence_number, 1)
            continue
        newest = max(current.message, message, key=lambda m: (m.created_at, m.message_uuid))
        updates[message.group_uuid] = dataclasses.replace(
            current, message=newest, record_count=current.record_count + 1
        )
    return list(updates.values())


def _instant(sk: str) -> str:
    """A comparable form of a row's sk; legacy (non-canonical) values compare by their instant,
    and unreadable ones sort first so that they are replaced."""
    try:
        return timestamps.normalize_timestamp(sk)
    except ValueError:
        return ""


def plan_rows(message: Message, row_items: Sequence[Mapping[str, Any]]) -> RowPlan:
    """The puts and deletes that bring the conversation's rows to `message`.

    Per participant: if its newest row is at or after the message, nothing moves (a duplicate or
    an older record); otherwise a new row takes the newest row's identity with the message's sk
    and a preview of its text (`items.message_preview`). Every other row of that participant is
    deleted.
    """
    rows: list[MessageGroup] = []
    for item in row_items:
        try:
            row = items.group_from_item(item)
        except ValueError as error:
            raise UnprocessableConversationError(f"unreadable group row: {error}") from None
        if row.group_uuid != message.group_uuid:
            raise UnprocessableConversationError("the index returned a row of another conversation")
        rows.append(row)

    by_owner: dict[str, list[MessageGroup]] = defaultdict(list)
    participants = {row.other_user.uuid for row in rows}
    for row in rows:
        by_owner[row.owner_uuid].append(row)
    participants.update(by_owner)
    if rows and message.sender.uuid not in participants:
        raise UnprocessableConversationError("the sender is not a participant of the conversation")
    participants.add(message.sender.uuid)
    missing = participants - by_owner.keys()
    if missing:
        raise IndexNotCaughtUpError(
            f"{len(missing)} participant row(s) of the conversation are not in the index yet"
        )

    target = message.created_at
    puts: list[MessageGroup] = []
    deletes: list[RowKey] = []
    for owner in sorted(by_owner):
        ordered = sorted(by_owner[owner], key=lambda row: _instant(row.last_message_at))
        newest = ordered[-1]
        if _instant(newest.last_message_at) >= target:
            stale = ordered[:-1]
        else:
            puts.append(
                dataclasses.replace(
                    newest,
                    last_message_at=target,
                    last_message=items.message_preview(message.text),
                )
            )
            stale = ordered
        deletes.extend(RowKey(schema.group_pk(owner), row.last_message_at) for row in stale)
    return RowPlan(tuple(puts), tuple(deletes))
