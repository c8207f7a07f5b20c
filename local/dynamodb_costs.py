"""Two places where moto's DynamoDB grew slower with every item the table held, made flat.

`make bench` part 13 (bench/table_growth.py) sends messages to one conversation as the table grows,
with these replacements and with moto's own methods (`uninstalled`): moto's cost a send grows with
every message the table holds, these stay nearly flat. DynamoDB's latency does not depend on the
table's size, and the local cloud's should not either, or `make local` slows to a halt over a day
of messages.

1. **TransactWriteItems.** moto makes a transaction all-or-nothing by deep-copying each table it
   names (items, stream records and all) before the first write, and putting the copy back if any
   item fails. A send is a transaction (the message and its uuid guard,
   cruddur_messages/guards.py), so every send copied the whole table. The same guarantee from an
   undo log: before moto's own transact_write_items runs, each item the transaction names is
   copied (at most 100, a transaction's limit), with the length of its table's stream; moto's
   whole-table copy becomes the table itself, and if moto rolls back, the named items are put
   back as they were and the stream records of the cancelled writes are dropped: DynamoDB
   writes none for a cancelled transaction ("Amazon DynamoDB Transactions: How it works",
   transaction-apis.html). The checks and the errors stay moto's. The endpoint serves one
   request at a time (server.py), so nothing else sees the table midway.
2. **Every Query and Scan** starts from `Table.all_items`, which sorts every item of the table
   comparing moto's DynamoType objects, each comparison re-deriving both values. The same order
   from keys computed once per item.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_ACTIVE = threading.local()


class _CopyModule:
    """Stands for the `copy` module inside moto's DynamoDB backend: inside a transaction, a
    table's "copy" is the table (the undo log restores it); any other deep copy is real."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if getattr(_ACTIVE, "transaction", False) and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


@dataclass
class _Saved:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Any  # moto's Item as it was, or None: the key held nothing


def _key_of(table: Table, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type == "Put":
        attrs = op["Item"]
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {name: attrs[name] for name in names}
    return dict(op["Key"])


def _saved(backend: DynamoDBBackend, entry: dict[str, Any]) -> _Saved | None:
    """The item one entry names, as it is now; None for a malformed entry, which moto refuses
    before it writes it."""
    try:
        ((op_type, op),) = entry.items()
        table = backend.tables[op["TableName"]]
        key = _key_of(table, op_type, op)
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.get_item(hash_key, range_key)
    except Exception:
        return None
    return _Saved(table, hash_key, range_key, copy.deepcopy(current))


def _undo_log(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> tuple[list[_Saved], dict[int, tuple[Table, int]]]:
    saved = [s for s in (_saved(backend, entry) for entry in transact_items) if s is not None]
    streams: dict[int, tuple[Table, int]] = {}
    for entry in saved:
        shard = entry.table.stream_shard
        if shard is not None:
            streams.setdefault(id(entry.table), (entry.table, len(shard.items)))
    return saved, streams


def _restore(saved: list[_Saved], streams: dict[int, tuple[Table, int]]) -> None:
    # Last first: an item named twice (moto refuses that, after writing the first) ends as the
    # first copy found it.
    for entry in reversed(saved):
        items = entry.table.items
        if entry.range_key is None:
            if entry.item is None:
                items.pop(entry.hash_key, None)
            else:
                items[entry.hash_key] = entry.item
            continue
        rows = items[entry.hash_key]
        if entry.item is None:
            rows.pop(entry.range_key, None)
            if not rows:
                del items[entry.hash_key]
        else:
            rows[entry.range_key] = entry.item
    for table, length in streams.values():
        if table.stream_shard is not None:
            del table.stream_shard.items[length:]


@contextmanager
def _transaction() -> Iterator[None]:
    _ACTIVE.transaction = True
    try:
        yield
    finally:
        _ACTIVE.transaction = False


def _sort_key(item: Any) -> Any:
    # moto's own key, `(hash_key, range_key) if range_key else hash_key`, on the values that
    # DynamoType's comparisons compare (DynamoType.__lt__ is `cast_value < cast_value`).
    if item.range_key:
        return (item.hash_key.cast_value, item.range_key.cast_value)
    return item.hash_key.cast_value


def _all_items(self: Table) -> list[Any]:
    items: list[Any] = []
    for hash_set in self.items.values():
        if self.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    return sorted(items, key=_sort_key)


def _methods() -> tuple[Any, Any, Any]:
    return (Table.all_items, DynamoDBBackend.transact_write_items, vars(dynamodb_models)["copy"])


def _set_methods(all_items: Any, transact_write_items: Any, copy_module: Any) -> None:
    Table.all_items = all_items  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    vars(dynamodb_models)["copy"] = copy_module


# moto's own methods (this module is imported before it installs anything), for `uninstalled`.
_MOTO_OWN: Final = _methods()


def install() -> None:
    """Both replacements, once per process."""
    original: Callable[..., Any] = DynamoDBBackend.transact_write_items
    if getattr(original, "_undo_log", False):
        return

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        saved, streams = _undo_log(self, transact_items)
        try:
            with _transaction():
                return original(self, transact_items)
        except BaseException:
            _restore(saved, streams)
            raise

    transact_write_items._undo_log = True  # type: ignore[attr-defined]
    _set_methods(_all_items, transact_write_items, _CopyModule())


@contextmanager
def uninstalled() -> Iterator[None]:
    """moto's own methods while inside, for the bench's comparison; the replacements after."""
    replaced = _methods()
    _set_methods(*_MOTO_OWN)
    try:
        yield
    finally:
        _set_methods(*replaced)
