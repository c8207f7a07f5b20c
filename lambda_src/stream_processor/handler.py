"""Lambda entry point: DynamoDB stream batch in, partial batch response out.

Logs go through the standard library; the function's LoggingConfig (JSON format) turns each record
and its `extra` fields into one JSON object. No message text is logged.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import boto3

from stream_processor import batch, budget, group_rows

logger = logging.getLogger(__name__)
# At the function's application log level (INFO) the runtime's root logger also passes botocore's
# INFO records: "Found credentials in environment variables." in every cold start's log stream
# (and in every `make demo` and `make local`). Its warnings and errors still get through.
logging.getLogger("botocore").setLevel(logging.WARNING)


# What the SDK reads from the environment to build the client (region, endpoint, keys).
_CLIENT_ENVIRONMENT: Final = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


def _environment(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, os.environ[name]) for name in names if name in os.environ)


def names() -> budget.Names:
    """The table and index, read once per environment; ConfigurationError when the environment
    lacks them. Cached by the variables they come from: constant in Lambda, so read once; a
    process that changes them (tests, the bench) gets the new ones, never stale ones."""
    return _names(_environment(budget.REQUIRED_ENV))


@functools.cache
def _names(environment: tuple[tuple[str, str], ...]) -> budget.Names:
    return budget.names_from(dict(environment))


def client() -> Any:
    """The DynamoDB client, created once per execution environment (region and endpoint from the
    environment: AWS_REGION, and AWS_ENDPOINT_URL for a local server), cached as names() is. One
    client serves every thread: clients are thread-safe, sessions are not, so it is built before
    any thread starts."""
    return _client(_environment(_CLIENT_ENVIRONMENT))


@functools.cache
def _client(_key: tuple[tuple[str, str], ...]) -> Any:
    return boto3.client("dynamodb", config=budget.client_config())


def _records(event: Any) -> Sequence[Any]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("event is not a DynamoDB stream batch: no Records list")
    return records


def handler(event: Any, context: Any) -> dict[str, list[dict[str, str]]]:
    table = names()
    rows = group_rows.DynamoGroupRows(client(), table_name=table.table, index_name=table.index)
    result = batch.process_batch(
        _records(event),
        rows,
        budget=budget.for_context(context, time.sleep),
        workers=budget.WORKERS,
    )
    _log(result)
    return result.response()


# What each kind of problem logs: level, message, and the fields of its entries (never text).
_PROBLEMS: Final = (
    (
        logging.WARNING,
        "skipped a record that is not a well-formed message insert",
        "skipped_records",
        ("sequence_number", "event_id", "reason"),
    ),
    (
        logging.ERROR,
        "skipped a conversation whose rows cannot be updated",
        "skipped_conversations",
        ("group_uuid", "sequence_number", "reason"),
    ),
    (
        logging.WARNING,
        "conversation failed; reported for retry",
        "failures",
        ("group_uuid", "sequence_number", "error"),
    ),
)


def _log(result: batch.BatchResult) -> None:
    for level, message, entries, fields in _PROBLEMS:
        for entry in getattr(result, entries):
            logger.log(level, message, extra={name: getattr(entry, name) for name in fields})
    logger.info(
        "batch processed",
        extra={
            "batch_size": result.batch_size,
            "groups_updated": result.groups_updated,
            "groups_unchanged": result.groups_unchanged,
            "rows_put": result.rows_put,
            "rows_deleted": result.rows_deleted,
            "index_wait_s": result.index_wait_s,
            "records_skipped": len(result.skipped_records),
            "conversations_skipped": len(result.skipped_conversations),
            "failed": len(result.failures),
        },
    )


# Inside Lambda (its runtime sets AWS_LAMBDA_RUNTIME_API), a missing table or index variable fails
# the init phase with one clear line, before any batch is taken; elsewhere (tests, the bench, the
# local pump's in-process runs) the same check runs on the first invocation.
if os.environ.get("AWS_LAMBDA_RUNTIME_API"):
    names()
