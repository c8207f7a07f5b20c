"""The processor's pure decisions: which records count, which message wins, which rows move."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cruddur_messages import items, schema, timestamps
from cruddur_messages.models import Message, MessageGroup, User
from local.stream_events import synthetic_record
from stream_processor import handler, logic

ALICE = User(uuid=str(uuid.UUID(int=1)), display_name="Alice", handle="alice")
BOB = User(uuid=str(uuid.UUID(int=2)), display_name="Bob", handle="bob")
CAROL = User(uuid=str(uuid.UUID(int=3)), display_name="Carol", handle="carol")
GROUP = str(uuid.UUID(int=100))
OTHER_GROUP = str(uuid.UUID(int=101))
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: int) -> str:
    return timestamps.format_timestamp(START + timedelta(seconds=seconds))


def message(seconds: int, *, sender: User = ALICE, group: str = GROUP, text: str = "") -> Message:
    return Message(
        message_uuid=str(uuid.uuid5(uuid.NAMESPACE_OID, f"{group}/{seconds}")),
        group_uuid=group,
        created_at=at(seconds),
        text=text or f"message at {seconds}",
        sender=sender,
    )


def stream_record(item: dict[str, Any], sequence_number: str, event: str = "INSERT") -> Any:
    return synthetic_record(item, sequence_number, event_name=event)


def row(owner: User, other: User, seconds: int, *, group: str = GROUP) -> dict[str, Any]:
    return items.group_item(
        MessageGroup(
            group_uuid=group,
            owner_uuid=owner.uuid,
            last_message_at=at(seconds),
            last_message=f"message at {seconds}",
            other_user=other,
        )
    )


def both_rows(seconds: int) -> list[dict[str, Any]]:
    return [row(ALICE, BOB, seconds), row(BOB, ALICE, seconds)]


# -- parse_record -------------------------------------------------------------------------------


def test_a_message_insert_parses_to_its_message() -> None:
    """A well-formed MSG# INSERT yields the typed message and its sequence number."""
    sent = message(5)
    parsed = logic.parse_record(stream_record(items.message_item(sent), "42"))
    assert parsed == logic.MessageRecord("42", sent)


@pytest.mark.parametrize("event", ["MODIFY", "REMOVE"])
def test_a_change_that_is_not_an_insert_is_skipped(event: str) -> None:
    """Only inserts are new messages; anything else is skipped with its sequence number."""
    parsed = logic.parse_record(stream_record(items.message_item(message(5)), "7", event))
    assert isinstance(parsed, logic.SkippedRecord)
    assert parsed.sequence_number == "7"


def test_a_group_row_insert_is_skipped() -> None:
    """The processor's own GRP# writes are never taken for messages."""
    parsed = logic.parse_record(stream_record(row(ALICE, BOB, 5), "8"))
    assert isinstance(parsed, logic.SkippedRecord)
    assert "not a message item" in parsed.reason


def test_a_malformed_message_is_skipped_without_logging_its_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken attribute is named in the reason; the message's text is in neither the reason
    nor the handler's log records (their extras included); the record is skipped, not retried."""
    item = items.message_item(message(5, text="secret words"))
    item["message_uuid"] = "not-a-uuid"
    record = stream_record(item, "9")
    parsed = logic.parse_record(record)
    assert isinstance(parsed, logic.SkippedRecord)
    assert "message_uuid" in parsed.reason and "secret" not in parsed.reason

    monkeypatch.setenv(schema.TABLE_NAME_ENV, "t")
    monkeypatch.setenv(schema.GSI_NAME_ENV, "i")
    monkeypatch.setattr(handler, "client", object)  # a skipped record makes no request
    with caplog.at_level(logging.DEBUG):
        response = handler.handler({"Records": [record]}, None)
    assert response == {"batchItemFailures": []}
    logged = [vars(entry) for entry in caplog.records]
    assert any(entry.get("reason") == parsed.reason for entry in logged)
    assert "secret" not in repr(logged) and "secret" not in caplog.text


def test_a_message_with_blank_text_is_skipped() -> None:
    """Blank text is not a message the store could have written."""
    item = items.message_item(message(5))
    item["message"] = "   "
    assert isinstance(logic.parse_record(stream_record(item, "9")), logic.SkippedRecord)


def test_a_legacy_timestamp_is_skipped_because_it_would_sort_wrong() -> None:
    """Group rows order by string sk: a non-canonical created_at is refused."""
    item = items.message_item(message(5))
    item[schema.SORT_KEY] = "2024-05-01T12:00:05+00:00"
    parsed = logic.parse_record(stream_record(item, "10"))
    assert isinstance(parsed, logic.SkippedRecord)
    assert "canonical" in parsed.reason


def test_a_record_without_sequence_number_is_skipped_by_event_id() -> None:
    """Without a sequence number the record cannot be reported; it is identified by eventID."""
    record = stream_record(items.message_item(message(5)), "11")
    del record["dynamodb"]["SequenceNumber"]
    parsed = logic.parse_record(record)
    assert parsed == logic.SkippedRecord(None, "synthetic-11", "record has no SequenceNumber")


def test_an_image_that_is_not_dynamodb_json_is_skipped() -> None:
    """A NewImage with untyped values is malformed."""
    record = stream_record(items.message_item(message(5)), "12")
    record["dynamodb"]["NewImage"] = {"pk": "MSG#x"}
    parsed = logic.parse_record(record)
    assert isinstance(parsed, logic.SkippedRecord)
    assert parsed.reason == "NewImage is not DynamoDB JSON"


@pytest.mark.parametrize("record", [None, "text", {"eventName": "INSERT"}])
def test_a_record_that_is_not_a_stream_record_is_skipped(record: Any) -> None:
    """Garbage in a batch is classified, never raised."""
    assert isinstance(logic.parse_record(record), logic.SkippedRecord)


# -- newest_per_conversation --------------------------------------------------------------------


def test_the_newest_message_wins_even_when_it_arrives_first() -> None:
    """Writers' clocks can disagree with stream order: created_at decides."""
    records = [
        logic.MessageRecord("1", message(9)),
        logic.MessageRecord("2", message(3)),
    ]
    [update] = logic.newest_per_conversation(records)
    assert update.message == message(9)


def test_an_update_keeps_the_conversations_earliest_sequence_number() -> None:
    """The earliest record is the one to report, so a retry replays all of them."""
    records = [
        logic.MessageRecord("1", message(1, group=OTHER_GROUP)),
        logic.MessageRecord("2", message(2)),
        logic.MessageRecord("3", message(3)),
    ]
    updates = {u.group_uuid: u for u in logic.newest_per_conversation(records)}
    assert updates[GROUP].first_sequence_number == "2"
    assert updates[GROUP].record_count == 2
    assert updates[OTHER_GROUP].first_sequence_number == "1"


# -- plan_rows ----------------------------------------------------------------------------------


def test_a_newer_message_moves_both_rows_keeping_each_others_identity() -> None:
    """Each participant gets a new row at the message's sk and text; the old rows go."""
    plan = logic.plan_rows(message(10, text="hi there"), both_rows(0))
    puts = {group.owner_uuid: group for group in plan.puts}
    assert puts[ALICE.uuid].other_user == BOB
    assert puts[BOB.uuid].other_user == ALICE
    assert {g.last_message_at for g in plan.puts} == {at(10)}
    assert {g.last_message for g in plan.puts} == {"hi there"}
    assert set(plan.deletes) == {
        logic.RowKey(schema.group_pk(ALICE.uuid), at(0)),
        logic.RowKey(schema.group_pk(BOB.uuid), at(0)),
    }


def test_a_duplicate_message_changes_nothing() -> None:
    """Rows already at the message's sk: equal means done."""
    assert logic.plan_rows(message(10), both_rows(10)).is_empty


def test_an_older_message_never_moves_a_row_backwards() -> None:
    """A late or retried older record leaves newer rows alone."""
    assert logic.plan_rows(message(3), both_rows(10)).is_empty


def test_extra_stale_rows_of_a_participant_are_deleted() -> None:
    """A crash between put and delete left two rows; the next message removes the older one."""
    rows = [*both_rows(10), row(ALICE, BOB, 4)]
    plan = logic.plan_rows(message(10), rows)
    assert plan.puts == ()
    assert plan.deletes == (logic.RowKey(schema.group_pk(ALICE.uuid), at(4)),)


def test_a_legacy_row_timestamp_compares_by_instant() -> None:
    """A row whose sk is an older legacy spelling of the same instant counts as equal."""
    legacy = row(ALICE, BOB, 10)
    legacy[schema.SORT_KEY] = "2024-05-01T12:00:10+00:00"
    plan = logic.plan_rows(message(10), [legacy, row(BOB, ALICE, 10)])
    assert plan.is_empty


@pytest.mark.parametrize("rows", [[], [row(BOB, ALICE, 0)], [row(ALICE, BOB, 0)]])
def test_a_participant_missing_from_the_index_asks_for_a_retry(rows: list[Any]) -> None:
    """The GSI is eventually consistent: rows not visible yet mean retry, not skip."""
    with pytest.raises(logic.IndexNotCaughtUpError):
        logic.plan_rows(message(10), rows)


def test_a_sender_outside_the_conversation_is_unprocessable() -> None:
    """A message whose sender is not a participant contradicts the rows."""
    with pytest.raises(logic.UnprocessableConversationError, match="not a participant"):
        logic.plan_rows(message(10, sender=CAROL), both_rows(0))


def test_an_unreadable_group_row_is_unprocessable() -> None:
    """A row missing an identity attribute cannot be rebuilt."""
    broken = row(ALICE, BOB, 0)
    del broken["user_handle"]
    with pytest.raises(logic.UnprocessableConversationError, match="user_handle"):
        logic.plan_rows(message(10), [broken, row(BOB, ALICE, 0)])


def test_the_moved_rows_carry_a_preview_of_a_long_message() -> None:
    """The new rows hold `items.message_preview` of the text (one write unit each), not the
    whole message, which stays on the MSG# item only."""
    long = message(20, text="\u00e9" * 1024)
    plan = logic.plan_rows(long, both_rows(10))
    assert [put.last_message for put in plan.puts] == [items.message_preview(long.text)] * 2
    assert plan.puts[0].last_message != long.text
