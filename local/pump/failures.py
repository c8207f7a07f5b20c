"""What the mapping gives up on, written where and as Lambda writes it.

The format is the Lambda developer guide's ("Retain discarded records for a DynamoDB event source
in Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html):
- an SQS (or SNS) destination gets the invocation record only: requestContext, responseContext,
  version, timestamp and DDBStreamBatchInfo (shard and sequence range: a pointer into a stream
  that trims records after 24 hours);
- an S3 destination gets the same document plus `payload`, the whole invocation event as an
  escaped JSON string, in an object named
  `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from local import cloud


def _iso(epoch: Any) -> str:
    moment = datetime.fromtimestamp(float(epoch), tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def invocation_record(
    *,
    function_arn: str,
    stream_arn: str,
    shard_id: str,
    records: Sequence[Mapping[str, Any]],
    condition: str,
    invoke_count: int,
    function_error: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The invocation record of a discarded batch (without the S3-only payload)."""
    first, last = records[0], records[-1]
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
            "functionError": "Unhandled" if function_error else None,
        },
        "version": "1.0",
        "timestamp": _iso(now.timestamp()),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": _sequence(first),
            "endSequenceNumber": _sequence(last),
            "approximateArrivalOfFirstRecord": _iso(
                first["dynamodb"]["ApproximateCreationDateTime"]
            ),
            "approximateArrivalOfLastRecord": _iso(last["dynamodb"]["ApproximateCreationDateTime"]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def s3_key(mapping_uuid: str, shard_id: str, now: datetime) -> str:
    day, moment = f"{now:%Y/%m/%d}", f"{now:%Y-%m-%dT%H.%M.%S}"
    return f"aws/lambda/{mapping_uuid}/{shard_id}/{day}/{moment}-{uuid.uuid4()}"


class FailureDestination:
    """The mapping's on-failure destination: an S3 bucket, an SQS queue, or none."""

    def __init__(self, endpoint: str, arn: str | None) -> None:
        self.arn = arn
        self._endpoint = endpoint
        self.kind = None if arn is None else arn.split(":")[2]
        if self.kind not in (None, "s3", "sqs"):
            raise ValueError(f"unsupported on-failure destination {arn} (S3 or SQS only)")

    def send(
        self,
        document: dict[str, Any],
        *,
        mapping_uuid: str,
        event: Mapping[str, Any],
        now: datetime,
    ) -> str:
        """Deliver the record; where it went, for the log line."""
        if self.arn is None:
            return "discarded (the mapping has no on-failure destination)"
        name = self.arn.rsplit(":", 1)[-1]
        if self.kind == "s3":
            shard_id = document["DDBStreamBatchInfo"]["shardId"]
            key = s3_key(mapping_uuid, shard_id, now)
            body = {**document, "payload": json.dumps(event)}
            cloud.client("s3", self._endpoint).put_object(
                Bucket=name, Key=key, Body=json.dumps(body).encode(), ContentType="application/json"
            )
            return f"written to s3://{name}/{key}"
        sqs = cloud.client("sqs", self._endpoint)
        queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(document))
        return f"sent to {name}"
