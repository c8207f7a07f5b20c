"""A traffic profile's plan as a document: the dict `bin/ddb/capacity --json` prints, and the
lines it prints for people."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from tools.capacity_model.plan import Plan
from tools.capacity_model.prices import PRICES_IN_FORCE_SINCE, SOURCE_URLS, US_EAST_1
from tools.capacity_model.stages import burst_seconds, stage_capacity, verdict

if TYPE_CHECKING:
    from stacks.settings import StageSettings


def _stage(plan: Plan, stage: StageSettings, overload: float | None) -> dict[str, Any]:
    capacity = stage_capacity(stage.name, stage.table)
    result = verdict(plan, capacity)
    rate = overload if overload is not None else 2 * result.sustained_floor
    burst = burst_seconds(plan, capacity.floor, rate)
    return {
        "name": stage.name,
        "provisioned": capacity.floor.as_dict(),
        "auto_scaling_maximum": capacity.ceiling.as_dict() if capacity.target_percent else None,
        "target_utilization_percent": capacity.target_percent,
        "sustained_messages_per_second": round(result.sustained_floor, 2),
        "sustained_at_maximum": round(result.sustained_ceiling, 2),
        "overload_messages_per_second": round(rate, 2),
        "burst_absorbs_seconds": None if burst is None else round(burst, 1),
        "holds": result.holds,
        "reasons": list(result.reasons),
    }


def document(
    plan: Plan, stage: StageSettings | None = None, overload: float | None = None
) -> dict[str, Any]:
    """Everything the model says about the profile (and the stage), as plain JSON values."""
    profile, costs, hot = plan.profile, plan.costs, plan.hot_keys
    table_partitions, index_partitions = plan.partitions
    return {
        "profile": dataclasses.asdict(profile),
        "per_message": plan.per_message.as_dict(),
        "per_second": plan.per_second.as_dict(),
        "target_utilization_percent": plan.target_percent,
        "provisioned": plan.provisioned.as_dict(),
        "partitions": {"table": table_partitions, "gsi": index_partitions},
        "over_default_quota": plan.over_quota(),
        "cost_usd": {
            "region": US_EAST_1.region,
            "provisioned_month": round(costs.provisioned_month, 2),
            "on_demand_month": round(costs.on_demand_month, 2),
            "per_million_messages_on_demand": round(costs.per_million_on_demand, 2),
            "per_million_messages_provisioned_full_use": round(costs.per_million_full_use, 2),
            "per_million_messages_provisioned_at_target": round(costs.per_million_at_target, 2),
            "prices_in_force_since": PRICES_IN_FORCE_SINCE,
            "sources": list(SOURCE_URLS),
        },
        "one_partition": {
            "busiest_user_messages_per_second": round(hot.user_messages_per_second, 1),
            "busiest_conversation_messages_per_second": round(
                hot.conversation_messages_per_second, 1
            ),
            "one_user_b_pages_per_second": round(hot.user_b_pages_per_second, 1),
            "one_conversation_a_pages_per_second": round(hot.conversation_a_pages_per_second, 1),
        },
        "stage": None if stage is None else _stage(plan, stage, overload),
    }


def _line(units: dict[str, float]) -> str:
    return (
        f"table {units['table_rcu']:g} RCU, {units['table_wcu']:g} WCU; "
        f"GSI {units['gsi_rcu']:g} RCU, {units['gsi_wcu']:g} WCU"
    )


def _seconds(value: float | None) -> str:
    if value is None or math.isinf(value):
        return "no overload"
    return f"{value:g} s"


def lines(doc: dict[str, Any]) -> list[str]:
    """The document for people: one fact a line."""
    p, cost, hot = doc["profile"], doc["cost_usd"], doc["one_partition"]
    out = [
        f"profile: {p['messages_per_second']:g} msg/s, {p['new_conversation_share']:.0%} new "
        f"conversations, {p['messages_per_conversation_per_batch']:g} per conversation per batch, "
        f"{p['message_chars']} characters of {p['bytes_per_char']} byte(s); pattern A "
        f"{p['a_reads_per_second']:g}/s of {p['a_page']}, B {p['b_reads_per_second']:g}/s of "
        f"{p['b_page']}",
        f"per message: {_line(doc['per_message'])}",
        f"needed per second: {_line(doc['per_second'])}",
        f"provisioned at {doc['target_utilization_percent']}% utilization: "
        f"{_line(doc['provisioned'])}",
        f"partitions at least: table {doc['partitions']['table']}, GSI {doc['partitions']['gsi']}",
        f"monthly ({cost['region']}): ${cost['provisioned_month']:,.2f} provisioned, "
        f"${cost['on_demand_month']:,.2f} on demand",
        f"per million messages: ${cost['per_million_messages_on_demand']:.2f} on demand, "
        f"${cost['per_million_messages_provisioned_full_use']:.2f} provisioned at full use, "
        f"${cost['per_million_messages_provisioned_at_target']:.2f} at "
        f"{doc['target_utilization_percent']}%",
        f"one partition (1,000 WCU / 3,000 RCU): the busiest user up to "
        f"{hot['busiest_user_messages_per_second']:g} msg/s, the busiest conversation up to "
        f"{hot['busiest_conversation_messages_per_second']:g} msg/s; one user's list "
        f"{hot['one_user_b_pages_per_second']:g} B pages/s, one conversation "
        f"{hot['one_conversation_a_pages_per_second']:g} A pages/s",
    ]
    if doc["over_default_quota"]:
        out.append(
            f"over the default 40,000-unit quota per table: {', '.join(doc['over_default_quota'])}"
        )
    stage = doc["stage"]
    if stage is not None:
        out.append(f"stage {stage['name']}: provisioned {_line(stage['provisioned'])}")
        if stage["auto_scaling_maximum"] is not None:
            out.append(
                f"  auto scaling up to {_line(stage['auto_scaling_maximum'])} at "
                f"{stage['target_utilization_percent']}%: sustains "
                f"{stage['sustained_at_maximum']:g} msg/s at its maximum"
            )
        out.append(
            f"  sustains {stage['sustained_messages_per_second']:g} msg/s as provisioned; its "
            f"burst absorbs {stage['overload_messages_per_second']:g} msg/s for "
            f"{_seconds(stage['burst_absorbs_seconds'])}"
        )
        verdict_line = "holds the profile" if stage["holds"] else "does NOT hold the profile"
        out.append(f"  {verdict_line}" + "".join(f"\n  - {r}" for r in stage["reasons"]))
    out.append(
        f"prices: {', '.join(cost['sources'])} (in force since {cost['prices_in_force_since']})"
    )
    return out
