"""Capacity efficiency: a backlog drained through the local cloud at the local stage's capacity.

    python -m bench.capacity_efficiency [--conversations N]

An endpoint in this process with capacity enforced (local/capacity, a real clock); the table
created at the local stage's provisioned capacity (stacks.settings.LOCAL: 5 WCU table, 5 WCU
index). N conversations and one reply each are written with the store while the burst is full;
then the burst is spent (UpdateTable to 1 WCU clips it to 300 units, which 10 KB writes use up,
then the stage's capacity again), and the stream is pumped, with the local stage's mapping
settings, into the processor's handler (its real client, a 30 s deadline per invocation).

Reported: the table's and the index's WCU consumed per second of the drain over provisioned
(goal >= 0.8: a throttled processor uses the capacity it has), the drain time against the time
the consumed units need at the provisioned rate, the throttles the endpoint refused, and the
records given up (to a failure destination or dropped; goal 0).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import boto3

from bench.processor_throughput import Context
from bench.tables import verdict
from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore, client_config
from local import capacity, cloud, server
from local.pump import Checkpoints, StreamPump, table_mapping
from stacks.settings import LOCAL

TABLE: Final = "cruddur-messages-capacity-bench"
CONVERSATIONS: Final = 40
GOAL_RATIO: Final = 0.8
_DRAIN_TIMEOUT_S: Final = 300.0


def _table_kwargs() -> dict[str, Any]:
    table = LOCAL.table
    return schema.create_table_kwargs(
        TABLE,
        read_capacity=table.read_capacity,
        write_capacity=table.write_capacity,
        gsi_read_capacity=table.gsi_read_capacity,
        gsi_write_capacity=table.gsi_write_capacity,
    )


def _set_write_capacity(client: Any, wcu: int) -> None:
    table = LOCAL.table
    client.update_table(
        TableName=TABLE,
        ProvisionedThroughput={"ReadCapacityUnits": table.read_capacity, "WriteCapacityUnits": wcu},
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": schema.GSI_NAME,
                    "ProvisionedThroughput": {
                        "ReadCapacityUnits": table.gsi_read_capacity,
                        "WriteCapacityUnits": wcu,
                    },
                }
            }
        ],
    )


def _spend_burst(client: Any) -> None:
    _set_write_capacity(client, 1)
    blob = "x" * (10 * 1024 - 200)
    for n in range(200):
        item = {
            schema.PARTITION_KEY: {"S": f"BURST#{n}"},
            schema.SORT_KEY: {"S": "0"},
            schema.GSI_PARTITION_KEY: {"S": str(uuid.uuid4())},
            "message": {"S": blob},
        }
        try:
            client.put_item(TableName=TABLE, Item=item)
        except client.exceptions.ProvisionedThroughputExceededException:
            break
    _set_write_capacity(client, LOCAL.table.write_capacity)


def _consumed(table_counts: Mapping[str, Any]) -> tuple[float, float, int]:
    entry = table_counts.get(TABLE, {})
    index = entry.get("indexes", {}).get(schema.GSI_NAME) or {}
    return (
        float((entry.get("table") or {}).get("consumed_write", 0.0)),
        float(index.get("consumed_write", 0.0)),
        int(entry.get("throttled_requests", 0)),
    )


def _pairs(count: int) -> list[tuple[User, User]]:
    return [
        (
            User(uuid=str(uuid.uuid4()), display_name=f"Sender {n}", handle=f"s{n}"),
            User(uuid=str(uuid.uuid4()), display_name=f"Recipient {n}", handle=f"r{n}"),
        )
        for n in range(count)
    ]


def run(conversations: int = CONVERSATIONS) -> dict[str, Any]:
    from stream_processor import handler as handler_module  # reads its environment when called

    port = server.free_port()
    endpoint = server.start(port, authorize=False, enforce_capacity=True)
    url = cloud.endpoint_url(port)
    names = {schema.TABLE_NAME_ENV: TABLE, schema.GSI_NAME_ENV: schema.GSI_NAME}
    try:
        with cloud.offline_environ(url, extra=names), tempfile.TemporaryDirectory() as scratch:
            client = boto3.client("dynamodb", config=client_config())
            client.create_table(**_table_kwargs())
            store = MessageStore(client, table_name=TABLE)
            pairs = _pairs(conversations)
            groups = [store.create_message_group(a, b, "hello")[0] for a, b in pairs]
            for group, (_, recipient) in zip(groups, pairs, strict=True):
                store.create_message(group.group_uuid, recipient, "reply")
            _spend_burst(client)

            handler_module.concurrency.cache_clear()  # a fresh limit: this run learns its own
            timeout_s = LOCAL.function.timeout_seconds
            developer = cloud.developer(url)
            mapping = table_mapping(developer, TABLE)
            checkpoints = Checkpoints(Path(scratch) / "checkpoint.json", mapping.stream_arn)
            pump = StreamPump(
                clients=developer,
                mapping=mapping,
                handler=lambda event, _: handler_module.handler(event, Context(timeout_s)),
                checkpoints=checkpoints,
                log=lambda _line: None,
            )
            before = _consumed(capacity.counts(url))
            started = time.monotonic()
            stats = pump.run_until_idle(timeout_s=_DRAIN_TIMEOUT_S)
            drain_s = time.monotonic() - started
            after = _consumed(capacity.counts(url))
    finally:
        endpoint.stop()

    table_wcu, index_wcu = after[0] - before[0], after[1] - before[1]
    provisioned = float(LOCAL.table.write_capacity)
    bound_s = max(table_wcu / provisioned, index_wcu / LOCAL.table.gsi_write_capacity)
    table_ratio = table_wcu / drain_s / provisioned
    return {
        "conversations": conversations,
        "records": stats.records_done,
        "invocations": stats.invocations,
        "provisioned_wcu": provisioned,
        "table_wcu_consumed": round(table_wcu, 1),
        "index_wcu_consumed": round(index_wcu, 1),
        "throttled_requests": after[2] - before[2],
        "drain_s": round(drain_s, 1),
        "capacity_bound_s": round(bound_s, 1),
        "drain_over_bound": round(drain_s / bound_s, 2) if bound_s else None,
        "table_wcu_per_s_over_provisioned": round(table_ratio, 2),
        "index_wcu_per_s_over_provisioned": round(index_wcu / drain_s / provisioned, 2),
        "records_given_up": stats.records_sent_to_failure + stats.records_dropped,
        "goal_ratio": GOAL_RATIO,
    }


def render(part: Mapping[str, Any]) -> list[str]:
    """bench/README.md's section."""
    goal = verdict(part["table_wcu_per_s_over_provisioned"] >= part["goal_ratio"])
    given_up = verdict(part["records_given_up"] == 0)
    return [
        f"A backlog of {part['conversations']} conversations (one reply each, "
        f"{part['records']} records in {part['invocations']} invocations) drained through the "
        f"local cloud at the local stage's {part['provisioned_wcu']:g} WCU (table and index), "
        "burst spent, capacity enforced (`python -m bench.capacity_efficiency`).",
        "",
        "| | table | index |",
        "|---|---|---|",
        f"| WCU consumed | {part['table_wcu_consumed']} | {part['index_wcu_consumed']} |",
        f"| WCU per second / provisioned | {part['table_wcu_per_s_over_provisioned']} | "
        f"{part['index_wcu_per_s_over_provisioned']} |",
        "",
        f"Drained in {part['drain_s']} s against {part['capacity_bound_s']} s that the consumed "
        f"units need at the provisioned rate ({part['drain_over_bound']}x); "
        f"{part['throttled_requests']} requests throttled and waited out; "
        f"{part['records_given_up']} records given up.",
        "",
        f"Goals: table WCU per second / provisioned >= {part['goal_ratio']} ({goal}); "
        f"no record given up ({given_up}).",
        "",
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    print(json.dumps(run(parser.parse_args().conversations), indent=2))
