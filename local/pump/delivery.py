"""The delivery half of the pump: one batch to the function, with the mapping's retry,
bisect, record-age and on-failure semantics, and the checkpoint after it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cruddur_messages import stream_records
from local.pump.checkpoints import Checkpoints
from local.pump.failures import DeliveryDenied, FailureDestination, pointer
from local.pump.mapping import UNLIMITED, MappingSettings
from local.pump.metrics import LambdaMetrics, iterator_age_ms
from local.runtime.worker import InitError
from tools import failure_records

Handler = Callable[[dict[str, Any], Any], Any]
Log = Callable[[str], None]


@dataclass
class PumpStats:
    """What the pump did since it started: `run_until_idle` returns it and the CLI prints it."""

    invocations: int = 0
    records_done: int = 0
    records_filtered_out: int = 0
    records_unreadable: int = 0
    records_sent_to_failure: int = 0
    # Lambda's DroppedEventCount: given up on and not delivered to a destination.
    records_dropped: int = 0
    # Each failure record as an SQS or SNS destination would get it (failures.pointer).
    failure_messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Outcome:
    """How many leading records of the batch are done, and how the rest failed."""

    done: int
    function_error: str | None = None


def sequence(record: Mapping[str, Any]) -> str:
    return stream_records.parse(record).sequence_number


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """Delivers one shard's batches to the function for the pump (engine.py), which reads the
    stream: the mapping's settings, where the checkpoints go, what failures go to, and the stats
    it adds to. `on_stream` is the same delivery for the table's new stream."""

    mapping: MappingSettings
    handler: Handler
    checkpoints: Checkpoints
    destination: FailureDestination
    stats: PumpStats
    log: Log
    retry_delay_s: float
    clock: Callable[[], float]
    # Lambda's AWS/Lambda datapoints of each invocation and record outcome (metrics.py).
    metrics: LambdaMetrics | None = None

    def on_stream(self, arn: str) -> Delivery:
        return replace(
            self, mapping=self.mapping.on_stream(arn), checkpoints=self.checkpoints.for_stream(arn)
        )

    def deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """The batch to the function, retried, bisected or given up on as the mapping says;
        the shard's checkpoint after each part that is done."""
        self._deliver(shard_id, records, retries=0)

    # -- delivering ------------------------------------------------------------------------

    def _invoke(self, batch: Sequence[dict[str, Any]]) -> _Outcome:
        self.stats.invocations += 1
        age_ms = iterator_age_ms(batch, self.clock())
        started = time.monotonic()
        try:
            response = self.handler({"Records": list(batch)}, None)
        except InitError:
            raise
        except Exception as error:  # the function failed: Lambda retries the whole batch
            self._invoked(started, age_ms, failed=True, records=len(batch))
            return _Outcome(done=0, function_error=str(error) or type(error).__name__)
        self._invoked(started, age_ms, failed=False, records=len(batch))
        if not self.mapping.report_item_failures:
            return _Outcome(done=len(batch))
        failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
        if not failures:
            return _Outcome(done=len(batch))
        positions = {sequence(record): index for index, record in enumerate(batch)}
        try:
            failed = [positions[str(item["itemIdentifier"])] for item in failures]
        except (KeyError, TypeError):
            # Lambda treats an identifier it cannot place as a failure of the whole batch.
            return _Outcome(done=0, function_error=f"unusable batchItemFailures: {failures!r}")
        return _Outcome(done=min(failed))

    def _invoked(self, started: float, age_ms: float, *, failed: bool, records: int) -> None:
        if self.metrics is None:
            return
        report = getattr(self.handler, "last_report", None) or {}
        duration = report.get("duration_ms", (time.monotonic() - started) * 1000)
        self.metrics.invocation(failed=failed, duration_ms=duration, iterator_age_ms=age_ms)
        if failed:
            self.metrics.events({"FailedInvokeEventCount": records})

    def _expired(self, record: Mapping[str, Any]) -> bool:
        if self.mapping.max_record_age_s == UNLIMITED:
            return False
        now = self.clock()
        created = stream_records.parse(record).created_at_s or now
        return now - created > self.mapping.max_record_age_s

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
                self.checkpoints.advance(shard_id, sequence(done[-1]))
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
            time.sleep(self.retry_delay_s * min(2 ** (retries - 1), 16))

    def _fail(
        self,
        shard_id: str,
        records: Sequence[dict[str, Any]],
        condition: str,
        retries: int,
        function_error: str | None,
    ) -> None:
        """Send the batch's record to the on-failure destination; then it counts as done (as in
        Lambda, also when the destination refuses it: then it is dropped, and said so)."""
        at = datetime.now(tz=UTC)
        document = failure_records.build(
            records,
            shard_id=shard_id,
            stream_arn=self.mapping.stream_arn,
            function_arn=self.mapping.function_arn,
            condition=condition,
            invoke_count=retries + 1,
            function_error="Unhandled" if function_error else None,
            at=at,
        )
        try:
            where = self.destination.send(document, mapping_uuid=self.mapping.uuid, at=at)
            self.stats.records_sent_to_failure += len(records)
            outcome = "OnFailureDestinationDeliveredEventCount"
        except DeliveryDenied as error:
            where = f"NOT delivered, dropped (the destination refused it: {error})"
            self.stats.records_dropped += len(records)
            outcome = "DroppedEventCount"
        if self.metrics is not None:
            self.metrics.events({outcome: len(records)})
        self.stats.failure_messages.append(pointer(document))
        self.checkpoints.advance(shard_id, sequence(records[-1]))
        self.log(
            f"shard {shard_id[-8:]} seq {sequence(records[0])}..{sequence(records[-1])}: "
            f"{len(records)} record(s) {condition}, {where}"
        )

    def _log_batch(
        self, shard_id: str, batch: Sequence[dict[str, Any]], outcome: _Outcome, retries: int
    ) -> None:
        span = f"seq {sequence(batch[0])}..{sequence(batch[-1])}"
        attempt = f" (retry {retries})" if retries else ""
        if outcome.done == len(batch):
            result = "ok"
        elif outcome.function_error:
            result = f"failed: {outcome.function_error}"
        else:
            result = f"{outcome.done} ok, failed from seq {sequence(batch[outcome.done])}"
        self.log(f"shard {shard_id[-8:]} {span}: {len(batch)} record(s){attempt} -> {result}")
