"""DynamoDB's metering rules (local/capacity/metering.py) against figures computed by hand from the
developer guide's examples ("DynamoDB read and write operations", "Provisioned throughput
considerations for global secondary indexes", "Capacity management for transactions")."""

from __future__ import annotations

from typing import Any

import pytest

from local.capacity import metering
from local.capacity.metering import IndexSchema, TableSchema
from local.capacity.plan import Action
from tools.item_sizes import item_size

KB = 1024
INDEX = IndexSchema(name="by-group", keys=("group", "sk"), projection="INCLUDE",
                    non_key_attributes=("message",))  # fmt: skip
SCHEMA = TableSchema(name="t", keys=("pk", "sk"), indexes=(INDEX,))


def item(size: int, **extra: str) -> dict[str, Any]:
    """An item of exactly `size` bytes by DynamoDB's count: its keys, `extra`, and padding."""
    attributes: dict[str, Any] = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    attributes.update({name: {"S": value} for name, value in extra.items()})
    padding = size - item_size(attributes) - len("pad")
    assert padding >= 0
    attributes["pad"] = {"S": "x" * padding}
    assert item_size(attributes) == size
    return attributes


def test_a_put_of_1_5_kb_costs_2_wcu_and_of_exactly_1_kb_costs_1() -> None:
    assert metering.write(SCHEMA, None, item(1536)).write == 2
    assert metering.write(SCHEMA, None, item(KB)).write == 1
    assert metering.write(SCHEMA, None, item(KB + 1)).write == 2


def test_a_put_over_an_item_costs_the_larger_of_the_old_and_new_item() -> None:
    assert metering.write(SCHEMA, item(3 * KB), item(500)).write == 3
    assert metering.write(SCHEMA, item(500), item(3 * KB)).write == 3


def test_a_delete_costs_the_deleted_item_and_at_least_1_when_there_is_none() -> None:
    assert metering.write(SCHEMA, item(2500), None).write == 3
    assert metering.write(SCHEMA, None, None).write == 1


def test_a_failed_condition_costs_the_existing_item_and_no_index_write() -> None:
    consumed = metering.failed_condition(SCHEMA, item(2 * KB + 5, group="g"))
    assert (consumed.write, consumed.index_write) == (3, {})
    assert metering.failed_condition(SCHEMA, None).write == 1


def test_get_item_of_3_5_kb_costs_1_rcu_strong_and_half_eventually() -> None:
    assert metering.get(SCHEMA, item(3584), consistent=True).read == 1
    assert metering.get(SCHEMA, item(3584), consistent=False).read == 0.5


def test_get_item_of_10_kb_costs_3_rcu_strong_and_1_5_eventually() -> None:
    assert metering.get(SCHEMA, item(10 * KB), consistent=True).read == 3
    assert metering.get(SCHEMA, item(10 * KB), consistent=False).read == 1.5


def test_reading_an_item_that_does_not_exist_still_costs_a_unit() -> None:
    assert metering.get(SCHEMA, None, consistent=True).read == 1


def test_a_query_page_sums_the_items_read_before_rounding() -> None:
    """Ten 40-byte items: 400 bytes in all, one unit (not ten)."""
    page = metering.read_page(SCHEMA, [40] * 10, consistent=True, index=None)
    assert page.read == 1
    assert metering.read_page(SCHEMA, [3 * KB, 3 * KB], consistent=False, index=None).read == 1


def test_a_query_of_an_index_is_charged_to_the_index() -> None:
    page = metering.read_page(SCHEMA, [5 * KB], consistent=False, index="by-group")
    assert (page.read, page.index_read) == (0, {"by-group": 1.0})


def test_batch_get_rounds_each_item_on_its_own() -> None:
    """1.5 KB and 6.5 KB read in one BatchGetItem: 4 KB + 8 KB = 3 units, not 2 (8 KB)."""
    table = _Deployed()
    first = Action(table, "Get", old=item(1536), consistent=True)  # type: ignore[arg-type]
    second = Action(table, "Get", old=item(6656), consistent=True)  # type: ignore[arg-type]
    assert first.before().read + second.before().read == 3


def test_a_transactional_write_costs_twice() -> None:
    table = _Deployed()
    put = Action(table, "Put", new=item(KB), factor=metering.TRANSACTION_FACTOR)  # type: ignore[arg-type]
    assert put.before().write == 2
    get = Action(table, "Get", old=item(5 * KB), consistent=True, factor=2)  # type: ignore[arg-type]
    assert get.before().read == 4


def test_a_new_item_with_the_index_keys_is_one_index_write_of_its_entry() -> None:
    """The entry holds the keys and the projected `message`, not the 3 KB padding."""
    consumed = metering.write(SCHEMA, None, item(3 * KB, group="g", message="hi"))
    assert (consumed.write, consumed.index_write) == (3, {"by-group": 1.0})


def test_an_item_without_the_index_keys_costs_the_index_nothing() -> None:
    assert metering.write(SCHEMA, None, item(500)).index_write == {}
    assert metering.write(SCHEMA, item(500), item(600)).index_write == {}


def test_changing_an_index_key_is_a_delete_and_a_put() -> None:
    moved = metering.write(SCHEMA, item(500, group="a"), item(500, group="b"))
    assert moved.index_write == {"by-group": 2.0}


def test_changing_a_projected_attribute_is_one_write_and_an_unprojected_one_none() -> None:
    before = item(500, group="a", message="old")
    projected = metering.write(SCHEMA, before, item(500, group="a", message="new"))
    assert projected.index_write == {"by-group": 1.0}
    unprojected = {**before, "pad": {"S": "y" * len(before["pad"]["S"])}}
    assert metering.write(SCHEMA, before, unprojected).index_write == {}


def test_removing_an_item_from_the_index_is_one_write_of_the_old_entry() -> None:
    assert metering.write(SCHEMA, item(500, group="a"), item(500)).index_write == {"by-group": 1.0}
    assert metering.write(SCHEMA, item(500, group="a"), None).index_write == {"by-group": 1.0}


@pytest.mark.parametrize(
    ("projection", "expected"),
    [("KEYS_ONLY", {"pk", "sk", "group"}), ("INCLUDE", {"pk", "sk", "group", "message"})],
)
def test_an_index_entry_holds_what_the_index_projects(projection: str, expected: set[str]) -> None:
    index = IndexSchema("i", ("group", "sk"), projection, ("message",))
    entry = metering.index_entry(item(200, group="g", message="m"), index, ("pk", "sk"))
    assert entry is not None and set(entry) == expected


def test_an_update_needs_at_least_a_unit_on_every_index_it_may_touch() -> None:
    """Before it runs, an update's new item is unknown: it is admitted on what the old item costs
    and a unit on each index the old item is in or whose keys the update names."""
    table = _Deployed()
    update = Action(table, "Update", old=item(1500), mentioned=frozenset({"group"}))  # type: ignore[arg-type]
    before = update.before()
    assert (before.write, before.index_write) == (2, {"by-group": 1.0})
    untouched = Action(table, "Update", old=item(100), mentioned=frozenset({"pad"}))  # type: ignore[arg-type]
    assert untouched.before().index_write == {}


class _Deployed:
    """The part of a deployed table an Action reads before it runs."""

    schema = SCHEMA
