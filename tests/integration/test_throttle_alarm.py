"""The table-throttle alarm under real throttling: a 1-WCU table's burst spent by writes the
endpoint refuses (local/capacity), its WriteThrottleEvents published to the local CloudWatch,
and the alarm, defined as the stack defines it (FILL(throttles, 0), Sum over 60 s, >= 1,
pinned by tests/infra/test_monitoring.py), goes to ALARM, then back to OK in a quiet period.
Its own endpoint: metrics published every 0.1 s instead of 10 s, and a table nobody else
throttles."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cruddur_messages import schema
from local import cloud, server
from local.alarms import AlarmEvaluator, real_period_s

SPEED = 60.0
PERIOD_S = real_period_s(60, SPEED)


@pytest.fixture
def metered_endpoint(endpoint_log: Any) -> Iterator[str]:
    port = server.free_port()
    running = server.start(port, log_file=endpoint_log, authorize=False, metrics_interval_s=0.1)
    try:
        yield cloud.endpoint_url(port)
    finally:
        running.stop()


def throttle_alarm(table: str, topic: str) -> dict[str, Any]:
    """The stack's TableWriteThrottles alarm (stacks/monitoring.py), for this table."""
    return {
        "AlarmName": f"{table}-TableWriteThrottles",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic],
        "OKActions": [topic],
        "Metrics": [
            {"Id": "expr_1", "Expression": "FILL(throttles, 0)", "ReturnData": True},
            {
                "Id": "throttles",
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/DynamoDB",
                        "MetricName": "WriteThrottleEvents",
                        "Dimensions": [{"Name": "TableName", "Value": table}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            },
        ],
    }


def test_the_table_throttle_alarm_fires_under_throttling_and_recovers(
    metered_endpoint: str,
) -> None:
    endpoint = metered_endpoint
    # No SDK retries: each refusal is one throttle event, as the endpoint counts it.
    writer = _client(endpoint, Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    table = f"throttled-{uuid.uuid4().hex[:8]}"
    writer.create_table(
        **schema.create_table_kwargs(
            table, read_capacity=1, write_capacity=1, gsi_read_capacity=1, gsi_write_capacity=1
        )
    )
    topic = cloud.developer(endpoint)("sns").create_topic(Name=f"{table}-alarms")["TopicArn"]
    cloudwatch = cloud.developer(endpoint)("cloudwatch")
    cloudwatch.put_metric_alarm(**throttle_alarm(table, topic))
    evaluator = AlarmEvaluator(cloud.developer(endpoint), speed=SPEED, log=lambda _line: None)
    name = f"{table}-TableWriteThrottles"

    began = time.time()
    throttled = 0
    for index in range(2_000):  # 1 WCU: 300 s of burst, then a write per second
        try:
            writer.put_item(
                TableName=table,
                Item={
                    schema.PARTITION_KEY: {"S": f"OTHER#{index}"},
                    schema.SORT_KEY: {"S": "x"},
                },
            )
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            throttled += 1
            if throttled >= 5:
                break
    assert throttled >= 5, "the 1-WCU table never throttled"
    time.sleep(0.5)  # the endpoint's next metrics flush (every 0.1 s here)

    made: list[Any] = []
    boundary = math.floor(began / PERIOD_S) * PERIOD_S + PERIOD_S
    while boundary <= time.time() + 3 * PERIOD_S:
        made.extend(t for t in evaluator.evaluate(now=boundary) if t.alarm == name)
        boundary += PERIOD_S
    states = [(t.old_state, t.new_state) for t in made]
    assert ("OK", "ALARM") in states, states
    assert states[-1] == ("ALARM", "OK"), states
    alarmed = next(t for t in made if t.new_state == "ALARM")
    assert alarmed.notified == (topic,)
    assert "greater than or equal to the threshold (1.0)" in alarmed.reason


def _client(endpoint: str, config: Config) -> Any:
    keys = cloud.DUMMY_CREDENTIALS
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=cloud.REGION,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
        config=config,
    )
