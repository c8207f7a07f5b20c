"""replay-failures: what the stream processor gave up on, from the failure bucket, back into
the table (Lambda's S3 on-failure records; format in tools/failure_records.py)."""

from __future__ import annotations

from typing import Any

import click
from botocore.exceptions import ClientError

from cruddur_messages import schema
from stream_processor import batch, config, group_rows
from tools import failure_records
from tools.connection import Connection, connect, prod_option, table_option
from tools.errors import ToolError
from tools.output import echo_json, local_time, plural, render_table, stdout


def find_bucket(lambda_client: Any, table: str) -> str:
    """The S3 on-failure destination of the mapping that reads `table`'s stream."""
    marker = f":table/{table}/stream/"
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate():
        for mapping in page.get("EventSourceMappings", []):
            destination = mapping.get("DestinationConfig", {}).get("OnFailure", {})
            arn = str(destination.get("Destination", ""))
            if marker in str(mapping.get("EventSourceArn", "")) and ":s3:::" in arn:
                return arn.split(":::", 1)[1]
    raise ToolError(
        f"no event source mapping of table {table!r} has an S3 on-failure destination; "
        "pass --bucket NAME"
    )


def _load(s3: Any, bucket: str, key: str) -> failure_records.FailureRecord:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            raise ToolError(f"no failure object {key!r} in bucket {bucket!r}") from None
        raise
    try:
        return failure_records.parse(body)
    except failure_records.MalformedFailureRecordError as exc:
        raise ToolError(f"{key} is not a Lambda stream failure record: {exc}") from None


def _summary(key: str, record: failure_records.FailureRecord) -> list[str]:
    return [
        local_time(record.timestamp),
        record.shard_id,
        f"{record.start_sequence_number}..{record.end_sequence_number}",
        str(record.batch_size),
        str(len(record.conversations())),
        record.error,
        key,
    ]


_COLUMNS = ("time", "shard", "sequence range", "records", "conversations", "error", "key")


def _list(s3: Any, bucket: str, as_json: bool) -> None:
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=failure_records.KEY_PREFIX
        )
        for obj in page.get("Contents", [])
    ]
    loaded = [(key, _load(s3, bucket, key)) for key in sorted(keys)]
    if not loaded and not as_json:
        click.echo(f"no failure records in {bucket}: nothing to replay")
        return
    if as_json:
        echo_json([dict(zip(_COLUMNS, _summary(k, r), strict=True)) for k, r in loaded])
        return
    title = f"{plural(len(loaded), 'failure record')} in {bucket}"
    stdout().print(render_table(title, _COLUMNS, [_summary(k, r) for k, r in loaded]))


def _show(key: str, record: failure_records.FailureRecord, as_json: bool) -> None:
    rows = [
        [r.sequence_number, r.event_name or "?", r.key(schema.SORT_KEY) or "?"]
        if r is not None
        else ["?", "?", "?"]
        for r in record.parsed_records()
    ]
    if as_json:
        echo_json({"key": key, **dict(zip(_COLUMNS, _summary(key, record), strict=True))})
        return
    console = stdout()
    console.print(render_table(None, _COLUMNS[:-1], [_summary(key, record)[:-1]]))
    console.print(render_table(key, ("sequence", "event", "created at"), rows))


def _apply(
    connection: Connection, s3: Any, bucket: str, key: str, record: failure_records.FailureRecord
) -> None:
    rows = group_rows.DynamoGroupRows(
        connection.client, table_name=connection.target.table, index_name=schema.index_name()
    )
    result = batch.process_batch(record.records, rows, workers=config.WORKERS)
    if result.failures:
        failed = ", ".join(sorted({f.error for f in result.failures}))
        raise ToolError(
            f"{plural(len(result.failures), 'conversation')} of {key} still failed ({failed}); "
            "the object stays where it is, run again later"
        )
    # Copy, then delete: a crash in between leaves a copy, never nothing.
    s3.copy_object(
        Bucket=bucket,
        Key=failure_records.replayed_key(key),
        CopySource={"Bucket": bucket, "Key": key},
    )
    s3.delete_object(Bucket=bucket, Key=key)
    click.echo(
        f"replayed {plural(len(record.records), 'record')}: "
        f"{result.groups_updated} conversation(s) updated, {result.groups_unchanged} already "
        f"current, {len(result.skipped_records)} record(s) skipped; moved to "
        f"{failure_records.replayed_key(key)}"
    )


@click.command("replay-failures")
@click.argument("key", required=False)
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Run KEY's records into the table, then move it under replayed/.",
)
@click.option(
    "--bucket",
    metavar="NAME",
    default=None,
    help="The failure bucket [default: the table's stream mapping's on-failure destination].",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@table_option
@prod_option
def replay_failures(
    *,
    key: str | None,
    apply_: bool,
    bucket: str | None,
    as_json: bool,
    table: str | None,
    prod: bool,
) -> None:
    """List the stream processor's failure records, show KEY, or replay it with --apply.

    Replaying is idempotent: a conversation's rows only move forward (an equal or newer row
    wins), so a record that was already applied, or is older than the table, changes nothing.
    """
    if apply_ and not key:
        raise ToolError("--apply needs the KEY of one failure record (list them without --apply)")
    connection = connect(prod=prod, table=table)
    s3 = connection.clients("s3")
    name = bucket or find_bucket(connection.clients("lambda"), connection.target.table)
    if key is None:
        _list(s3, name, as_json)
        return
    record = _load(s3, name, key)
    if apply_:
        _apply(connection, s3, name, key, record)
    else:
        _show(key, record, as_json)
