"""What metering and enforcement read of the deployed tables, straight from moto's backend in this
process (the endpoint serves one request at a time: nothing changes while it reads). Capacity is
read on every request, never copied, so an UpdateTable applies to the next request."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from local.capacity.metering import IndexSchema, Item, TableSchema

ON_DEMAND = "PAY_PER_REQUEST"


@dataclass(frozen=True)
class Throughput:
    read: float
    write: float


class DeployedTable:
    """One table of moto's backend: its schema, its live capacity, its items by key."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self.arn: str = table.table_arn
        self.generation = str(table.created_at)  # a table re-created under the same name is new
        self.schema = TableSchema(
            name=table.name,
            keys=tuple(table.table_key_attrs),
            indexes=tuple(
                IndexSchema(
                    name=index.name,
                    keys=tuple(index.schema_key_attrs),
                    projection=(index.projection or {}).get("ProjectionType", "ALL"),
                    non_key_attributes=tuple((index.projection or {}).get("NonKeyAttributes", [])),
                )
                for index in table.global_indexes
            ),
        )

    @property
    def on_demand(self) -> bool:
        return bool(self._table.billing_mode == ON_DEMAND)

    def throughput(self, index: str | None) -> Throughput:
        if index is None:
            source = self._table.throughput
        else:
            found = next(i for i in self._table.global_indexes if i.name == index)
            source = found.throughput
        return Throughput(
            float(source.get("ReadCapacityUnits", 0)), float(source.get("WriteCapacityUnits", 0))
        )

    def resource_arn(self, index: str | None) -> str:
        return self.arn if index is None else f"{self.arn}/index/{index}"

    def item(self, key: Item) -> Item | None:
        """The stored item with this primary key, in the wire format; None if there is none or
        the key is not one (moto's own validation answers that request)."""
        try:
            hash_value = DynamoType(dict(key[self._table.hash_key_attr]))
            range_attr = self._table.range_key_attr
            range_value = DynamoType(dict(key[range_attr])) if range_attr else None
            found = self._table.get_item(hash_value, range_value)
        except Exception:  # a malformed key: moto refuses the request itself
            return None
        return None if found is None else wire(found.to_json()["Attributes"])


# Views of moto's tables, reused while the table object and its indexes are the same; capacity
# is read through them live, so only the schema (keys, indexes, projections) is kept.
_VIEWS: dict[int, tuple[Any, tuple[int, ...], DeployedTable]] = {}


def find(account: str, region: str, name: str) -> DeployedTable | None:
    """The table `name` (or its ARN) in moto's backend, or None."""
    try:
        backend = dynamodb_backends[account][region]
    except Exception:  # an unknown region: moto answers the request with its own error
        return None
    table = backend.tables.get(name.rsplit("/", 1)[-1] if name.startswith("arn:") else name)
    if table is None:
        return None
    indexes = tuple(id(index) for index in table.global_indexes)
    cached = _VIEWS.get(id(table))
    if cached is not None and cached[0] is table and cached[1] == indexes:
        return cached[2]
    if len(_VIEWS) > 1000:  # tables come and go (the tests make hundreds)
        _VIEWS.clear()
    view = _VIEWS[id(table)] = (table, indexes, DeployedTable(table))
    return view[2]


def every_table() -> list[DeployedTable]:
    """Every table of every account and region moto has created so far."""
    tables: list[DeployedTable] = []
    for account in list(dynamodb_backends):
        for region in list(dynamodb_backends[account]):
            tables.extend(
                DeployedTable(t) for t in dynamodb_backends[account][region].tables.values()
            )
    return tables


def wire(item: Any) -> Item:
    """An item with its binary values as bytes, as tools/item_sizes.py counts them (the JSON
    protocol carries them in base64)."""
    return {name: _raw(value) for name, value in item.items()}


def _raw(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, data),) = value.items()
    if kind == "B" and isinstance(data, str):
        return {"B": base64.b64decode(data)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) if isinstance(v, str) else v for v in data]}
    if kind == "L":
        return {"L": [_raw(v) for v in data]}
    if kind == "M":
        return {"M": {k: _raw(v) for k, v in data.items()}}
    return value
