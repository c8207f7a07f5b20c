"""bench/README.md is generated from a results file: what it says comes from the figures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench import measure, report, run


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


def _authorization(median_ms: float) -> dict[str, Any]:
    timing = {"median": 1.0, "p99": 2.0}
    return {
        "calls": 100,
        "goal_median_ms": 2.0,
        "authorization_ms": {"median": median_ms, "p99": median_ms * 2},
        "round_trip_ms": {"role": timing, "development": timing},
    }


def _worker(overhead_ms: float) -> dict[str, Any]:
    timing = {"median_ms": 1.0, "p99_ms": 2.0}
    return {
        "batch_records": 100, "warm_calls": 50, "cold_runs": 5, "direct": timing,
        "worker": timing, "overhead_median_ms": overhead_ms, "overhead_p99_ms": 9.0,
        "goal_overhead_median_ms": 10, "cold_start_echo_ms": 50, "cold_start_processor_ms": 300,
        "processor_virtual_mb": 400, "processor_peak_resident_mb": 60,
    }  # fmt: skip


@pytest.mark.parametrize(("met", "word"), [(True, "(met)"), (False, "(missed)")])
def test_every_section_with_a_goal_says_met_or_missed(met: bool, word: str) -> None:
    authorization = _authorization(1.5 if met else 3.1)
    worker = _worker(4.0 if met else 12.0)
    text = report.render(_results(authorization=authorization, worker=worker), SOURCE)
    section_8 = text.split("## 8.")[1].split("## 9.")[0]
    section_9 = text.split("## 9.")[1]
    assert f"goal: median <= 2.0 ms {word}" in section_8
    assert f"Goal: overhead <= 10 ms median {word}" in section_9


def test_the_test_suite_figure_says_how_loaded_the_machine_was() -> None:
    tests = {"wall_s": 96.6, "parts": {}, "load_average_at_start": [3.2, 2.5, 1.9]}
    text = report.render(_results(tests=tests), SOURCE)
    assert "96.6 s; the machine's load average (1/5/15 min) when it began: 3.2/2.5/1.9." in text
    older = report.render(_results(tests={"wall_s": 96.6, "parts": {}}), SOURCE)
    assert "when it began: not recorded." in older


def test_make_bench_leaves_tracked_files_alone(tmp_path: Path) -> None:
    """Without --refresh-docs a run goes to bench/runs/ (gitignored), with its report; the
    committed results, bench/README.md and the docs are not written."""
    runs = tmp_path / "runs"
    committed = tmp_path / "results"
    written = run.publish(
        _results(tests={"wall_s": 1.0, "parts": {}}),
        refresh_docs=False,
        runs_dir=runs,
        results_dir=committed,
    )
    assert written == [runs / "2026-01-01.json", runs / "2026-01-01.md"]
    assert json.loads(written[0].read_text())["parts"]["tests"]["wall_s"] == 1.0
    assert "[`2026-01-01.json`](2026-01-01.json)" in written[1].read_text()
    assert not committed.exists()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(run.RUNS_DIR / "2026-01-01.json")],
        cwd=measure.PROJECT_ROOT,
        check=False,
    )
    assert ignored.returncode == 0, "bench/runs/ must be gitignored"


def test_refresh_docs_writes_the_committed_results_and_the_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme, doc = tmp_path / "README.md", tmp_path / "doc.md"
    doc.write_text("took <!-- bench:tests.wall_s -->0<!-- /bench --> s\n")
    monkeypatch.setattr(report, "README", readme)
    monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(report, "MARKED_DOCS", (doc,))
    committed = tmp_path / "results"
    written = run.publish(
        _results(tests={"wall_s": 7.5, "parts": {}}),
        refresh_docs=True,
        runs_dir=tmp_path / "runs",
        results_dir=committed,
    )
    assert committed / "2026-01-01.json" in written
    assert "# Benchmarks" in readme.read_text()
    assert doc.read_text() == "took <!-- bench:tests.wall_s -->7.5<!-- /bench --> s\n"
    assert not (tmp_path / "runs").exists()


def test_a_handler_time_that_is_not_positive_is_refused_not_reported() -> None:
    """The processor bench never reports a negative handler time (the metering taken off a
    threaded handler's wall time once made -0.565 ms per message): it fails the part instead."""
    from collections import Counter
    from types import SimpleNamespace

    from bench import processor_bench

    meter: Any = SimpleNamespace(requests=Counter(PutItem=2), table_wcu=2, index_wcu=2, rcu=0.5)
    figures = processor_bench._metrics(meter, 1, 0.02, 10, True)
    assert figures["handler_ms_per_message"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="not measurable"):
        processor_bench._metrics(meter, 1, -0.068, 10, True)


def test_a_partial_run_keeps_each_parts_latest_figures_from_earlier_days(tmp_path: Path) -> None:
    """`--only` on another day keeps the other parts' newest figures, naming their runs."""
    (tmp_path / "2026-01-01.json").write_text(
        json.dumps({"date": "2026-01-01T08:00:00+00:00", "parts": {"a": {"v": 1}, "b": {"v": 1}}})
    )
    (tmp_path / "2026-01-02.json").write_text(
        json.dumps({"date": "2026-01-02T08:00:00+00:00", "parts": {"a": {"v": 2}}})
    )
    (tmp_path / "processor-2026-01-03.json").write_text(json.dumps({"parts": {"a": {"v": 9}}}))
    results: dict[str, Any] = {"parts": {"a": {"skipped": "--skip"}, "c": {"v": 3}}}
    run.keep_earlier_figures(results, tmp_path / "2026-01-04.json")
    assert results["parts"] == {
        "a": {"v": 2, "measured_by_run": "2026-01-02T08:00:00+00:00"},
        "b": {"v": 1, "measured_by_run": "2026-01-01T08:00:00+00:00"},
        "c": {"v": 3},
    }
