"""A DynamoDB stream record, read once: the one place that knows its shape.

The stream processor parses each record of its batch with `parse`, the replay tool and Lambda's
on-failure documents (tools/failure_records.py) read the records they hold with it, and the local
pump reads each record's sequence number and age through it. The shape is the one Lambda delivers
(Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB", with-ddb.html): `eventID`,
`eventName`, and a `dynamodb` section, the DynamoDB Streams API reference's "StreamRecord"
(API_streams_StreamRecord.html), with `Keys`, `NewImage`, `SequenceNumber` and
`ApproximateCreationDateTime` (UNIX epoch seconds; every one of them optional there, so each is
checked). Images stay in DynamoDB JSON until `new_item` is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer

from cruddur_messages import schema

INSERT: Final = "INSERT"

_DESERIALIZER: Final = TypeDeserializer()


class MalformedStreamRecordError(ValueError):
    """Not a stream record: no object, no `dynamodb` section, or no sequence number. `event_id`
    is the record's own id when it had one, for the log line that reports it."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.event_id = event_id


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    event_id: str | None
    event_name: str | None
    # When the change was made, in epoch seconds; None if the record does not say.
    created_at_s: float | None
    # The images in DynamoDB JSON ({"S": ...}); None when the stream view type leaves one out.
    keys: Mapping[str, Any]
    new_image: Mapping[str, Any] | None

    def new_item(self) -> dict[str, Any]:
        """The new image as plain values; ValueError when there is none, or it is not DynamoDB
        JSON (a hand-written record in a replayed document)."""
        if self.new_image is None:
            raise ValueError("record has no NewImage")
        try:
            return {name: _DESERIALIZER.deserialize(v) for name, v in self.new_image.items()}
        except (TypeError, ValueError, KeyError, AttributeError):
            raise ValueError("NewImage is not DynamoDB JSON") from None

    def key(self, name: str) -> str | None:
        """A string key attribute of the item (from `Keys`, else from the new image)."""
        for image in (self.keys, self.new_image or {}):
            value = image.get(name)
            if isinstance(value, Mapping) and isinstance(value.get("S"), str):
                return str(value["S"])
        return None

    @property
    def message_group_uuid(self) -> str | None:
        """The conversation of a message item's record (its MSG# partition key), else None."""
        pk = self.key(schema.PARTITION_KEY)
        if pk is None or not schema.is_message_pk(pk):
            return None
        return pk[len(schema.MESSAGE_PREFIX) :]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _epoch_seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse(record: Any) -> StreamRecord:
    """The record as Lambda delivers it; MalformedStreamRecordError saying what is missing."""
    if not isinstance(record, Mapping):
        raise MalformedStreamRecordError("record is not an object")
    event_id = _text(record.get("eventID"))
    change = record.get("dynamodb")
    if not isinstance(change, Mapping):
        raise MalformedStreamRecordError("record has no dynamodb section", event_id)
    sequence_number = _text(change.get("SequenceNumber"))
    if sequence_number is None:
        raise MalformedStreamRecordError("record has no SequenceNumber", event_id)
    keys = change.get("Keys")
    new_image = change.get("NewImage")
    return StreamRecord(
        sequence_number=sequence_number,
        event_id=event_id,
        event_name=_text(record.get("eventName")),
        created_at_s=_epoch_seconds(change.get("ApproximateCreationDateTime")),
        keys=keys if isinstance(keys, Mapping) else {},
        new_image=new_image if isinstance(new_image, Mapping) else None,
    )
