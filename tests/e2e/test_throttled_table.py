"""The deployed processor on a table whose burst is spent (the local cloud enforces capacity):
every conversation still reaches its new message, nothing goes to the failure bucket, and a
permanent error still does.

The deployment is shared by the session, so the test shapes capacity with UpdateTable (as an
operator would) and gives the table its burst back at the end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import capacity, cloud, deploy
from local.pump import StreamPump
from tools import failure_records

pytestmark = pytest.mark.e2e
PumpFactory = Callable[..., StreamPump]
CONVERSATIONS = 30
# While shaped: a rate the processor outruns many times over (30 conversations are 120 table WCU
# and 120 index WCU, about 12 s of it), so that its batches meet an empty bucket.
SHAPED_WCU = 10


def _write_capacity(client: Any, table: str, index: str, wcu: int) -> None:
    described = client.describe_table(TableName=table)["Table"]
    rcu = described["ProvisionedThroughput"]["ReadCapacityUnits"]
    client.update_table(
        TableName=table,
        ProvisionedThroughput={"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu},
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": index,
                    "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu},
                }
            }
        ],
    )


def _spend_burst(client: Any, table: str) -> None:
    """At 1 WCU the buckets hold at most 300 units: 10 KB writes with an index key spend the
    table's and the index's, until both refuse."""
    blob = "x" * (10 * 1024 - 200)
    for n in range(200):
        try:
            client.put_item(
                TableName=table,
                Item={
                    schema.PARTITION_KEY: {"S": f"BURST#{uuid.uuid4()}"},
                    schema.SORT_KEY: {"S": str(n)},
                    schema.GSI_PARTITION_KEY: {"S": str(uuid.uuid4())},
                    "message": {"S": blob},
                },
            )
        except client.exceptions.ProvisionedThroughputExceededException:
            return
    raise AssertionError("the table never refused a write: capacity is not enforced")


@pytest.fixture
def shaped(endpoint: str, deployment: deploy.Deployment) -> Iterator[tuple[Any, dict[str, Any]]]:
    client = cloud.developer(endpoint)("dynamodb")
    table, index = deployment.table_name, schema.GSI_NAME
    before = client.describe_table(TableName=table)["Table"]["ProvisionedThroughput"]
    yield client, {"table": table, "index": index}
    # The burst back for the next tests: a high rate refills it in a second, and the deployed
    # capacity clips the balance to its own 300 seconds.
    _write_capacity(client, table, index, 2_000)
    time.sleep(1.0)
    _write_capacity(client, table, index, before["WriteCapacityUnits"])


def _throttled_requests(endpoint: str, table: str) -> int:
    return int(capacity.counts(endpoint).get(table, {}).get("throttled_requests", 0))


def _failure_keys(endpoint: str, bucket: str) -> set[str]:
    listed = cloud.developer(endpoint)("s3").list_objects_v2(
        Bucket=bucket, Prefix=failure_records.KEY_PREFIX
    )
    return {obj["Key"] for obj in listed.get("Contents", [])}


def test_a_throttled_backlog_reaches_every_row_and_nothing_is_given_up(
    endpoint: str,
    deployment: deploy.Deployment,
    store: MessageStore,
    make_pump: PumpFactory,
    shaped: tuple[Any, dict[str, Any]],
) -> None:
    client, names = shaped
    bucket = deployment.failure_bucket
    assert bucket is not None
    pairs = [
        (User(uuid=str(uuid.uuid4()), display_name=f"A{n}", handle=f"a{n}"),
         User(uuid=str(uuid.uuid4()), display_name=f"B{n}", handle=f"b{n}"))
        for n in range(CONVERSATIONS)
    ]  # fmt: skip
    groups = [store.create_message_group(a, b, "hello")[0] for a, b in pairs]
    make_pump().run_until_idle()
    replies = [
        store.create_message(g.group_uuid, b, "reply")
        for g, (_, b) in zip(groups, pairs, strict=True)
    ]
    failures_before = _failure_keys(endpoint, bucket)

    _write_capacity(client, names["table"], names["index"], 1)
    _spend_burst(client, names["table"])
    _write_capacity(client, names["table"], names["index"], SHAPED_WCU)
    throttled_before = _throttled_requests(endpoint, names["table"])
    started = time.monotonic()
    stats = make_pump().run_until_idle()
    drained_s = time.monotonic() - started

    assert _throttled_requests(endpoint, names["table"]) > throttled_before
    # Bound by the capacity (4 WCU per conversation at SHAPED_WCU), not by giving up and retrying.
    assert drained_s >= CONVERSATIONS * 4 / SHAPED_WCU * 0.8
    assert stats.records_sent_to_failure == 0
    assert _failure_keys(endpoint, bucket) == failures_before
    for group, reply in zip(groups, replies, strict=True):
        rows = store.get_message_group_rows(group.group_uuid)
        assert {(row.last_message_at, row.last_message) for row in rows} == {
            (reply.created_at, "reply")
        }
        assert len(rows) == 2

    # A permanent error still ends in the bucket, throttled table or not.
    store.create_message(groups[0].group_uuid, pairs[0][0], "poison")

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("a permanent bug")

    assert make_pump(handler=broken).run_until_idle().records_sent_to_failure == 1
    assert len(_failure_keys(endpoint, bucket) - failures_before) == 1
