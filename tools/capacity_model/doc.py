"""docs/capacity.md, written from the capacity model: `python -m tools.capacity_model.doc`.

Every figure is the model's (tools/capacity_model) or a `make bench` result (a marker that
bench/report.py fills); tests/unit/test_capacity_doc.py fails when the file and this module's
output differ.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Final

from stacks.settings import DEV, PROD, PROD_TRAFFIC
from stacks.stream_processor import PARALLELIZATION_FACTOR
from tools.capacity_model import operations as ops
from tools.capacity_model.operations import Operation, Units
from tools.capacity_model.plan import BURST_SECONDS, TABLE_QUOTA_UNITS, Plan, TrafficProfile
from tools.capacity_model.prices import PRICES_IN_FORCE_SINCE, SOURCE_URLS, US_EAST_1
from tools.capacity_model.shapes import Shape
from tools.capacity_model.stages import stage_capacity, verdict

DOC: Final = Path(__file__).resolve().parents[2] / "docs" / "capacity.md"
SCALES: Final = (1, 100, 1_000, 10_000)
BIG_USER: Final = 10_000
MAX_PARALLELIZATION: Final = 10  # Lambda's limit for a stream mapping
# The processor's quiet messages per second per invocation at prod's memory (make bench part 6).
THROUGHPUT_KEY: Final = "processor_throughput.capacity.by_stage.prod.msg_per_s"


def _per_invocation() -> float:
    from bench import report  # the bench results, read only to write this document

    value: float = report.lookup(report.latest_parts(), THROUGHPUT_KEY)
    return value


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


def _cells(units: Units) -> list[str]:
    return [_number(value) for value in units.as_tuple()]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return [*lines, *("| " + " | ".join(row) + " |" for row in rows), ""]


def _profile(rate: float) -> TrafficProfile:
    return TrafficProfile(
        messages_per_second=rate,
        new_conversation_share=PROD_TRAFFIC.new_conversation_share,
        a_reads_per_second=rate * PROD_TRAFFIC.a_pages_per_message,
        b_reads_per_second=rate * PROD_TRAFFIC.b_pages_per_message,
    )


def _total(*operations: Operation) -> Units:
    total = Units()
    for operation in operations:
        total = total + operation.units
    return total


def _operations() -> list[str]:
    short, long = Shape(), Shape(message_chars=1024, bytes_per_char=4)
    old_short, old_long = (
        Shape(preview=False),
        Shape(message_chars=1024, bytes_per_char=4, preview=False),
    )
    busy = 5
    rows: list[tuple[str, Units, Units]] = [
        (
            "D: new conversation (and E's query)",
            _total(ops.create_message_group(short), ops.processor_unchanged(short)),
            _total(ops.create_message_group(old_short), ops.processor_unchanged(old_short)),
        ),
        (
            "C + E: a quiet message (80 characters)",
            _total(ops.create_message(short), ops.processor_move(short)),
            _total(ops.create_message(old_short), ops.processor_move(old_short)),
        ),
        (
            f"C + E: a busy message ({busy} of a conversation in one batch)",
            ops.create_message(short).units + ops.processor_move(short).units.scaled(1 / busy),
            ops.create_message(old_short).units
            + ops.processor_move(old_short).units.scaled(1 / busy),
        ),
        (
            "C + E: a long message (1,024 four-byte characters)",
            _total(ops.create_message(long), ops.processor_move(long)),
            _total(ops.create_message(old_long), ops.processor_move(old_long)),
        ),
        (
            "A: a page of 20 messages",
            ops.list_messages(short, page=20, available=21).units,
            ops.list_messages(short, page=20, available=21).units,
        ),
    ]
    last = BIG_USER // 20
    for number in (1, last):
        where = {"page": 20, "page_number": number, "conversations": BIG_USER}
        rows.append(
            (
                f"B: page {number:,} of 20, a user in {BIG_USER:,} conversations",
                ops.list_message_groups(short, cheap=True, **where).units,
                ops.list_message_groups(old_short, cheap=False, **where).units,
            )
        )
    for lagging, who in ((False, "a stranger's post"), (True, "while the index lags")):
        new = ops.participant_check(short, lagging=lagging, conversations=BIG_USER, cheap=True)
        old = ops.participant_check(old_short, lagging=lagging, conversations=BIG_USER, cheap=False)
        rows.append(
            (f"C's check, {who} (sender in {BIG_USER:,} conversations)", new.units, old.units)
        )
    header = ["operation", "table RCU", "table WCU", "GSI RCU", "GSI WCU", "before (total)"]
    return _table(header, [[n, *_cells(u), _number(b.total)] for n, u, b in rows])


def _stages() -> list[str]:
    rows = []
    plan = Plan(TrafficProfile(messages_per_second=1, new_conversation_share=0))
    for stage in (DEV, PROD):
        capacity = stage_capacity(stage.name, stage.table)
        result = verdict(plan, capacity)
        rows.append(
            [
                f"`{stage.name}`",
                " / ".join(_cells(capacity.floor)),
                _number(result.sustained_floor),
                _number(result.sustained_ceiling),
                _number(BURST_SECONDS * result.sustained_floor),
            ]
        )
    header = [
        "stage",
        "provisioned (table R/W, GSI R/W)",
        "quiet msg/s as provisioned",
        "quiet msg/s at its maximum",
        "quiet messages a full burst bucket takes at once",
    ]
    return _table(header, rows)


def _saturation(plan: Plan, shards: int, per_shard: float, per_invocation: float) -> str:
    scaling = PROD.table.autoscaling
    assert scaling is not None
    short = [
        label
        for label, need, top in (
            (
                "reads",
                max(plan.provisioned.table_read, plan.provisioned.index_read),
                scaling.max_read_capacity,
            ),
            (
                "writes",
                max(plan.provisioned.table_write, plan.provisioned.index_write),
                scaling.max_write_capacity,
            ),
        )
        if need > top
    ]
    said = []
    if plan.over_quota():
        said.append(
            f"the default quota of {TABLE_QUOTA_UNITS:,} units per table and per GSI "
            "first: ask for an increase (on-demand tables have the same default maximum)"
        )
    if short:
        said.append(
            f"prod's auto-scaling maximum for {' and '.join(short)} (the "
            "`AtScalingMaximum` alarms page): raise the maxima to the provisioned "
            "figures above, or switch the table to on-demand"
        )
    if per_shard > per_invocation:
        factor = math.ceil(per_shard / per_invocation)
        change = (
            f"ParallelizationFactor {factor}"
            if factor <= MAX_PARALLELIZATION
            else "more memory per invocation, then ParallelizationFactor 10"
        )
        said.append(
            f"the processor: {per_shard:,.0f} msg/s per shard against "
            f"{per_invocation:g} per invocation: {change}"
        )
    if not said:
        quiet = Plan(TrafficProfile(messages_per_second=1, new_conversation_share=0))
        dev = verdict(quiet, stage_capacity(DEV.name, DEV.table)).sustained_floor
        return (
            f"nothing: prod's bounds hold it; dev's {DEV.table.write_capacity} WCU saturate "
            f"first, at {_number(dev)} quiet msg/s"
        )
    return "; then ".join(said)


def _scale(per_invocation: float) -> list[str]:
    rows, notes = [], []
    scaling = PROD.table.autoscaling
    assert scaling is not None
    for rate in SCALES:
        plan = Plan(_profile(rate), target_percent=scaling.target_utilization_percent)
        table_partitions, index_partitions = plan.partitions
        shards = table_partitions  # about one open stream shard per table partition
        per_shard = rate / shards
        needed = math.ceil(rate / per_invocation)
        rows.append(
            [
                f"{rate:,}",
                " / ".join(_cells(plan.per_second)),
                " / ".join(f"{v:,.0f}" for v in plan.provisioned.as_tuple()),
                f"{table_partitions:,} / {index_partitions:,}",
                f"{shards:,}",
                f"{shards * PARALLELIZATION_FACTOR:,} (needs {needed:,})",
                f"${plan.costs.provisioned_month:,.0f}",
                f"${plan.costs.on_demand_month:,.0f}",
            ]
        )
        notes.append(
            f"- **{rate:,} msg/s** saturates "
            f"{_saturation(plan, shards, per_shard, per_invocation)}."
        )
    header = [
        "msg/s",
        "units/s (table R/W, GSI R/W)",
        "provisioned at 70%",
        "partitions (table / GSI)",
        "stream shards",
        "invocations at factor 1",
        "month, provisioned",
        "month, on demand",
    ]
    busiest = max(rate / Plan(_profile(rate)).partitions[0] for rate in SCALES)
    prices = US_EAST_1
    write_share = prices.wcu_hour / 3600 * 1e6 / prices.write_request_per_million
    read_share = prices.rcu_hour / 3600 * 1e6 / prices.read_request_per_million
    return [
        *_table(header, rows),
        *notes,
        "",
        f"The processor keeps up at every rate here: a shard carries at most {busiest:,.0f} msg/s "
        f"against {per_invocation:g} per invocation. A shard that carries more (a partition of "
        "busy conversations) is where ParallelizationFactor goes first (up to 10, one "
        "conversation still in order), then memory.",
        "",
        "On demand costs more than provisioned at a steady load, and less when provisioned "
        f"capacity would average below {_share(write_share, read_share)} utilization (list "
        "prices above): spiky or new traffic.",
        "",
    ]


def _share(writes: float, reads: float) -> str:
    if round(writes, 2) == round(reads, 2):
        return f"{writes:.0%}"
    return f"{writes:.0%} (writes) and {reads:.0%} (reads)"


def _big_user() -> list[str]:
    plan = Plan(TrafficProfile())
    hot = plan.hot_keys
    return [
        f"- One user's `GRP#` key takes a put and a delete per message in any of their "
        f"conversations: at most {hot.user_messages_per_second:,.0f} msg/s across all of them "
        "before that key's partition (1,000 WCU) throttles. Past it, write-shard the key "
        "(`GRP#<user>#<n>`, B reading the shards in parallel).",
        f"- One conversation (its `MSG#` key, and its GSI key with four index writes per move) "
        f"takes at most {hot.conversation_messages_per_second:,.0f} msg/s; the processor's "
        "batching (one move for many messages) raises that for busy conversations.",
        f"- Reads: one user's list serves {hot.user_b_pages_per_second:,.0f} B pages/s and one "
        f"conversation {hot.conversation_a_pages_per_second:,.0f} A pages/s (3,000 RCU a "
        "partition); a list read that often belongs in a cache in front of the table.",
        "",
    ]


def render(per_invocation: float | None = None) -> str:
    rate = _per_invocation() if per_invocation is None else per_invocation
    marker = f"<!-- bench:{THROUGHPUT_KEY} -->{rate:g}<!-- /bench -->"
    average, peak = PROD_TRAFFIC.average_messages_per_second, PROD_TRAFFIC.peak_messages_per_second
    lines: list[Any] = [
        "# Capacity you can plan",
        "",
        "<!-- Generated by `python -m tools.capacity_model.doc` from the capacity model; do not "
        "edit by hand. tests/unit/test_capacity_doc.py keeps it equal to the model. -->",
        "",
        "What each message costs the table and its GSI, what each stage sustains, and what a "
        "thousand times more traffic would need. Every figure is the capacity model's "
        "(`tools/capacity_model`: the items the code writes, sized and counted by DynamoDB's "
        "rules, cited in its modules) or a `make bench` result. `bin/ddb/capacity` answers the "
        "same questions for any traffic profile (`--json`, `--stage NAME`). `make bench` part "
        "11 runs a mixed workload through the local cloud's meter and compares it with the "
        "model, operation by operation.",
        "",
        f"Prices: us-east-1 list prices in force since {PRICES_IN_FORCE_SINCE}, from "
        f"{', '.join(SOURCE_URLS)} (check them there before quoting a bill) "
        "(`tools/capacity_model/prices.py`, the one place they live); a month is 730 hours.",
        "",
        "## What each operation costs",
        "",
        "Units per operation (RCU and WCU: capacity units, or request units on demand). "
        "*Before* is the model's figure for the rows before the cheaper rows: the whole text on "
        "every `GRP#` row and index entry, B re-reading every earlier row strongly consistent, "
        "C's check querying the sender's whole partition.",
        "",
        *_operations(),
        "## The stages",
        "",
        "Quiet messages (no new conversations, no reads). Dev and local keep the course's 5/5: "
        "the table's writes saturate first. Prod's bounds come from `PROD_TRAFFIC` "
        f"(stacks/settings.py): {average:g} msg/s on average, {peak:g} at peak, "
        f"{PROD_TRAFFIC.new_conversation_share:.0%} new conversations, "
        f"{PROD_TRAFFIC.a_pages_per_message:g} A and {PROD_TRAFFIC.b_pages_per_message:g} B "
        "pages per message; `tests/unit/test_capacity_stages.py` holds them to the model.",
        "",
        *_stages(),
        "## Internet scale on paper",
        "",
        "`PROD_TRAFFIC`'s mix at each rate. Partitions: at least the units over one "
        "partition's 1,000 WCU and 3,000 RCU. Stream shards: about one per table partition. "
        "Invocations: Lambda runs one batch per shard at a time at ParallelizationFactor 1 "
        f'("Using AWS Lambda with Amazon DynamoDB", with-ddb.html); one invocation at prod\'s '
        f"memory processes {marker} quiet msg/s (`make bench` part 6).",
        "",
        *_scale(rate),
        "## A user in 10,000 conversations",
        "",
        "Their conversation list (B) costs the same on page 1 and on the last page, and a "
        "stranger's post or a reply before the index catches up reads one key, whatever the "
        "user's partition holds (the table above, *before* against now). What still scales "
        "with one user:",
        "",
        *_big_user(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def write() -> bool:
    """Write docs/capacity.md from the model and the latest bench results; whether it changed
    (`make bench-docs` calls this after a run: the scale table follows part 6's figure)."""
    text = render()
    if DOC.exists() and DOC.read_text(encoding="utf-8") == text:
        return False
    DOC.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    write()
    print(f"wrote {DOC}")
