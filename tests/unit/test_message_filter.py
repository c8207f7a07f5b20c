"""The event source mapping's filter: one pattern in the schema, matched with the same pattern
language matcher the local stream pump uses (moto's), so the deployed filter, the pump and the
tests cannot disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cruddur_messages import schema
from local.stream_events import passes_message_filter, synthetic_record

GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
USER = "0b6a6a55-1d4e-4d8c-9c35-58bfbf8b3d4c"
SENT_AT = "2024-05-01T12:00:00.000000+00:00"


def _message_item() -> dict[str, Any]:
    return {
        schema.PARTITION_KEY: schema.message_pk(GROUP),
        schema.SORT_KEY: SENT_AT,
        "message": "hello",
        "user_uuid": USER,
    }


def _group_row_item() -> dict[str, Any]:
    return {
        schema.PARTITION_KEY: schema.group_pk(USER),
        schema.SORT_KEY: SENT_AT,
        schema.GSI_PARTITION_KEY: GROUP,
        "message": "hello",
    }


def test_insert_of_a_message_item_passes() -> None:
    """A MSG# INSERT invokes the function."""
    assert passes_message_filter(synthetic_record(_message_item(), "100"))


def test_insert_of_a_group_row_is_filtered_out() -> None:
    """The processor's own GRP# writes never invoke it again."""
    assert not passes_message_filter(synthetic_record(_group_row_item(), "101"))


def test_modify_of_a_message_item_is_filtered_out() -> None:
    """Only inserts count: a MODIFY of a message item is dropped."""
    record = synthetic_record(_message_item(), "102", event_name="MODIFY")
    assert not passes_message_filter(record)


def test_remove_is_filtered_out() -> None:
    """A REMOVE (keys only, no NewImage in a NEW_IMAGE stream) is dropped."""
    record = synthetic_record(_message_item(), "103", event_name="REMOVE")
    del record["dynamodb"]["NewImage"]
    assert not passes_message_filter(record)


def test_records_as_get_records_returns_them_are_matched_too() -> None:
    """A record straight from GetRecords (a datetime, a ShardId from read_records) is matched
    the same way as its Lambda shape."""
    record = synthetic_record(_message_item(), "104")
    raw = {**record, "ShardId": "shard-1"}
    raw["dynamodb"] = {**record["dynamodb"], "ApproximateCreationDateTime": datetime.now(UTC)}
    assert passes_message_filter(raw)


def test_pattern_is_plain_json_built_from_the_schema_names() -> None:
    """The pattern keys on the schema's partition key and message prefix, in Lambda's syntax."""
    pattern = schema.message_insert_filter_pattern()
    assert pattern["eventName"] == ["INSERT"]
    assert pattern["dynamodb"]["NewImage"] == {
        schema.PARTITION_KEY: {"S": [{"prefix": schema.MESSAGE_PREFIX}]}
    }
