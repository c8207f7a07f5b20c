"""`make bench`, worker part: what running a function in its own execution environment costs.

- warm overhead: the same handler, the same 10-record stream event (the local stage's batch
  size), called directly in this process and invoked through the worker (JSON out, the Runtime
  API's long poll, the runtime client, JSON back); the difference of the medians and of the
  99th percentiles. Goal: at most 10 ms median (issue 12).
- cold start: from spawning the worker to the first answer, for that trivial handler and for the
  working tree's stream processor package (which imports boto3 at init, as deployed).
No endpoint is called: the handlers make no AWS requests.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from bench import measure
from bench.tables import markdown_table, verdict
from cruddur_messages import schema
from local import cloud
from local.pump.functions import TABLE_MODE_HANDLER
from local.runtime.function import FunctionConfig
from local.runtime.worker import ExecutionEnvironment
from local.stream_events import synthetic_record

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
_ECHO = """
def handler(event, context):
    return {"batchItemFailures": [], "records": len(event["Records"])}
"""
_WARM_CALLS: Final = 300
_COLD_RUNS: Final = 5
_BATCH: Final = 10


def _event() -> dict[str, Any]:
    items = [
        {
            schema.PARTITION_KEY: schema.message_pk("5ae290ed-55d1-47a0-bc6d-fe2bc2700399"),
            schema.SORT_KEY: f"2024-05-01T12:00:{n:02d}.000000+00:00",
            "message": f"message number {n} of the benchmark batch",
            "user_uuid": "f73197aa-e8e7-4a71-9bd7-9c0a0fd1bcbb",
        }
        for n in range(_BATCH)
    ]
    return {"Records": [synthetic_record(item, str(1000 + n)) for n, item in enumerate(items)]}


def _config(name: str, handler: str, environment: dict[str, str] | None = None) -> FunctionConfig:
    return FunctionConfig(
        name=name,
        arn=f"arn:aws:lambda:{cloud.REGION}:000000000000:function:{name}",
        handler=handler,
        environment=environment or {},
        timeout_s=30,
        memory_mb=256,
        code_sha256="bench",
        log_format="JSON",
        log_level="WARN",
    )


def _percentiles(samples: list[float]) -> dict[str, float]:
    median, p99 = measure.median_and_p99_ms(samples)
    return {"median_ms": median, "p99_ms": p99}


def _direct(task_root: Path, event: dict[str, Any]) -> list[float]:
    spec = importlib.util.spec_from_file_location("bench_echo", task_root / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return measure.timed_calls(lambda _: module.handler(event, None), _WARM_CALLS)


def _environment(config: FunctionConfig, task_root: Path) -> ExecutionEnvironment:
    """A quiet worker of the echo function, which calls nothing: any credentials do."""
    return ExecutionEnvironment(
        config,
        task_root,
        endpoint="http://localhost:1",
        credentials=cloud.DUMMY_CREDENTIALS,
        echo=lambda _line: None,
    )


def _through_worker(task_root: Path, event: dict[str, Any]) -> list[float]:
    config = _config("bench-echo", "app.handler")
    with _environment(config, task_root) as environment:
        environment(event)  # the cold start is measured on its own below
        return measure.timed_calls(lambda _: environment(event), _WARM_CALLS)


def _cold_starts(
    config: FunctionConfig, task_root: Path, event: dict[str, Any]
) -> tuple[list[float], dict[str, float]]:
    """Spawn-to-answer times, and the last worker's memory after its first invocation."""
    samples = []
    memory: dict[str, float] = {}
    for _ in range(_COLD_RUNS):
        with _environment(config, task_root) as environment:
            started = time.perf_counter()
            environment(event)
            samples.append(time.perf_counter() - started)
            memory = environment.memory_mb()
    return samples, memory


def run(scratch: Path) -> dict[str, Any]:
    task_root = scratch / "worker-echo"
    task_root.mkdir(parents=True, exist_ok=True)
    (task_root / "app.py").write_text(_ECHO, encoding="utf-8")
    event = _event()
    direct = _percentiles(_direct(task_root, event))
    worker = _percentiles(_through_worker(task_root, event))
    processor = _config(
        "bench-processor",
        TABLE_MODE_HANDLER,
        {schema.TABLE_NAME_ENV: "bench-table", schema.GSI_NAME_ENV: schema.GSI_NAME},
    )
    empty: dict[str, Any] = {"Records": []}
    echo_cold, _ = _cold_starts(_config("bench-echo", "app.handler"), task_root, empty)
    processor_cold, memory = _cold_starts(processor, PROJECT_ROOT / "lambda_src", empty)
    return {
        "batch_records": _BATCH,
        "warm_calls": _WARM_CALLS,
        "direct": direct,
        "worker": worker,
        "overhead_median_ms": round(worker["median_ms"] - direct["median_ms"], 3),
        "overhead_p99_ms": round(worker["p99_ms"] - direct["p99_ms"], 3),
        "goal_overhead_median_ms": 10,
        "cold_runs": _COLD_RUNS,
        "cold_start_echo_ms": round(statistics.median(echo_cold) * 1000, 1),
        "cold_start_processor_ms": round(statistics.median(processor_cold) * 1000, 1),
        # Why the memory limit watches the resident set and not RLIMIT_AS (docs/local-cloud.md).
        "processor_virtual_mb": round(memory["virtual"]),
        "processor_peak_resident_mb": round(memory["peak_resident"]),
    }


def report(part: Mapping[str, Any]) -> list[str]:
    """This part's section of bench/README.md."""
    lines = [
        "The local cloud's execution environment (a worker process under awslambdaric behind "
        f"the Runtime API): one {part['batch_records']}-record stream event, "
        f"{part['warm_calls']} warm calls, against the same handler called in this process; "
        f"cold start: median of {part['cold_runs']} fresh workers, spawn to first answer.",
        "",
    ]
    rows = [
        ("direct call", part["direct"]["median_ms"], part["direct"]["p99_ms"]),
        ("through the worker", part["worker"]["median_ms"], part["worker"]["p99_ms"]),
        ("worker overhead", part["overhead_median_ms"], part["overhead_p99_ms"]),
    ]
    lines += markdown_table(["warm invocation", "median ms", "p99 ms"], rows)
    goal = verdict(part["overhead_median_ms"] <= part["goal_overhead_median_ms"])
    lines += [f"Goal: overhead <= {part['goal_overhead_median_ms']} ms median ({goal}).", ""]
    cold = [
        ("trivial handler", part["cold_start_echo_ms"]),
        ("stream processor package (imports boto3)", part["cold_start_processor_ms"]),
    ]
    lines += markdown_table(["cold start", "median ms"], cold)
    return [
        *lines,
        f"The stream processor's worker after init: {part['processor_virtual_mb']} MB of address "
        f"space (VmSize), {part['processor_peak_resident_mb']} MB resident at peak (VmHWM).",
        "",
    ]
