"""The deployed alarms on the local cloud: their metrics are published under exactly the names
and dimensions they query, and they change state when their condition holds, then recover.
The evaluator runs at speed 60 (a 60 s period per real second) and is asked at chosen times."""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

from metric_walk import MetricUse, alarm_metrics, dashboard_metrics

from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import cloud, deploy
from local.alarms import AlarmEvaluator, real_period_s
from local.pump import find_mapping
from local.pump.metrics import LambdaMetrics
from local.runtime.worker import ExecutionEnvironment

SPEED = 60.0
PERIOD_S = real_period_s(60, SPEED)
# Counts DynamoDB publishes only when they happen: this shared deployment is neither throttled
# nor broken on purpose. Their names and dimensions are proven against the endpoint's publisher
# (tests/infra/test_dynamodb_metric_shapes.py), the table's throttle alarm under real throttling
# (tests/integration/test_throttle_alarm.py).
ONLY_WHEN_THEY_HAPPEN = frozenset({"ReadThrottleEvents", "WriteThrottleEvents", "SystemErrors"})
# The endpoint (its own process here) publishes AWS/DynamoDB every 10 s.
FLUSH_WAIT_S = 15.0


def _user(handle: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=handle.title(), handle=handle)


def _metrics(endpoint: str, deployment: deploy.Deployment) -> LambdaMetrics:
    mapping = find_mapping(cloud.developer(endpoint), deployment.function_name)
    return LambdaMetrics(
        cloud.developer(endpoint)("cloudwatch"),
        function_name=deployment.function_name,
        mapping_uuid=mapping.uuid,
        event_counts=mapping.event_count_metrics,
    )


def _stack_alarms(cloudwatch: Any, deployment: deploy.Deployment) -> list[dict[str, Any]]:
    prefix = f"{deployment.stack_name}-"
    alarms: list[dict[str, Any]] = cloudwatch.describe_alarms(AlarmNamePrefix=prefix)[
        "MetricAlarms"
    ]
    return alarms


def test_the_error_alarm_goes_to_alarm_when_the_handler_raises_and_back_to_ok(
    endpoint: str,
    deployment: deploy.Deployment,
    deployed_function: ExecutionEnvironment,
    make_pump: Any,
    store: MessageStore,
) -> None:
    lines: list[str] = []
    evaluator = AlarmEvaluator(cloud.developer(endpoint), speed=SPEED, log=lines.append)
    errors_alarm = f"{deployment.stack_name}-Errors"
    evaluator.evaluate()

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("the processor's bug")

    store.create_message_group(_user("alarmer"), _user("alarmee"), "this batch will fail")
    began = time.time()
    stats = make_pump(handler=broken, metrics=_metrics(endpoint, deployment)).run_until_idle()
    assert stats.records_sent_to_failure == 1

    # Each period boundary from the first failed invocation on, as the background thread would.
    made = sweep(evaluator, began, time.time() + 3 * PERIOD_S)
    errors = [(t.old_state, t.new_state) for t in made if t.alarm == errors_alarm]
    assert errors == [("OK", "ALARM"), ("ALARM", "OK")]
    failures = f"{deployment.stack_name}-FailureDestinationEvents"
    assert [t.new_state for t in made if t.alarm == failures] == ["ALARM", "OK"]
    [alarmed] = [t for t in made if t.alarm == errors_alarm and t.new_state == "ALARM"]
    assert alarmed.notified == (alarm_topic(endpoint, deployment),)
    assert any(line.startswith(f"ALARM {errors_alarm}: Threshold Crossed: 1 out") for line in lines)
    assert f"{errors_alarm} ALARM->OK" in evaluator.summary()
    # Recorded on the alarm: its last change, OK, and the reason for it.
    cloudwatch = cloud.developer(endpoint)("cloudwatch")
    [described] = cloudwatch.describe_alarms(AlarmNames=[errors_alarm])["MetricAlarms"]
    assert described["StateValue"] == "OK"
    assert described["StateReason"].startswith("Threshold Crossed: 0 out of the last 1")


def sweep(evaluator: AlarmEvaluator, start: float, end: float) -> list[Any]:
    """Evaluate at every period boundary from `start` to `end`; the transitions, in order."""
    made = []
    boundary = math.floor(start / PERIOD_S) * PERIOD_S + PERIOD_S
    while boundary <= end:
        made.extend(evaluator.evaluate(now=boundary))
        boundary += PERIOD_S
    return made


def alarm_topic(endpoint: str, deployment: deploy.Deployment) -> str:
    """The stack's one topic (moto reports no outputs for a stack made by a change set)."""
    resources = cloud.developer(endpoint)("cloudformation").list_stack_resources(
        StackName=deployment.stack_name
    )["StackResourceSummaries"]
    [topic] = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::SNS::Topic"]
    return str(topic)


def test_every_metric_the_alarms_and_the_dashboard_read_is_published(
    endpoint: str,
    deployment: deploy.Deployment,
    deployed_function: ExecutionEnvironment,
    make_pump: Any,
    store: MessageStore,
) -> None:
    """Exact names and dimension values: a misspelled metric or a wrong dimension fails here."""
    store.create_message_group(_user("metered"), _user("meterer"), "one message, processed")
    make_pump(metrics=_metrics(endpoint, deployment)).run_until_idle()
    AlarmEvaluator(cloud.developer(endpoint), speed=SPEED).publish_storage_metrics()

    cloudwatch = cloud.developer(endpoint)("cloudwatch")
    uses: list[MetricUse] = [
        use for alarm in _stack_alarms(cloudwatch, deployment) for use in alarm_metrics(alarm)
    ]
    assert len({use.where for use in uses}) >= 13  # every alarm of the stage
    body = cloudwatch.get_dashboard(DashboardName=deployment.stack_name)["DashboardBody"]
    uses.extend(dashboard_metrics(json.loads(body)))
    assert {use.name for use in uses} >= ONLY_WHEN_THEY_HAPPEN  # each exception is read
    expected = [use for use in uses if use.name not in ONLY_WHEN_THEY_HAPPEN]
    deadline = time.monotonic() + FLUSH_WAIT_S
    while True:
        published = {
            (
                m["Namespace"],
                m["MetricName"],
                tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])),
            )
            for page in cloudwatch.get_paginator("list_metrics").paginate()
            for m in page["Metrics"]
        }
        unexpected = sorted(
            f"{use.where}: {use.namespace} {use.name} {dict(use.dimensions)}"
            for use in expected
            if (use.namespace, use.name, use.dimensions) not in published
        )
        if not unexpected or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert unexpected == []
