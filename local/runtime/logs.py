"""Where a worker's output goes: the function's log group in the local endpoint, and a terminal;
and the lines Lambda's platform adds to it (START, END, REPORT, or their JSON records).

Lambda captures two things from an execution environment, one CloudWatch event each: every line
the process writes to stdout/stderr, and every frame the runtime client writes to its telemetry
descriptor (`_LAMBDA_TELEMETRY_LOG_FD`: a log record, a multi-line traceback included, is one
frame). One log stream per execution environment, named `YYYY/MM/DD/[$LATEST]<32 hex>`
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html). Events are sent to
CloudWatch Logs by a background thread, so logging never sits on an invocation's path.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any, Final

from local.runtime.function import FunctionConfig

_FRAME_HEADER: Final = 16  # type (4), length (4), timestamp in microseconds (8), big-endian
_FLUSH_INTERVAL_S: Final = 0.2
_BATCH_LIMIT: Final = 1000  # PutLogEvents' most events per call

Echo = Callable[[str], None]


def stream_name(now: datetime | None = None) -> str:
    moment = now or datetime.now(tz=UTC)
    return f"{moment:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


class LogStream:
    """One execution environment's log stream: events go to CloudWatch Logs (when a client is
    given) and, one line each, to `echo`. `create_group=False` when the group is deployed (the
    stack's own, and its role may not create groups: asking would be a denied call)."""

    def __init__(
        self, logs_client: Any | None, group: str, echo: Echo, *, create_group: bool = True
    ) -> None:
        self.group = group
        self.name = stream_name()
        self._client = logs_client
        self._echo = echo
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        if logs_client is not None and create_group:
            with contextlib.suppress(logs_client.exceptions.ResourceAlreadyExistsException):
                logs_client.create_log_group(logGroupName=group)
        if logs_client is not None:
            logs_client.create_log_stream(logGroupName=group, logStreamName=self.name)
            self._flusher = threading.Thread(target=self._flush_loop, daemon=True)
            self._flusher.start()

    def write(self, message: str, timestamp_ms: int | None = None) -> None:
        message = message.rstrip("\n")
        if not message:
            return
        self._echo(message.replace("\r", "\n").replace("\n", "\\n"))
        if self._client is None:
            return
        event = {"timestamp": timestamp_ms or int(time.time() * 1000), "message": message}
        with self._lock:
            self._events.append(event)

    def read_lines(self, pipe: IO[bytes]) -> threading.Thread:
        """A thread writing each line of `pipe` (the worker's stdout and stderr) as one event."""

        def pump() -> None:
            for raw in iter(pipe.readline, b""):
                self.write(raw.decode(errors="replace"))

        return _started(pump)

    def read_frames(self, pipe: IO[bytes]) -> threading.Thread:
        """A thread writing each telemetry frame of `pipe` as one event."""

        def pump() -> None:
            while header := _read_exactly(pipe, _FRAME_HEADER):
                length = int.from_bytes(header[4:8], "big")
                micros = int.from_bytes(header[8:16], "big")
                body = _read_exactly(pipe, length)
                self.write(body.decode(errors="replace"), micros // 1000)

        return _started(pump)

    def close(self) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=5)
        self._flush()

    def _flush_loop(self) -> None:
        while not self._stop.wait(_FLUSH_INTERVAL_S):
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            events, self._events = self._events, []
        if not events or self._client is None:
            return
        events.sort(key=lambda event: event["timestamp"])  # PutLogEvents wants them in order
        for start in range(0, len(events), _BATCH_LIMIT):
            try:
                self._client.put_log_events(
                    logGroupName=self.group,
                    logStreamName=self.name,
                    logEvents=events[start : start + _BATCH_LIMIT],
                )
            except Exception as error:  # the endpoint went away: the terminal still has them
                self._echo(f"(log events not sent to {self.group}: {type(error).__name__})")
                return


class PlatformLog:
    """The lines Lambda's platform adds to an execution environment's log stream, in the
    function's log format: START, END and REPORT (Text), or platform.start and platform.report
    records (JSON, the INFO-level ones dropped at system log level WARN); an init failure's
    INIT_REPORT and a timeout's line in either."""

    def __init__(self, stream: LogStream, config: FunctionConfig) -> None:
        self._stream = stream
        self._config = config

    def start(self, request_id: str) -> None:
        if self._config.log_format == "JSON":
            self._record("start", request_id, {"version": "$LATEST"})
        else:
            self._stream.write(f"START RequestId: {request_id} Version: $LATEST")

    def report(
        self,
        request_id: str,
        *,
        duration_ms: float,
        peak_mb: float,
        init_ms: float | None,
        status: str,
    ) -> None:
        """`status`: success, error or timeout."""
        memory_mb = self._config.memory_mb
        if self._config.log_format == "JSON":
            metrics: dict[str, Any] = {
                "durationMs": round(duration_ms, 2),
                "billedDurationMs": int(duration_ms) + 1,
                "memorySizeMB": memory_mb,
                "maxMemoryUsedMB": int(peak_mb),
            }
            if init_ms is not None:
                metrics["initDurationMs"] = round(init_ms, 2)
            self._record("report", request_id, {"metrics": metrics, "status": status})
            return
        self._stream.write(f"END RequestId: {request_id}")
        init = f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else ""
        self._stream.write(
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {memory_mb} MB\t"
            f"Max Memory Used: {int(peak_mb)} MB{init}"
            + (f"\tStatus: {status}" if status != "success" else "")
        )

    def init_failed(self, init_ms: float, error_type: str) -> None:
        self._stream.write(
            f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\t"
            f"Error Type: {error_type}"
        )

    def timed_out(self, request_id: str, message: str) -> None:
        self._stream.write(f"{_now_iso()} {request_id} {message}")

    def _record(self, kind: str, request_id: str, record: dict[str, Any]) -> None:
        # platform.start and a successful platform.report are INFO-level system logs.
        if self._config.system_log_level == "WARN" and record.get("status", "") in (
            "",
            "success",
        ):
            return
        document = {
            "time": _now_iso(),
            "type": f"platform.{kind}",
            "record": {"requestId": request_id, **record},
        }
        self._stream.write(json.dumps(document))


def _now_iso() -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        + f".{int(time.time() * 1000) % 1000:03d}Z"
    )


def _read_exactly(pipe: IO[bytes], size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = pipe.read(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _started(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread
