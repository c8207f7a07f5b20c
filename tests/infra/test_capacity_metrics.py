"""Every AWS/DynamoDB metric the synthesized stacks' alarms and dashboards read has data in the
local CloudWatch after traffic, under exactly that name, those dimensions and that statistic.

In tests/infra to share the synthesized stages; it talks to an endpoint of its own over HTTP."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.cloudwatch.models import cloudwatch_backends
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from stage_synth import Synthesized

from cruddur_messages import schema
from local import cloud, server

pytestmark = pytest.mark.integration

TABLE_TOKEN = "<table>"
Wanted = tuple[str, frozenset[tuple[str, str]], str]  # name, dimensions, statistic


def _value(value: Any) -> str:
    return value if isinstance(value, str) else TABLE_TOKEN  # a Ref to the table


def _from_alarms(template: dict[str, Any]) -> set[Wanted]:
    found: set[Wanted] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        stats = [(props, props.get("Statistic"))] if "MetricName" in props else []
        stats += [
            (entry["MetricStat"]["Metric"], entry["MetricStat"]["Stat"])
            for entry in props.get("Metrics", [])
            if "MetricStat" in entry
        ]
        for metric, stat in stats:
            if metric.get("Namespace") == "AWS/DynamoDB":
                dims = frozenset((d["Name"], _value(d["Value"])) for d in metric["Dimensions"])
                found.add((metric["MetricName"], dims, stat))
    return found


def _from_dashboard(template: dict[str, Any]) -> set[Wanted]:
    found: set[Wanted] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Dashboard":
            continue
        parts = resource["Properties"]["DashboardBody"]["Fn::Join"][1]
        body = json.loads("".join(p if isinstance(p, str) else TABLE_TOKEN for p in parts))
        for widget in body["widgets"]:
            for metric in widget["properties"].get("metrics", []):
                if metric[0] != "AWS/DynamoDB":
                    continue
                options = metric[-1] if isinstance(metric[-1], dict) else {}
                pairs = [m for m in metric[2:] if not isinstance(m, dict)]
                dims = frozenset(zip(pairs[::2], pairs[1::2], strict=True))
                found.add((metric[1], dims, options.get("stat", "Average")))
    return found


@pytest.fixture(scope="module")
def wanted(synthesized_stages: dict[str, Synthesized]) -> set[Wanted]:
    found: set[Wanted] = set()
    for stage in synthesized_stages.values():
        template = dict(stage.template_json)
        found |= _from_alarms(template) | _from_dashboard(template)
    return found


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


CLOCK = ManualClock()


@pytest.fixture(scope="module")
def endpoint(endpoint_log: Path) -> Iterator[str]:
    """Its own endpoint: capacity on a clock that moves only when the test says (a spent burst
    stays spent), metrics published every 0.2 s."""
    port = server.free_port()
    running = server.start(
        port, authorize=False, capacity_clock=CLOCK, metrics_interval_s=0.2, log_file=endpoint_log
    )
    try:
        with cloud.offline_environ():
            yield cloud.endpoint_url(port)
    finally:
        running.stop()


def _fails(call: Any, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == code


def _traffic(endpoint: str, table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads and writes on the table and its index until each throttles, and one HTTP 500 for each
    operation the SystemErrors alarm sums."""
    config = Config(retries={"total_max_attempts": 1})
    client = boto3.client("dynamodb", endpoint_url=endpoint, config=config)
    client.create_table(**schema.create_table_kwargs(table, read_capacity=1, write_capacity=1))
    pk = {"S": schema.message_pk(str(uuid.uuid4()))}

    def put(n: int) -> None:
        item = {schema.PARTITION_KEY: pk, schema.SORT_KEY: {"S": f"{n:03}"},
                schema.GSI_PARTITION_KEY: {"S": "g"}, "message": {"S": "x" * 10_000}}  # fmt: skip
        client.put_item(TableName=table, Item=item)

    for n in range(30):  # 10 WCU on the table and on the index, each: 300 s of 1 WCU
        put(n)
    _fails(lambda: put(30), "ProvisionedThroughputExceededException")
    by_pk = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": pk}}
    by_group = {
        "IndexName": schema.GSI_NAME,
        "KeyConditionExpression": "message_group_uuid = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}},
    }
    for query in (by_pk, by_group):  # 300 KB a query: the 300 RCU of burst go in a few
        with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
            for _ in range(20):
                client.query(TableName=table, ConsistentRead=query is by_pk, **query)

    def fail(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a stubbed internal failure")

    for name in ("put_item", "delete_item", "query", "transact_write_items"):
        monkeypatch.setattr(DynamoDBBackend, name, fail)
    monkeypatch.setattr(DynamoDBStreamsBackend, "get_records", fail)
    plenty = {"ReadCapacityUnits": 1000, "WriteCapacityUnits": 1000}
    client.update_table(
        TableName=table,
        ProvisionedThroughput=plenty,
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": schema.GSI_NAME, "ProvisionedThroughput": plenty}}
        ],
    )
    CLOCK.now += 10  # capacity again, for the calls that fail inside moto
    failure = "InternalFailure"
    _fails(lambda: put(31), failure)
    _fails(lambda: client.delete_item(TableName=table, Key={"pk": pk, "sk": {"S": "000"}}), failure)
    _fails(lambda: client.query(TableName=table, **by_pk), failure)
    _fails(lambda: client.transact_write_items(
        TransactItems=[{"Delete": {"TableName": table, "Key": {"pk": pk, "sk": {"S": "001"}}}}]
    ), failure)  # fmt: skip
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, config=config)
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    _fails(lambda: streams.get_records(ShardIterator=iterator), failure)
    monkeypatch.undo()


def test_every_dynamodb_metric_of_the_alarms_and_dashboards_has_data(
    wanted: set[Wanted], endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = {name for name, _, _ in wanted}
    assert {"ConsumedWriteCapacityUnits", "WriteThrottleEvents", "SystemErrors"} <= names
    table = f"metrics-{uuid.uuid4().hex[:8]}"
    _traffic(endpoint, table, monkeypatch)
    metrics = boto3.client("cloudwatch", endpoint_url=endpoint)
    start = datetime.now(UTC) - timedelta(minutes=5)
    missing: list[Wanted] = []
    for name, dims, stat in sorted(wanted, key=str):
        dimensions = [{"Name": k, "Value": table if v == TABLE_TOKEN else v} for k, v in dims]
        deadline = time.monotonic() + 5  # a few publisher intervals
        while True:
            listed = metrics.list_metrics(
                Namespace="AWS/DynamoDB", MetricName=name, Dimensions=dimensions
            )["Metrics"]
            exact = [m for m in listed if len(m["Dimensions"]) == len(dimensions)]
            points = metrics.get_metric_statistics(
                Namespace="AWS/DynamoDB", MetricName=name, Dimensions=dimensions,
                StartTime=start, EndTime=datetime.now(UTC) + timedelta(minutes=1),
                Period=60, Statistics=[stat],
            )["Datapoints"]  # fmt: skip
            if exact and points and all(stat in point for point in points):
                break
            if time.monotonic() > deadline:
                missing.append((name, dims, stat))
                break
            time.sleep(0.1)
    assert missing == []


def test_the_last_metrics_are_published_when_the_endpoint_stops(endpoint_log: Path) -> None:
    port = server.free_port()
    running = server.start(port, authorize=False, metrics_interval_s=3600, log_file=endpoint_log)
    table = f"metrics-{uuid.uuid4().hex[:8]}"
    with cloud.offline_environ():
        client = boto3.client("dynamodb", endpoint_url=cloud.endpoint_url(port))
        client.create_table(**schema.create_table_kwargs(table))
        key = {"pk": {"S": "MSG#m"}, "sk": {"S": "1"}}
        client.put_item(TableName=table, Item=key)
        account = cloud.account_id(cloud.endpoint_url(port))
        running.stop()
    backend = cloudwatch_backends[account][cloud.REGION]
    published = {
        (datum.name, datum.value)
        for datum in backend.metric_data
        if any(d.name == "TableName" and d.value == table for d in datum.dimensions)
        and not any(d.name == "GlobalSecondaryIndexName" for d in datum.dimensions)
    }
    assert ("ConsumedWriteCapacityUnits", 1.0) in published
    assert ("ProvisionedWriteCapacityUnits", 5.0) in published
