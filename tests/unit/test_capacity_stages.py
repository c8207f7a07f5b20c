"""Every stage's capacity is what the capacity model says its traffic needs: dev and local carry
the demo on the course's table; prod's minimums carry its assumed average and its maximums its
peak, at its target, without much to spare."""

from __future__ import annotations

import math

import pytest

from stacks.settings import DEV, LOCAL, PROD, PROD_TRAFFIC, StageSettings
from tools import seedfile, users
from tools.capacity_model.operations import Units
from tools.capacity_model.plan import BURST_SECONDS, RESOURCES, Plan, TrafficProfile
from tools.capacity_model.stages import stage_capacity

# The demo's own sends after the seed (local/demo.py: two conversations, three replies).
DEMO_SENDS = 5


def prod_plan(rate: float) -> Plan:
    assert PROD.table.autoscaling is not None
    return Plan(
        TrafficProfile(
            messages_per_second=rate,
            new_conversation_share=PROD_TRAFFIC.new_conversation_share,
            a_reads_per_second=rate * PROD_TRAFFIC.a_pages_per_message,
            b_reads_per_second=rate * PROD_TRAFFIC.b_pages_per_message,
        ),
        target_percent=PROD.table.autoscaling.target_utilization_percent,
    )


def _table_and_index(units: Units, kind: str) -> float:
    return max(getattr(units, f"table_{kind}"), getattr(units, f"index_{kind}"))


@pytest.mark.parametrize("kind", ["read", "write"])
def test_prod_minimums_carry_the_average_and_maximums_the_peak(kind: str) -> None:
    """Both bounds at or just above what the model provisions (table and GSI share them)."""
    scaling = PROD.table.autoscaling
    assert scaling is not None
    low, high = scaling.bounds(kind)
    average = _table_and_index(
        prod_plan(PROD_TRAFFIC.average_messages_per_second).provisioned, kind
    )
    peak = _table_and_index(prod_plan(PROD_TRAFFIC.peak_messages_per_second).provisioned, kind)
    assert average <= low <= 1.25 * average
    assert peak <= high <= 1.25 * peak


@pytest.mark.parametrize("stage", [DEV, LOCAL], ids=lambda s: s.name)
def test_the_course_table_takes_the_demo_in_one_burst(stage: StageSettings) -> None:
    """The seed and the demo's sends, at full speed, fit one full burst bucket of the stage."""
    messages = len(seedfile.load(seedfile.DEFAULT_CONVERSATION_FILE, users.load()).messages)
    messages += DEMO_SENDS
    plan = Plan(TrafficProfile(messages_per_second=1))
    capacity = stage_capacity(stage.name, stage.table)
    for resource in RESOURCES:
        needed = getattr(plan.per_message, resource) * messages
        assert needed <= BURST_SECONDS * getattr(capacity.floor, resource), resource
    assert math.isclose(capacity.floor.table_write, 5)
