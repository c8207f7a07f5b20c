"""A DynamoDB request -> the reads and writes it makes, each with what it is known to cost before
it runs and a way to tell what it did cost afterwards (pure but for the deployed tables it reads).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from local.capacity import metering
from local.capacity.deployed import DeployedTable, wire
from local.capacity.metering import Consumed, Item

SINGLE_WRITES: Final = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}
_NAME: Final = re.compile(r"#?[A-Za-z_][A-Za-z0-9_]*")

Lookup = Callable[[str], DeployedTable | None]


@dataclass
class Action:
    """One item's read or write (or one Query/Scan page) of one request."""

    table: DeployedTable
    kind: str  # Get | Page | Put | Update | Delete | ConditionCheck
    key: Item | None = None
    old: Item | None = None
    new: Item | None = None
    consistent: bool = False
    index: str | None = None  # a GSI read by a Query/Scan page
    factor: int = 1
    mentioned: frozenset[str] = field(default_factory=frozenset)
    # Where the request names it (BatchGetItem/BatchWriteItem: table name, position) so an
    # action the buckets cannot pay for goes back as unprocessed.
    origin: tuple[str, int] | None = None
    _before: Consumed | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.table.schema.name

    def before(self) -> Consumed:
        """What it is known to cost before it runs (exact but for Update and Query/Scan)."""
        if self._before is None:
            self._before = self._cost_before()
        return self._before

    def _cost_before(self) -> Consumed:
        schema = self.table.schema
        if self.kind == "Get":
            consumed = metering.get(schema, self.old, consistent=self.consistent)
        elif self.kind == "Page":
            consumed = metering.read_page(schema, [], consistent=self.consistent, index=self.index)
        elif self.kind in ("Put", "Delete"):
            consumed = metering.write(schema, self.old, self.new)
        elif self.kind == "ConditionCheck":
            consumed = metering.failed_condition(schema, self.old)
        else:  # Update: the item after is known only afterwards; at least 1 on what it may touch
            consumed = metering.failed_condition(schema, self.old)
            for index in schema.indexes:
                entry = metering.index_entry(self.old, index, schema.keys)
                if entry is not None or self.mentioned & {*index.keys}:
                    consumed.index_write[index.name] = 1.0
        return _scaled(consumed, self.factor)

    def after(self, page_sizes: list[int], condition_failed: bool) -> Consumed:
        """What it did cost, once moto has served it."""
        schema = self.table.schema
        if condition_failed:
            consumed = metering.failed_condition(schema, self.old)
        elif self.kind == "Page":
            consumed = metering.read_page(
                schema, page_sizes, consistent=self.consistent, index=self.index
            )
        elif self.kind == "Update":
            new = self.table.item(self.key) if self.key is not None else None
            consumed = metering.write(schema, self.old, new)
        else:
            return self.before()
        return _scaled(consumed, self.factor)


def _scaled(consumed: Consumed, factor: int) -> Consumed:
    """A transaction's units: the table's reads and writes twice (prepare and commit), its index
    entries once. "After a transaction completes, its changes begin propagating to global
    secondary indexes": the index is written by that propagation, as for a single write
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html)."""
    if factor == 1:
        return consumed
    return Consumed(
        consumed.table,
        read=consumed.read * factor,
        write=consumed.write * factor,
        index_read=dict(consumed.index_read),
        index_write=dict(consumed.index_write),
    )


def _key_of(table: DeployedTable, item: Item) -> Item:
    return {name: item[name] for name in table.schema.keys if name in item}


def _mentioned(request: dict[str, Any]) -> frozenset[str]:
    """Attribute names an update may set or remove (a superset: every name in its expression)."""
    names = dict(request.get("ExpressionAttributeNames") or {})
    tokens = _NAME.findall(request.get("UpdateExpression", ""))
    found = {names.get(token, token) for token in tokens}
    found.update(request.get("AttributeUpdates") or {})
    return frozenset(found)


def _single(table: DeployedTable, kind: str, request: dict[str, Any], factor: int) -> Action:
    if kind == "Put":
        new = wire(request.get("Item") or {})
        key = _key_of(table, new)
        return Action(table, "Put", key=key, old=table.item(key), new=new, factor=factor)
    key = wire(request.get("Key") or {})
    old = table.item(key)
    mentioned = _mentioned(request) if kind == "Update" else frozenset()
    return Action(table, kind, key=key, old=old, factor=factor, mentioned=mentioned)


TableOf = Callable[[Any], DeployedTable]


def _writes(body: dict[str, Any], table: TableOf, operation: str) -> list[Action]:
    return [_single(table(body.get("TableName")), SINGLE_WRITES[operation], body, 1)]


def _get(body: dict[str, Any], table: TableOf, _: str) -> list[Action]:
    deployed = table(body.get("TableName"))
    item = deployed.item(wire(body.get("Key") or {}))
    return [Action(deployed, "Get", old=item, consistent=bool(body.get("ConsistentRead")))]


def _page(body: dict[str, Any], table: TableOf, _: str) -> list[Action]:
    deployed = table(body.get("TableName"))
    index = body.get("IndexName")
    gsi = index if index and deployed.schema.index(index) else None  # an LSI reads the table
    return [Action(deployed, "Page", index=gsi, consistent=bool(body.get("ConsistentRead")))]


def _batch_get(body: dict[str, Any], table: TableOf, _: str) -> list[Action]:
    found = []
    for name, request in (body.get("RequestItems") or {}).items():
        deployed = table(name)
        consistent = bool(request.get("ConsistentRead"))
        for position, key in enumerate(request.get("Keys") or []):
            item = deployed.item(wire(key))
            action = Action(deployed, "Get", old=item, consistent=consistent)
            action.origin = (name, position)
            found.append(action)
    return found


def _batch_write(body: dict[str, Any], table: TableOf, _: str) -> list[Action]:
    found = []
    for name, requests in (body.get("RequestItems") or {}).items():
        deployed = table(name)
        for position, request in enumerate(requests or []):
            if "PutRequest" in request:
                action = _single(deployed, "Put", request["PutRequest"], 1)
            else:
                action = _single(deployed, "Delete", request.get("DeleteRequest") or {}, 1)
            action.origin = (name, position)
            found.append(action)
    return found


def _transact_get(body: dict[str, Any], table: TableOf, _: str) -> list[Action]:
    found = []
    for entry in body.get("TransactItems") or []:
        get = entry.get("Get") or {}
        deployed = table(get.get("TableName"))
        item = deployed.item(wire(get.get("Key") or {}))
        factor = metering.TRANSACTION_FACTOR
        found.append(Action(deployed, "Get", old=item, consistent=True, factor=factor))
    return found


def _transact_write(body: dict[str, Any], table: TableOf, _: str) -> list[Action]:
    found = []
    for entry in body.get("TransactItems") or []:
        ((kind, request),) = entry.items()
        deployed = table(request.get("TableName"))
        found.append(_single(deployed, kind, request, metering.TRANSACTION_FACTOR))
    return found


_PLANNERS: Final[dict[str, Callable[[dict[str, Any], TableOf, str], list[Action]]]] = {
    **dict.fromkeys(SINGLE_WRITES, _writes),
    "GetItem": _get,
    "Query": _page,
    "Scan": _page,
    "BatchGetItem": _batch_get,
    "BatchWriteItem": _batch_write,
    "TransactGetItems": _transact_get,
    "TransactWriteItems": _transact_write,
}
METERED: Final = frozenset(_PLANNERS)


def actions(operation: str, body: dict[str, Any], lookup: Lookup) -> list[Action] | None:
    """The actions of a metered request; None when the request is not metered or names a table
    that does not exist (moto answers it with its own error)."""
    planner = _PLANNERS.get(operation)
    if planner is None:
        return None

    def table(name: Any) -> DeployedTable:
        deployed = lookup(str(name)) if name else None
        if deployed is None:
            raise LookupError(name)
        return deployed

    try:
        return planner(body, table, operation)
    except (LookupError, AttributeError, TypeError, ValueError):
        return None  # not a well-formed request for an existing table: moto answers it
