"""What one request costs, by DynamoDB's documented rules (pure: items in the wire format).

- Units: "DynamoDB read and write operations" / "Read/write capacity mode",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html
  writes in 1 KB units (a put or update by the larger of the item before and after, a delete by
  the deleted item, a failed condition by the existing item; at least 1); reads in 4 KB units
  (Query and Scan sum the items read before rounding; eventually consistent reads cost half);
  BatchGetItem and BatchWriteItem count each item as its own GetItem, PutItem or DeleteItem.
- Sizes: "DynamoDB item sizes and formats" (tools/item_sizes.py, the one model),
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
- Indexes: "Provisioned throughput considerations for global secondary indexes",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
  a write adds, removes or changes index entries: a new entry is one write of its size, a removed
  entry one write of the old entry, a changed index key a delete plus a put, a changed projected
  attribute one write; an item without the index's key attributes has no entry (sparse) and
  costs the index nothing.
- Transactions: "Capacity management for transactions", twice the units of the same reads and
  writes on the table; index entries once, by the propagation after the commit (plan._scaled), https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tools.item_sizes import item_size, read_units, write_units

Item = Mapping[str, Mapping[str, Any]]

TRANSACTION_FACTOR: Final = 2


@dataclass(frozen=True)
class IndexSchema:
    """A global secondary index as metering needs it: its keys and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexSchema, ...] = ()

    def index(self, name: str) -> IndexSchema | None:
        return next((index for index in self.indexes if index.name == name), None)


@dataclass
class Consumed:
    """Units one request consumed on one table: the table's own and each index's."""

    table: str
    read: float = 0.0
    write: float = 0.0
    index_read: dict[str, float] = field(default_factory=dict)
    index_write: dict[str, float] = field(default_factory=dict)

    def add(self, other: Consumed, factor: float = 1) -> None:
        self.read += other.read * factor
        self.write += other.write * factor
        for name, units in other.index_read.items():
            self.index_read[name] = self.index_read.get(name, 0.0) + units * factor
        for name, units in other.index_write.items():
            self.index_write[name] = self.index_write.get(name, 0.0) + units * factor

    def total(self) -> float:
        return (
            self.read + self.write + sum(self.index_read.values()) + sum(self.index_write.values())
        )


def index_entry(item: Item | None, index: IndexSchema, table_keys: tuple[str, ...]) -> Item | None:
    """The item's entry in the index: None when it lacks one of the index's key attributes (a
    sparse index holds only the items that have them); otherwise the projected attributes."""
    if item is None or any(key not in item for key in index.keys):
        return None
    if index.projection == "ALL":
        return item
    kept = {*table_keys, *index.keys}
    if index.projection == "INCLUDE":
        kept.update(index.non_key_attributes)
    return {name: value for name, value in item.items() if name in kept}


def index_write_units(
    old: Item | None, new: Item | None, index: IndexSchema, table_keys: tuple[str, ...]
) -> float:
    """Write units a base-table write costs one index (0 when its entry is unchanged or absent)."""
    before = index_entry(old, index, table_keys)
    after = index_entry(new, index, table_keys)
    if before is None and after is None:
        return 0.0
    if before is None:
        return float(write_units(item_size(after or {})))
    if after is None:
        return float(write_units(item_size(before)))
    if any(before[key] != after[key] for key in index.keys):  # moved: a delete and a put
        return float(write_units(item_size(before)) + write_units(item_size(after)))
    if before == after:
        return 0.0
    return float(write_units(item_size(after)))


def size_of(item: Item | None) -> int:
    return item_size(item) if item is not None else 0


def write(schema: TableSchema, old: Item | None, new: Item | None) -> Consumed:
    """A successful PutItem/UpdateItem (new is the item after) or DeleteItem (new is None)."""
    consumed = Consumed(schema.name, write=float(write_units(max(size_of(old), size_of(new)))))
    for index in schema.indexes:
        units = index_write_units(old, new, index, schema.keys)
        if units:
            consumed.index_write[index.name] = units
    return consumed


def failed_condition(schema: TableSchema, existing: Item | None) -> Consumed:
    """A write whose condition failed: the existing item's size (at least 1), no index write."""
    return Consumed(schema.name, write=float(write_units(size_of(existing))))


def get(schema: TableSchema, item: Item | None, *, consistent: bool) -> Consumed:
    """GetItem: the whole item's size, whatever the projection; an absent item still costs."""
    return Consumed(schema.name, read=read_units(size_of(item), consistent=consistent))


def read_page(
    schema: TableSchema, sizes: list[int], *, consistent: bool, index: str | None
) -> Consumed:
    """One Query or Scan page: the sizes of the items (or index entries) it read, before any
    filter or projection, summed and then rounded up to 4 KB."""
    units = read_units(sum(sizes), consistent=consistent)
    if index is None:
        return Consumed(schema.name, read=units)
    return Consumed(schema.name, index_read={index: units})
