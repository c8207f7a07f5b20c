"""The local cloud's TransactWriteItems (local/dynamodb_costs.py): all or nothing as DynamoDB's,
without moto's copy of the whole table, so a send costs the same on a full table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends

from cruddur_messages import schema
from local import cloud


def _key(pk: str) -> dict[str, Any]:
    return {schema.PARTITION_KEY: {"S": pk}, schema.SORT_KEY: {"S": "s"}}


def _put(table: str, pk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {**_key(pk), **extra}}}


@pytest.fixture
def stream_events(dynamodb_client: Any, moto_endpoint: str, table_name: str) -> Callable[[], list]:
    """The table's stream so far: (event name, pk) of every record."""
    streams = cloud.Clients(moto_endpoint, cloud.DUMMY_CREDENTIALS, identity="developer")(
        "dynamodbstreams"
    )
    arn = dynamodb_client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]

    def read() -> list[tuple[str, str]]:
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        return [(r["eventName"], r["dynamodb"]["Keys"][schema.PARTITION_KEY]["S"]) for r in records]

    return read


def _item(client: Any, table: str, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client.get_item(TableName=table, Key=_key(pk)).get("Item")
    return item


def _backend_table(table: str) -> Any:
    for regions in dynamodb_backends.values():
        for backend in regions.values():
            if table in backend.tables:
                return backend.tables[table]
    raise LookupError(table)


def test_a_transaction_writes_every_item_and_their_stream_records(
    dynamodb_client: Any, table_name: str, stream_events: Callable[[], list]
) -> None:
    dynamodb_client.transact_write_items(
        TransactItems=[_put(table_name, "a"), _put(table_name, "b")]
    )
    assert _item(dynamodb_client, table_name, "a") and _item(dynamodb_client, table_name, "b")
    assert stream_events() == [("INSERT", "a"), ("INSERT", "b")]


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_they_were(
    dynamodb_client: Any, table_name: str, stream_events: Callable[[], list]
) -> None:
    """The first put is written before the second's condition fails: it is undone, the existing
    item keeps its old value, and no record of the cancelled writes reaches the stream."""
    dynamodb_client.put_item(TableName=table_name, Item={**_key("old"), "v": {"S": "before"}})
    table_before = _backend_table(table_name)
    with pytest.raises(ClientError) as caught:
        dynamodb_client.transact_write_items(
            TransactItems=[
                _put(table_name, "new"),
                _put(table_name, "old", v={"S": "after"}),
                {
                    "ConditionCheck": {
                        "TableName": table_name,
                        "Key": _key("missing"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert _item(dynamodb_client, table_name, "new") is None
    assert _item(dynamodb_client, table_name, "old") == {**_key("old"), "v": {"S": "before"}}
    assert stream_events() == [("INSERT", "old")]
    # Undone in place: moto's rollback would have swapped in a copy of the whole table.
    assert _backend_table(table_name) is table_before


def test_a_refused_transaction_after_a_write_undoes_it(
    dynamodb_client: Any, table_name: str, stream_events: Callable[[], list]
) -> None:
    """Two entries naming one item are refused (ValidationException) after moto wrote the first."""
    with pytest.raises(ClientError) as caught:
        dynamodb_client.transact_write_items(
            TransactItems=[_put(table_name, "twice"), _put(table_name, "twice", v={"S": "2"})]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert _item(dynamodb_client, table_name, "twice") is None
    assert stream_events() == []


def test_a_delete_in_a_cancelled_transaction_is_undone(
    dynamodb_client: Any, table_name: str
) -> None:
    dynamodb_client.put_item(TableName=table_name, Item={**_key("kept"), "v": {"N": "1"}})
    with pytest.raises(ClientError):
        dynamodb_client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": table_name, "Key": _key("kept")}},
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": _key("guard"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert _item(dynamodb_client, table_name, "kept") == {**_key("kept"), "v": {"N": "1"}}


def test_every_item_comes_in_moto_s_own_order(dynamodb_client: Any, table_name: str) -> None:
    """Table.all_items, where every Query and Scan starts, sorted on precomputed keys: the same
    order as moto's comparisons of its DynamoType objects."""
    for n in (10, 2, 33, 4):
        for sk in ("b", "a", "c"):
            dynamodb_client.put_item(
                TableName=table_name,
                Item={schema.PARTITION_KEY: {"S": f"p{n}"}, schema.SORT_KEY: {"S": sk}},
            )
    table = _backend_table(table_name)
    stored = [item for rows in table.items.values() for item in rows.values()]
    moto_order = sorted(stored, key=lambda x: (x.hash_key, x.range_key))
    assert [id(i) for i in table.all_items()] == [id(i) for i in moto_order]
    assert len(stored) == 12
