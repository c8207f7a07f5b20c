"""The records an on-failure record points at, read again from the stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cruddur_messages import stream_records
from local.cloud import Clients
from local.stream_events import ShardReader, lambda_record
from tools import failure_records


def replay_records(clients: Clients, failure: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records an on-failure record describes, Lambda-shaped, ready to be fixed and
    redelivered: from its S3 payload when it has one, else read again from the stream (the same
    reader as the pump's, with `clients`' identity), from its first sequence number to its
    last."""
    info = failure["DDBStreamBatchInfo"]
    if "payload" in failure:
        return failure_records.parse(failure_records.to_json(failure)).records
    start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    reader = ShardReader(
        clients("dynamodbstreams"),
        info["streamArn"],
        start="AT_SEQUENCE_NUMBER",
        start_sequence=info["startSequenceNumber"],
    )
    found: list[dict[str, Any]] = []
    for page in reader.pages(info["shardId"]):
        for record in page:
            sequence = int(stream_records.parse(record).sequence_number)
            if sequence > end:
                return found
            if sequence >= start:
                found.append(lambda_record(record, info["streamArn"]))
    return found
