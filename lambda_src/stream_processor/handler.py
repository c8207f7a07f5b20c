"""Lambda entry point: DynamoDB stream batch in, partial batch response out.

Logs go through the standard library; the function's LoggingConfig (JSON format) turns each record
and its `extra` fields into one JSON object. No message text is logged.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
from botocore.config import Config

from cruddur_messages import schema
from stream_processor import logic, writes

logger = logging.getLogger(__name__)

# Standard retry mode backs off on throttles; the timeouts keep one stuck call from using the
# whole invocation, so the batch can still report which conversations failed.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10
)


@functools.cache
def client() -> Any:
    """The DynamoDB client, created once per execution environment (region and endpoint from the
    environment: AWS_REGION, and AWS_ENDPOINT_URL for a local server)."""
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)


def _records(event: Any) -> Sequence[Any]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("event is not a DynamoDB stream batch: no Records list")
    return records


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    rows = writes.DynamoGroupRows(
        client(), table_name=schema.table_name(), index_name=schema.index_name()
    )
    result = logic.process_batch(_records(event), rows, wait=time.sleep)

    for record in result.skipped_records:
        logger.warning(
            "skipped a record that is not a well-formed message insert",
            extra={
                "sequence_number": record.sequence_number,
                "event_id": record.event_id,
                "reason": record.reason,
            },
        )
    for conversation in result.skipped_conversations:
        logger.error(
            "skipped a conversation whose rows cannot be updated",
            extra={
                "group_uuid": conversation.group_uuid,
                "sequence_number": conversation.sequence_number,
                "reason": conversation.reason,
            },
        )
    for failure in result.failures:
        logger.warning(
            "conversation failed; reported for retry",
            extra={
                "group_uuid": failure.group_uuid,
                "sequence_number": failure.sequence_number,
                "error": failure.error,
            },
        )
    logger.info(
        "batch processed",
        extra={
            "batch_size": result.batch_size,
            "groups_updated": result.groups_updated,
            "groups_unchanged": result.groups_unchanged,
            "rows_put": result.rows_put,
            "rows_deleted": result.rows_deleted,
            "records_skipped": len(result.skipped_records),
            "conversations_skipped": len(result.skipped_conversations),
            "failed": len(result.failures),
        },
    )
    return result.response()
