"""The alarm evaluator on the local endpoint: a 60 s, 3-of-5 alarm proven in simulated minutes
(speed 60: one period per real second), with datapoints at chosen times and `evaluate(now)`, so
nothing sleeps. Its state changes are recorded on moto's alarm and sent to the alarm's topic."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from local import cloud
from local.alarms import AlarmEvaluator, real_period_s

SPEED = 60.0


@pytest.fixture
def topic_inbox(moto_endpoint: str) -> tuple[str, Any, str]:
    """A topic with an SQS queue subscribed: what the topic publishes, the queue receives."""
    sns, sqs = cloud.developer(moto_endpoint)("sns"), cloud.developer(moto_endpoint)("sqs")
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    return topic, sqs, queue


def put_iterator_age(cloudwatch: Any, function: str, at: float, value_ms: float) -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "IteratorAge",
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": datetime.fromtimestamp(at, tz=UTC),
                "Value": value_ms,
                "Unit": "Milliseconds",
            }
        ],
    )


def test_a_3_of_5_alarm_goes_to_alarm_and_back_to_ok(
    moto_endpoint: str, topic_inbox: tuple[str, Any, str]
) -> None:
    topic, sqs, queue = topic_inbox
    cloudwatch = cloud.developer(moto_endpoint)("cloudwatch")
    function = f"fn-{uuid.uuid4().hex[:8]}"
    name = f"{function}-IteratorAge"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=5,
        DatapointsToAlarm=3,
        Threshold=300_000,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    lines: list[str] = []
    evaluator = AlarmEvaluator(cloud.developer(moto_endpoint), speed=SPEED, log=lines.append)
    period = real_period_s(60, SPEED)
    assert period == 1
    base = float(int(datetime.now(tz=UTC).timestamp()) - 60)  # whole seconds, in the past

    # Lag in periods 0, 2 and 3 of five: 3 of 5, not consecutive. Two breaching is not enough.
    for index in (0, 2):
        put_iterator_age(cloudwatch, function, base + index * period + 0.5, 400_000)
    put_iterator_age(cloudwatch, function, base + 1 * period + 0.5, 1_000)
    assert [t.new_state for t in evaluator.evaluate(now=base + 5 * period) if t.alarm == name] == [
        "OK"
    ]
    put_iterator_age(cloudwatch, function, base + 3 * period + 0.5, 350_000)
    made = [t for t in evaluator.evaluate(now=base + 5 * period) if t.alarm == name]
    assert [t.new_state for t in made] == ["ALARM"]
    assert made[0].notified == (topic,)
    assert f"ALARM {name}: Threshold Crossed: 3 out of the last 5 datapoints" in "\n".join(lines)

    described = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert described["StateValue"] == "ALARM"
    assert described["StateReason"].startswith("Threshold Crossed: 3 out of the last 5")
    assert json.loads(described["StateReasonData"])["evaluatedDatapoints"] == 5
    assert described["StateUpdatedTimestamp"] is not None

    # The same periods again: no new transition, no second message.
    assert [t for t in evaluator.evaluate(now=base + 5 * period) if t.alarm == name] == []
    # Two periods later only two breaching periods remain in the window: OK again.
    back = [t for t in evaluator.evaluate(now=base + 7 * period) if t.alarm == name]
    assert [(t.old_state, t.new_state) for t in back] == [("ALARM", "OK")]

    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    states = [json.loads(m["Body"])["NewStateValue"] for m in received]
    assert states == ["OK", "ALARM", "OK"]
    message = json.loads(received[1]["Body"])
    assert message["AlarmName"] == name and message["OldStateValue"] == "OK"
    assert message["Trigger"]["MetricName"] == "IteratorAge"
