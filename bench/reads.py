"""Part 6 of `make bench`: what reads cost, in bytes and read units, as the ddb tools report it.

The seed conversation read by `get-conversation` (20 and 3 messages) and `scan --limit 3`, the
group row sizes the seed's messages make, and pattern B's deep pagination (pages 1 and 5 of a user
with 100 conversations, 20 a page). Units are estimated from the items' sizes by DynamoDB's read
rule (tools/item_sizes.py): moto reports a flat 1.0 per request whatever it read.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Final

from boto3.dynamodb.types import TypeSerializer

from cruddur_messages import items, schema
from cruddur_messages.models import MessageGroup, User
from cruddur_messages.store import MessageStore
from local import cloud, server
from tools import seedfile, users
from tools.capacity import CapacityMeter
from tools.item_sizes import READ_UNIT_BYTES, item_size

TABLE: Final = "bench-reads"
CONVERSATIONS: Final = 100
PAGE: Final = 20
_BYTES: Final = re.compile(r"estimated from item sizes: ([\d.]+) RCU \(([\d,]+) bytes")


def _tool(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = cloud.environment(endpoint)
    env["DDB_MESSAGE_TABLE"] = TABLE
    return subprocess.run(
        [sys.executable, "-P", "-m", "tools", *args],
        cwd=cloud.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def _conversation(endpoint: str, group: str, limit: int) -> dict[str, Any]:
    document = json.loads(_tool(endpoint, "get-conversation", group, "--limit", str(limit),
                                "--json").stdout)  # fmt: skip
    capacity: dict[str, Any] = document["consumed_capacity"]
    return {"bytes": capacity["bytes_read"], "rcu": capacity["estimated_rcu"]}


def _seed_row_sizes() -> dict[str, int]:
    """Sizes of a seed group row with each seed message as its last message (what the stream
    processor writes), by the tools' sizing of the row as stored."""
    directory = users.load()
    conversation = seedfile.load(seedfile.DEFAULT_CONVERSATION_FILE, directory)
    serializer = TypeSerializer()
    sizes = []
    for message in conversation.messages:
        row = MessageGroup(
            group_uuid=conversation.group_uuid,
            owner_uuid=message.recipient.uuid,
            last_message_at=message.created_at,
            last_message=message.text,
            other_user=message.sender,
        )
        wire = {k: serializer.serialize(v) for k, v in items.group_item(row).items()}
        sizes.append(item_size(wire))
    return {"min": min(sizes), "max": max(sizes)}


def _billed(sizes: list[int], *, consistent: bool) -> float:
    """A Query's read units: its items' total size rounded up to 4 KB, halved if eventual."""
    units = max(1, math.ceil(sum(sizes) / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def _deep_pages(endpoint: str) -> dict[str, Any]:
    """Pages 1 and 5 of a user with CONVERSATIONS conversations, PAGE a page (pattern B).

    The requests are the store's own (counted); the units are arithmetic on the rows' measured
    sizes (DynamoDB bills a Query by the size of the items it reads). Page n reads its own rows
    only: the cursor names the conversations already shown (`pages.MAX_SEEN`)."""
    client = cloud.developer(endpoint)("dynamodb")
    store = MessageStore(client, table_name=TABLE)
    conversation = seedfile.load(seedfile.DEFAULT_CONVERSATION_FILE, users.load())
    owner = users.load().lookup("londo")
    for n in range(CONVERSATIONS):
        other = User(uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{n}")),
                     display_name=f"Bench user {n}", handle=f"bench_{n}")  # fmt: skip
        text = conversation.messages[n % len(conversation.messages)].text
        store.create_message_group(other, owner, text)
    rows = client.query(
        TableName=TABLE,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
        ExpressionAttributeValues={":pk": {"S": schema.group_pk(owner.uuid)}},
        ScanIndexForward=False,
    )["Items"]
    sizes = [item_size(row) for row in rows]
    meter = CapacityMeter()
    meter.attach(client, ("Query",))
    requests: dict[int, int] = {}
    cursor = None
    for number in range(1, 6):
        before = meter.requests
        cursor = store.list_message_groups(owner.uuid, limit=PAGE, cursor=cursor).next_cursor
        requests[number] = meter.requests - before
    shown = 4 * PAGE  # rows on pages 1-4
    page_5 = sizes[shown : shown + PAGE + 1]
    return {
        "conversations": CONVERSATIONS,
        "page_size": PAGE,
        "row_bytes": {"min": min(sizes), "max": max(sizes)},
        "page_1": {
            "requests": requests[1],
            "bytes": sum(sizes[: PAGE + 1]),
            "rcu": _billed(sizes[: PAGE + 1], consistent=False),
        },
        "page_5": {
            "requests": requests[5],
            "bytes": sum(page_5),
            "rcu": _billed(page_5, consistent=False),
        },
    }


def measure_reads(port: int, scratch: Path) -> dict[str, Any]:
    endpoint = cloud.endpoint_url(port)
    moto = server.start(port, log_file=scratch / "reads-endpoint.log")
    try:
        _tool(endpoint, "schema-load")
        seeded = _tool(endpoint, "seed").stdout
        match = re.search(r"conversation ([0-9a-f-]{36})", seeded)
        if match is None:
            raise RuntimeError(f"seed did not name its conversation: {seeded!r}")
        group = schema.validate_uuid(match[1])
        scanned = _BYTES.search(_tool(endpoint, "scan", "--limit", "3").stderr)
        if scanned is None:
            raise RuntimeError("scan did not print its consumed capacity")
        return {
            "get_conversation_20": _conversation(endpoint, group, 20),
            "get_conversation_3": _conversation(endpoint, group, 3),
            "scan_3": {"bytes": int(scanned[2].replace(",", "")), "rcu": float(scanned[1])},
            "seed_group_row_bytes": _seed_row_sizes(),
            "list_conversations_deep": _deep_pages(endpoint),
        }
    finally:
        moto.stop()
