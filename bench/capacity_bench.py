"""Benchmark: what capacity metering and enforcement add to each DynamoDB request on the local
endpoint (local/capacity).

    python -m bench.capacity_bench [--calls N]

Starts its own endpoint on a free port, creates the schema's table with capacity to spare (the
figure is the cost of the layer, not of throttling), then makes the system's calls in turn: the
store's message put (with ReturnConsumedCapacity INDEXES), the processor's Query on the index,
PutItem and DeleteItem of GRP# rows, a GetItem and a two-item TransactWriteItems. Measured:
- the layer's own time per request inside the endpoint (the request parsed, the item before the
  write read from moto, the buckets checked and charged, the answer rewritten), moto's time
  excluded: the added latency, median and p99;
- the client's round trip of the same calls, for scale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from bench import measure
from bench.tables import verdict
from cruddur_messages import schema
from local import cloud, server

GOAL_MEDIAN_MS: Final = 0.3
OPERATIONS: Final = ("PutItem", "Query", "PutItem", "DeleteItem", "GetItem", "TransactWriteItems")


def _calls(ddb: Any, table: str) -> Callable[[int], None]:
    """The calls in turn, over 50 conversations: each query finds a conversation's few rows."""

    def call(i: int) -> None:
        group = str(uuid.UUID(int=i % 50))
        row = {
            schema.PARTITION_KEY: {"S": f"{schema.GROUP_PREFIX}{uuid.UUID(int=i % 50 + 1)}"},
            schema.SORT_KEY: {"S": f"2024-01-01T00:00:{i % 60:02d}"},
            schema.GSI_PARTITION_KEY: {"S": group},
            "message": {"S": "Hey, are you coming to the demo?"},
        }
        key = {k: row[k] for k in (schema.PARTITION_KEY, schema.SORT_KEY)}
        step = OPERATIONS[i % len(OPERATIONS)]
        if i % len(OPERATIONS) == 0:
            message = {k: v for k, v in row.items() if k != schema.GSI_PARTITION_KEY}
            message[schema.PARTITION_KEY] = {"S": schema.message_pk(group)}
            ddb.put_item(TableName=table, Item=message, ReturnConsumedCapacity="INDEXES")
        elif step == "Query":
            ddb.query(
                TableName=table,
                IndexName=schema.GSI_NAME,
                KeyConditionExpression="#g = :g",
                ExpressionAttributeNames={"#g": schema.GSI_PARTITION_KEY},
                ExpressionAttributeValues={":g": {"S": group}},
            )
        elif step == "PutItem":
            ddb.put_item(TableName=table, Item=row)
        elif step == "DeleteItem":
            ddb.delete_item(TableName=table, Key=key)
        elif step == "GetItem":
            ddb.get_item(TableName=table, Key=key)
        else:
            other = {**row, schema.SORT_KEY: {"S": f"2024-01-02T00:00:{i % 60:02d}"}}
            ddb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": row}},
                    {"Put": {"TableName": table, "Item": other}},
                ]
            )

    return call


def run(calls: int = 1200) -> dict[str, Any]:
    port = server.free_port()
    endpoint_server = server.start(port, authorize=False)
    try:
        endpoint = cloud.endpoint_url(port)
        table = "capacity-bench"
        ddb = cloud.developer(endpoint)("dynamodb")
        ddb.create_table(**schema.create_table_kwargs(table, read_capacity=10_000,
                                                      write_capacity=10_000))  # fmt: skip
        call = _calls(ddb, table)
        for i in range(len(OPERATIONS)):  # warm the connection and every code path
            call(i)
        ledger = endpoint_server.capacity.ledger  # type: ignore[attr-defined]
        ledger.seconds.clear()
        round_trips = measure.timed_calls(call, calls)
        added = list(ledger.seconds)
        throttled = sum(e["throttled_requests"] for e in ledger.counts().values())
    finally:
        endpoint_server.stop()
    if throttled or len(added) != calls:
        raise RuntimeError(f"{throttled} throttled, {len(added)} of {calls} requests metered")
    overhead = measure.latency_ms(added)
    return {
        "calls": calls,
        "operations": list(OPERATIONS),
        "capacity_ms": overhead,
        "round_trip_ms": measure.latency_ms(round_trips),
        "goal_median_ms": GOAL_MEDIAN_MS,
        "goal_met": overhead["median"] <= GOAL_MEDIAN_MS,
    }


def report(part: Mapping[str, Any]) -> list[str]:
    """Its section of bench/README.md (bench/report.py)."""
    added, trip = part["capacity_ms"], part["round_trip_ms"]
    goal = verdict(part["goal_met"])
    rows = [
        ["capacity metering and enforcement, added per request", added["median"], added["p99"]],
        ["round trip of the same requests", trip["median"], trip["p99"]],
    ]
    lines = ["| measure | median (ms) | p99 (ms) |", "|---|---|---|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [
        f"{part['calls']} of the system's DynamoDB calls in turn ({', '.join(part['operations'])}) "
        "on the local endpoint, each metered and checked against its table's and index's token "
        "buckets (`python -m bench.capacity_bench`). Added latency is the capacity layer's own "
        "time inside the endpoint (moto's excluded); goal: median <= "
        f"{part['goal_median_ms']} ms ({goal}).",
        "",
        *lines,
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    return measure.calls_main(argv, doc=__doc__ or "", run=run, default_calls=1200)


if __name__ == "__main__":
    raise SystemExit(main())
