"""bench/README.md is generated from a results file: what it says comes from the figures."""

from __future__ import annotations

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
    """Every synth target is a row with its median and its ratio to the baseline."""
    synth = {
        "stage:dev": {**measure.summarize([6.0, 6.2]), "ratio_to_baseline": 1.5},
        "baseline": {**measure.summarize([4.0, 4.1]), "ratio_to_baseline": 1.0},
    }
    text = report.render(_results(synth=synth), SOURCE)
    assert "| stage:dev | 2 | 6.1 | 6.0-6.2 | 1.5 |" in text
    assert "| baseline | 2 | 4.05 | 4.0-4.1 | 1.0 |" in text


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
