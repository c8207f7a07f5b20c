"""Renders bench/README.md from one results file of `make bench`: the only place README's figures
come from. Regenerate with `make bench`; never edit bench/README.md by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from bench.measure import PROJECT_ROOT

README: Final = PROJECT_ROOT / "bench" / "README.md"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _not_measured(part: Mapping[str, Any]) -> list[str] | None:
    for key in ("skipped", "error"):
        if key in part:
            return [f"Not measured in this run ({key}: {part[key]}).", ""]
    return None


def _synth(part: Mapping[str, Any]) -> list[str]:
    lines = [
        "Whole-process `cdk synth` (CLI start, Python app, cdk-nag validation, assembly), "
        "each target run interleaved with the others; baseline: a bare app with one table, "
        "synthesized by the same CLI in the same run.",
        "",
    ]
    rows = [
        (target, v["runs"], v["median_s"], f"{v['min_s']}-{v['max_s']}", v["ratio_to_baseline"])
        for target, v in part.items()
        if isinstance(v, Mapping)
    ]
    return lines + _table(["target", "runs", "median s", "spread s", "x baseline"], rows)


def _tests(part: Mapping[str, Any]) -> list[str]:
    rows = [(name, v["tests"], v["seconds"]) for name, v in part["parts"].items()]
    lines = ["Times from pytest's own JUnit report of one run of the suite.", ""]
    lines += _table(["part", "tests", "seconds"], rows)
    return [*lines, f"Whole suite, wall clock (pytest process): {part['wall_s']} s.", ""]


def _cold_start(part: Mapping[str, Any]) -> list[str]:
    rows = [
        ("`import boto3` alone", f"{part['import_boto3_ms']} ms"),
        ("`import stream_processor.handler` (built asset)", f"{part['import_handler_ms']} ms"),
        ("handler / boto3", f"{part['handler_over_boto3_ratio']}x"),
        ("handler adds", f"{part['handler_adds_ms']} ms"),
        ("code package (zipped)", f"{part['package_bytes_zipped']:,} bytes"),
        ("code package (files)", f"{part['package_files']}"),
        ("code package (top level)", ", ".join(part["package_contents"])),
    ]
    lines = [
        f"`python -X importtime`, cumulative, median of {part['runs']} fresh interpreters.",
        "",
    ]
    return lines + _table(["measure", "value"], rows)


def _processor(part: Mapping[str, Any]) -> list[str]:
    lines = [
        "The same recorded stream replayed through this project's processor and through the "
        "course's algorithm (`bench/course_processor.py`) on one local server. "
        f"Capacity by DynamoDB's documented rules: {part.get('capacity_rules', '')}.",
        "",
    ]
    keys = (
        "requests_per_message",
        "wcu_per_message",
        "rcu_per_message",
        "invocations_per_message",
        "handler_ms_per_message",
    )
    for name, scenario in part["scenarios"].items():
        lines += [f"**{name}**: {scenario['description']}.", ""]
        rows = [
            (key.replace("_", " "), scenario["ours"][key], scenario["course"][key],
             scenario["ratios"].get(key, ""))
            for key in keys
        ]  # fmt: skip
        lines += _table(["per message", "ours", "course", "course / ours"], rows)
    return lines


def _end_to_end(part: Mapping[str, Any]) -> list[str]:
    lines = [
        "From the first `create_message` to both group rows updated, through the stream pump; "
        f"the local stage deployed by the real `cdk deploy` in {part['deploy_s']} s. The course's "
        "algorithm runs behind the mapping it was deployed with (batch size 1, no filter).",
        "",
    ]
    rows = [
        (
            s["conversations"],
            s["ours"]["messages"],
            s["ours"]["messages_per_s"],
            s["course"]["messages_per_s"],
            s["throughput_ratio"],
            s["ours"]["invocations_per_message"],
            s["course"]["invocations_per_message"],
            "yes" if s["ours"]["rows_correct"] and s["course"]["rows_correct"] else "NO",
        )
        for s in part["scenarios"]
    ]
    header = [
        "conversations",
        "messages",
        "ours msg/s",
        "course msg/s",
        "ours / course",
        "ours invocations/msg",
        "course invocations/msg",
        "rows correct",
    ]
    return lines + _table(header, rows)


def _worker(part: Mapping[str, Any]) -> list[str]:
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
    lines += _table(["warm invocation", "median ms", "p99 ms"], rows)
    goal = "met" if part["overhead_median_ms"] <= part["goal_overhead_median_ms"] else "NOT met"
    lines += [
        f"Goal: overhead <= {part['goal_overhead_median_ms']} ms median ({goal}).",
        "",
    ]
    cold = [
        ("trivial handler", part["cold_start_echo_ms"]),
        ("stream processor package (imports boto3)", part["cold_start_processor_ms"]),
    ]
    lines += _table(["cold start", "median ms"], cold)
    return [
        *lines,
        f"The stream processor's worker after init: {part['processor_virtual_mb']} MB of address "
        f"space (VmSize), {part['processor_peak_resident_mb']} MB resident at peak (VmHWM).",
        "",
    ]


_SECTIONS: Final = (
    ("synth", "1. Synth", _synth),
    ("tests", "2. Test suite", _tests),
    ("cold_start", "3. Cold start", _cold_start),
    ("stream_processor", "4. Stream processor cost", _processor),
    ("end_to_end", "5. End to end on the local cloud", _end_to_end),
    ("worker", "6. The local cloud's worker", _worker),
)


def render(results: Mapping[str, Any], source: Path) -> str:
    env = results["environment"]
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` from "
        f"[`{source.relative_to(README.parent)}`]({source.relative_to(README.parent)}); "
        "do not edit by hand.",
        "",
        f"Run {results['date']} on {env['cpu_count']} cores ({env['machine']}), Python "
        f"{env['python']}, Node {env['node']}, CDK CLI {env['cdk_cli']}; {packages}. "
        f"The whole run took {results['elapsed_s']} s.",
        "",
    ]
    for key, title, render_part in _SECTIONS:
        part = results["parts"].get(key, {"skipped": "not run"})
        lines += [f"## {title}", ""]
        lines += _not_measured(part) or render_part(part)
    return "\n".join(lines).rstrip() + "\n"


def write_readme(results: Mapping[str, Any], source: Path) -> Path:
    README.write_text(render(results, source), encoding="utf-8")
    return README.relative_to(PROJECT_ROOT)
