"""The delivery engine: a stream's records to a function, with the mapping's semantics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from local import cloud
from local.pump.checkpoints import Checkpoints, checkpoint_path
from local.pump.failures import FailureDestination, invocation_record
from local.pump.functions import PROJECT_ROOT, deployed_function
from local.pump.mapping import UNLIMITED, MappingSettings, find_mapping, latest_stream
from local.stream_events import ShardReader, lambda_record
from local.worker import InitError

Handler = Callable[[dict[str, Any], Any], Any]
Log = Callable[[str], None]
_INIT_RETRY_S: Final = 5.0
DEFAULT_STATE_DIR: Final = PROJECT_ROOT / cloud.STATE_DIR_NAME


class StreamGoneError(RuntimeError):
    """The mapping's stream no longer exists (its table was deleted)."""


@dataclass
class PumpStats:
    invocations: int = 0
    records_done: int = 0
    records_filtered_out: int = 0
    records_unreadable: int = 0
    records_sent_to_failure: int = 0
    failure_messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Outcome:
    """How many leading records of the batch are done, and how the rest failed."""

    done: int
    function_error: str | None = None


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _gone(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in (
        "ResourceNotFoundException",
        "TrimmedDataAccessException",
    )


class StreamPump:
    """Delivers a stream's records to a handler with the mapping's semantics (see __init__.py).

    `handler(event, context)` returns the function's response or raises: an InitError (the
    function could not start) stops delivery without checkpointing; anything else fails the batch.
    `follow_stream`, when given, is asked for the mapping's new stream after its stream is gone."""

    def __init__(
        self,
        *,
        endpoint: str,
        mapping: MappingSettings,
        handler: Handler,
        checkpoints: Checkpoints,
        log: Log = print,
        retry_delay_s: float = 0.2,
        poll_interval_s: float = 0.25,
        follow_stream: Callable[[], str] | None = None,
    ) -> None:
        self.mapping = mapping
        self.handler = handler
        self.checkpoints = checkpoints
        self.stats = PumpStats()
        self._streams = cloud.client("dynamodbstreams", endpoint)
        self._destination = FailureDestination(endpoint, mapping.on_failure_arn)
        self._log = log
        self._retry_delay_s = retry_delay_s
        self._poll_interval_s = poll_interval_s
        self._follow_stream = follow_stream
        self._reader = self._new_reader()

    @classmethod
    def for_deployment(
        cls,
        endpoint: str,
        *,
        state_dir: Path = DEFAULT_STATE_DIR,
        handler: Handler | None = None,
        function_name: str | None = None,
        credentials: Mapping[str, str] | None = None,
        echo: Log | None = None,
        **options: Any,
    ) -> StreamPump:
        """The pump of the deployed mapping, running the deployed code in a worker unless
        `handler` is given (the benchmark plugs in its own algorithm). Its position is kept per
        endpoint, so the state directory holds one file per port, however many runs."""
        mapping = find_mapping(endpoint, function_name)
        if handler is None:
            log = options.get("log", print)
            handler = deployed_function(
                endpoint, mapping, state_dir, credentials=credentials, echo=echo or log
            )
        key = endpoint.split("://", 1)[-1]
        return cls(
            endpoint=endpoint,
            mapping=mapping,
            handler=handler,
            checkpoints=Checkpoints(checkpoint_path(state_dir, key), mapping.stream_arn),
            follow_stream=lambda: latest_stream(endpoint, mapping.table_name),
            **options,
        )

    def _new_reader(self) -> ShardReader:
        return ShardReader(
            self._streams,
            self.mapping.stream_arn,
            position=self.checkpoints.get,
            start=self.mapping.starting_position,
        )

    def close(self) -> None:
        """Stop the function's execution environment, if it has one."""
        close = getattr(self.handler, "close", None)
        if callable(close):
            close()

    # -- running ---------------------------------------------------------------------------

    def run_once(self) -> int:
        """Deliver every record available now, shard by shard; the number of records read."""
        try:
            return sum(self._run_shard(shard_id) for shard_id in self._reader.shards())
        except InitError:
            self._reader = self._new_reader()  # read again from the checkpoint next time
            raise
        except ClientError as error:
            if _gone(error):
                raise StreamGoneError(self.mapping.stream_arn) from None
            raise

    def _readable(self, record: dict[str, Any]) -> bool:
        try:
            return self.mapping.matches(record)
        except Exception as error:  # an item some other writer made: never a dead pump
            if not self.stats.records_unreadable:
                self._log(
                    "warning: skipping stream records the filter cannot read "
                    f"({type(error).__name__}: {error})"
                )
            self.stats.records_unreadable += 1
            return False

    def _run_shard(self, shard_id: str) -> int:
        read = 0
        batch: list[dict[str, Any]] = []
        batch_started = 0.0
        consumed: str | None = None
        while True:
            for page in self._reader.pages(shard_id):
                for raw in page:
                    read += 1
                    record = lambda_record(raw, self.mapping.stream_arn)
                    consumed = _sequence(record)
                    if not self._readable(record):
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
        """Poll until `stop`; a function that cannot start and a deleted table are waited out."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                if not self.run_once():
                    self._follow_new_stream()
                    stop.wait(self._poll_interval_s)
            except InitError as error:
                self._log(
                    f"function init failed ({error}); nothing checkpointed, "
                    f"retrying in {_INIT_RETRY_S:.0f}s"
                )
                stop.wait(_INIT_RETRY_S)
            except StreamGoneError:
                table = self.mapping.table_name
                self._log(
                    f"the mapping's stream is gone (table {table!r} deleted?): recreate the table "
                    f"with `bin/ddb/schema-load --table {table}`; the pump follows its new stream"
                )
                while not stop.wait(1.0) and not self._follow_new_stream():
                    pass

    def _follow_new_stream(self) -> bool:
        """Move to the table's current stream if it is another one (the table was recreated)."""
        try:
            arn = self._follow_stream() if self._follow_stream else None
        except Exception:  # still gone: keep waiting, quietly
            return False
        if not arn or arn == self.mapping.stream_arn:
            return False
        self.mapping = self.mapping.on_stream(arn)
        self.checkpoints = self.checkpoints.for_stream(arn)
        self._reader = self._new_reader()
        self._log(
            f"table {self.mapping.table_name!r} was recreated; following its new stream {arn}"
        )
        return True

    # -- delivering ------------------------------------------------------------------------

    def _invoke(self, batch: Sequence[dict[str, Any]]) -> _Outcome:
        self.stats.invocations += 1
        try:
            response = self.handler({"Records": list(batch)}, None)
        except InitError:
            raise
        except Exception as error:  # the function failed: Lambda retries the whole batch
            return _Outcome(done=0, function_error=str(error) or type(error).__name__)
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
        if self.mapping.max_record_age_s == UNLIMITED:
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
            if limit != UNLIMITED and retries >= limit:
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
        """Send the batch's record to the on-failure destination; then it counts as done."""
        now = datetime.now(tz=UTC)
        document = invocation_record(
            function_arn=self.mapping.function_arn,
            stream_arn=self.mapping.stream_arn,
            shard_id=shard_id,
            records=records,
            condition=condition,
            invoke_count=retries + 1,
            function_error=function_error,
            now=now,
        )
        where = self._destination.send(
            document, mapping_uuid=self.mapping.uuid, event={"Records": list(records)}, now=now
        )
        self.stats.records_sent_to_failure += len(records)
        self.stats.failure_messages.append(document)
        self.checkpoints.advance(shard_id, _sequence(records[-1]))
        self._log(
            f"shard {shard_id[-8:]} seq {_sequence(records[0])}..{_sequence(records[-1])}: "
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
