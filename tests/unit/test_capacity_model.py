"""The capacity model against DynamoDB's worked examples ("DynamoDB read and write operations",
read-write-operations.html; the pricing pages) and the figures the issue's review worked out by
hand from those rules."""

from __future__ import annotations

import math

import pytest

from stacks.settings import DEV, PROD
from tools.capacity_model import operations as ops
from tools.capacity_model.plan import Plan, TrafficProfile
from tools.capacity_model.shapes import Shape
from tools.capacity_model.stages import burst_seconds, stage_capacity, verdict

KB = 1024
QUIET = TrafficProfile(messages_per_second=1, new_conversation_share=0)


def test_query_units_follow_the_documented_examples() -> None:
    """ "If a query returns 1500 items of 64 bytes each, the cumulative size is 96 KB": 24 units
    strongly consistent, 12 eventually; 10 items of 40.8 KB in all round up to 44 KB."""
    assert ops.query_units(64, 1500, consistent=True) == 24
    assert ops.query_units(64, 1500, consistent=False) == 12
    assert ops.query_units(4178, 10, consistent=True) == 11  # 41,780 bytes: 11 x 4 KB
    assert ops.query_units(300, 0, consistent=False) == 0.5  # an empty result still costs


def test_a_query_over_1_mb_is_billed_per_page() -> None:
    """Each 1 MB page is its own request, rounded up on its own."""
    per_page = ops.QUERY_PAGE_BYTES // 1000
    units = ops.query_units(1000, per_page + 1, consistent=True)
    assert units == math.ceil(per_page * 1000 / (4 * KB)) + 1


def test_a_quiet_message_costs_what_the_review_worked_out() -> None:
    """8 table WCU: the transaction of the message (310 B) and its guard (143 B), 2 x (1 + 1) = 4,
    then the processor's two row puts and two row deletes, 4 x 1; 4 GSI WCU (the same four row
    writes); 1 GSI RCU (C's and E's index queries, 0.5 each)."""
    shape = Shape()
    assert shape.message_bytes <= KB and shape.message_guard_bytes <= KB
    assert ops.create_message(shape).units == ops.Units(table_write=4, index_read=0.5)
    total = ops.create_message(shape).units + ops.processor_move(shape).units
    assert total == ops.Units(table_read=0, table_write=8, index_read=1, index_write=4)


def test_a_new_conversation_costs_a_transaction() -> None:
    """Five puts under 1 KB each (the message, two rows, two guards) at twice the rate: 2 x 5 = 10
    table WCU; two index entries, once each (2 GSI WCU); then E's one index query (0.5 RCU)."""
    shape = Shape()
    assert max(shape.row_bytes, shape.pair_guard_bytes, shape.message_guard_bytes) <= KB
    assert ops.create_message_group(shape).units == ops.Units(table_write=10, index_write=2)
    assert ops.processor_unchanged(shape).units == ops.Units(index_read=0.5)


def test_the_longest_message_costs_52_write_units_with_whole_rows_and_20_with_previews() -> None:
    """1,024 four-byte characters: a 4.3 KB item; C's transaction is 2 x (5 + 1) = 12 (the
    message's 5 KB and its guard's 1); with the whole text on every row the processor adds
    20 table + 20 index (12 + 40 = 52); with the preview 4 + 4 (12 + 8 = 20)."""
    before = Shape(message_chars=1024, bytes_per_char=4, preview=False)
    after = Shape(message_chars=1024, bytes_per_char=4)
    assert 4 * KB < before.message_bytes < 5 * KB

    def writes(shape: Shape) -> float:
        units = ops.create_message(shape).units + ops.processor_move(shape).units
        return units.table_write + units.index_write

    assert writes(before) == 52 and writes(after) == 20


def test_later_pages_of_b_cost_what_the_first_does() -> None:
    """Before: page n re-read every earlier row, strongly consistent (a user in 5,000
    conversations paid hundreds of units for the last page); now every page costs the same."""
    shape = Shape()
    first = ops.list_message_groups(shape, page=20, page_number=1, conversations=5000, cheap=True)
    last = ops.list_message_groups(shape, page=20, page_number=250, conversations=5000, cheap=True)
    old = ops.list_message_groups(shape, page=20, page_number=250, conversations=5000, cheap=False)
    assert last.units == first.units == ops.Units(table_read=1)
    assert old.units.table_read > 350


def test_the_participant_check_reads_one_key_whatever_the_sender_has() -> None:
    shape = Shape()
    for lagging in (True, False):
        new = ops.participant_check(shape, lagging=lagging, conversations=10_000, cheap=True)
        old = ops.participant_check(shape, lagging=lagging, conversations=10_000, cheap=False)
        assert new.units.total <= 2.5
        assert old.units.table_read > 700


def test_cost_per_million_quiet_messages() -> None:
    """A quiet message is 12 WCU and 1 RCU (table and GSI): on demand 12 x $0.625 + $0.125 =
    $7.625 a million; provisioned at full use (12 x $0.00065 + $0.00013) x 1e6 / 3600 = $2.20,
    at a 70% target $2.20 / 0.7 = $3.15 (us-east-1)."""
    costs = Plan(QUIET, target_percent=70).costs
    assert costs.per_million_on_demand == pytest.approx(7.625)
    assert round(costs.per_million_full_use, 2) == 2.20
    assert round(costs.per_million_at_target, 2) == 3.15


def test_a_stage_sustains_its_scarcest_resource_over_a_messages_cost() -> None:
    """Dev's 5 WCU at 8 table WCU a quiet message: 5 / 8 = 0.625 msg/s; prod at its auto-scaling
    maximum: that maximum over 8 (the table's writes are the scarcest)."""
    plan = Plan(QUIET)
    dev = verdict(plan, stage_capacity("dev", DEV.table))
    prod = verdict(plan, stage_capacity("prod", PROD.table))
    assert dev.sustained_floor == dev.sustained_ceiling == pytest.approx(0.625)
    assert PROD.table.autoscaling is not None
    assert prod.sustained_ceiling == pytest.approx(PROD.table.autoscaling.max_write_capacity / 8)


def test_a_stage_short_of_capacity_says_which_resource() -> None:
    plan = Plan(TrafficProfile(messages_per_second=50, new_conversation_share=0))
    result = verdict(plan, stage_capacity("dev", DEV.table))
    assert not result.holds
    assert any(reason.startswith("table WCU") for reason in result.reasons)


def test_burst_absorbs_an_overload_for_a_bounded_time() -> None:
    """5 WCU at 1.25 quiet msg/s (1.25 x 8 = 10 WCU/s): 300 s of 5 WCU banked, spent at 5 WCU/s
    over the provisioned: 300 s. At 0.5 msg/s (4 WCU/s) nothing is over."""
    plan = Plan(QUIET)
    capacity = stage_capacity("dev", DEV.table).floor
    assert burst_seconds(plan, capacity, 1.25) == pytest.approx(300)
    assert burst_seconds(plan, capacity, 0.5) is None


def test_profiles_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="share"):
        TrafficProfile(new_conversation_share=2)
    with pytest.raises(ValueError, match="bytes per character"):
        TrafficProfile(bytes_per_char=5)
