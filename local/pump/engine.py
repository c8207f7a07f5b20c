"""The delivery engine: a stream's records to a function, with the mapping's semantics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from local import authz, cloud
from local.cloud import Clients
from local.pump.checkpoints import Checkpoints, deployment_checkpoint_path
from local.pump.delivery import Delivery, Handler, Log, PumpStats, sequence
from local.pump.failures import FailureDestination
from local.pump.functions import PROJECT_ROOT, deployed_function
from local.pump.mapping import MappingSettings, find_mapping, latest_stream
from local.pump.metrics import LambdaMetrics
from local.runtime.worker import Credentials, InitError
from local.stream_events import ShardReader, lambda_record

_INIT_RETRY_S: Final = 5.0
DEFAULT_STATE_DIR: Final = PROJECT_ROOT / cloud.STATE_DIR_NAME


class StreamGoneError(RuntimeError):
    """The mapping's stream no longer exists (its table was deleted)."""


class MappingProblem(RuntimeError):
    """The mapping cannot read its stream: the execution role lacks the stream's read
    permissions. The message is one line in the style of the mapping's LastProcessingResult
    ("PROBLEM: ...")."""


_DENIED: Final = ("AccessDenied", "AccessDeniedException")


def _denied(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in _DENIED


def _gone(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in (
        "ResourceNotFoundException",
        "TrimmedDataAccessException",
    )


class StreamPump:
    """Delivers a stream's records to a handler with the mapping's semantics (see __init__.py).

    `handler(event, context)` returns the function's response or raises: an InitError (the
    function could not start) stops delivery without checkpointing; anything else fails the batch.
    `follow_stream`, when given, is asked for the mapping's new stream after its stream is gone.
    `clock` is the wall clock that records' ages are measured against (tests pass their own).
    `clients(service)` makes the clients of the mapping's own calls (stream reads, failure
    delivery): the execution role's session in a deployment (for_deployment), the developer's
    in table mode. There is no default: whose calls these are is always said."""

    def __init__(
        self,
        *,
        clients: Clients,
        mapping: MappingSettings,
        handler: Handler,
        checkpoints: Checkpoints,
        log: Log = print,
        retry_delay_s: float = 0.2,
        poll_interval_s: float = 0.25,
        follow_stream: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
        metrics: LambdaMetrics | None = None,
    ) -> None:
        self._delivery = Delivery(
            mapping=mapping,
            handler=handler,
            checkpoints=checkpoints,
            destination=FailureDestination(mapping.on_failure_arn, clients),
            stats=PumpStats(),
            log=log,
            retry_delay_s=retry_delay_s,
            clock=clock,
            metrics=metrics,
        )
        self._streams = clients("dynamodbstreams")
        self.problem: str | None = None
        self._log = log
        self._poll_interval_s = poll_interval_s
        self._follow_stream = follow_stream
        self._metrics = metrics
        self._reader = self._new_reader()

    @classmethod
    def for_deployment(
        cls,
        developer: Clients,
        *,
        state_dir: Path = DEFAULT_STATE_DIR,
        handler: Handler | None = None,
        function_name: str | None = None,
        credentials: Credentials | None = None,
        echo: Log | None = None,
        **options: Any,
    ) -> StreamPump:
        """The pump of the deployed mapping, running the deployed code in a worker unless
        `handler` is given (the benchmark plugs in its own algorithm). Its position is kept per
        endpoint, so the state directory holds one file per port, however many runs.

        As in Lambda, everything runs as the function's execution role: the mapping's own calls
        (stream reads, failure delivery, log shipping) with one session of it, the worker with
        a session per cold start (`credentials` overrides the worker's). The developer reads the
        deployment (the mapping, the function's package) and assumes the role, as Lambda's
        service does."""
        mapping = find_mapping(developer, function_name)
        name = mapping.function_name
        clients = authz.mapping_clients(developer, name)
        if handler is None:
            log = options.get("log", print)
            handler = deployed_function(
                developer,
                mapping,
                state_dir,
                credentials=credentials or (lambda: authz.function_credentials(developer, name)),
                logs_client=clients("logs"),
                echo=echo or log,
            )
        return cls(
            mapping=mapping,
            handler=handler,
            checkpoints=Checkpoints(
                deployment_checkpoint_path(state_dir, developer.endpoint), mapping.stream_arn
            ),
            follow_stream=lambda: latest_stream(developer, mapping.table_name),
            clients=clients,
            # Published by the service, not the role: the development credentials.
            metrics=LambdaMetrics(
                developer("cloudwatch"),
                function_name=name,
                mapping_uuid=mapping.uuid,
                event_counts=mapping.event_count_metrics,
            ),
            **options,
        )

    @property
    def mapping(self) -> MappingSettings:
        return self._delivery.mapping

    @property
    def checkpoints(self) -> Checkpoints:
        return self._delivery.checkpoints

    @property
    def stats(self) -> PumpStats:
        return self._delivery.stats

    @property
    def handler(self) -> Handler:
        return self._delivery.handler

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
            read = sum(self._run_shard(shard_id) for shard_id in self._reader.shards())
            self.problem = None
            return read
        except InitError:
            self._reader = self._new_reader()  # read again from the checkpoint next time
            raise
        except ClientError as error:
            if _gone(error):
                raise StreamGoneError(self.mapping.stream_arn) from None
            if _denied(error):
                message = error.response.get("Error", {}).get("Message", "AccessDenied")
                self.problem = (
                    f"PROBLEM: Lambda cannot read the stream with the execution role: {message}"
                )
                self._reader = self._new_reader()
                raise MappingProblem(self.problem) from None
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
                filtered_before = self.stats.records_filtered_out
                for raw in page:
                    read += 1
                    record = lambda_record(raw, self.mapping.stream_arn)
                    consumed = sequence(record)
                    if not self._readable(record):
                        self.stats.records_filtered_out += 1
                        continue
                    if not batch:
                        batch_started = time.monotonic()
                    batch.append(record)
                    if len(batch) == self.mapping.batch_size:
                        self._delivery.deliver(shard_id, batch)
                        self.checkpoints.advance(shard_id, consumed)
                        batch = []
                self._count_polled(len(page), self.stats.records_filtered_out - filtered_before)
            waited = time.monotonic() - batch_started
            if batch and waited < self.mapping.batching_window_s:
                time.sleep(min(self._poll_interval_s, self.mapping.batching_window_s - waited))
                continue
            break
        if batch:
            self._delivery.deliver(shard_id, batch)
        if consumed is not None:
            self.checkpoints.advance(shard_id, consumed)
        return read

    def _count_polled(self, polled: int, filtered_out: int) -> None:
        if self._metrics is not None and polled:
            counts = {"PolledEventCount": polled, "FilteredOutEventCount": filtered_out}
            self._metrics.events(counts)

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
        reported: str | None = None
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
            except MappingProblem as problem:
                # Lambda keeps the mapping and retries; the state says why it reads nothing.
                if str(problem) != reported:
                    self._log(str(problem))
                    reported = str(problem)
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
        self._delivery = self._delivery.on_stream(arn)
        self._reader = self._new_reader()
        self._log(
            f"table {self.mapping.table_name!r} was recreated; following its new stream {arn}"
        )
        return True
