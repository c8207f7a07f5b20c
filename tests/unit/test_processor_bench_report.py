"""bench/README.md's section 6 is generated from the processor_throughput part's figures."""

from __future__ import annotations

from typing import Any

from bench import processor_throughput, report

SOURCE = report.README.parent / "results" / "2026-01-01.json"


def _results(part: dict[str, Any]) -> dict[str, Any]:
    environment = {
        "cpu_count": 2,
        "machine": "x86_64",
        "python": "3.11.7",
        "node": "v22",
        "cdk_cli": "2.1148.1",
        "packages": {},
    }
    return {
        "date": "2026-01-01T00:00:00+00:00",
        "elapsed_s": 1.0,
        "environment": environment,
        "parts": {"processor_throughput": part},
    }


def _rate(ms: int, msg_per_s: float, cpu: float) -> dict[str, Any]:
    return {"round_trip_ms": ms, "msg_per_s": msg_per_s, "cpu_ms_per_msg": cpu}


def test_the_section_shows_rates_ratio_lagging_batch_and_capacity() -> None:
    """Every figure of the section comes from the part: rates per round trip, the 5 ms ratio,
    the lagging batch against the timeout, and the msg/s each memory size sustains."""
    capacity = processor_throughput.capacity_at(2.0, {"dev": 256, "prod": 512})
    part = {
        "batch": 100,
        "workers": 20,
        "repeats": 7,
        "scenarios": {
            "quiet": [_rate(0, 400.0, 2.0), _rate(5, 360.0, 2.4)],
            "busy": [_rate(0, 9000.0, 0.1), _rate(5, 1800.0, 0.16)],
        },
        "ratio_5ms_to_0ms": 0.9,
        "lagging": {
            "round_trip_ms": 5,
            "wall_s": 1.4,
            "timeout_s": 30,
            "lagging_conversations": 30,
            "reported": 30,
            "stale_at_or_after_checkpoint": True,
        },
        "capacity": capacity,
    }
    text = report.render(_results(part), SOURCE)
    assert "## 6. Stream processor throughput and time budget" in text
    assert "| 5 | 360.0 | 2.4 | 1800.0 | 0.16 |" in text
    assert "**0.9** of its 0 ms rate" in text
    assert "returned after **1.4 s** against a 30 s timeout" in text
    assert "| 256 | 72.4 |" in text  # 256/1769 of a vCPU at 2 ms per message: 500 * 0.1447
    assert "prod 512 MB: 144.7 msg/s" in text
