"""The one reading of a stream record: what the processor, the replay tool and the pump see."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from cruddur_messages import items, schema, stream_records
from cruddur_messages.models import Message, MessageGroup, User
from local.stream_events import SYNTHETIC_STREAM_ARN, synthetic_record
from tools import failure_records

ALICE = User(uuid=str(uuid.UUID(int=1)), display_name="Alice", handle="alice")
BOB = User(uuid=str(uuid.UUID(int=2)), display_name="Bob", handle="bob")
GROUP = str(uuid.UUID(int=100))
SENT = Message(
    message_uuid=str(uuid.UUID(int=200)),
    group_uuid=GROUP,
    created_at="2024-05-01T12:00:05.000000+00:00",
    text="hello",
    sender=ALICE,
)


def test_a_lambda_shaped_record_reads_whole() -> None:
    """Sequence number, event, arrival time, keys and the new image as plain values."""
    raw = synthetic_record(items.message_item(SENT), "42", approximate_creation=1_714_564_805)
    record = stream_records.parse(raw)
    assert record.sequence_number == "42"
    assert record.event_id == "synthetic-42"
    assert record.event_name == stream_records.INSERT
    assert record.created_at_s == 1_714_564_805.0
    assert record.key(schema.SORT_KEY) == SENT.created_at
    assert record.message_group_uuid == GROUP
    assert items.message_from_item(record.new_item()) == SENT


def test_a_group_row_record_belongs_to_no_conversation() -> None:
    """Only MSG# items name a conversation by their key; GRP# rows and guards do not."""
    row = MessageGroup(
        group_uuid=GROUP,
        owner_uuid=ALICE.uuid,
        last_message_at=SENT.created_at,
        last_message="hello",
        other_user=BOB,
    )
    record = stream_records.parse(synthetic_record(items.group_item(row), "7"))
    assert record.message_group_uuid is None
    assert record.key(schema.PARTITION_KEY) == schema.group_pk(ALICE.uuid)


def test_a_key_is_found_in_the_new_image_when_keys_are_missing() -> None:
    """A hand-edited record without Keys still names its item."""
    raw = synthetic_record(items.message_item(SENT), "8")
    del raw["dynamodb"]["Keys"]
    assert stream_records.parse(raw).message_group_uuid == GROUP


@pytest.mark.parametrize(
    ("raw", "reason", "event_id"),
    [
        (None, "record is not an object", None),
        ([], "record is not an object", None),
        ({"eventID": "e1"}, "record has no dynamodb section", "e1"),
        ({"eventID": "e2", "dynamodb": {}}, "record has no SequenceNumber", "e2"),
        ({"dynamodb": {"SequenceNumber": ""}}, "record has no SequenceNumber", None),
    ],
)
def test_what_is_not_a_stream_record_is_refused_with_the_reason(
    raw: Any, reason: str, event_id: str | None
) -> None:
    with pytest.raises(stream_records.MalformedStreamRecordError) as caught:
        stream_records.parse(raw)
    assert str(caught.value) == reason
    assert caught.value.event_id == event_id


def test_an_image_that_is_missing_or_untyped_is_refused_only_when_read() -> None:
    """The record parses (its sequence number can be reported); its item cannot be read."""
    record = stream_records.parse({"dynamodb": {"SequenceNumber": "9"}})
    with pytest.raises(ValueError, match="record has no NewImage"):
        record.new_item()
    untyped = stream_records.parse(
        {"dynamodb": {"SequenceNumber": "9", "NewImage": {"pk": "MSG#x"}}}
    )
    with pytest.raises(ValueError, match="not DynamoDB JSON"):
        untyped.new_item()
    assert untyped.key(schema.PARTITION_KEY) is None


@pytest.mark.parametrize("value", [True, "1714564800", None])
def test_an_arrival_time_that_is_not_a_number_is_unknown(value: Any) -> None:
    raw = {"dynamodb": {"SequenceNumber": "1", "ApproximateCreationDateTime": value}}
    assert stream_records.parse(raw).created_at_s is None


def test_a_failure_document_reads_its_records_with_the_same_parser() -> None:
    """Lambda's on-failure document: conversations and the per-record rows come from the parsed
    records, and a record edited into garbage is kept as unreadable, not raised."""
    good = synthetic_record(items.message_item(SENT), "10")
    document = failure_records.build(
        [good, synthetic_record(items.message_item(SENT), "11")],
        shard_id="shardId-1",
        stream_arn=SYNTHETIC_STREAM_ARN,
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:processor",
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        function_error=None,
        at=datetime(2024, 5, 1, 12, 1, tzinfo=UTC),
    )
    assert document[failure_records.BATCH_INFO]["startSequenceNumber"] == "10"
    assert document[failure_records.BATCH_INFO]["endSequenceNumber"] == "11"
    payload = json.loads(document["payload"])
    payload["Records"].append({"eventID": "broken"})
    document["payload"] = json.dumps(payload)
    parsed = failure_records.parse(failure_records.to_json(document))
    assert parsed.conversations() == [GROUP]
    readings = parsed.parsed_records()
    assert [r.sequence_number if r else None for r in readings] == ["10", "11", None]
