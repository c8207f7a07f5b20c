"""DynamoDB capacity on the local endpoint, over real HTTP with botocore: metered by DynamoDB's
rules, refused before moto applies anything once the buckets are spent, and refilled by a clock
the tests advance (local/capacity)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cruddur_messages import schema
from local import capacity, cloud, server
from local.capacity import responses

KB = 1024
GSI = schema.GSI_NAME


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


class Endpoint(NamedTuple):
    server: Any
    url: str


@pytest.fixture(scope="module")
def endpoint(clock: ManualClock, endpoint_log: Path) -> Iterator[Endpoint]:
    """An endpoint of its own: its capacity clock is the test's."""
    port = server.free_port()
    running = server.start(port, authorize=False, capacity_clock=clock, log_file=endpoint_log)
    try:
        yield Endpoint(running, cloud.endpoint_url(port))
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(endpoint: Endpoint) -> Iterator[Any]:
    """A client that never retries, so each refusal is seen as DynamoDB sends it."""
    with cloud.offline_environ():
        yield boto3.client(
            "dynamodb",
            endpoint_url=endpoint.url,
            region_name=cloud.REGION,
            config=Config(retries={"total_max_attempts": 1}),
        )


def _table(client: Any, **capacity_kwargs: Any) -> str:
    name = f"capacity-{uuid.uuid4().hex[:8]}"
    client.create_table(**schema.create_table_kwargs(name, **capacity_kwargs))
    return name


def _item(size_kb: int, sk: str, *, group: str | None = None) -> dict[str, Any]:
    """A message item of about `size_kb` KB (a little under: it costs exactly size_kb WCU)."""
    item = {
        schema.PARTITION_KEY: {"S": "MSG#capacity"},
        schema.SORT_KEY: {"S": sk},
        "message": {"S": "x" * (size_kb * KB - 100)},
    }
    if group is not None:
        item[schema.GSI_PARTITION_KEY] = {"S": group}
    return item


def _throttled(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    return dict(raised.value.response)


def _exists(client: Any, table: str, sk: str) -> bool:
    key = {schema.PARTITION_KEY: {"S": "MSG#capacity"}, schema.SORT_KEY: {"S": sk}}
    return "Item" in client.get_item(TableName=table, Key=key, ConsistentRead=True)


def test_consumed_capacity_is_dynamodb_s_figure_not_moto_s_constant(client: Any) -> None:
    """The issue's figures: a 1.5 KB put costs 2 WCU, the same put into the index 4."""
    table = _table(client, read_capacity=10, write_capacity=10)
    item = _item(2, "plain") | {"message": {"S": "x" * 1400}}
    plain = client.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
    assert plain["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 2.0}
    indexed = {**item, schema.SORT_KEY: {"S": "indexed"}, schema.GSI_PARTITION_KEY: {"S": "g"}}
    answer = client.put_item(TableName=table, Item=indexed, ReturnConsumedCapacity="INDEXES")
    assert answer["ConsumedCapacity"] == {
        "TableName": table,
        "CapacityUnits": 4.0,
        "Table": {"CapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {GSI: {"CapacityUnits": 2.0}},
    }
    assert "ConsumedCapacity" not in client.put_item(TableName=table, Item=item)


def test_a_query_is_charged_for_what_it_read_before_the_filter(client: Any) -> None:
    table = _table(client, read_capacity=10, write_capacity=10)
    for n in range(3):
        client.put_item(TableName=table, Item=_item(3, f"q{n}"))
    answer = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        FilterExpression="sk = :none",
        ExpressionAttributeValues={":pk": {"S": "MSG#capacity"}, ":none": {"S": "-"}},
        ReturnConsumedCapacity="TOTAL",
        ConsistentRead=True,
    )
    assert answer["Items"] == []  # nothing returned, 3 x 3 KB read: 9 KB -> 3 units
    assert answer["ConsumedCapacity"]["CapacityUnits"] == 3.0


def test_a_1_wcu_table_takes_its_burst_then_refuses_before_anything_is_written(
    client: Any, clock: ManualClock
) -> None:
    table = _table(client, read_capacity=100, write_capacity=1, gsi_write_capacity=100)
    for n in range(30):  # 30 x 10 WCU: the 300 seconds of burst a new bucket holds
        client.put_item(TableName=table, Item=_item(10, f"w{n}"))
    error = _throttled(lambda: client.put_item(TableName=table, Item=_item(10, "refused")))
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["Error"]["Message"] == responses.TABLE_MESSAGE
    assert error["ThrottlingReasons"] == [
        {
            "reason": "TableWriteProvisionedThroughputExceeded",
            "resource": client.describe_table(TableName=table)["Table"]["TableArn"],
        }
    ]
    assert not _exists(client, table, "refused")
    clock.now += 9
    _throttled(lambda: client.put_item(TableName=table, Item=_item(10, "refused")))
    clock.now += 1  # ten seconds at 1 WCU: one 10 KB write
    client.put_item(TableName=table, Item=_item(10, "after-ten-seconds"))
    assert _exists(client, table, "after-ten-seconds")


def test_a_1_wcu_index_throttles_the_table_writes_that_touch_it(
    client: Any, clock: ManualClock
) -> None:
    table = _table(client, read_capacity=100, write_capacity=1000, gsi_write_capacity=1)
    for n in range(30):
        client.put_item(TableName=table, Item=_item(10, f"g{n}", group="g"))
    error = _throttled(
        lambda: client.put_item(TableName=table, Item=_item(10, "refused", group="g"))
    )
    assert error["Error"]["Message"] == responses.INDEX_MESSAGE
    assert error["ThrottlingReasons"][0]["reason"] == "IndexWriteProvisionedThroughputExceeded"
    assert error["ThrottlingReasons"][0]["resource"].endswith(f"/index/{GSI}")
    assert not _exists(client, table, "refused")
    client.put_item(TableName=table, Item=_item(10, "sparse"))  # not in the index: not refused


def test_update_table_capacity_applies_to_the_next_request(client: Any, clock: ManualClock) -> None:
    table = _table(client, read_capacity=100, write_capacity=1, gsi_write_capacity=100)
    for n in range(30):
        client.put_item(TableName=table, Item=_item(10, f"u{n}"))
    _throttled(lambda: client.put_item(TableName=table, Item=_item(10, "refused")))
    client.update_table(
        TableName=table, ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 10}
    )
    clock.now += 1  # one second at 10 WCU
    client.put_item(TableName=table, Item=_item(10, "at-the-new-rate"))
    _throttled(lambda: client.put_item(TableName=table, Item=_item(10, "refused")))


def test_an_on_demand_table_is_not_throttled(client: Any) -> None:
    table = f"capacity-{uuid.uuid4().hex[:8]}"
    kwargs = schema.create_table_kwargs(table)
    kwargs["BillingMode"] = "PAY_PER_REQUEST"
    del kwargs["ProvisionedThroughput"]
    del kwargs["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]
    client.create_table(**kwargs)
    for n in range(40):
        answer = client.put_item(
            TableName=table, Item=_item(10, f"o{n}", group="g"), ReturnConsumedCapacity="TOTAL"
        )
    assert answer["ConsumedCapacity"]["CapacityUnits"] == 20.0


def test_a_batch_write_goes_on_with_what_the_buckets_can_pay_for(client: Any) -> None:
    table = _table(client, read_capacity=100, write_capacity=1, gsi_write_capacity=100)
    for n in range(29):
        client.put_item(TableName=table, Item=_item(10, f"b{n}"))
    requests = [{"PutRequest": {"Item": _item(10, f"batch{n}")}} for n in range(3)]
    answer = client.batch_write_item(RequestItems={table: requests})
    assert answer["UnprocessedItems"] == {table: requests[1:]}
    assert _exists(client, table, "batch0") and not _exists(client, table, "batch1")
    error = _throttled(lambda: client.batch_write_item(RequestItems={table: requests[1:]}))
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_a_transaction_the_capacity_cannot_pay_for_is_cancelled(client: Any) -> None:
    table = _table(client, read_capacity=100, write_capacity=1, gsi_write_capacity=100)
    for n in range(15):  # a transaction costs twice: 15 x 2 x 10 spends the burst
        put = {"Put": {"TableName": table, "Item": _item(10, f"t{n}")}}
        client.transact_write_items(TransactItems=[put])
    error = _throttled(
        lambda: client.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": _item(1, "refused")}}]
        )
    )
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["ProvisionedThroughputExceeded"]
    assert not _exists(client, table, "refused")


def test_a_transaction_doubles_the_table_s_units_not_the_index_s(client: Any) -> None:
    """Prepare and commit on the table; the index entry comes from the propagation that follows
    the commit, written once (transaction-apis.html, "Capacity management for transactions")."""
    table = _table(client, read_capacity=10, write_capacity=10)
    item = _item(2, "in-transaction", group="g")
    answer = client.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": item}}],
        ReturnConsumedCapacity="INDEXES",
    )
    assert answer["ConsumedCapacity"] == [
        {
            "TableName": table,
            "CapacityUnits": 6.0,
            "WriteCapacityUnits": 6.0,
            "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
            "GlobalSecondaryIndexes": {GSI: {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}},
        }
    ]


def test_the_http_counts_give_each_table_s_consumption_and_throttles(client: Any) -> None:
    table = _table(client, read_capacity=100, write_capacity=1, gsi_write_capacity=100)
    for n in range(30):
        client.put_item(TableName=table, Item=_item(10, f"c{n}", group="g"))
    _throttled(lambda: client.put_item(TableName=table, Item=_item(10, "refused")))
    counts = capacity.counts(client.meta.endpoint_url)[table]
    assert counts["throttled_requests"] == 1
    assert counts["table"]["consumed_write"] == 300
    assert counts["table"]["write_throttle_events"] == 1
    assert counts["table"]["provisioned_write"] == 1
    assert counts["indexes"][GSI]["consumed_write"] == 300  # the index projects `message`
    assert f"{table} 0 RCU / 300 WCU consumed (100 RCU / 1 WCU provisioned)" in capacity.summary()


def test_spend_burst_leaves_a_table_with_only_its_provisioned_rate(
    endpoint: Endpoint, client: Any, clock: ManualClock
) -> None:
    """What a test of a throttled table starts from (issue 22's e2e, issue 24's alarms)."""
    table = _table(client, read_capacity=100, write_capacity=10, gsi_write_capacity=100)
    assert endpoint.server.capacity.spend_burst(table) == 4  # table and index, read and write
    _throttled(lambda: client.put_item(TableName=table, Item=_item(1, "refused")))
    clock.now += 1  # one second at 10 WCU: ten 1 KB writes, not an eleventh
    for n in range(10):
        client.put_item(TableName=table, Item=_item(1, f"s{n}"))
    _throttled(lambda: client.put_item(TableName=table, Item=_item(1, "refused")))


def test_an_update_that_moves_an_index_key_costs_the_index_a_delete_and_a_put(client: Any) -> None:
    table = _table(client, read_capacity=10, write_capacity=10)
    client.put_item(TableName=table, Item=_item(2, "moved", group="a"))
    key = {schema.PARTITION_KEY: {"S": "MSG#capacity"}, schema.SORT_KEY: {"S": "moved"}}
    answer = client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #g = :b",
        ExpressionAttributeNames={"#g": schema.GSI_PARTITION_KEY},
        ExpressionAttributeValues={":b": {"S": "b"}},
        ReturnConsumedCapacity="INDEXES",
    )
    assert answer["ConsumedCapacity"] == {
        "TableName": table,
        "CapacityUnits": 6.0,  # 2 KB item: 2 on the table, 2 + 2 on the index
        "Table": {"CapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {GSI: {"CapacityUnits": 4.0}},
    }


def test_a_failed_condition_consumes_the_existing_item_s_units(client: Any) -> None:
    table = _table(client, read_capacity=10, write_capacity=10)
    client.put_item(TableName=table, Item=_item(3, "kept", group="g"))
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName=table,
            Item=_item(1, "kept"),
            ConditionExpression="attribute_not_exists(pk)",
        )
    usage = capacity.counts(client.meta.endpoint_url)[table]
    assert usage["table"]["consumed_write"] == 3 + 3  # the put, then the refused put's 3 KB
    assert usage["indexes"][GSI]["consumed_write"] == 3  # the index only for the first


def test_batch_get_charges_each_item_and_returns_what_the_buckets_refuse(
    endpoint: Endpoint, client: Any
) -> None:
    table = _table(client, read_capacity=1, write_capacity=100)
    for n in range(2):
        client.put_item(TableName=table, Item=_item(5, f"r{n}"))
    keys = [
        {schema.PARTITION_KEY: {"S": "MSG#capacity"}, schema.SORT_KEY: {"S": f"r{n}"}}
        for n in range(2)
    ]
    answer = client.batch_get_item(
        RequestItems={table: {"Keys": keys, "ConsistentRead": True}},
        ReturnConsumedCapacity="TOTAL",
    )
    assert answer["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 4.0}]  # 2 x 8 KB
    endpoint.server.capacity.spend_burst(table)
    endpoint.server.capacity.buckets.clock.now += 2  # two strongly consistent units: one item
    answer = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    assert len(answer["Responses"][table]) == 1
    assert answer["UnprocessedKeys"][table]["Keys"] == keys[1:]
    assert answer["UnprocessedKeys"][table]["ConsistentRead"] is True
