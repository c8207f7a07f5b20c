"""DynamoDB's answers, as the service writes them: `ConsumedCapacity` and the throttling errors.

- ConsumedCapacity ("ConsumedCapacity", API Reference,
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ConsumedCapacity.html):
  TOTAL gives TableName and CapacityUnits; INDEXES adds Table and GlobalSecondaryIndexes, each a
  Capacity. One object for single-item operations, Query and Scan; a list, one per table, for the
  batch and transaction operations; transactions also split ReadCapacityUnits/WriteCapacityUnits.
- Throttling: ProvisionedThroughputExceededException with the messages listed under
  "Provisioned Throughput Exceeded" in TransactWriteItems' API Reference
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html),
  and ThrottlingReasons, "ResourceType+OperationType+LimitType" with the resource's ARN
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html).
  A transaction the capacity cannot pay for is cancelled with that code per item
  (TransactionCanceledException, CancellationReasons).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from local.capacity.metering import Consumed

TABLE_MESSAGE: Final = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
INDEX_MESSAGE: Final = (
    "The level of configured provisioned throughput for one or more global secondary indexes "
    "of the table was exceeded. Consider increasing your provisioning level for the "
    "under-provisioned global secondary indexes with the UpdateTable API."
)
_PREFIX: Final = "com.amazonaws.dynamodb.v20120810#"
_LISTS: Final = frozenset(
    {"BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)


@dataclass(frozen=True)
class Shortfall:
    """One bucket that cannot pay: a table's or an index's reads or writes."""

    table: str
    arn: str  # the table's, or the index's (".../index/NAME")
    index: str | None
    kind: str  # "Read" | "Write"

    @property
    def reason(self) -> str:
        return f"{'Index' if self.index else 'Table'}{self.kind}ProvisionedThroughputExceeded"


def message(shortfalls: Iterable[Shortfall]) -> str:
    found = list(shortfalls)
    only_indexes = all(s.index is not None for s in found) and any(s.kind == "Write" for s in found)
    return INDEX_MESSAGE if only_indexes else TABLE_MESSAGE


def throttled(shortfalls: list[Shortfall]) -> dict[str, Any]:
    return {
        "__type": _PREFIX + "ProvisionedThroughputExceededException",
        "message": message(shortfalls),
        "ThrottlingReasons": [{"reason": s.reason, "resource": s.arn} for s in shortfalls],
    }


def cancelled(tables: list[str], short: dict[str, list[Shortfall]]) -> dict[str, Any]:
    """A transaction's items in order: ProvisionedThroughputExceeded for each on a table (or
    index) that cannot pay, None for the others."""
    reasons: list[dict[str, str]] = []
    for name in tables:
        if name in short:
            reasons.append(
                {"Code": "ProvisionedThroughputExceeded", "Message": message(short[name])}
            )
        else:
            reasons.append({"Code": "None"})
    codes = ", ".join(reason["Code"] for reason in reasons)
    return {
        "__type": _PREFIX + "TransactionCanceledException",
        "message": f"Transaction cancelled, please refer cancellation reasons for specific "
        f"reasons [{codes}]",
        "CancellationReasons": reasons,
    }


def _one(consumed: Consumed, mode: str, transactional: bool, reads: bool) -> dict[str, Any]:
    def capacity(units: float) -> dict[str, float]:
        # Transactions also say which kind of unit they consumed.
        if not transactional:
            return {"CapacityUnits": units}
        kind = "ReadCapacityUnits" if reads else "WriteCapacityUnits"
        return {"CapacityUnits": units, kind: units}

    shaped: dict[str, Any] = {"TableName": consumed.table, **capacity(consumed.total())}
    if mode == "INDEXES":
        shaped["Table"] = capacity(consumed.read + consumed.write)
        indexes = {
            name: consumed.index_read.get(name, 0.0) + consumed.index_write.get(name, 0.0)
            for name in {*consumed.index_read, *consumed.index_write}
        }
        if indexes:
            shaped["GlobalSecondaryIndexes"] = {
                name: capacity(units) for name, units in sorted(indexes.items())
            }
    return shaped


def consumed_capacity(
    operation: str, mode: str, by_table: dict[str, Consumed]
) -> dict[str, Any] | list[dict[str, Any]]:
    """The response's ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES."""
    transactional = operation.startswith("Transact")
    reads = operation in ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems")
    shaped = [_one(c, mode, transactional, reads) for c in by_table.values()]
    if operation in _LISTS:
        return shaped
    return shaped[0]


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
