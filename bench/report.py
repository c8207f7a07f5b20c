"""Renders bench/README.md from one results file of `make bench`, and fills the figures that
README.md and docs/ quote from bench results: the only places those figures come from.

A figure in a doc is a marker, `<!-- bench:PART.KEY[.KEY...] [FORMAT] -->value<!-- /bench -->`:
a dotted path into a results file's `parts` (a list index is a number) and an optional format spec
(`,`, `.0f`, ...; floats default to `g`), filled by `make bench-docs` from the newest results that
measured the part; tests/unit/test_doc_numbers.py fails when one differs or a figure is unmarked."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from bench import (
    authz_bench,
    capacity_bench,
    capacity_efficiency,
    capacity_model_report,
    synth_breakdown,
    table_growth,
    worker_bench,
)
from bench.measure import PROJECT_ROOT
from bench.tables import markdown_table, verdict

README: Final = PROJECT_ROOT / "bench" / "README.md"
RESULTS_DIR: Final = PROJECT_ROOT / "bench" / "results"
# The documents whose figures come from bench results (bench/README.md is generated whole).
MARKED_DOCS: Final = (PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md")))
MARKER: Final = re.compile(
    r"<!-- bench:(?P<key>[\w.:-]+)(?: (?P<spec>[^ ]+))? -->(?P<value>.*?)<!-- /bench -->"
)
# A run's own file is <date>.json; processor-<date>.json is processor_bench's standalone output.
_RUN_FILE: Final = re.compile(r"\d{4}-\d{2}-\d{2}\.json")


def measured(part: Any) -> bool:
    return isinstance(part, Mapping) and not ({"skipped", "error"} & set(part))


def latest_parts(results_dir: Path = RESULTS_DIR) -> dict[str, Mapping[str, Any]]:
    """Each part's figures from the newest run that measured it (a partial run, `--skip`,
    leaves the other parts' latest figures as they were)."""
    parts: dict[str, Mapping[str, Any]] = {}
    for path in sorted(p for p in results_dir.glob("*.json") if _RUN_FILE.fullmatch(p.name)):
        run = json.loads(path.read_text(encoding="utf-8"))
        parts.update({name: part for name, part in run["parts"].items() if measured(part)})
    return parts


def lookup(parts: Mapping[str, Any], key: str) -> Any:
    """The value at a marker's dotted path; KeyError naming the path if there is none."""
    value: Any = parts
    for step in key.split("."):
        try:
            value = value[int(step)] if isinstance(value, list) else value[step]
        except (KeyError, IndexError, ValueError, TypeError):
            raise KeyError(f"no bench result at {key!r} (stopped at {step!r})") from None
    return value


def formatted(value: Any, spec: str | None) -> str:
    if spec:
        return format(value, spec)
    return format(value, "g") if isinstance(value, float) else str(value)


def fill(text: str, parts: Mapping[str, Any]) -> str:
    """`text` with every marker's value replaced by the figure it names."""

    def replace(match: re.Match[str]) -> str:
        value = formatted(lookup(parts, match["key"]), match["spec"])
        spec = f" {match['spec']}" if match["spec"] else ""
        return f"<!-- bench:{match['key']}{spec} -->{value}<!-- /bench -->"

    return MARKER.sub(replace, text)


def write_docs(parts: Mapping[str, Any]) -> list[Path]:
    """Rewrite the markers of MARKED_DOCS; the documents that changed."""
    changed = []
    for path in MARKED_DOCS:
        text = path.read_text(encoding="utf-8")
        new = fill(text, parts)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.relative_to(PROJECT_ROOT))
    return changed


def _not_measured(part: Mapping[str, Any]) -> list[str] | None:
    for key in ("skipped", "error"):
        if key in part:
            return [f"Not measured in this run ({key}: {part[key]}).", ""]
    return None


def _synth(part: Mapping[str, Any]) -> list[str]:
    lines = [
        "Whole-process `cdk synth` (CLI start, Python app, cdk-nag validation, assembly), "
        "each target run interleaved with the others; baseline: a bare app with one table, "
        "synthesized by the same CLI in the same run. No goal: the extra time is the stack's "
        "checks (cdk-nag), alarms and asset, which it keeps; the breakdown below shows where "
        "it goes.",
        "",
    ]
    rows = [
        (target, v["runs"], v["median_s"], f"{v['min_s']}-{v['max_s']}", v["ratio_to_baseline"])
        + ((v["cpu_median_s"], v["cpu_ratio_to_baseline"]) if "cpu_median_s" in v else ())
        for target, v in part.items()
        if isinstance(v, Mapping) and "runs" in v
    ]
    header = ["target", "runs", "median s", "spread s", "x baseline"]
    if any(len(row) > len(header) for row in rows):
        header += ["CPU median s", "CPU x baseline"]
        lines[0] += (
            " CPU: user and system time of the CLI and every process under it, steadier than "
            "wall time when other work shares the machine."
        )
    lines += markdown_table(header, rows)
    if not part.get("breakdown"):
        return lines
    lines += [
        "Where the time goes (`python -m bench.synth_breakdown`): the app's own process, phase by "
        "phase, timed inside fresh interpreters (median of as many runs, interleaved); the CLI "
        "around it is the same for all. The stage built without registering cdk-nag's packs shows "
        "what running them costs within synth; `build:` rows are the units of the stack.",
        "",
    ]
    return lines + markdown_table(*synth_breakdown.table(part["breakdown"]))


def _tests(part: Mapping[str, Any]) -> list[str]:
    rows = [(name, v["tests"], v["seconds"]) for name, v in part["parts"].items()]
    lines = ["Times from pytest's own JUnit report of one run of `make test`.", ""]
    lines += markdown_table(["part", "tests", "test seconds (summed over workers)"], rows)
    load = "/".join(map(str, part.get("load_average_at_start") or ["not recorded"]))
    under = f"; the machine's load average (1/5/15 min) when it began: {load}"
    return [*lines, f"`make test`, wall clock on every core: {part['wall_s']} s{under}.", ""]


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
    return lines + markdown_table(["measure", "value"], rows)


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
        lines += markdown_table(["per message", "ours", "course", "course / ours"], rows)
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
    return lines + markdown_table(header, rows)


def _throughput(part: Mapping[str, Any]) -> list[str]:
    lines = [
        f"The built handler over an in-process DynamoDB answered at the HTTP layer (botocore's "
        f"`before-send`) after a fixed round trip, so the SDK's own work is counted; "
        f"{part['batch']} records per invocation, {part['workers']} worker threads; the round "
        f"trips interleaved over {part['repeats']} rounds, each figure the best of its runs (the "
        "one least disturbed by other processes on this shared machine). CPU: the process's, all "
        "threads, per message.",
        "",
    ]
    quiet, busy = part["scenarios"]["quiet"], part["scenarios"]["busy"]
    rows = [
        (
            q["round_trip_ms"],
            q["msg_per_s"],
            q["cpu_ms_per_msg"],
            b["msg_per_s"],
            b["cpu_ms_per_msg"],
        )
        for q, b in zip(quiet, busy, strict=True)
    ]
    header = ["round trip ms", "quiet msg/s", "quiet CPU ms/msg", "busy msg/s", "busy CPU ms/msg"]
    lines += markdown_table(header, rows)
    lag = part["lagging"]
    lines += [
        f"Quiet batch at 5 ms: **{part['ratio_5ms_to_0ms']}** of its 0 ms rate (goal: 0.8, "
        f"{verdict(part['ratio_5ms_to_0ms'] >= 0.8)}).",
        "",
        f"Lagging batch (100 records, {lag['lagging_conversations']} new conversations whose "
        f"second row is not in the index) at {lag['round_trip_ms']} ms: returned after "
        f"**{lag['wall_s']} s** against a {lag['timeout_s']} s timeout; {lag['reported']} "
        f"reported; every stale conversation at or after the checkpoint: "
        f"{'yes' if lag['stale_at_or_after_checkpoint'] else 'NO'}.",
        "",
    ]
    capacity = part["capacity"]
    lines += [
        f"What one invocation's CPU sustains at {capacity['cpu_ms_per_msg_at_0ms']} ms of CPU per "
        "message (quiet, 0 ms), with CPU share = memory / 1,769 MB (measured on this machine's "
        "core, not Graviton):",
        "",
    ]
    stages = ", ".join(
        f"{name} {v['memory_mb']} MB: {v['msg_per_s']} msg/s"
        for name, v in capacity["by_stage"].items()
    )
    lines += markdown_table(["memory MB", "msg/s"], capacity["by_memory_mb"].items())
    lines += [
        f"Stages today: {stages}. A shard's 1,000 writes/s would need "
        f"{capacity['memory_mb_for_a_full_shard']:,} MB.",
        "",
    ]
    if part.get("profile"):
        lines += ["cProfile, quiet batch at 0 ms on one thread, by own time:", "", "```"]
        lines += [*part["profile"][:12], "```", ""]
    return lines


def _reads(part: Mapping[str, Any]) -> list[str]:
    deep = part["list_conversations_deep"]
    rows = [
        ("`get-conversation --limit 20` (seed)", part["get_conversation_20"]["bytes"],
         part["get_conversation_20"]["rcu"], 1),
        ("`get-conversation --limit 3` (seed)", part["get_conversation_3"]["bytes"],
         part["get_conversation_3"]["rcu"], 1),
        ("`scan --limit 3` (seed)", part["scan_3"]["bytes"], part["scan_3"]["rcu"], 1),
        (f"pattern B page 1 of {deep['conversations']} conversations", deep["page_1"]["bytes"],
         deep["page_1"]["rcu"], deep["page_1"]["requests"]),
        (f"pattern B page 5 of {deep['conversations']} conversations", deep["page_5"]["bytes"],
         deep["page_5"]["rcu"], deep["page_5"]["requests"]),
    ]  # fmt: skip
    sizes = part["seed_group_row_bytes"]
    lines = [
        "Bytes read and read units estimated from item sizes by DynamoDB's rule (a Query or Scan "
        "page: its items' total size rounded up to 4 KB, halved when eventually consistent), as "
        f"the tools report them. A seed group row is {sizes['min']}-{sizes['max']} bytes.",
        "",
    ]
    return lines + markdown_table(["read", "bytes", "RCU", "requests"], rows)


_SECTIONS: Final = (
    ("synth", "1. Synth", _synth),
    ("tests", "2. Test suite", _tests),
    ("cold_start", "3. Cold start", _cold_start),
    ("stream_processor", "4. Stream processor cost", _processor),
    ("end_to_end", "5. End to end on the local cloud", _end_to_end),
    ("processor_throughput", "6. Stream processor throughput and time budget", _throughput),
    ("reads", "7. Reads", _reads),
    ("authorization", "8. Authorization of role-signed requests (local cloud)", authz_bench.report),
    ("worker", "9. The local cloud's worker", worker_bench.report),
    ("capacity", "10. DynamoDB capacity on the local cloud", capacity_bench.report),
    ("capacity_model", "11. The capacity model against the meter", capacity_model_report.render),
    ("capacity_efficiency", "12. Capacity efficiency under throttling", capacity_efficiency.render),
    ("table_growth", "13. A send as the table grows (local cloud)", table_growth.render),
)


def render(results: Mapping[str, Any], source: Path, report_path: Path = README) -> str:
    env = results["environment"]
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items())
    link = os.path.relpath(source, report_path.parent)
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench-docs` from [`{link}`]({link}); do not edit by hand. "
        "(`make bench` measures without touching tracked files: its runs go to `bench/runs/`.)",
        "",
        "Figures quoted in README.md and docs/ are markers, "
        "`<!-- bench:PART.KEY[.KEY...] [FORMAT] -->value<!-- /bench -->` (a dotted path into a "
        "results file's `parts`; FORMAT a Python format spec such as `,`), that `make bench-docs` "
        "fills from the newest run that measured each part. `tests/unit/test_doc_numbers.py` "
        "fails when a marked figure differs from the results, and when a doc states a figure "
        "(bytes, KB, RCU, WCU, ms, s, msg/s, Nx) that is neither marked nor listed there as "
        "arithmetic from a cited AWS rule or a setting. To quote a new figure: record it in its "
        "part's results, write the marker, run `python -m bench.run --refresh-docs --only PART`.",
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
