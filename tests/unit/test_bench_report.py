"""bench/README.md is generated from a results file: what it says comes from the figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import measure, report


def _results(**parts: Any) -> dict[str, Any]:
    return {
        "date": "2026-01-01T00:00:00+00:00",
        "elapsed_s": 12.5,
        "environment": {
            "cpu_count": 2,
            "machine": "x86_64",
            "python": "3.11.7",
            "node": "v22",
            "cdk_cli": "2.1148.1",
            "packages": {"aws-cdk-lib": "2.275.0"},
        },
        "parts": parts,
    }


SOURCE = report.README.parent / "results" / "2026-01-01.json"


def test_summary_gives_median_and_spread() -> None:
    """Repeated timings become their median, min and max."""
    summary = measure.summarize([3.0, 1.0, 2.0])
    assert (summary["median_s"], summary["min_s"], summary["max_s"]) == (2.0, 1.0, 3.0)
    assert summary["runs"] == 3


def test_synth_table_shows_each_target_against_the_baseline() -> None:
    """Every synth target is a row with its median and its ratio to the baseline; synth time
    has no goal (issue 26), so none is stated or judged."""
    synth = {
        "stage:dev": {**measure.summarize([6.0, 6.2]), "ratio_to_baseline": 1.5},
        "baseline": {**measure.summarize([4.0, 4.1]), "ratio_to_baseline": 1.0},
    }
    text = report.render(_results(synth=synth), SOURCE)
    assert "| stage:dev | 2 | 6.1 | 6.0-6.2 | 1.5 |" in text
    assert "| baseline | 2 | 4.05 | 4.0-4.1 | 1.0 |" in text
    synth_section = text.split("## 1. Synth", 1)[1].split("\n## ", 1)[0]
    assert "No goal" in synth_section and synth_section.lower().count("goal") == 1


def test_synth_table_shows_cpu_time_beside_wall_time_when_recorded() -> None:
    """CPU time and its ratio are two more columns of the same rows."""
    cpu = {"cpu_median_s": 5.5, "cpu_ratio_to_baseline": 1.25}
    synth = {
        "stage:dev": {**measure.summarize([6.0, 6.2]), "ratio_to_baseline": 1.5, **cpu},
        "baseline": {**measure.summarize([4.0, 4.1]), "ratio_to_baseline": 1.0,
                     "cpu_median_s": 4.4, "cpu_ratio_to_baseline": 1.0},
    }  # fmt: skip
    text = report.render(_results(synth=synth), SOURCE)
    assert (
        "| target | runs | median s | spread s | x baseline | CPU median s | CPU x baseline |"
        in text
    )
    assert "| stage:dev | 2 | 6.1 | 6.0-6.2 | 1.5 | 5.5 | 1.25 |" in text


def test_synth_breakdown_is_a_table_of_phases_not_a_target() -> None:
    """The phase breakdown renders as its own table, one column per target, and never as a
    synth target row."""
    synth = {
        "baseline": {**measure.summarize([4.0, 4.1]), "ratio_to_baseline": 1.0},
        "breakdown": {
            "app": {"dev": 0.12, "dev-without-nag": 0.11, "baseline": 0.1},
            "build_network": {"dev": 0.07, "dev-without-nag": 0.06, "baseline": 0.0},
        },
    }
    text = report.render(_results(synth=synth), SOURCE)
    assert "| phase | dev s | dev-without-nag s | baseline s |" in text
    assert "| App | 0.12 | 0.11 | 0.1 |" in text
    assert "| build: network | 0.07 | 0.06 | 0.0 |" in text
    assert "| breakdown |" not in text


def test_parts_not_measured_say_why() -> None:
    """A skipped or failed part is reported as not measured, with the reason, never as figures."""
    text = report.render(
        _results(tests={"skipped": "--skip"}, cold_start={"error": "RuntimeError: boom"}), SOURCE
    )
    assert "Not measured in this run (skipped: --skip)." in text
    assert "Not measured in this run (error: RuntimeError: boom)." in text
    assert "## 5. End to end on the local cloud" in text


def test_header_names_the_results_file_and_the_machine() -> None:
    """The page links the results file it was generated from and says where it ran."""
    text = report.render(_results(), SOURCE)
    assert "[`results/2026-01-01.json`](results/2026-01-01.json)" in text
    assert "on 2 cores (x86_64)" in text


def test_ratios_come_from_exact_figures_not_rounded_ones() -> None:
    """Busy: 2 invocations for 120 messages against 5 a message is 300x, not 5 / 0.017."""
    from bench import processor_bench

    figures = dict.fromkeys(processor_bench.RATIO_KEYS, 1.0)
    ours = {**figures, "invocations_per_message": 2 / 120}
    course = {**figures, "invocations_per_message": 5.0}
    assert processor_bench.ratios(ours, course)["invocations_per_message"] == 300.0
    assert processor_bench.rounded(ours)["invocations_per_message"] == 0.017


def test_a_partial_run_keeps_the_days_earlier_figures(tmp_path: Path) -> None:
    """`--skip` on a second run of the day does not lose what the first run measured."""
    from bench import run

    out = tmp_path / "2026-01-01.json"
    earlier = {"a": {"v": 1}, "b": {"v": 1}, "c": {"error": "boom"}}
    out.write_text(json.dumps({"date": "2026-01-01T08:00:00+00:00", "parts": earlier}))
    results: dict[str, Any] = {"parts": {"a": {"skipped": "--skip"}, "b": {"v": 2}}}
    run.keep_earlier_figures(results, out)
    assert results["parts"] == {
        "a": {"v": 1, "measured_by_run": "2026-01-01T08:00:00+00:00"},
        "b": {"v": 2},
    }


def test_reads_table_shows_bytes_units_and_requests() -> None:
    page = {"bytes": 6202, "rcu": 1.0, "requests": 1}
    reads = {
        "get_conversation_20": {"bytes": 5953, "rcu": 1.0},
        "get_conversation_3": {"bytes": 1104, "rcu": 0.5},
        "scan_3": {"bytes": 921, "rcu": 0.5},
        "seed_group_row_bytes": {"min": 258, "max": 316},
        "list_conversations_deep": {"conversations": 100, "page_1": page,
                                    "page_5": {"bytes": 29510, "rcu": 7.0, "requests": 2}},
    }  # fmt: skip
    text = report.render(_results(reads=reads), SOURCE)
    assert "| `get-conversation --limit 20` (seed) | 5953 | 1.0 | 1 |" in text
    assert "| pattern B page 5 of 100 conversations | 29510 | 7.0 | 2 |" in text
    assert "A seed group row is 258-316 bytes." in text
