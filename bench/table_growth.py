"""A send as the table grows: the local cloud's costs against moto's own.

    python -m bench.table_growth

An endpoint in this process (capacity metered, not enforced: the part measures the endpoint's
own time, and bench/capacity_bench.py measures capacity). One conversation on a fresh table;
messages are sent with the store (pattern C: a transaction of the message and its uuid guard,
after its participant check, a GSI Query) in steps, and each step's milliseconds per send are
recorded. The same again on a second fresh table with moto's own TransactWriteItems and
all_items (`local.dynamodb_costs.uninstalled`). DynamoDB's latency does not depend on the table's
size; the figure to watch is how much the last step costs over the first.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Final

from bench.tables import markdown_table, verdict
from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import cloud, dynamodb_costs, server

SENDS_PER_STEP: Final = 100
STEPS: Final = 4
# The goal: a send on the fullest table costs at most this much more than on the fresh one.
GOAL_GROWTH: Final = 1.5


def _per_send_ms(dynamodb: Any, table: str) -> list[float]:
    dynamodb.create_table(**schema.create_table_kwargs(table))
    store = MessageStore(dynamodb, table_name=table)
    alice, bob = (User(uuid=str(uuid.uuid4()), display_name=n, handle=n) for n in ("ann", "bob"))
    group, _ = store.create_message_group(alice, bob, "hello")
    steps = []
    for _ in range(STEPS):
        started = time.perf_counter()
        for n in range(SENDS_PER_STEP):
            store.create_message(group.group_uuid, alice, f"message {n}")
        steps.append(round((time.perf_counter() - started) / SENDS_PER_STEP * 1000, 2))
    dynamodb.delete_table(TableName=table)
    return steps


def run() -> dict[str, Any]:
    port = server.free_port()
    endpoint = server.start(port, enforce_capacity=False)
    try:
        dynamodb = cloud.developer(cloud.endpoint_url(port))("dynamodb")
        variants: dict[str, Callable[[], AbstractContextManager[None]]] = {
            "local_cloud": nullcontext,
            "moto_alone": dynamodb_costs.uninstalled,
        }
        figures: dict[str, Any] = {}
        for name, context in variants.items():
            with context():
                steps = _per_send_ms(dynamodb, f"table-growth-{name.replace('_', '-')}")
            figures[name] = {"per_send_ms": steps, "growth": round(steps[-1] / steps[0], 2)}
    finally:
        endpoint.stop()
    return {
        "sends_per_step": SENDS_PER_STEP,
        "messages_at_step": [SENDS_PER_STEP * (n + 1) for n in range(STEPS)],
        **figures,
        "goal_growth": GOAL_GROWTH,
        "goal_met": figures["local_cloud"]["growth"] <= GOAL_GROWTH,
    }


def render(part: dict[str, Any]) -> list[str]:
    """bench/README.md's section."""
    rows = [
        [str(messages), f"{ours:g}", f"{moto:g}"]
        for messages, ours, moto in zip(
            part["messages_at_step"],
            part["local_cloud"]["per_send_ms"],
            part["moto_alone"]["per_send_ms"],
            strict=True,
        )
    ]
    return [
        f"Milliseconds per send (pattern C through the store), {part['sends_per_step']} sends a "
        "step to one conversation of a fresh table, on the local cloud and with moto's own "
        "TransactWriteItems and all_items (`python -m bench.table_growth`; "
        "local/dynamodb_costs.py).",
        "",
        *markdown_table(["messages in the table", "local cloud ms", "moto alone ms"], rows),
        f"Last step over the first: local cloud {part['local_cloud']['growth']}x, moto alone "
        f"{part['moto_alone']['growth']}x. Goal: at most {part['goal_growth']}x on the local "
        f"cloud ({verdict(part['goal_met'])}).",
        "",
    ]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
