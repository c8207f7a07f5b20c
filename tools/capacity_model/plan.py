"""A traffic profile's capacity: units per second, what to provision, what it costs, where one
partition stops, and whether a stage's settings hold it.

Limits (DynamoDB developer guide): one partition serves at most 1,000 WCU and 3,000 RCU
("Partitions and data distribution", HowItWorks.Partitions.html; "Burst and adaptive capacity",
burst-adaptive-capacity.html), burst keeps up to 300 seconds of unused capacity (same page), and a
table's provisioned throughput is capped at 40,000 units per table by default ("Quotas in Amazon
DynamoDB", ServiceQuotas.html). Auto scaling follows utilization only after it stays above the
target for two consecutive minutes ("Managing throughput capacity automatically with DynamoDB auto
scaling", AutoScaling.html).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from tools.capacity_model import operations as ops
from tools.capacity_model.operations import Units
from tools.capacity_model.prices import HOURS_PER_MONTH, US_EAST_1, Prices
from tools.capacity_model.shapes import Shape
from tools.item_sizes import write_units

PARTITION_WCU: Final = 1000
PARTITION_RCU: Final = 3000
BURST_SECONDS: Final = 300
TABLE_QUOTA_UNITS: Final = 40_000
SECONDS_PER_MONTH: Final = HOURS_PER_MONTH * 3600
RESOURCES: Final = ("table_read", "table_write", "index_read", "index_write")
LABELS: Final = {
    "table_read": "table RCU",
    "table_write": "table WCU",
    "index_read": "GSI RCU",
    "index_write": "GSI WCU",
}


@dataclass(frozen=True, kw_only=True)
class TrafficProfile:
    """What the users do, per second, and how long their messages are."""

    messages_per_second: float = 1.0
    new_conversation_share: float = 0.1
    # Messages of one conversation in one batch window: the processor moves the rows once for all.
    messages_per_conversation_per_batch: float = 1.0
    message_chars: int = 80
    bytes_per_char: int = 1
    a_reads_per_second: float = 0.0
    a_page: int = 20
    b_reads_per_second: float = 0.0
    b_page: int = 20
    conversations_per_user: int = 20

    def __post_init__(self) -> None:
        if self.messages_per_second < 0 or self.a_reads_per_second < 0:
            raise ValueError("rates must not be negative")
        if self.b_reads_per_second < 0:
            raise ValueError("rates must not be negative")
        if not 0 <= self.new_conversation_share <= 1:
            raise ValueError("the share of new conversations must be between 0 and 1")
        if self.messages_per_conversation_per_batch < 1:
            raise ValueError("messages per conversation per batch must be at least 1")
        if min(self.a_page, self.b_page, self.conversations_per_user) < 1:
            raise ValueError("page sizes and conversations per user must be at least 1")
        Shape(message_chars=self.message_chars, bytes_per_char=self.bytes_per_char)

    def shape(self, *, preview: bool = True) -> Shape:
        return Shape(
            message_chars=self.message_chars, bytes_per_char=self.bytes_per_char, preview=preview
        )


def per_message(profile: TrafficProfile, *, preview: bool = True) -> Units:
    """The write path's units per message, averaged over the mix of new conversations and sends."""
    shape = profile.shape(preview=preview)
    new = profile.new_conversation_share
    move = ops.processor_move(shape).units.scaled(1 / profile.messages_per_conversation_per_batch)
    send = ops.create_message(shape).units + move
    start = ops.create_message_group(shape).units + ops.processor_unchanged(shape).units
    return send.scaled(1 - new) + start.scaled(new)


def reads_per_second(profile: TrafficProfile) -> Units:
    shape = profile.shape()
    page_a = ops.list_messages(shape, page=profile.a_page, available=profile.a_page + 1)
    page_b = ops.list_message_groups(
        shape,
        page=profile.b_page,
        page_number=1,
        conversations=profile.conversations_per_user,
        cheap=True,
    )
    return page_a.units.scaled(profile.a_reads_per_second) + page_b.units.scaled(
        profile.b_reads_per_second
    )


def provision(units: Units, target_percent: int) -> Units:
    """Provisioned units that keep consumption at `target_percent` (at least 1 each)."""
    return Units(*(max(1, math.ceil(v * 100 / target_percent - 1e-9)) for v in units.as_tuple()))


def partitions(units: Units) -> tuple[int, int]:
    """At least this many partitions carry the table's and the index's units."""
    table = math.ceil(units.table_read / PARTITION_RCU + units.table_write / PARTITION_WCU)
    index = math.ceil(units.index_read / PARTITION_RCU + units.index_write / PARTITION_WCU)
    return max(1, table), max(1, index)


@dataclass(frozen=True, kw_only=True)
class Costs:
    """US dollars a month: provisioned at the target, and on demand for the same requests."""

    provisioned_month: float
    on_demand_month: float
    per_million_on_demand: float
    per_million_full_use: float
    per_million_at_target: float


def costs(plan: Plan, prices: Prices = US_EAST_1) -> Costs:
    """Provisioned: the provisioned units by the hour. On demand: a request unit per consumed
    unit (the same 1 KB / 4 KB rules, "Read/write capacity mode"), by the million."""

    def on_demand(units: Units) -> float:
        return (
            units.reads * prices.read_request_per_million
            + units.writes * prices.write_request_per_million
        )

    def hourly(units: Units) -> float:
        return units.reads * prices.rcu_hour + units.writes * prices.wcu_hour

    # A million messages take 1e6 unit-seconds per unit a message costs, i.e. 1e6 / 3600 hours.
    full_use = hourly(plan.per_message) * 1e6 / 3600
    return Costs(
        provisioned_month=HOURS_PER_MONTH * hourly(plan.provisioned),
        on_demand_month=on_demand(plan.per_second) * SECONDS_PER_MONTH / 1e6,
        per_million_on_demand=on_demand(plan.per_message),
        per_million_full_use=full_use,
        per_million_at_target=full_use * 100 / plan.target_percent,
    )


@dataclass(frozen=True, kw_only=True)
class HotKeys:
    """What one partition key sustains, by one partition's 1,000 WCU / 3,000 RCU."""

    user_messages_per_second: float  # the busiest user's GRP# key: a put and a delete per move
    conversation_messages_per_second: float  # its MSG# key, and its GSI key (4 entries per move)
    user_b_pages_per_second: float  # pattern B pages of one user
    conversation_a_pages_per_second: float  # pattern A pages of one conversation


def hot_keys(profile: TrafficProfile) -> HotKeys:
    shape = profile.shape()
    move = ops.processor_move(shape)
    row_writes = 2 * move.requests[1].units.table_write  # this user's put and delete
    entry_writes = move.units.index_write / profile.messages_per_conversation_per_batch
    # The message's own key only: its guard is under its own key (`MSGID#`), elsewhere.
    message_writes = ops.TRANSACTION_FACTOR * write_units(shape.message_bytes)
    page_a = ops.list_messages(shape, page=profile.a_page, available=profile.a_page + 1)
    page_b = ops.list_message_groups(
        shape, page=profile.b_page, page_number=1, conversations=profile.b_page + 1, cheap=True
    )
    return HotKeys(
        user_messages_per_second=PARTITION_WCU / row_writes,
        conversation_messages_per_second=min(
            PARTITION_WCU / message_writes, PARTITION_WCU / entry_writes
        ),
        user_b_pages_per_second=PARTITION_RCU / page_b.units.table_read,
        conversation_a_pages_per_second=PARTITION_RCU / page_a.units.table_read,
    )


@dataclass(frozen=True)
class Plan:
    """The profile's units per second and what to provision at `target_percent`."""

    profile: TrafficProfile
    target_percent: int = 70
    preview: bool = field(default=True)

    @cached_property
    def per_message(self) -> Units:
        return per_message(self.profile, preview=self.preview)

    @cached_property
    def reads(self) -> Units:
        """Pattern A's and B's units per second (the messages' own reads are per message)."""
        return reads_per_second(self.profile)

    @cached_property
    def per_second(self) -> Units:
        return self.per_message.scaled(self.profile.messages_per_second) + self.reads

    @cached_property
    def provisioned(self) -> Units:
        return provision(self.per_second, self.target_percent)

    @cached_property
    def costs(self) -> Costs:
        return costs(self)

    @cached_property
    def partitions(self) -> tuple[int, int]:
        return partitions(self.provisioned)

    @cached_property
    def hot_keys(self) -> HotKeys:
        return hot_keys(self.profile)

    def over_quota(self) -> list[str]:
        """The resources whose provisioned units pass the default per-table quota."""
        table = self.provisioned.table_read, self.provisioned.table_write
        quota = []
        if max(table) > TABLE_QUOTA_UNITS:
            quota.append("table")
        if max(self.provisioned.index_read, self.provisioned.index_write) > TABLE_QUOTA_UNITS:
            quota.append("GSI")
        return quota
