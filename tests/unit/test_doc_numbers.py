"""Figures in README.md and docs/ come from `make bench`: every marked figure equals the newest
bench results, and the figures a measurement would produce are all marked (or are arithmetic
from a cited AWS rule or a setting, listed below with the reason)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import report

# A number followed by a unit only a measurement or a rule gives: bytes, capacity, time, rate,
# or a multiplier ("5x"). Percentages and version numbers (2.x) are settings, not figures.
FIGURE = re.compile(
    r"(?<![\w.,-])~?\d+(?:[.,]\d+)*(?:-\d+(?:[.,]\d+)*)?\s?(?:bytes|KB|MB|RCU|WCU|ms|msg/s|s\b|x\b)"
)
# Figures that are not measurements, by file, each with why it may stand unmarked.
ALLOWED: dict[str, set[str]] = {
    # DynamoDB's write rule (1 WCU per started KB, transactions twice) applied to rows under 1 KB.
    # The processor's attempt budget (settings: 1 s timeouts); the store's bound (a setting).
    # The local cloud's capacity: DynamoDB's read unit (4 KB). The smoke run's --timeout (30 s).
    "README.md": {"1 KB", "4 WCU", "8 WCU", "12 WCU", "1 s", "3 s", "4 KB", "30 s"},
    # Alarm thresholds (settings).
    "docs/infrastructure.md": {"300 s", "60 s"},
    # The worker's settings (RSS sampled every 50 ms, a failed init retried after 5 s), glibc's
    # per-thread malloc arena (64 MB of address space), the authorization goal (2 ms), the table
    # mode's function settings (30 s, 256 MB).
    # DynamoDB's write and read units (1 KB, 4 KB) and one partition's limits (3,000 RCU,
    # 1,000 WCU), from the developer guide pages the capacity section cites. The alarms' period.
    "docs/local-cloud.md": {"50 ms", "64 MB", "5 s", "2 ms", "30 s", "256 MB"}
    | {"1 KB", "4 KB", "3,000 RCU", "1,000 WCU", "60 s"},
    # The message limit in UTF-8 (1024 x 4 bytes) against the 400 KB item limit; the read rule;
    # the preview's bound (a setting: items.PREVIEW_MAX_BYTES).
    # The store's settings under throttling (1 s timeouts, 2 s an attempt, backoff 50 ms to 0.5 s,
    # the 3 s bound, the 1 s hint, the tests' 0.4 s bound), API Gateway's ~30 s integration
    # timeout, botocore's legacy DynamoDB backoff (0.05 s x 2**n over 10 attempts: ~25 s), and the
    # write and read rules applied to items under 1 KB (1, 2, 4, 6, 10 WCU; 2 RCU).
    "docs/message-store.md": {"4 KB", "400 KB", "1 RCU", "200 bytes"}
    | {"1 s", "2 s", "50 ms", "0.5 s", "3 s", "0.4 s", "30 s", "25 s"}
    | {"1 KB", "1 WCU", "2 WCU", "4 WCU", "6 WCU", "10 WCU", "2 RCU"},
    # The write and read rules, and arithmetic on a 1024-character message of 4-byte characters.
    # The attempt budget's settings and their arithmetic (1 s timeouts, 2 s an attempt, 0.5 s to
    # answer, 2.5 s margin, the 30 s timeout, the old 10 s read timeout), the throttling backoff
    # (50 ms to 1 s) and AIMD interval (0.2 s), the retries-reach-the-age rule (120 x 30 s =
    # 3,600 s), the vCPU rule (1,769 MB) and memory sizes, the bench's round trips (5 and 10 ms).
    "docs/stream-processor.md": {"4,096 bytes", "5 WCU", "1 KB", "1 WCU", "2 WCU", "0.5 RCU"}
    | {"4 KB", "8 WCU"}
    | {"1 s", "2 s", "0.5 s", "2.5 s", "30 s", "10 s", "1,769 MB", "128 MB"}
    | {"50 ms", "0.2 s", "120 x", "3,600 s"}
    | {"5 ms", "10 ms"},
    # The client's timeouts and the table's capacity (settings), Scan's 1 MB page (a limit),
    # moto's flat 1 RCU per request, the read rule's 4 KB; the local endpoint's report in example
    # output (0.5 RCU: the read rule on the figures below it; test_tools_cli.py checks it).
    "docs/tools.md": {"2 s", "5 s", "5 RCU", "5 WCU", "1 MB", "1 RCU", "4 KB", "0.5 RCU"},
}


def relative(path: Path) -> str:
    return str(path.relative_to(report.PROJECT_ROOT))


def test_every_marked_figure_equals_the_latest_bench_results() -> None:
    parts = report.latest_parts()
    stale = []
    for path in report.MARKED_DOCS:
        for match in report.MARKER.finditer(path.read_text(encoding="utf-8")):
            expected = report.formatted(report.lookup(parts, match["key"]), match["spec"])
            if match["value"] != expected:
                stale.append(f"{relative(path)}: {match['key']} says {match['value']}, "
                             f"bench says {expected}")  # fmt: skip
    assert not stale, "run `make bench` (or fix the marker):\n" + "\n".join(stale)


def test_the_documents_quote_bench_figures_through_markers() -> None:
    """The check above has something to check: the figures the issue named are marked."""
    keys = {
        match["key"]
        for path in report.MARKED_DOCS
        for match in report.MARKER.finditer(path.read_text(encoding="utf-8"))
    }
    assert {
        "reads.get_conversation_20.bytes",
        "reads.get_conversation_3.bytes",
        "reads.seed_group_row_bytes.min",
        "reads.list_conversations_deep.page_5.rcu",
    } <= keys


# Documents written whole by a generator from a model, each kept equal to it by its own test.
GENERATED: dict[str, str] = {
    "docs/capacity.md": "tools/capacity_model/doc.py (tests/unit/test_capacity_doc.py)",
}


def test_no_unmarked_figure_in_the_documents() -> None:
    found = []
    for path in report.MARKED_DOCS:
        if relative(path) in GENERATED:
            continue
        text = report.MARKER.sub("", path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), start=1):
            for match in FIGURE.finditer(line):
                if match[0] not in ALLOWED.get(relative(path), set()):
                    found.append(f"{relative(path)}:{number}: {match[0]!r} in: {line.strip()}")
    assert not found, (
        "figures must come from bench results (a <!-- bench:KEY --> marker, see bench/report.py)"
        " or be listed in ALLOWED with the rule or setting they rest on:\n" + "\n".join(found)
    )


def test_fill_rewrites_a_stale_figure_and_keeps_the_marker() -> None:
    parts = {"reads": {"scan_3": {"bytes": 12345, "rcu": 1.0}}}
    text = "is <!-- bench:reads.scan_3.bytes , -->921<!-- /bench --> bytes, "
    text += "<!-- bench:reads.scan_3.rcu -->0.5<!-- /bench --> RCU"
    assert report.fill(text, parts) == (
        "is <!-- bench:reads.scan_3.bytes , -->12,345<!-- /bench --> bytes, "
        "<!-- bench:reads.scan_3.rcu -->1<!-- /bench --> RCU"
    )


def test_a_marker_naming_no_result_is_an_error() -> None:
    with pytest.raises(KeyError, match=r"reads\.nothing"):
        report.lookup({"reads": {}}, "reads.nothing")
    assert report.lookup({"e": {"s": [{"x": 3}]}}, "e.s.0.x") == 3


def test_each_part_comes_from_the_newest_run_that_measured_it(tmp_path: Path) -> None:
    runs = {
        "2026-01-01.json": {"a": {"v": 1}, "b": {"v": 1}},
        "2026-01-02.json": {"a": {"v": 2}, "b": {"skipped": "--skip"}},
        "processor-2026-01-03.json": {"a": {"v": 3}},  # not a run's file
    }
    for name, parts in runs.items():
        (tmp_path / name).write_text(json.dumps({"parts": parts}))
    assert report.latest_parts(tmp_path) == {"a": {"v": 2}, "b": {"v": 1}}
