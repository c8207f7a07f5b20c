"""A stage's capacity settings against a traffic profile: what it sustains, whether it holds,
how long its burst absorbs an overload."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.capacity_model.operations import Units
from tools.capacity_model.plan import BURST_SECONDS, LABELS, RESOURCES, Plan

if TYPE_CHECKING:  # the settings import aws_cdk (a second and a Node.js process): only for --stage
    from stacks.props import TableProps


@dataclass(frozen=True, kw_only=True)
class StageCapacity:
    """The units a stage can serve: its fixed capacity, or its auto-scaling maximum."""

    name: str
    floor: Units  # what is provisioned before auto scaling acts (or always, without it)
    ceiling: Units  # what auto scaling can reach (the floor without it)
    target_percent: int | None


def stage_capacity(name: str, table: TableProps) -> StageCapacity:
    floor = Units(
        float(table.read_capacity),
        float(table.write_capacity),
        float(table.gsi_read_capacity),
        float(table.gsi_write_capacity),
    )
    scaling = table.autoscaling
    if scaling is None:
        return StageCapacity(name=name, floor=floor, ceiling=floor, target_percent=None)
    top_read, top_write = float(scaling.max_read_capacity), float(scaling.max_write_capacity)
    ceiling = Units(top_read, top_write, top_read, top_write)
    return StageCapacity(
        name=name, floor=floor, ceiling=ceiling, target_percent=scaling.target_utilization_percent
    )


def sustained_messages_per_second(plan: Plan, capacity: Units) -> float:
    """Messages per second `capacity` serves with the profile's reads, by its scarcest resource."""
    reads = plan.reads
    rates = []
    for resource in RESOURCES:
        cost = getattr(plan.per_message, resource)
        left = getattr(capacity, resource) - getattr(reads, resource)
        if left < 0:
            return 0.0
        if cost > 0:
            rates.append(left / cost)
    return min(rates) if rates else math.inf


def burst_seconds(plan: Plan, capacity: Units, messages_per_second: float) -> float | None:
    """How long a full burst bucket (300 s of unused capacity) absorbs `messages_per_second`
    above what `capacity` sustains; None if it is not an overload."""
    need = plan.per_message.scaled(messages_per_second) + plan.reads
    seconds = []
    for resource in RESOURCES:
        have, want = getattr(capacity, resource), getattr(need, resource)
        if want > have:
            seconds.append(BURST_SECONDS * have / (want - have))
    return min(seconds) if seconds else None


@dataclass(frozen=True, kw_only=True)
class Verdict:
    holds: bool
    reasons: tuple[str, ...]
    sustained_floor: float
    sustained_ceiling: float


def verdict(plan: Plan, stage: StageCapacity) -> Verdict:
    """Whether the stage holds the profile: every resource's need inside what it can reach, at
    its target utilization when it scales."""
    reasons = []
    share = (stage.target_percent or 100) / 100
    for resource in RESOURCES:
        need = getattr(plan.per_second, resource)
        reach = getattr(stage.ceiling, resource) * share
        if need > reach:
            where = "its auto-scaling maximum at the target" if stage.target_percent else "it"
            reasons.append(
                f"{LABELS[resource]}: the profile needs {need:g}/s, {where} serves {reach:g}"
            )
    return Verdict(
        holds=not reasons,
        reasons=tuple(reasons),
        sustained_floor=sustained_messages_per_second(plan, stage.floor),
        sustained_ceiling=sustained_messages_per_second(plan, stage.ceiling),
    )
