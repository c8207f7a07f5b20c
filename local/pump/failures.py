"""What the mapping gives up on, delivered where Lambda delivers it.

The record itself (key layout and JSON document) is built by tools/failure_records.py, the one
definition of Lambda's format, which the replay tool parses (Lambda developer guide, "Retain
discarded records for a DynamoDB event source in Lambda",
https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html):
- an S3 destination gets the whole invocation record, `payload` (the batch's event) included;
- an SQS (or SNS) destination gets the same document without `payload`: a pointer (shard and
  sequence range) into a stream that trims records after 24 hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from local.cloud import Clients
from tools import failure_records


def pointer(document: Mapping[str, Any]) -> dict[str, Any]:
    """The record as SQS and SNS destinations get it: everything but the payload."""
    return {name: value for name, value in document.items() if name != "payload"}


class DeliveryDenied(RuntimeError):
    """The destination refused the record (the role lacks its permission): one line."""


class FailureDestination:
    """The mapping's on-failure destination: an S3 bucket, an SQS queue, or none.

    `clients(service)` makes the clients that deliver (the mapping's role session in a
    deployment, the developer's in table mode)."""

    def __init__(self, arn: str | None, clients: Clients) -> None:
        self.arn = arn
        self._clients = clients
        self.kind = None if arn is None else arn.split(":")[2]
        if self.kind not in (None, "s3", "sqs"):
            raise ValueError(f"unsupported on-failure destination {arn} (S3 or SQS only)")

    def send(self, document: Mapping[str, Any], *, mapping_uuid: str, at: datetime) -> str:
        """Deliver the record; where it went, for the log line. DeliveryDenied if refused."""
        if self.arn is None:
            return "discarded (the mapping has no on-failure destination)"
        name = self.arn.rsplit(":", 1)[-1]
        try:
            if self.kind == "s3":
                shard_id = document[failure_records.BATCH_INFO]["shardId"]
                key = failure_records.object_key(mapping_uuid, shard_id, at)
                self._clients("s3").put_object(
                    Bucket=name,
                    Key=key,
                    Body=failure_records.to_json(document),
                    ContentType="application/json",
                )
                return f"written to s3://{name}/{key}"
            sqs = self._clients("sqs")
            queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.send_message(
                QueueUrl=queue_url, MessageBody=failure_records.to_json(pointer(document)).decode()
            )
            return f"sent to {name}"
        except ClientError as error:
            details = error.response.get("Error", {})
            if details.get("Code") in ("AccessDenied", "AccessDeniedException"):
                raise DeliveryDenied(
                    f"{self.arn}: {details.get('Message', 'AccessDenied')}"
                ) from None
            raise
