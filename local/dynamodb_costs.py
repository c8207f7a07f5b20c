"""Two places where moto's DynamoDB grew slower with every item the table held, made flat.

Measured with `python -m local.dynamodb_costs` (sends to one conversation on the local cloud, the
milliseconds a send takes as the table grows), on this 2-core machine: before this module a send
took 34 ms on a fresh table and 374 ms once the table held a thousand messages; with it, 8 ms and
12-15 ms. DynamoDB's latency does not depend on the table's size, and the local cloud's should not
either, or `make local` slows to a halt over a day of messages.

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
from typing import Any

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


def install() -> None:
    """Both replacements, once per process."""
    Table.all_items = _all_items  # type: ignore[method-assign]
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
    dynamodb_models.copy = _CopyModule()  # type: ignore[attr-defined,assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def main() -> None:
    """Sends to one conversation on a fresh local cloud: milliseconds per send as it grows."""
    import time
    import uuid

    from cruddur_messages import schema
    from cruddur_messages.models import User
    from cruddur_messages.store import MessageStore
    from local import cloud, server

    port = server.free_port()
    endpoint = server.start(port, enforce_capacity=False)
    try:
        dynamodb = cloud.developer(cloud.endpoint_url(port))("dynamodb")
        dynamodb.create_table(**schema.create_table_kwargs(schema.TABLE_NAME_DEFAULT))
        store = MessageStore(dynamodb, table_name=schema.TABLE_NAME_DEFAULT)
        alice, bob = (User(uuid=str(uuid.uuid4()), display_name=n, handle=n) for n in "ab")
        group, _ = store.create_message_group(alice, bob, "hello")
        for step in range(1, 7):
            started = time.perf_counter()
            for n in range(200):
                store.create_message(group.group_uuid, alice, f"message {n}")
            per_send_ms = (time.perf_counter() - started) / 200 * 1000
            print(f"{step * 200:>5} messages in the table: {per_send_ms:.1f} ms a send")
    finally:
        endpoint.stop()


if __name__ == "__main__":
    main()
