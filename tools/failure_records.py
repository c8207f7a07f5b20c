"""Lambda's failure record for a DynamoDB stream mapping with an S3 on-failure destination: the
object key layout and the JSON document, parsed and built in this one module (the replay tool
reads them; the local cloud's pump, local/pump/failures.py, writes them with `build`). No import
of moto or local/ here: the replay tool runs against AWS with --prod.

AWS Lambda developer guide, "Retain discarded records for a DynamoDB event source in Lambda"
(services-dynamodb-errors.html): for an S3 destination Lambda writes the whole invocation record,
the metadata of the SQS/SNS record (requestContext, responseContext, version, timestamp,
DDBStreamBatchInfo) plus `payload`, the batch's event, under the key
`aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>` (time of the
failure, UTC). `payload` is the invocation event ({"Records": [...]}) encoded in a JSON string, as
Lambda writes it; it is read as that string or as the object itself.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from cruddur_messages import stream_records

KEY_PREFIX: Final = "aws/lambda/"
REPLAYED_PREFIX: Final = "replayed/"
_KEY = re.compile(
    r"^aws/lambda/(?P<mapping>[0-9a-fA-F-]{36})/(?P<shard>[^/]+)/\d{4}/\d{2}/\d{2}/"
    r"(?P<at>\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2})-(?P<unique>[^/]+)$"
)
BATCH_INFO: Final = "DDBStreamBatchInfo"


class MalformedFailureRecordError(ValueError):
    """The object is not a DynamoDB stream failure record; the message says why, in one line."""


@dataclass(frozen=True)
class FailureRecord:
    timestamp: str
    condition: str
    function_error: str | None
    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    batch_size: int
    stream_arn: str
    records: list[dict[str, Any]]

    @property
    def error(self) -> str:
        return (
            f"{self.condition} ({self.function_error})" if self.function_error else self.condition
        )

    def conversations(self) -> list[str]:
        """The conversations the records belong to, in order of first appearance."""
        found: dict[str, None] = {}
        for record in self.parsed_records():
            if record is not None and record.message_group_uuid is not None:
                found[record.message_group_uuid] = None
        return list(found)

    def parsed_records(self) -> list[stream_records.StreamRecord | None]:
        """Each record read by `stream_records.parse`; None for one that is not a stream record
        (the document is Lambda's, but a replayed one may have been edited by hand)."""
        parsed: list[stream_records.StreamRecord | None] = []
        for record in self.records:
            try:
                parsed.append(stream_records.parse(record))
            except stream_records.MalformedStreamRecordError:
                parsed.append(None)
        return parsed


def object_key(mapping_uuid: str, shard_id: str, at: datetime, unique: str | None = None) -> str:
    """Where Lambda puts the record of a failure at `at` (UTC)."""
    at = at.astimezone(UTC)
    return (
        f"{KEY_PREFIX}{mapping_uuid}/{shard_id}/{at:%Y/%m/%d}/{at:%Y-%m-%dT%H.%M.%S}-"
        f"{unique or uuid.uuid4()}"
    )


def is_failure_key(key: str) -> bool:
    return _KEY.match(key) is not None


def replayed_key(key: str) -> str:
    return REPLAYED_PREFIX + key


def _field(document: Mapping[str, Any], name: str, kind: type) -> Any:
    value = document.get(name)
    if not isinstance(value, kind):
        raise MalformedFailureRecordError(f"{name} is missing or not a {kind.__name__}")
    return value


def parse(body: bytes | str) -> FailureRecord:
    """The record in an object's body; MalformedFailureRecordError saying what is wrong."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedFailureRecordError("the object is not JSON") from None
    if not isinstance(document, dict):
        raise MalformedFailureRecordError("the object is not a JSON object")
    info = _field(document, BATCH_INFO, dict)
    context = _field(document, "requestContext", dict)
    response = document.get("responseContext") or {}
    payload = document.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            raise MalformedFailureRecordError("payload is a string but not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedFailureRecordError("payload is missing (an SQS/SNS record has none)")
    records = _field(payload, "Records", list)
    if not all(isinstance(r, dict) for r in records):
        raise MalformedFailureRecordError("payload.Records holds something that is not a record")
    function_error = response.get("functionError") if isinstance(response, dict) else None
    return FailureRecord(
        timestamp=str(_field(document, "timestamp", str)),
        condition=str(_field(context, "condition", str)),
        function_error=function_error if isinstance(function_error, str) else None,
        shard_id=str(_field(info, "shardId", str)),
        start_sequence_number=str(_field(info, "startSequenceNumber", str)),
        end_sequence_number=str(_field(info, "endSequenceNumber", str)),
        batch_size=int(_field(info, "batchSize", int)),
        stream_arn=str(_field(info, "streamArn", str)),
        records=list(records),
    )


def to_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _arrival(record: stream_records.StreamRecord, failed_at: datetime) -> str:
    """When the record reached the stream (a record without the time: when the batch failed)."""
    at = failed_at.timestamp() if record.created_at_s is None else record.created_at_s
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(
    records: Sequence[Mapping[str, Any]],
    *,
    shard_id: str,
    stream_arn: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The document Lambda writes to an S3 destination for a batch it gives up on (`records`
    Lambda-shaped); `function_error` is Lambda's "Unhandled" when the function failed, else None
    (the batch failed by its batchItemFailures or expired). SQS/SNS get it without `payload`."""
    first, last = stream_records.parse(records[0]), stream_records.parse(records[-1])
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": function_error,
        },
        "version": "1.0",
        "timestamp": at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        BATCH_INFO: {
            "shardId": shard_id,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": _arrival(first, at),
            "approximateArrivalOfLastRecord": _arrival(last, at),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
        "payload": json.dumps({"Records": [dict(r) for r in records]}),
    }
