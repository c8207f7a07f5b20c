"""DynamoDB stream records -> the event Lambda's event source mapping hands to the processor.

Shared by the stream processor's integration tests, its benchmark and the local cloud's stream pump
(local/pump.py imports `lambda_record` and `message_filter` rather than re-spelling them), so
that everything that plays the event source mapping plays it the same way:

- `read_records` walks every shard of a stream with the Streams API (DescribeStream ->
  GetShardIterator TRIM_HORIZON or AFTER_SEQUENCE_NUMBER -> GetRecords until the shard is drained);
- `passes_message_filter` applies the mapping's filter (`schema.message_insert_filter_pattern`,
  the pattern the stack deploys) with moto's matcher of Lambda's pattern language, as the pump
  does: INSERT events of `MSG#` items only;
- `lambda_event` shapes records exactly as Lambda delivers them: `eventSourceARN` added and
  `ApproximateCreationDateTime` as epoch seconds (GetRecords returns it as a datetime);
- `synthetic_record` builds one such record from a plain item, for tests without a stream.

Not runtime code: it is not in the Lambda asset.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, cast

from boto3.dynamodb.types import TypeSerializer
from moto.events.models import EventPattern

from cruddur_messages import schema

INSERT: Final = "INSERT"
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


def _shard_ids(streams_client: Any, arn: str) -> list[str]:
    shards: list[str] = []
    request: dict[str, Any] = {"StreamArn": arn}
    while True:
        description = streams_client.describe_stream(**request)["StreamDescription"]
        shards.extend(shard["ShardId"] for shard in description.get("Shards", []))
        last = description.get("LastEvaluatedShardId")
        if not last:
            return shards
        request["ExclusiveStartShardId"] = last


def read_records(
    streams_client: Any,
    arn: str,
    *,
    after: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every record currently in the stream, shard by shard, each shard in order.

    `after` maps a shard id to the last sequence number already read from it (a pump's
    checkpoint); those shards resume AFTER_SEQUENCE_NUMBER, the others start at TRIM_HORIZON.
    Records come back in the GetRecords shape; each gets a `ShardId` key removed by
    `lambda_record`, so a caller can checkpoint per shard.
    """
    checkpoints = dict(after or {})
    records: list[dict[str, Any]] = []
    for shard_id in _shard_ids(streams_client, arn):
        request: dict[str, Any] = {"StreamArn": arn, "ShardId": shard_id}
        if shard_id in checkpoints:
            request["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            request["SequenceNumber"] = checkpoints[shard_id]
        else:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        iterator = streams_client.get_shard_iterator(**request).get("ShardIterator")
        while iterator:
            page = streams_client.get_records(ShardIterator=iterator, Limit=_PAGE_LIMIT)
            batch = page.get("Records", [])
            records.extend({**record, "ShardId": shard_id} for record in batch)
            if not batch:
                break
            iterator = page.get("NextShardIterator")
    return records


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


def _json_shaped(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` without the `ShardId` read_records adds, its datetime as epoch seconds."""
    shaped = {key: value for key, value in record.items() if key != "ShardId"}
    if isinstance(shaped.get("dynamodb"), Mapping):
        change = dict(shaped["dynamodb"])
        if "ApproximateCreationDateTime" in change:
            change["ApproximateCreationDateTime"] = _epoch_seconds(
                change["ApproximateCreationDateTime"]
            )
        shaped["dynamodb"] = change
    return shaped


def lambda_record(record: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """One record as Lambda delivers it."""
    return {**_json_shaped(record), "eventSourceARN": arn}


def lambda_event(records: Iterable[Mapping[str, Any]], arn: str) -> dict[str, Any]:
    """The event of one invocation: `{"Records": [...]}`."""
    return {"Records": [lambda_record(record, arn) for record in records]}


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
