"""`make bench`: every figure the project states, measured side by side in one run.

    python -m bench.run [--synth-runs N] [--cold-start-runs N] [--skip PART ...] [--only PART ...]
                        [--refresh-docs]

Writes bench/runs/<date>.json (every figure, the machine's core count, the tool versions) and its
report, bench/runs/<date>.md: untracked, so measuring leaves `git status` as it was. With
--refresh-docs (`make bench-docs`) the run goes to bench/results/ instead (committed), and
bench/README.md and the docs' figures are regenerated from it. Stops by itself: each part has a
time budget, and a part that would start past the overall deadline is recorded as skipped.
`--only` re-measures some parts and keeps the other parts' figures from that day's results file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from bench import measure, report
from local import server
from tools.capacity_model import doc as capacity_doc

RESULTS_DIR: Final = measure.PROJECT_ROOT / "bench" / "results"
RUNS_DIR: Final = measure.PROJECT_ROOT / "bench" / "runs"  # gitignored
# Thirteen parts since the capacity work: about 5 min in the latest run (bench/results): room left.
DEADLINE_S: Final = 14 * 60
PARTS: Final = (
    "synth",
    "tests",
    "cold_start",
    "stream_processor",
    "processor_throughput",
    "end_to_end",
    "reads",
    "authorization",
    "worker",
    "capacity",
    "capacity_model",
    "capacity_efficiency",
    "table_growth",
)
# What each part needs of the remaining time to be worth starting (from earlier runs here).
_MIN_BUDGET_S: Final = {
    "synth": 90,
    "tests": 100,
    "cold_start": 20,
    "stream_processor": 30,
    "processor_throughput": 40,
    "end_to_end": 150,
    "reads": 40,
    "authorization": 40,
    "worker": 20,
    "capacity": 30,
    "capacity_model": 30,
    "capacity_efficiency": 60,
    "table_growth": 60,
}


class DeadlineReached(Exception):
    """Raised in the running part when the overall deadline passes (SIGALRM)."""


def _stop_at_deadline(signum: int, frame: object) -> None:
    raise DeadlineReached("stopped at the run's deadline")


def forget_earlier_parts() -> None:
    """Start the next part on an empty local cloud. moto keeps its backends in module globals, so
    the stacks, VPCs and tables one part's endpoint created stayed in this process after it
    stopped, and later parts measured on top of them (authorization took twice as long after
    end_to_end and reads as on its own). The same reset as moto's POST /moto-api/reset."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    gc.collect()


def _version(command: list[str]) -> str:
    result = subprocess.run(
        command, capture_output=True, text=True, env=measure.toolchain_env(), check=False
    )
    if result.returncode != 0:
        return "?"
    return (result.stdout or result.stderr).strip().splitlines()[0]


def environment() -> dict[str, Any]:
    packages = ("aws-cdk-lib", "cdk-nag", "boto3", "moto", "pytest", "cfn-lint")
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "cdk_cli": _version([measure.cdk_cli(), "--version"]),
        "packages": {name: metadata.version(name) for name in packages},
    }


def keep_earlier_figures(results: dict[str, Any], out: Path) -> None:
    """Parts this run did not measure (`--skip`, `--only`) keep the latest figures of the earlier
    runs beside `out` (that day's file included), each naming the run that measured it."""
    kept: dict[str, Any] = {}
    for path in sorted(out.parent.glob("????-??-??.json")):  # runs, not processor-<date>.json
        earlier = json.loads(path.read_text(encoding="utf-8"))
        for name, part in earlier.get("parts", {}).items():
            if report.measured(part):
                kept[name] = {**part, "measured_by_run": part.get(
                    "measured_by_run", earlier.get("date"))}  # fmt: skip
    for name, part in kept.items():
        if not report.measured(results["parts"].get(name)):
            results["parts"][name] = part


def publish(
    results: dict[str, Any],
    *,
    refresh_docs: bool,
    runs_dir: Path = RUNS_DIR,
    results_dir: Path = RESULTS_DIR,
) -> list[Path]:
    """Writes a run's results and report; the paths written, relative to the project when
    inside it. Only with `refresh_docs` does a tracked file change."""
    out_dir = results_dir if refresh_docs else runs_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{results['date'][:10]}.json"
    keep_earlier_figures(results, out)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if refresh_docs:
        written = [out, report.write_readme(results, out), *report.write_docs(
            report.latest_parts(results_dir))]  # fmt: skip
        # docs/capacity.md is generated whole: its scale table is computed from part 6's rate.
        if results_dir == RESULTS_DIR and capacity_doc.write():
            written.append(capacity_doc.DOC)
    else:
        written = [out, out.with_suffix(".md")]
        written[1].write_text(report.render(results, out, written[1]), encoding="utf-8")
    root = measure.PROJECT_ROOT
    relative = (
        p.relative_to(root) if p.is_absolute() and p.is_relative_to(root) else p for p in written
    )
    return list(dict.fromkeys(relative))  # a document both filled and regenerated, once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--synth-runs", type=int, default=3)
    parser.add_argument("--cold-start-runs", type=int, default=5)
    parser.add_argument("--skip", nargs="*", choices=PARTS, default=[])
    parser.add_argument("--only", nargs="*", choices=PARTS, default=[])
    parser.add_argument(
        "--refresh-docs",
        action="store_true",
        help="write the committed results, bench/README.md and the docs' figures",
    )
    args = parser.parse_args(argv)
    if args.only:
        args.skip = [part for part in PARTS if part not in args.only]

    started = time.monotonic()
    signal.signal(signal.SIGALRM, _stop_at_deadline)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "parts": {},
    }
    with measure.scratch_dir() as scratch_name:
        scratch = Path(scratch_name)
        from bench import (
            authz_bench,
            capacity_bench,
            capacity_efficiency,
            capacity_model_bench,
            end_to_end,
            processor_bench,
            processor_throughput,
            reads,
            table_growth,
            worker_bench,
        )

        jobs: dict[str, Callable[[], dict[str, Any]]] = {
            "synth": lambda: measure.measure_synth(args.synth_runs, scratch=scratch),
            "tests": lambda: measure.measure_tests(scratch=scratch),
            "cold_start": lambda: measure.measure_cold_start(args.cold_start_runs, scratch=scratch),
            "stream_processor": lambda: processor_bench.run(scratch / "processor.json"),
            "processor_throughput": lambda: processor_throughput.run(profile=True),
            "end_to_end": lambda: end_to_end.measure_end_to_end(server.free_port(), scratch),
            "reads": lambda: reads.measure_reads(server.free_port(), scratch),
            "authorization": authz_bench.run,
            "worker": lambda: worker_bench.run(scratch),
            "capacity": capacity_bench.run,
            "capacity_model": lambda: capacity_model_bench.measure_capacity(
                server.free_port(), scratch
            ),
            "capacity_efficiency": capacity_efficiency.run,
            "table_growth": table_growth.run,
        }
        for part in PARTS:
            remaining = DEADLINE_S - (time.monotonic() - started)
            if part in args.skip:
                results["parts"][part] = {"skipped": "--skip"}
                continue
            if remaining < _MIN_BUDGET_S[part]:
                results["parts"][part] = {"skipped": f"only {remaining:.0f}s left of the deadline"}
                continue
            print(f"bench: {part} ...", file=sys.stderr, flush=True)
            forget_earlier_parts()
            part_started = time.monotonic()
            # A part still running at the deadline is interrupted (subprocess.run kills its
            # child), so the run stops by itself and still writes what it measured.
            signal.alarm(max(1, int(remaining)))
            try:
                results["parts"][part] = jobs[part]()
            except Exception as error:  # a failed part is reported, the others still run
                results["parts"][part] = {"error": f"{type(error).__name__}: {error}"}
            finally:
                signal.alarm(0)
            results["parts"][part]["elapsed_s"] = round(time.monotonic() - part_started, 1)
    results["elapsed_s"] = round(time.monotonic() - started, 1)

    written = publish(results, refresh_docs=args.refresh_docs)
    print(f"bench: wrote {', '.join(map(str, written))}", file=sys.stderr)
    if not args.refresh_docs:
        print("bench: `make bench-docs` would put a run into the docs", file=sys.stderr)
    failed = [p for p, r in results["parts"].items() if "error" in r]
    for part in failed:
        print(f"bench: {part} failed: {results['parts'][part]['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
