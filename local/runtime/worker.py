"""One Lambda execution environment: the deployed package in its own process, under the runtime
interface client, with Lambda's environment and limits.

    environment = ExecutionEnvironment(config, task_root, endpoint=..., credentials=...)
    response = environment({"Records": [...]})     # FunctionError if the function failed

The worker is `python -S -P -m awslambdaric <handler>`, the bootstrap of AWS's Python base images,
talking to this process's Runtime API (local/runtime/api.py). It is started cold on the first
invocation and after a kill, and reused warm in between. What it is given:

- the environment Lambda documents ("Defined runtime environment variables",
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
  plus the function's own variables and AWS_ENDPOINT_URL; nothing from this process's environment;
- `sys.path` = the task root, the runtime's libraries, the standard library: `-S` keeps the
  virtualenv's site-packages out and `-P` the working directory; the runtime's libraries (boto3
  and its dependencies, the runtime client) are a directory of symlinks to this virtualenv's
  copies (local/runtime/libraries.py);
- Timeout: at the deadline the worker is killed, the invocation fails with Lambda's
  "Task timed out after N.NN seconds", and the next one starts cold;
- MemorySize: the worker's resident set is watched during the invocation and its peak (VmHWM)
  read after it; above MemorySize the worker is killed and the invocation fails as Lambda's
  out-of-memory kill does (docs/local-cloud.md says why this, and not RLIMIT_AS).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from local import cloud
from local.runtime.api import Invocation, RuntimeApi
from local.runtime.function import FunctionConfig
from local.runtime.libraries import runtime_directory
from local.runtime.logs import LogStream, PlatformLog

_CREDENTIAL_NAMES: Final = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
)
_WATCH_INTERVAL_S: Final = 0.05
# Lambda's init phase limit for on-demand functions
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
_INIT_TIMEOUT_S: Final = 10.0
_PR_SET_PDEATHSIG: Final = 1  # linux/prctl.h
# Loaded here, not in the child: between fork and exec only the prctl call itself runs.
_LIBC: Final = ctypes.CDLL(None, use_errno=True)


class FunctionError(Exception):
    """The invocation failed: an unhandled exception, a timeout, a crash or an out-of-memory
    kill."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}" if message else error_type)
        self.error_type = error_type


class InitError(FunctionError):
    """The function could not start (its import or init raised): no event reached it."""


Credentials = Mapping[str, str] | Callable[[], Mapping[str, str]]


def _checked(credentials: Mapping[str, str]) -> dict[str, str]:
    """The three credential variables (there is no default: the worker runs as some identity)."""
    unknown = set(credentials) - _CREDENTIAL_NAMES
    if unknown:
        raise ValueError(
            f"credentials take only {sorted(_CREDENTIAL_NAMES)}, not {sorted(unknown)}"
        )
    return {name: credentials[name] for name in _CREDENTIAL_NAMES & set(credentials)}


class ExecutionEnvironment:
    """A worker process running the function, reused warm until it is killed or closed."""

    def __init__(
        self,
        config: FunctionConfig,
        task_root: Path,
        *,
        endpoint: str,
        credentials: Credentials,
        runtime_dir: Path | None = None,
        logs_client: Any | None = None,
        create_log_group: bool = True,
        echo: Callable[[str], None] = print,
    ) -> None:
        # A callable is asked at every cold start (a new session per environment, as Lambda's).
        self._credentials = credentials
        self.credentials = _checked(credentials() if callable(credentials) else credentials)
        self.config = config
        self.task_root = task_root.resolve()
        self.endpoint = endpoint
        self.runtime_dir = runtime_dir or runtime_directory()
        self.inits = 0
        self.invocations = 0
        self.last_report: dict[str, Any] = {}
        self._logs_client = logs_client
        self._create_log_group = create_log_group
        self._echo = echo
        self._process: subprocess.Popen[bytes] | None = None
        self._api: RuntimeApi | None = None
        self._log: LogStream | None = None
        self._platform: PlatformLog | None = None
        self._started_at = 0.0
        self._initialized = False

    # -- the process ------------------------------------------------------------------------

    def environment(self, api_address: str, log_stream: str, telemetry_fd: int) -> dict[str, str]:
        """Exactly the variables Lambda defines, the function's own and the local endpoint."""
        config = self.config
        env = dict(config.environment)
        env.update(
            {
                "_HANDLER": config.handler,
                "AWS_REGION": cloud.REGION,
                "AWS_DEFAULT_REGION": cloud.REGION,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": config.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
                "AWS_LAMBDA_LOG_FORMAT": config.log_format,
                "AWS_LAMBDA_RUNTIME_API": api_address,
                "LAMBDA_TASK_ROOT": str(self.task_root),
                "LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
                "LANG": "C.UTF-8",  # Lambda: en_US.UTF-8, often not installed here (see docs)
                "TZ": ":UTC",
                "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
                "PYTHONPATH": f"{self.task_root}:{self.runtime_dir}",
                # The runtime client reads and removes it: the handler never sees it.
                "_LAMBDA_TELEMETRY_LOG_FD": str(telemetry_fd),
                **self.credentials,
                # The function must reach the local endpoint, never a real account.
                "AWS_ENDPOINT_URL": self.endpoint,
            }
        )
        if config.log_level:
            env["AWS_LAMBDA_LOG_LEVEL"] = config.log_level
        return env

    def _start(self) -> None:
        if callable(self._credentials) and self.inits:
            self.credentials = _checked(self._credentials())
        self._api = RuntimeApi()
        self._log = LogStream(
            self._logs_client,
            self.config.log_group,
            self._echo,
            create_group=self._create_log_group,
        )
        self._platform = PlatformLog(self._log, self.config)
        read_end, write_end = os.pipe()
        env = self.environment(self._api.address, self._log.name, write_end)
        self._started_at = time.monotonic()
        self._initialized = False
        self._process = subprocess.Popen(
            [sys.executable, "-S", "-P", "-m", "awslambdaric", self.config.handler],
            cwd=self.task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write_end,),
            # Its own session: the terminal's Ctrl-C stops the pump, which then kills the worker;
            # a worker interrupted mid-invocation would print a traceback as the function's log.
            start_new_session=True,
            # Safe with threads: it makes one system call and takes no lock.
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )
        os.close(write_end)
        assert self._process.stdout is not None
        self._log.read_lines(self._process.stdout)
        self._log.read_frames(os.fdopen(read_end, "rb", buffering=0))
        self.inits += 1

    def kill(self) -> None:
        """End the execution environment; the next invocation starts cold."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._log is not None:
            self._log.close()
            self._log = None
            self._platform = None

    close = kill

    def __enter__(self) -> ExecutionEnvironment:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- invoking ---------------------------------------------------------------------------

    def __call__(self, event: Any, context: Any = None) -> Any:
        """The pump's handler interface; the worker builds its own context from the headers."""
        return self.invoke(event)

    def invoke(self, event: Any) -> Any:
        started = time.monotonic()
        if self._process is None or self._process.poll() is not None:
            self.kill()
            self._start()
        assert self._api is not None and self._platform is not None and self._process is not None
        self.invocations += 1
        request_id = str(uuid.uuid4())
        cold = not self._initialized
        if cold:
            self._wait_for_init()
            self._initialized = True
        init_ms = (time.monotonic() - self._started_at) * 1000 if cold else None
        invocation = Invocation(
            request_id=request_id,
            payload=json.dumps(event).encode(),
            deadline_ms=int((time.time() + self.config.timeout_s) * 1000),
            function_arn=self.config.arn,
        )
        begun = time.monotonic()
        self._platform.start(request_id)
        self._api.submit(invocation)
        failure = self._watch(invocation, begun)
        duration_ms = (time.monotonic() - begun) * 1000
        peak_mb = self._peak_rss_mb()
        if failure is None and peak_mb > self.config.memory_mb:
            failure = FunctionError(
                "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"
            )
        status = (
            "timeout"
            if failure and failure.error_type == "Sandbox.Timedout"
            else "error"
            if failure
            else "success"
        )
        self._platform.report(
            request_id, duration_ms=duration_ms, peak_mb=peak_mb, init_ms=init_ms, status=status
        )
        self.last_report = {
            "cold": cold,
            "init_ms": init_ms,
            "duration_ms": duration_ms,
            "total_ms": (time.monotonic() - started) * 1000,
            "max_memory_mb": peak_mb,
        }
        if failure is not None:
            if (
                failure.error_type.startswith("Runtime.")
                or failure.error_type == "Sandbox.Timedout"
            ):
                self.kill()
            raise failure
        if invocation.error is not None:
            raise FunctionError(
                str(invocation.error.get("errorType")), str(invocation.error.get("errorMessage"))
            )
        return json.loads(invocation.response or b"null")

    def _wait_for_init(self) -> None:
        """Until the client asks for its first event; InitError if it reports or dies first."""
        assert self._api is not None and self._process is not None
        deadline = time.monotonic() + _INIT_TIMEOUT_S
        while not self._api.init_done.wait(_WATCH_INTERVAL_S):
            if self._process.poll() is not None or time.monotonic() > deadline:
                break
        if self._api.init_error is None and self._api.init_done.is_set():
            return
        error = self._api.init_error or {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"Runtime exited with error: exit status {self._process.poll()}",
        }
        if self._process.poll() is None:
            self._process.wait(timeout=5)
        init_ms = (time.monotonic() - self._started_at) * 1000
        if self._platform is not None:
            self._platform.init_failed(init_ms, str(error["errorType"]))
        self.kill()
        raise InitError(str(error["errorType"]), str(error.get("errorMessage", "")))

    def _watch(self, invocation: Invocation, begun: float) -> FunctionError | None:
        """None when the worker answered; the failure when it timed out, died or outgrew memory."""
        assert self._process is not None
        deadline = begun + self.config.timeout_s
        while not invocation.done.wait(_WATCH_INTERVAL_S):
            if time.monotonic() >= deadline:
                elapsed = time.monotonic() - begun
                message = f"Task timed out after {elapsed:.2f} seconds"
                if self._platform is not None:
                    self._platform.timed_out(invocation.request_id, message)
                return FunctionError("Sandbox.Timedout", message)
            status = self._process.poll()
            if status is not None:
                return FunctionError(
                    "Runtime.ExitError", f"Runtime exited with error: exit status {status}"
                )
            if self._rss_mb("VmRSS") > self.config.memory_mb:
                return FunctionError(
                    "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"
                )
        return None

    def _rss_mb(self, field: str) -> float:
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()  # type: ignore[union-attr]
        except OSError:
            return 0.0
        for line in status.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def memory_mb(self) -> dict[str, float]:
        """The worker's address space (VmSize) and peak resident set (VmHWM), in MB."""
        return {"virtual": self._rss_mb("VmSize"), "peak_resident": self._rss_mb("VmHWM")}

    def _peak_rss_mb(self) -> float:
        return self._rss_mb("VmHWM") if self._process is not None else 0.0


def _die_with_parent() -> None:
    """In the worker, before exec: SIGKILL it when the process that started it dies (a pump
    killed with SIGKILL leaves no orphan waiting on a Runtime API that is gone)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
