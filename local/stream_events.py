"""DynamoDB stream records -> the event Lambda's event source mapping hands to the processor.

Shared by the stream processor's integration tests, its benchmark, replay and the local cloud's
stream pump (local/pump/ imports `ShardReader`, `lambda_record` and `message_filter` rather than
re-spelling them), so that everything that plays the event source mapping plays it the same way:

- `ShardReader` is the one reader of a stream: shards in order (a parent before its children, as
  Lambda reads them), each from a position (TRIM_HORIZON, LATEST or AFTER a sequence number) in
  pages of GetRecords until the shard is drained; `read_records` reads a whole stream with it;
- `passes_message_filter` applies the mapping's filter (`schema.message_insert_filter_pattern`,
  the pattern the stack deploys) with moto's matcher of Lambda's pattern language, as the pump
  does: INSERT events of `MSG#` items only;
- `lambda_record` shapes a record exactly as Lambda delivers it: `eventSourceARN` added,
  `ApproximateCreationDateTime` as epoch seconds (GetRecords returns it as a datetime) and binary
  attributes (`B`, `BS`) base64-encoded, as in Lambda's JSON event;
- `synthetic_record` builds one such record from a plain item, for tests without a stream.

Not runtime code: it is not in the Lambda asset.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, cast

from boto3.dynamodb.types import TypeSerializer
from moto.events.models import EventPattern

from cruddur_messages import schema, stream_records

INSERT: Final = stream_records.INSERT
# The shape of a real ARN, for records that never came from a stream; no real account.
SYNTHETIC_STREAM_ARN: Final = (
    "arn:aws:dynamodb:us-east-1:000000000000:table/cruddur-messages/stream/2024-01-01T00:00:00.000"
)
# GetRecords returns at most 1000 records a call; an empty page on an open shard means "drained".
_PAGE_LIMIT: Final = 1000


def stream_arn(dynamodb_client: Any, table_name: str) -> str:
    """The table's latest stream ARN; ValueError if the table has no stream."""
    table = dynamodb_client.describe_table(TableName=table_name)["Table"]
    arn = table.get("LatestStreamArn")
    if not arn:
        raise ValueError(f"table {table_name!r} has no stream")
    return str(arn)


class ShardReader:
    """Reads a stream shard by shard, parents first, each from its own position.

    `position(shard_id)` gives the last sequence number already done in a shard (None: start at
    `start`: TRIM_HORIZON, LATEST, or AT_SEQUENCE_NUMBER `start_sequence`). Iterators are kept
    between calls, so a reader polled again sees only what arrived since."""

    def __init__(
        self,
        streams_client: Any,
        arn: str,
        *,
        position: Any = None,
        start: str = "TRIM_HORIZON",
        start_sequence: str | None = None,
    ) -> None:
        self.client = streams_client
        self.arn = arn
        self._position = position or (lambda _shard: None)
        self._start = start
        self._start_sequence = start_sequence  # for AT_SEQUENCE_NUMBER
        self._iterators: dict[str, str | None] = {}  # None: a closed shard read to its end

    def shards(self) -> list[str]:
        """Every shard id, a parent before its children (a child's records are newer)."""
        shards: list[dict[str, Any]] = []
        request: dict[str, Any] = {"StreamArn": self.arn}
        while True:
            description = self.client.describe_stream(**request)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            request["ExclusiveStartShardId"] = last
        known = {shard["ShardId"] for shard in shards}
        ordered: list[str] = []
        remaining = list(shards)
        while remaining:
            ready = [
                s
                for s in remaining
                if s.get("ParentShardId") not in known or s["ParentShardId"] in ordered
            ]
            ordered.extend(s["ShardId"] for s in ready)
            remaining = [s for s in remaining if s not in ready]
        return ordered

    def _iterator(self, shard_id: str) -> str | None:
        if shard_id in self._iterators:
            return self._iterators[shard_id]
        request: dict[str, Any] = {"StreamArn": self.arn, "ShardId": shard_id}
        done = self._position(shard_id)
        if done is not None:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=done)
        else:
            request["ShardIteratorType"] = self._start
            if self._start_sequence is not None:
                request["SequenceNumber"] = self._start_sequence
        iterator = self.client.get_shard_iterator(**request).get("ShardIterator")
        return None if iterator is None else str(iterator)

    def pages(self, shard_id: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of records (the GetRecords shape) from the shard's position until it is drained."""
        while (iterator := self._iterator(shard_id)) is not None:
            page = self.client.get_records(ShardIterator=iterator, Limit=_PAGE_LIMIT)
            records = page.get("Records", [])
            self._iterators[shard_id] = page.get("NextShardIterator")
            if records:
                yield records
            if not records or not page.get("NextShardIterator"):
                return


def read_records(
    streams_client: Any,
    arn: str,
    *,
    after: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every record currently in the stream, shard by shard (parents first), each shard in order.

    `after` maps a shard id to the last sequence number already read from it (a pump's
    checkpoint); those shards resume AFTER_SEQUENCE_NUMBER, the others start at TRIM_HORIZON.
    Records come back in the GetRecords shape; each gets a `ShardId` key removed by
    `lambda_record`, so a caller can checkpoint per shard.
    """
    reader = ShardReader(streams_client, arn, position=dict(after or {}).get)
    return [
        {**record, "ShardId": shard_id}
        for shard_id in reader.shards()
        for page in reader.pages(shard_id)
        for record in page
    ]


@functools.cache
def message_filter() -> EventPattern:
    """The schema's filter pattern, loaded into moto's matcher of Lambda's pattern language."""
    return EventPattern.load(json.dumps(schema.message_insert_filter_pattern()))


def passes_message_filter(record: Mapping[str, Any]) -> bool:
    """Whether the deployed mapping's filter lets `record` through (an INSERT of a MSG# item);
    `record` as Lambda delivers it or as GetRecords returns it."""
    return bool(message_filter().matches_event(cast(Any, _json_shaped(record))))


def _epoch_seconds(value: Any) -> Any:
    return int(value.timestamp()) if isinstance(value, datetime) else value


def _base64_binaries(value: Any) -> Any:
    """An attribute value (or image) with bytes as base64 text, as Lambda's JSON event has them."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {key: _base64_binaries(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_base64_binaries(item) for item in value]
    return value


def _json_shaped(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` without the `ShardId` read_records adds, its datetime as epoch seconds and its
    binary attributes as base64 text."""
    shaped = {key: value for key, value in record.items() if key != "ShardId"}
    if isinstance(shaped.get("dynamodb"), Mapping):
        change = {key: _base64_binaries(value) for key, value in shaped["dynamodb"].items()}
        if "ApproximateCreationDateTime" in change:
            change["ApproximateCreationDateTime"] = _epoch_seconds(
                change["ApproximateCreationDateTime"]
            )
        shaped["dynamodb"] = change
    return shaped


def lambda_record(record: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """One record as Lambda delivers it."""
    return {**_json_shaped(record), "eventSourceARN": arn}


def batches(records: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive batches of at most `size` records (the mapping's BatchSize)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    for start in range(0, len(records), size):
        yield records[start : start + size]


def synthetic_record(
    item: Mapping[str, Any],
    sequence_number: str,
    *,
    event_name: str = INSERT,
    approximate_creation: int = 1_714_564_800,
) -> dict[str, Any]:
    """A Lambda-shaped NEW_IMAGE record of `item` (plain values), as if read from a stream."""
    serializer = TypeSerializer()
    image = {name: serializer.serialize(value) for name, value in item.items()}
    keys = {name: image[name] for name in (schema.PARTITION_KEY, schema.SORT_KEY) if name in image}
    return {
        "eventID": f"synthetic-{sequence_number}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": approximate_creation,
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": sequence_number,
            "SizeBytes": sum(len(name) + len(str(value)) for name, value in item.items()),
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": SYNTHETIC_STREAM_ARN,
    }
