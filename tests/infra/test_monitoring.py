"""Alarms: every metric, threshold, period, comparison and action, per stage."""

from __future__ import annotations

from typing import Any

import pytest
from stage_synth import Synthesized

from cruddur_messages import schema

GE = "GreaterThanOrEqualToThreshold"
FUNCTION_ALARMS = {"IteratorAge", "Errors", "Throttles"}
MAPPING_ALARMS = {"OnFailureDestinationDeliveredEventCount", "DroppedEventCount"}
THROTTLE_METRICS = {"ReadThrottleEvents", "WriteThrottleEvents"}


def _alarms(stage: Synthesized) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in stage.resources("AWS::CloudWatch::Alarm").values()]


def _metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metric (or the math expression's metrics) an alarm watches, as MetricStat-like dicts."""
    if "MetricName" in alarm:
        return [alarm]
    return [
        {**query["MetricStat"]["Metric"], "Statistic": query["MetricStat"]["Stat"]}
        for query in alarm["Metrics"]
        if "MetricStat" in query
    ]


def _by_metric(stage: Synthesized, name: str, index: str | None = None) -> dict[str, Any]:
    found = [
        alarm
        for alarm in _alarms(stage)
        if any(
            metric["MetricName"] == name
            and any(d["Name"] == "GlobalSecondaryIndexName" for d in metric["Dimensions"])
            is (index is not None)
            for metric in _metrics_of(alarm)
        )
    ]
    (alarm,) = found
    return alarm


def _dimensions(metric: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in metric["Dimensions"]}


def _topic_id(stage: Synthesized) -> str:
    return stage.only("AWS::SNS::Topic")[0]


def test_the_alarm_set(stage: Synthesized) -> None:
    """Function lag, errors, throttles; records delivered to the failure bucket and dropped;
    table and GSI throttles; system errors; consumed capacity of the table and the GSI, against
    fixed capacity or against the auto-scaling maximum."""
    names = [m["MetricName"] for alarm in _alarms(stage) for m in _metrics_of(alarm)]
    expected = len(FUNCTION_ALARMS) + len(MAPPING_ALARMS) + 4 + 1 + 4
    assert len(_alarms(stage)) == expected
    assert FUNCTION_ALARMS | MAPPING_ALARMS | THROTTLE_METRICS | {"SystemErrors"} <= set(names)
    assert "ApproximateNumberOfMessagesVisible" not in names  # the queue alarm is retired


def test_every_alarm_sends_alarm_and_ok_to_the_topic(stage: Synthesized) -> None:
    """ALARM and OK actions, both on the stage's alarm topic, on every alarm."""
    topic = {"Ref": _topic_id(stage)}
    for alarm in _alarms(stage):
        assert alarm["AlarmActions"] == [topic], alarm["AlarmDescription"]
        assert alarm["OKActions"] == [topic], alarm["AlarmDescription"]
        assert alarm.get("ActionsEnabled", True) is True


def test_alarms_are_named_for_their_stage(stage: Synthesized) -> None:
    """Each alarm is named CruddurMessages-<stage>-<what>: a page says which stage it is."""
    for logical_id, alarm in stage.resources("AWS::CloudWatch::Alarm").items():
        name = alarm["Properties"]["AlarmName"]
        assert name.startswith(f"CruddurMessages-{stage.settings.name}-"), logical_id
        assert logical_id.startswith("Monitoring" + name.rsplit("-", 1)[1]), logical_id


def test_alarms_treat_missing_data_as_healthy(stage: Synthesized) -> None:
    """No traffic is not an incident: missing data does not breach."""
    for alarm in _alarms(stage):
        assert alarm["TreatMissingData"] == "notBreaching"


def test_iterator_age_alarm(stage: Synthesized) -> None:
    """IteratorAge (maximum, ms) of the function, >= the stage's seconds, 3 of 5 minutes."""
    settings = stage.settings.alarms
    function_id, _ = stage.only("AWS::Lambda::Function")
    alarm = _by_metric(stage, "IteratorAge")
    assert (alarm["Namespace"], alarm["Statistic"]) == ("AWS/Lambda", "Maximum")
    assert _dimensions(alarm) == {"FunctionName": {"Ref": function_id}}
    assert alarm["Threshold"] == settings.iterator_age_seconds * 1000
    assert (alarm["ComparisonOperator"], alarm["Period"]) == (GE, settings.period_seconds)
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (3, 5)


@pytest.mark.parametrize(
    ("metric", "field"), [("Errors", "function_errors"), ("Throttles", "function_throttles")]
)
def test_function_failure_alarms(stage: Synthesized, metric: str, field: str) -> None:
    """Errors and Throttles (sums) of the function alarm in one period at the stage threshold."""
    settings = stage.settings.alarms
    function_id, _ = stage.only("AWS::Lambda::Function")
    alarm = _by_metric(stage, metric)
    assert (alarm["Namespace"], alarm["Statistic"]) == ("AWS/Lambda", "Sum")
    assert _dimensions(alarm) == {"FunctionName": {"Ref": function_id}}
    assert alarm["Threshold"] == getattr(settings, field)
    assert (alarm["ComparisonOperator"], alarm["Period"]) == (GE, settings.period_seconds)
    assert alarm["EvaluationPeriods"] == 1


@pytest.mark.parametrize(
    ("metric", "field"),
    [
        ("OnFailureDestinationDeliveredEventCount", "failure_destination_events"),
        ("DroppedEventCount", "dropped_events"),
    ],
)
def test_mapping_event_alarms(stage: Synthesized, metric: str, field: str) -> None:
    """Records sent to the failure bucket, and records dropped, by EventSourceMappingUUID."""
    settings = stage.settings.alarms
    mapping_id, _ = stage.only("AWS::Lambda::EventSourceMapping")
    alarm = _by_metric(stage, metric)
    assert (alarm["Namespace"], alarm["Statistic"]) == ("AWS/Lambda", "Sum")
    assert _dimensions(alarm) == {"EventSourceMappingUUID": {"Ref": mapping_id}}
    assert alarm["Threshold"] == getattr(settings, field)
    assert (alarm["ComparisonOperator"], alarm["Period"]) == (GE, settings.period_seconds)
    assert alarm["EvaluationPeriods"] == 1


@pytest.mark.parametrize("index", [None, schema.GSI_NAME])
@pytest.mark.parametrize("metric", sorted(THROTTLE_METRICS))
def test_throttle_alarms_on_table_and_gsi(
    stage: Synthesized, metric: str, index: str | None
) -> None:
    """Read and write throttle events (sums) of the table and of the GSI, a period without any
    counted as 0: DynamoDB alarms ignore missing data, so without FILL one would stay in ALARM
    once the throttling stopped."""
    settings = stage.settings.alarms
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    alarm = _by_metric(stage, metric, index)
    expected = {"TableName": {"Ref": table_id}}
    if index is not None:
        expected["GlobalSecondaryIndexName"] = index
    (expression,) = [q for q in alarm["Metrics"] if "Expression" in q]
    assert expression["Expression"] == "FILL(throttles, 0)"
    (stat,) = [q for q in alarm["Metrics"] if "MetricStat" in q]
    assert stat["Id"] == "throttles" and stat["ReturnData"] is False
    assert stat["MetricStat"]["Metric"]["Namespace"] == "AWS/DynamoDB"
    assert (stat["MetricStat"]["Stat"], stat["MetricStat"]["Period"]) == (
        "Sum",
        settings.period_seconds,
    )
    assert _dimensions(stat["MetricStat"]["Metric"]) == expected
    assert alarm["Threshold"] == settings.table_throttle_events
    assert (alarm["ComparisonOperator"], alarm["EvaluationPeriods"]) == (GE, 1)


def test_system_errors_alarm_sums_every_operation_used(stage: Synthesized) -> None:
    """SystemErrors is per operation: the alarm sums the table's operations in one expression."""
    settings = stage.settings.alarms
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    alarm = _by_metric(stage, "SystemErrors")
    operations = set()
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            assert stat["Stat"] == "Sum"
            assert stat["Period"] == settings.period_seconds
            dims = _dimensions(stat["Metric"])
            assert dims["TableName"] == {"Ref": table_id}
            operations.add(dims["Operation"])
        else:
            assert query["ReturnData"] is True
            assert query["Expression"] == (
                "FILL(putitem, 0) + FILL(deleteitem, 0) + FILL(query, 0) + "
                "FILL(transactwriteitems, 0) + FILL(getrecords, 0)"
            )
    assert operations == {"PutItem", "DeleteItem", "Query", "TransactWriteItems", "GetRecords"}
    assert alarm["Threshold"] == settings.table_system_errors
    assert alarm["ComparisonOperator"] == GE


@pytest.mark.parametrize("index", [None, schema.GSI_NAME])
@pytest.mark.parametrize("kind", ["Read", "Write"])
def test_consumed_capacity_alarms_without_autoscaling(
    stage: Synthesized, kind: str, index: str | None
) -> None:
    """Without auto scaling: consumed units per second above the stage's share of provisioned,
    for the stage's number of periods. With auto scaling: above the target's share of the
    auto-scaling maximum, where scaling can do no more."""
    metric = f"Consumed{kind}CapacityUnits"
    table = stage.settings.table
    settings = stage.settings.alarms
    if table.autoscaling is not None:
        alarm = _by_metric(stage, metric, index)
        _, maximum = table.autoscaling.bounds(kind.lower())
        target = table.autoscaling.target_utilization_percent
        assert alarm["Threshold"] == pytest.approx(maximum * target / 100)
        assert alarm["AlarmName"].endswith(f"{'Gsi' if index else 'Table'}{kind}AtScalingMaximum")
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["EvaluationPeriods"] == settings.consumed_capacity_evaluation_periods
        return
    alarm = _by_metric(stage, metric, index)
    (expression,) = [q for q in alarm["Metrics"] if "Expression" in q]
    assert expression["Expression"] == f"FILL(consumed, 0) / {settings.period_seconds}"
    (stat,) = [q for q in alarm["Metrics"] if "MetricStat" in q]
    assert (stat["MetricStat"]["Stat"], stat["MetricStat"]["Period"]) == (
        "Sum",
        settings.period_seconds,
    )
    prefix = "gsi_" if index else ""
    provisioned = getattr(table, f"{prefix}{kind.lower()}_capacity")
    assert alarm["Threshold"] == pytest.approx(
        provisioned * settings.consumed_capacity_percent / 100
    )
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["EvaluationPeriods"] == settings.consumed_capacity_evaluation_periods
