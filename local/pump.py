"""The stream pump: the deployed DynamoDB event source mapping, played by this process.

moto stores the mapping but runs nothing for it (it would need Docker), so the pump does what
Lambda's poller does, reading every setting from the mapping the deploy created:

- shards are read in order (a parent before its children), each from its checkpoint (AFTER that
  sequence number) or, on the first run, from the mapping's StartingPosition;
- records that do not match any FilterCriteria pattern (moto's matcher of the same pattern
  language) are dropped and count as processed; the others are batched up to BatchSize, waiting
  up to MaximumBatchingWindowInSeconds for a batch to fill;
- the batch goes to the handler (by default the deployed function's own package, see runtime.py);
- with ReportBatchItemFailures, the records before the lowest reported sequence number are done
  and only that record and the ones after it are retried; an exception (or an unusable response)
  fails the whole batch;
- a failure that made no progress bisects the batch (BisectBatchOnFunctionError; bisecting is not
  a retry), otherwise the rest is retried up to MaximumRetryAttempts; records older than
  MaximumRecordAgeInSeconds are not retried. What still fails goes to the on-failure SQS
  destination as Lambda's on-failure record (DDBStreamBatchInfo: shard, first and last sequence
  number, stream ARN: enough to read the records again) and the pump goes on;
- the position (last sequence number done, per shard) is written atomically to a checkpoint file
  after each batch, so a restarted pump redelivers at most the batch that was in flight, and
  never one that finished. Redelivery is at-least-once, as in Lambda: the handler's writes are
  idempotent, which makes each message's effect exactly-once.

    python -m local.pump [--port 8000]      one line per batch, until Ctrl-C

Without a deployment (DynamoDB Local has a stream but no Lambda API), `--table NAME` plays a
mapping described on the command line (defaults: the local stage's settings; filter: the
schema's pattern) and runs the working tree's handler:

    python -m local.pump --table cruddur-messages [--endpoint http://localhost:8000]
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, cast

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from moto.events.models import EventPattern

from cruddur_messages import schema
from local import cloud
from local.runtime import DeployedFunction, Handler, LambdaContext
from local.stream_events import lambda_record, message_filter

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR: Final = PROJECT_ROOT / cloud.STATE_DIR_NAME
_PAGE_LIMIT: Final = 1000
_UNLIMITED: Final = -1
# Lambda's own defaults for a stream mapping, used where the mapping leaves a setting out.
_DEFAULT_BATCH_SIZE: Final = 100
# `--table` mode's defaults: the local stage's mapping (stacks/settings.py LOCAL, which is not
# imported here because it loads the CDK; tests/integration/test_pump_table_mode.py keeps the two
# equal). The function name is the stack's handler module, for the context object and logs.
TABLE_MODE_DEFAULTS: Final[Mapping[str, Any]] = {
    "batch_size": 10,
    "batching_window_s": 0,
    "starting_position": "TRIM_HORIZON",
    "max_retry_attempts": 2,
    "max_record_age_s": 600,
}
TABLE_MODE_FUNCTION_NAME: Final = "stream-processor"
TABLE_MODE_HANDLER: Final = "stream_processor.handler.handler"
# The stream view the handler needs: the filter and the processor read NewImage.
_IMAGE_VIEWS: Final = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")

Log = Callable[[str], None]


class PumpError(RuntimeError):
    """The pump cannot run: no mapping, an ambiguous one, or a setting it does not support."""


@dataclass(frozen=True, kw_only=True)
class MappingSettings:
    """The event source mapping as the Lambda API reports it."""

    uuid: str
    function_arn: str
    stream_arn: str
    batch_size: int
    batching_window_s: int
    starting_position: str
    filters: tuple[EventPattern, ...]
    report_item_failures: bool
    on_failure_arn: str | None
    max_retry_attempts: int
    max_record_age_s: int
    bisect_on_error: bool

    @classmethod
    def from_api(cls, esm: Mapping[str, Any]) -> MappingSettings:
        patterns = [f["Pattern"] for f in esm.get("FilterCriteria", {}).get("Filters", [])]
        return cls(
            uuid=esm["UUID"],
            function_arn=esm["FunctionArn"],
            stream_arn=esm["EventSourceArn"],
            batch_size=int(esm.get("BatchSize") or _DEFAULT_BATCH_SIZE),
            batching_window_s=int(esm.get("MaximumBatchingWindowInSeconds") or 0),
            starting_position=esm.get("StartingPosition", "TRIM_HORIZON"),
            filters=tuple(EventPattern.load(pattern) for pattern in patterns),
            report_item_failures="ReportBatchItemFailures" in esm.get("FunctionResponseTypes", []),
            on_failure_arn=esm.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            max_retry_attempts=int(esm.get("MaximumRetryAttempts", _UNLIMITED)),
            max_record_age_s=int(esm.get("MaximumRecordAgeInSeconds", _UNLIMITED)),
            bisect_on_error=bool(esm.get("BisectBatchOnFunctionError", False)),
        )

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Any filter matching keeps the record (no filters keep everything)."""
        return not self.filters or any(p.matches_event(cast(Any, record)) for p in self.filters)


def find_mapping(endpoint: str, function_name: str | None = None) -> MappingSettings:
    """The one DynamoDB stream mapping deployed (of `function_name`, when given)."""
    lambda_client = cloud.client("lambda", endpoint)
    request = {"FunctionName": function_name} if function_name else {}
    mappings = [
        esm
        for page in lambda_client.get_paginator("list_event_source_mappings").paginate(**request)
        for esm in page["EventSourceMappings"]
        if ":dynamodb:" in esm.get("EventSourceArn", "")
    ]
    if len(mappings) != 1:
        raise PumpError(
            f"expected one DynamoDB stream event source mapping, found {len(mappings)}: "
            "deploy the local stage first (`make local` or `python -m local.deploy`)"
        )
    esm = lambda_client.get_event_source_mapping(UUID=mappings[0]["UUID"])
    if esm.get("State", "Enabled") not in ("Enabled", "Enabling", "Creating"):
        raise PumpError(f"event source mapping {esm['UUID']} is {esm['State']}")
    return MappingSettings.from_api(esm)


def table_mapping(
    endpoint: str,
    table_name: str,
    *,
    batch_size: int = TABLE_MODE_DEFAULTS["batch_size"],
    batching_window_s: int = TABLE_MODE_DEFAULTS["batching_window_s"],
    starting_position: str = TABLE_MODE_DEFAULTS["starting_position"],
    max_retry_attempts: int = TABLE_MODE_DEFAULTS["max_retry_attempts"],
    max_record_age_s: int = TABLE_MODE_DEFAULTS["max_record_age_s"],
    on_failure_queue: str | None = None,
) -> MappingSettings:
    """A mapping of `table_name`'s stream, for an endpoint with no Lambda API (DynamoDB Local):
    the given settings, the schema's filter pattern, ReportBatchItemFailures and bisecting, as
    the stack deploys them. PumpError, in one line, when the table or its stream is missing or
    the endpoint cannot be reached."""
    try:
        table = cloud.client("dynamodb", endpoint).describe_table(TableName=table_name)["Table"]
    except EndpointConnectionError:
        raise PumpError(
            f"cannot reach {endpoint}: start DynamoDB Local (`docker compose up`) or the local "
            "cloud, or pass --endpoint"
        ) from None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise PumpError(
                f"no table {table_name!r} at {endpoint}: create it with `bin/ddb/schema-load`"
            ) from None
        raise PumpError(f"cannot describe table {table_name!r} at {endpoint}: {error}") from None
    except BotoCoreError as error:
        raise PumpError(f"cannot describe table {table_name!r} at {endpoint}: {error}") from None
    stream = table.get("StreamSpecification", {})
    arn = table.get("LatestStreamArn")
    if not stream.get("StreamEnabled") or not arn:
        raise PumpError(
            f"table {table_name!r} has no stream: create it with `bin/ddb/schema-load` "
            "(the schema enables a NEW_IMAGE stream)"
        )
    if stream.get("StreamViewType") not in _IMAGE_VIEWS:
        raise PumpError(
            f"table {table_name!r} streams {stream.get('StreamViewType')}; the processor needs "
            "NEW_IMAGE (recreate it with `bin/ddb/schema-load`)"
        )
    # arn:aws:dynamodb:<region>:<account>:table/...: the function and queue live beside it.
    _, partition, _, region, account, _ = arn.split(":", 5)
    return MappingSettings(
        uuid=f"table-{table_name}",
        function_arn=f"arn:{partition}:lambda:{region}:{account}:function:{TABLE_MODE_FUNCTION_NAME}",
        stream_arn=arn,
        batch_size=batch_size,
        batching_window_s=batching_window_s,
        starting_position=starting_position,
        filters=(message_filter(),),
        report_item_failures=True,
        on_failure_arn=(
            f"arn:{partition}:sqs:{region}:{account}:{on_failure_queue}"
            if on_failure_queue
            else None
        ),
        max_retry_attempts=max_retry_attempts,
        max_record_age_s=max_record_age_s,
        bisect_on_error=True,
    )


def working_tree_handler(endpoint: str, table_name: str) -> Handler:
    """The working tree's stream processor, pointed at `endpoint` and `table_name`.

    The handler reads its table, region and endpoint from the environment, as in Lambda, so this
    process's environment becomes the function's: the endpoint, dummy credentials (never a
    developer's profile against a local endpoint), DDB_MESSAGE_TABLE and DDB_MESSAGE_GROUP_INDEX."""
    environment = cloud.environment(endpoint)
    environment[schema.TABLE_NAME_ENV] = table_name
    environment[schema.GSI_NAME_ENV] = schema.GSI_NAME
    os.environ.clear()
    os.environ.update(environment)
    module_name, _, function_name = TABLE_MODE_HANDLER.rpartition(".")
    module = importlib.import_module(module_name)
    return cast(Handler, getattr(module, function_name))


class Checkpoints:
    """Per shard, the last sequence number done; one JSON file per mapping, replaced atomically."""

    def __init__(self, path: Path, stream_arn: str) -> None:
        self.path = path
        self.stream_arn = stream_arn
        self._positions: dict[str, str] = {}
        if path.exists():
            saved = json.loads(path.read_text())
            # A checkpoint of another stream (a fresh endpoint reuses nothing) is not ours.
            if saved.get("stream_arn") == stream_arn:
                self._positions = dict(saved.get("shards", {}))

    def get(self, shard_id: str) -> str | None:
        return self._positions.get(shard_id)

    def advance(self, shard_id: str, sequence_number: str) -> None:
        current = self._positions.get(shard_id)
        if current is not None and int(current) >= int(sequence_number):
            return
        self._positions[shard_id] = sequence_number
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"stream_arn": self.stream_arn, "shards": self._positions}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


@dataclass
class PumpStats:
    invocations: int = 0
    records_done: int = 0
    records_filtered_out: int = 0
    records_sent_to_failure: int = 0
    failure_messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Outcome:
    """How many leading records of the batch are done, and how the rest failed."""

    done: int
    function_error: str | None = None


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _iso(epoch: Any) -> str:
    moment = datetime.fromtimestamp(float(epoch), tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StreamPump:
    """Delivers a stream's records to a handler with the mapping's semantics."""

    def __init__(
        self,
        *,
        endpoint: str,
        mapping: MappingSettings,
        handler: Handler,
        checkpoints: Checkpoints,
        context_factory: Callable[[], Any] | None = None,
        log: Log = print,
        retry_delay_s: float = 0.2,
        poll_interval_s: float = 0.25,
    ) -> None:
        self.mapping = mapping
        self.handler = handler
        self.checkpoints = checkpoints
        self.stats = PumpStats()
        self._streams = cloud.client("dynamodbstreams", endpoint)
        self._sqs = cloud.client("sqs", endpoint)
        self._context_factory = context_factory or self._default_context
        self._log = log
        self._retry_delay_s = retry_delay_s
        self._poll_interval_s = poll_interval_s
        self._iterators: dict[str, str] = {}

    @classmethod
    def for_deployment(
        cls,
        endpoint: str,
        *,
        state_dir: Path = DEFAULT_STATE_DIR,
        handler: Handler | None = None,
        function_name: str | None = None,
        **options: Any,
    ) -> StreamPump:
        """The pump of the deployed mapping, running the deployed code unless `handler` is given
        (the benchmark plugs in its own algorithm; tests wrap the deployed one)."""
        mapping = find_mapping(endpoint, function_name)
        context_factory = None
        if handler is None:
            deployed = DeployedFunction.fetch(
                endpoint, mapping.function_arn, state_dir / "functions"
            )
            handler, context_factory = deployed, deployed.context
        checkpoints = Checkpoints(state_dir / "pump" / f"{mapping.uuid}.json", mapping.stream_arn)
        return cls(
            endpoint=endpoint,
            mapping=mapping,
            handler=handler,
            checkpoints=checkpoints,
            context_factory=context_factory,
            **options,
        )

    def _default_context(self) -> LambdaContext:
        name = self.mapping.function_arn.rsplit(":", 1)[-1]
        return LambdaContext(
            function_name=name,
            invoked_function_arn=self.mapping.function_arn,
            memory_limit_in_mb=128,
            timeout_s=60,
        )

    # -- reading ---------------------------------------------------------------------------

    def _shards_in_order(self) -> list[str]:
        shards: list[dict[str, Any]] = []
        request: dict[str, Any] = {"StreamArn": self.mapping.stream_arn}
        while True:
            description = self._streams.describe_stream(**request)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            request["ExclusiveStartShardId"] = last
        known = {shard["ShardId"] for shard in shards}
        ordered: list[str] = []
        remaining = list(shards)
        while remaining:  # parents first: a child's records are newer than its parent's
            ready = [
                s
                for s in remaining
                if s.get("ParentShardId") not in known or s["ParentShardId"] in ordered
            ]
            ordered.extend(s["ShardId"] for s in ready)
            remaining = [s for s in remaining if s not in ready]
        return ordered

    def _iterator(self, shard_id: str) -> str:
        if shard_id in self._iterators:
            return self._iterators[shard_id]
        request: dict[str, Any] = {"StreamArn": self.mapping.stream_arn, "ShardId": shard_id}
        position = self.checkpoints.get(shard_id)
        if position is not None:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=position)
        else:
            request["ShardIteratorType"] = self.mapping.starting_position
        return str(self._streams.get_shard_iterator(**request)["ShardIterator"])

    def _pages(self, shard_id: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of Lambda-shaped records from the shard's position until it has no more."""
        while True:
            page = self._streams.get_records(
                ShardIterator=self._iterator(shard_id), Limit=_PAGE_LIMIT
            )
            records = page.get("Records", [])
            if page.get("NextShardIterator"):
                self._iterators[shard_id] = page["NextShardIterator"]
            if not records:
                return
            yield [lambda_record(record, self.mapping.stream_arn) for record in records]

    # -- running ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Deliver every record available now, shard by shard; the number of records read."""
        read = 0
        for shard_id in self._shards_in_order():
            batch: list[dict[str, Any]] = []
            batch_started = 0.0
            consumed: str | None = None
            while True:
                for page in self._pages(shard_id):
                    for record in page:
                        read += 1
                        consumed = _sequence(record)
                        if not self.mapping.matches(record):
                            self.stats.records_filtered_out += 1
                            continue
                        if not batch:
                            batch_started = time.monotonic()
                        batch.append(record)
                        if len(batch) == self.mapping.batch_size:
                            self._deliver(shard_id, batch, retries=0)
                            self.checkpoints.advance(shard_id, consumed)
                            batch = []
                waited = time.monotonic() - batch_started
                if batch and waited < self.mapping.batching_window_s:
                    time.sleep(min(self._poll_interval_s, self.mapping.batching_window_s - waited))
                    continue
                break
            if batch:
                self._deliver(shard_id, batch, retries=0)
            if consumed is not None:
                self.checkpoints.advance(shard_id, consumed)
        return read

    def run_until_idle(self, timeout_s: float = 30.0) -> PumpStats:
        """Deliver until a poll finds nothing new; TimeoutError if that takes over `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while self.run_once():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the stream was still busy after {timeout_s}s")
        return self.stats

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            if not self.run_once():
                stop.wait(self._poll_interval_s)

    # -- delivering ------------------------------------------------------------------------

    def _invoke(self, batch: Sequence[dict[str, Any]]) -> _Outcome:
        self.stats.invocations += 1
        try:
            response = self.handler({"Records": list(batch)}, self._context_factory())
        except Exception as error:  # the function failed: Lambda retries the whole batch
            return _Outcome(done=0, function_error=f"{type(error).__name__}: {error}")
        if not self.mapping.report_item_failures:
            return _Outcome(done=len(batch))
        failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
        if not failures:
            return _Outcome(done=len(batch))
        positions = {_sequence(record): index for index, record in enumerate(batch)}
        try:
            failed = [positions[str(item["itemIdentifier"])] for item in failures]
        except (KeyError, TypeError):
            # Lambda treats an identifier it cannot place as a failure of the whole batch.
            return _Outcome(done=0, function_error=f"unusable batchItemFailures: {failures!r}")
        return _Outcome(done=min(failed))

    def _expired(self, record: Mapping[str, Any]) -> bool:
        if self.mapping.max_record_age_s == _UNLIMITED:
            return False
        created = float(record["dynamodb"].get("ApproximateCreationDateTime", time.time()))
        return time.time() - created > self.mapping.max_record_age_s

    def _deliver(self, shard_id: str, records: list[dict[str, Any]], *, retries: int) -> None:
        while records:
            if self._expired(records[0]):
                expired = [r for r in records if self._expired(r)]
                self._fail(shard_id, expired, "RecordAgeExceeded", retries, None)
                records = records[len(expired) :]
                continue
            outcome = self._invoke(records)
            done, rest = records[: outcome.done], records[outcome.done :]
            if done:
                self.stats.records_done += len(done)
                self.checkpoints.advance(shard_id, _sequence(done[-1]))
            self._log_batch(shard_id, records, outcome, retries)
            if not rest:
                return
            if not done and len(rest) > 1 and self.mapping.bisect_on_error:
                half = len(rest) // 2
                self._deliver(shard_id, rest[:half], retries=retries)
                self._deliver(shard_id, rest[half:], retries=retries)
                return
            limit = self.mapping.max_retry_attempts
            if limit != _UNLIMITED and retries >= limit:
                self._fail(
                    shard_id, rest, "RetryAttemptsExhausted", retries, outcome.function_error
                )
                return
            retries += 1
            records = rest
            time.sleep(self._retry_delay_s * min(2 ** (retries - 1), 16))

    def _fail(
        self,
        shard_id: str,
        records: Sequence[dict[str, Any]],
        condition: str,
        retries: int,
        function_error: str | None,
    ) -> None:
        """Send the batch's description to the on-failure destination; then it counts as done."""
        first, last = records[0], records[-1]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": retries + 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if function_error else None,
            },
            "version": "1.0",
            "timestamp": datetime.now(tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": _sequence(first),
                "endSequenceNumber": _sequence(last),
                "approximateArrivalOfFirstRecord": _iso(
                    first["dynamodb"]["ApproximateCreationDateTime"]
                ),
                "approximateArrivalOfLastRecord": _iso(
                    last["dynamodb"]["ApproximateCreationDateTime"]
                ),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }
        destination = self.mapping.on_failure_arn
        if destination is None:
            where = "discarded (the mapping has no on-failure destination)"
        else:
            queue_name = destination.rsplit(":", 1)[-1]
            queue_url = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
            where = f"sent to {queue_name}"
        self.stats.records_sent_to_failure += len(records)
        self.stats.failure_messages.append(message)
        self.checkpoints.advance(shard_id, _sequence(last))
        self._log(
            f"shard {shard_id[-8:]} seq {_sequence(first)}..{_sequence(last)}: "
            f"{len(records)} record(s) {condition}, {where}"
        )

    def _log_batch(
        self, shard_id: str, batch: Sequence[dict[str, Any]], outcome: _Outcome, retries: int
    ) -> None:
        span = f"seq {_sequence(batch[0])}..{_sequence(batch[-1])}"
        attempt = f" (retry {retries})" if retries else ""
        if outcome.done == len(batch):
            result = "ok"
        elif outcome.function_error:
            result = f"failed: {outcome.function_error}"
        else:
            result = f"{outcome.done} ok, failed from seq {_sequence(batch[outcome.done])}"
        self._log(f"shard {shard_id[-8:]} {span}: {len(batch)} record(s){attempt} -> {result}")


def replay_records(endpoint: str, failure: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records an on-failure message describes, read again from the stream (Lambda-shaped),
    ready to be fixed and redelivered."""
    info = failure["DDBStreamBatchInfo"]
    streams = cloud.client("dynamodbstreams", endpoint)
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=_PAGE_LIMIT)
        records = page.get("Records", [])
        if not records:
            break
        for record in records:
            if int(_sequence(record)) > end:
                return found
            found.append(lambda_record(record, info["streamArn"]))
        iterator = page.get("NextShardIterator")
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Play the deployed stream mapping (or, with --table, one described here) "
        "until Ctrl-C, one line per batch."
    )
    parser.add_argument(
        "--port", type=int, help=f"local endpoint port (default {cloud.DEFAULT_PORT})"
    )
    parser.add_argument(
        "--endpoint",
        help="endpoint URL (default: http://localhost:PORT; with --table, AWS_ENDPOINT_URL first)",
    )
    parser.add_argument("--function", help="the mapped function (default: the only mapping)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="deliver what the stream holds, then exit (instead of running until Ctrl-C)",
    )
    table = parser.add_argument_group(
        "without a deployment (DynamoDB Local)",
        "Read TABLE's stream with these mapping settings (defaults: the local stage's) and the "
        f"schema's filter, and run the working tree's {TABLE_MODE_HANDLER}.",
    )
    table.add_argument("--table", help="the table whose stream to read")
    table.add_argument("--batch-size", type=_at_least(1))
    table.add_argument("--batching-window", type=_at_least(0), metavar="SECONDS")
    table.add_argument("--starting-position", choices=("TRIM_HORIZON", "LATEST"))
    table.add_argument("--retry-attempts", type=_at_least(-1), help="-1: until the record expires")
    table.add_argument(
        "--max-record-age", type=_at_least(-1), metavar="SECONDS", help="-1: no limit"
    )
    table.add_argument("--on-failure-queue", metavar="NAME", help="SQS queue on the same endpoint")
    return parser


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_TABLE_OPTIONS: Final = {
    "batch_size": "batch_size",
    "batching_window": "batching_window_s",
    "starting_position": "starting_position",
    "retry_attempts": "max_retry_attempts",
    "max_record_age": "max_record_age_s",
    "on_failure_queue": "on_failure_queue",
}


def _endpoint(args: argparse.Namespace) -> str:
    if args.endpoint:
        return str(args.endpoint)
    if args.port is None and args.table and os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    return cloud.endpoint_url(args.port or cloud.DEFAULT_PORT)


def _table_pump(args: argparse.Namespace, endpoint: str) -> StreamPump:
    settings = {
        setting: getattr(args, option)
        for option, setting in _TABLE_OPTIONS.items()
        if getattr(args, option) is not None
    }
    mapping = table_mapping(endpoint, args.table, **settings)
    checkpoints = Checkpoints(args.state_dir / "pump" / f"{mapping.uuid}.json", mapping.stream_arn)
    return StreamPump(
        endpoint=endpoint,
        mapping=mapping,
        handler=working_tree_handler(endpoint, args.table),
        checkpoints=checkpoints,
    )


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.table:
        given = [
            f"--{option.replace('_', '-')}"
            for option in _TABLE_OPTIONS
            if getattr(args, option) is not None
        ]
        if given:
            parser.error(f"{', '.join(given)} only apply with --table")
    elif args.function:
        parser.error("--function names a deployed mapping; --table runs without one")
    endpoint = _endpoint(args)
    try:
        if args.table:
            pump = _table_pump(args, endpoint)
            target = f"{TABLE_MODE_HANDLER} (working tree)"
        else:
            pump = StreamPump.for_deployment(
                endpoint, state_dir=args.state_dir, function_name=args.function
            )
            target = pump.mapping.function_arn
    except Exception as error:  # one line, not a traceback: the usual cause is no deploy yet
        # table_mapping's errors already name the endpoint and the fix.
        detail = str(error) if args.table and isinstance(error, PumpError) else None
        print(
            f"error: {detail or f'cannot start the stream pump on {endpoint}: {error}'}",
            file=sys.stderr,
        )
        return 1
    until = "until idle" if args.until_idle else "Ctrl-C stops"
    print(f"stream pump: {pump.mapping.stream_arn} -> {target} ({until})")
    try:
        if args.until_idle:
            stats = pump.run_until_idle(timeout_s=math.inf)
            print(
                f"stream pump idle: {stats.records_done} record(s) delivered, "
                f"{stats.records_filtered_out} filtered out, "
                f"{stats.records_sent_to_failure} failed"
            )
        else:
            pump.run_forever()
    except KeyboardInterrupt:
        print("stream pump stopped; position saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
