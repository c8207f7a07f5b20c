"""Alarms: iterator age, function errors and throttles, messages in the failure queue."""

from __future__ import annotations

from typing import Any

from .conftest import Synthesized


def _alarm(stage: Synthesized, metric_name: str) -> Any:
    (alarm,) = (
        alarm["Properties"]
        for alarm in stage.resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == metric_name
    )
    return alarm


def _dimension(alarm: dict[str, Any]) -> Any:
    (dimension,) = alarm["Dimensions"]
    return dimension


def test_exactly_four_alarms(stage: Synthesized) -> None:
    """One alarm per failure mode, no more."""
    metrics = {
        alarm["Properties"]["MetricName"]
        for alarm in stage.resources("AWS::CloudWatch::Alarm").values()
    }
    assert metrics == {"IteratorAge", "Errors", "Throttles", "ApproximateNumberOfMessagesVisible"}


def test_iterator_age_alarm_watches_the_function_at_the_stage_threshold(
    stage: Synthesized,
) -> None:
    """IteratorAge (maximum, milliseconds) of the function against the stage's seconds."""
    function_id, _ = stage.only("AWS::Lambda::Function")
    alarm = _alarm(stage, "IteratorAge")
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == stage.settings.iterator_age_alarm_seconds * 1000
    assert _dimension(alarm) == {"Name": "FunctionName", "Value": {"Ref": function_id}}


def test_error_and_throttle_alarms_watch_the_function(stage: Synthesized) -> None:
    """Errors and Throttles (sums) of the function, at the stage's thresholds."""
    function_id, _ = stage.only("AWS::Lambda::Function")
    thresholds = {
        "Errors": stage.settings.errors_alarm_threshold,
        "Throttles": stage.settings.throttles_alarm_threshold,
    }
    for metric, threshold in thresholds.items():
        alarm = _alarm(stage, metric)
        assert alarm["Statistic"] == "Sum", metric
        assert alarm["Threshold"] == threshold, metric
        assert _dimension(alarm) == {"Name": "FunctionName", "Value": {"Ref": function_id}}


def test_failure_queue_alarm_watches_visible_messages(stage: Synthesized) -> None:
    """Messages visible in the failure queue raise the alarm."""
    queue_id, _ = stage.only("AWS::SQS::Queue")
    alarm = _alarm(stage, "ApproximateNumberOfMessagesVisible")
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["Threshold"] == stage.settings.failure_queue_alarm_threshold
    assert _dimension(alarm) == {
        "Name": "QueueName",
        "Value": {"Fn::GetAtt": [queue_id, "QueueName"]},
    }


def test_alarms_treat_missing_data_as_healthy(stage: Synthesized) -> None:
    """No traffic is not an incident: missing data does not breach."""
    for alarm in stage.resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_alarms_fire_at_their_threshold_per_minute(stage: Synthesized) -> None:
    """Each alarm compares with >= (a threshold of 1 means the first error alarms), over
    one-minute periods."""
    for alarm in stage.resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", props["MetricName"]
        assert props["Period"] == 60, props["MetricName"]


def test_iterator_age_alarms_on_sustained_lag_only(stage: Synthesized) -> None:
    """Lag must persist (3 of 5 minutes) before the alarm fires: one slow batch does not page."""
    alarm = _alarm(stage, "IteratorAge")
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (3, 5)


def test_failure_alarms_fire_within_one_period(stage: Synthesized) -> None:
    """Errors, throttles and records given up on alarm at once: one breaching minute."""
    for metric in ("Errors", "Throttles", "ApproximateNumberOfMessagesVisible"):
        alarm = _alarm(stage, metric)
        assert alarm["EvaluationPeriods"] == 1, metric
        assert alarm.get("DatapointsToAlarm", 1) == 1, metric
