"""The measurements behind `make bench` that need no AWS endpoint (synth, test suite, cold start),
and the timing helpers every part shares.

Each figure is a ratio against a baseline measured beside it in the same run, so a slower or
faster machine moves both sides and the ratio stays meaningful.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from bench import synth_breakdown
from stacks.settings import DEFAULT_STAGE, STAGES

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
BASELINE_APP: Final = PROJECT_ROOT / "bench" / "baseline" / "app.py"
HANDLER_MODULE: Final = "stream_processor.handler"
TEST_PARTS: Final = ("unit", "infra", "integration", "e2e", "make_diff")

_IMPORTTIME_LINE: Final = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s*(\S.*)$")


def toolchain_env() -> dict[str, str]:
    """This process's environment with the project's Node 22 and CDK CLI first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [
            str(PROJECT_ROOT / "node_modules" / ".bin"),
            str(Path(sys.executable).parent),
            env.get("PATH", ""),
        ]
    )
    env.update({"CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "true"})
    return env


def cdk_cli() -> str:
    cli = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise RuntimeError(f"the CDK CLI is missing at {cli}: run `make setup`")
    return str(cli)


def timed_calls(call: Callable[[int], object], n: int) -> list[float]:
    """The wall time of each of n calls (call(i)), in seconds."""
    samples = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return samples


def median_and_p99_ms(samples: Sequence[float]) -> tuple[float, float]:
    """Median and 99th percentile (nearest rank) of timings in seconds, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 3), round(p99 * 1000, 3)


def latency_ms(samples: Sequence[float]) -> dict[str, float]:
    """`median_and_p99_ms` as the results file writes a latency: {"median": ms, "p99": ms}."""
    median, p99 = median_and_p99_ms(samples)
    return {"median": median, "p99": p99}


def calls_main(
    argv: list[str] | None, *, doc: str, run: Callable[[int], Any], default_calls: int
) -> int:
    """A latency part's `python -m` entry point: `--calls N`, its results as JSON on stdout."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--calls", type=int, default=default_calls)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.calls), indent=2))
    return 0


def summarize(samples: Sequence[float]) -> dict[str, Any]:
    """Median and spread (min, max) of repeated timings, in seconds."""
    return {
        "runs": len(samples),
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
        "samples_s": [round(s, 3) for s in samples],
    }


def _timed(command: Sequence[str], *, env: Mapping[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the process and every child it waited for:
    the CLI, the Python app, its jsii kernel) of one command, in seconds."""
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(
            list(command), cwd=PROJECT_ROOT, env=dict(env), stdout=output, stderr=output, text=True
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            output.seek(0)
            tail = "\n".join(output.read().strip().splitlines()[-15:])
            raise RuntimeError(f"{' '.join(command)} failed:\n{tail}")
    return elapsed, usage.ru_utime + usage.ru_stime


def measure_synth(runs: int, *, scratch: Path) -> dict[str, Any]:
    """Whole-process `cdk synth` of every stage and of the bare one-table app, interleaved run by
    run so that load on the machine falls on both sides alike; then where dev's time goes, phase
    by phase (bench.synth_breakdown).

    The figure is wall time. CPU time is recorded beside it: other work on a shared machine
    stretches wall time far more than the CPU time a synth needs, so its ratio is the steadier
    check of a change."""
    env = toolchain_env()
    cli = cdk_cli()
    commands: dict[str, list[str]] = {
        f"stage:{name}": [cli, "synth", "--quiet", "-c", f"stage={name}"] for name in STAGES
    }
    commands["baseline"] = [cli, "synth", "--quiet", "--app", f"{sys.executable} {BASELINE_APP}"]
    samples: dict[str, list[float]] = {target: [] for target in commands}
    cpu: dict[str, list[float]] = {target: [] for target in commands}
    for run in range(runs):
        for target, command in commands.items():
            outdir = scratch / f"synth-{target.replace(':', '-')}-{run}"
            wall, used = _timed([*command, "--output", str(outdir)], env=env)
            samples[target].append(wall)
            cpu[target].append(used)
            shutil.rmtree(outdir, ignore_errors=True)
    baseline = statistics.median(samples["baseline"])
    baseline_cpu = statistics.median(cpu["baseline"])
    result: dict[str, Any] = {}
    for target, values in samples.items():
        summary = summarize(values)
        summary["ratio_to_baseline"] = round(statistics.median(values) / baseline, 2)
        summary["cpu_median_s"] = round(statistics.median(cpu[target]), 3)
        summary["cpu_ratio_to_baseline"] = round(statistics.median(cpu[target]) / baseline_cpu, 2)
        result[target] = summary
    result["breakdown"] = synth_breakdown.measure_breakdown(
        runs, stage=DEFAULT_STAGE, scratch=scratch, env=env
    )
    return result


def measure_tests(*, scratch: Path) -> dict[str, Any]:
    """`make test` as a user runs it (every core), timed by pytest itself (JUnit XML): the wall
    clock, and each part's test time summed over the workers."""
    report = scratch / "junit.xml"
    env = toolchain_env() | {"PYTEST_ADDOPTS": f"-q -p no:cacheprovider --junitxml={report}"}
    # Other work on the machine moves this figure most: say how busy it was when the run began.
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    started = time.perf_counter()
    result = subprocess.run(
        ["make", "-s", "test"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise RuntimeError(f"the test suite failed:\n{tail}")
    parts = {part: {"tests": 0, "seconds": 0.0} for part in TEST_PARTS}
    # Our own report of our own run: not untrusted input.
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        dotted = (case.get("classname") or "").split(".")
        part = next((name for name in dotted if name in parts), None)
        if part:
            parts[part]["tests"] += 1
            parts[part]["seconds"] += float(case.get("time") or 0.0)
    for values in parts.values():
        values["seconds"] = round(values["seconds"], 2)
    return {
        "wall_s": round(wall, 2),
        "parts": parts,
        "load_average_at_start": load_at_start,
    }


def _cumulative_import_us(code_root: Path | None, module: str) -> int:
    """Cumulative import time of `module` in a fresh interpreter (`python -X importtime`),
    with `code_root` (the built asset) first on sys.path, as Lambda puts its task root."""
    path_setup = f"import sys; sys.path.insert(0, {str(code_root)!r}); " if code_root else ""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"{path_setup}import {module}"],
        capture_output=True, text=True, check=True, env=toolchain_env(),
        cwd=code_root or PROJECT_ROOT,
    )  # fmt: skip
    for line in result.stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if match and match.group(3).strip() == module:
            return int(match.group(2))
    raise RuntimeError(f"no import time reported for {module}")


def built_asset(scratch: Path, stage: str = "dev") -> Path:
    """Synthesize `stage` and return the stream processor's asset directory from cdk.out."""
    outdir = scratch / "asset-synth"
    subprocess.run(
        [cdk_cli(), "synth", "--quiet", "-c", f"stage={stage}", "--output", str(outdir)],
        cwd=PROJECT_ROOT, env=toolchain_env(), capture_output=True, check=True,
    )  # fmt: skip
    for candidate in sorted(outdir.glob("asset.*")):
        if (candidate / Path(*HANDLER_MODULE.split("."))).with_suffix(".py").exists():
            return candidate
    raise RuntimeError("no asset holding the stream processor's handler in cdk.out")


def measure_cold_start(runs: int, *, scratch: Path) -> dict[str, Any]:
    """Import time of the deployed handler (from the built asset) against `import boto3` alone,
    and the size of the code package CDK uploads (the asset directory, zipped)."""
    asset = built_asset(scratch)
    boto3_us: list[int] = []
    handler_us: list[int] = []
    for _ in range(runs):
        boto3_us.append(_cumulative_import_us(None, "boto3"))
        handler_us.append(_cumulative_import_us(asset, HANDLER_MODULE))
    files = [p for p in sorted(asset.rglob("*")) if p.is_file()]
    package = scratch / "package.zip"
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, file.relative_to(asset))
    boto3_ms = statistics.median(boto3_us) / 1000
    handler_ms = statistics.median(handler_us) / 1000
    return {
        "runs": runs,
        "import_boto3_ms": round(boto3_ms, 1),
        "import_handler_ms": round(handler_ms, 1),
        "handler_over_boto3_ratio": round(handler_ms / boto3_ms, 2),
        "handler_adds_ms": round(handler_ms - boto3_ms, 1),
        "package_files": len(files),
        "package_bytes_uncompressed": sum(f.stat().st_size for f in files),
        "package_bytes_zipped": package.stat().st_size,
        "package_contents": sorted({str(f.relative_to(asset).parts[0]) for f in files}),
    }


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="cruddur-bench-")
