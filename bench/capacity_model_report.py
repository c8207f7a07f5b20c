"""bench/README.md's section of the `capacity_model` part (bench/capacity_model_bench.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.tables import markdown_table, verdict

_RESOURCES = (
    ("table_rcu", "table RCU"),
    ("table_wcu", "table WCU"),
    ("gsi_rcu", "GSI RCU"),
    ("gsi_wcu", "GSI WCU"),
)


def _units(units: Mapping[str, float]) -> str:
    shown = [f"{units[key]:g} {label}" for key, label in _RESOURCES if units[key]]
    return ", ".join(shown) or "0"


def render(part: Mapping[str, Any]) -> list[str]:
    goal = verdict(part["within_goal"])
    rows = [
        (
            row["operation"],
            row["requests"],
            _units(row["metered"]),
            _units(row["model"]),
            f"{row['worst_error_percent']:g}%",
            _units(row["model_before"]),
        )
        for row in part["operations"]
    ]
    return [
        "A mixed workload through the message store and the processor's data access on the local "
        "cloud, which meters each request by DynamoDB's rules (`ReturnConsumedCapacity: "
        "INDEXES`): units per operation as metered, as the capacity model says "
        "(tools/capacity_model), the worst difference over the four resources, and what the "
        f"model says the operation cost before the cheaper rows ({part['before_is']}). A "
        "transaction's index writes: the model and the meter charge them once (the index is "
        'updated after the transaction, "Capacity management for transactions", '
        "transaction-apis.html).",
        "",
        *markdown_table(
            ["operation", "requests", "metered", "model", "worst error", "model, before"], rows
        ),
        f"Goal: within {part['goal_percent']:g}% on every operation ({goal}: worst "
        f"{part['worst_error_percent']:g}%).",
        "",
    ]
