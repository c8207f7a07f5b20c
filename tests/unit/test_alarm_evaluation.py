"""CloudWatch's alarm rules (local/alarms/evaluation.py): M of N, comparisons, missing data,
DynamoDB's forced `ignore`, and metric math, on datapoints given by hand."""

from __future__ import annotations

from typing import Any

import pytest

from local.alarms.evaluation import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmDefinition,
    UnsupportedAlarmError,
    decide,
    evaluate_expression,
    period_value,
)


def alarm(**overrides: Any) -> AlarmDefinition:
    """The stack's IteratorAge alarm (3 of 5 periods of 60 s at or above 300 s) by default."""
    raw: dict[str, Any] = {
        "AlarmName": "CruddurMessages-local-IteratorAge",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x",
        "StateValue": "INSUFFICIENT_DATA",
        "Namespace": "AWS/Lambda",
        "MetricName": "IteratorAge",
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 300_000.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:topic"],
        "OKActions": ["arn:aws:sns:us-east-1:123456789012:topic"],
    }
    raw.update(overrides)
    return AlarmDefinition.from_api(raw)


HIGH, LOW = 400_000.0, 1_000.0


@pytest.mark.parametrize(
    ("datapoints", "state"),
    [
        ([LOW, LOW, HIGH, HIGH, HIGH], ALARM),  # 3 of 5
        ([HIGH, LOW, HIGH, LOW, HIGH], ALARM),  # not consecutive: still 3 of 5
        ([HIGH, HIGH, LOW, LOW, LOW], OK),  # 2 of 5
        ([None, None, HIGH, HIGH, None], OK),  # missing is not breaching
        ([None, None, None, None, None], OK),
        ([300_000.0, 300_000.0, 300_000.0, None, None], ALARM),  # at the threshold: >=
    ],
)
def test_m_of_n_with_missing_not_breaching(datapoints: list[float | None], state: str) -> None:
    decision = decide(alarm(), datapoints)
    assert decision is not None
    assert decision.state == state


def test_breaching_counts_missing_datapoints_as_breaching() -> None:
    decision = decide(alarm(TreatMissingData="breaching"), [LOW, None, None, HIGH, LOW])
    assert decision is not None and decision.state == ALARM
    assert "2 missing datapoint(s) treated as [Breaching]" in decision.reason


def test_ignore_keeps_the_state_without_data_and_judges_what_there_is() -> None:
    ignoring = alarm(TreatMissingData="ignore")
    assert decide(ignoring, [None] * 5) is None
    decision = decide(ignoring, [None, LOW, None, None, None])
    assert decision is not None and decision.state == OK


def test_missing_without_any_data_is_insufficient_data() -> None:
    decision = decide(alarm(TreatMissingData="missing"), [None] * 5)
    assert decision is not None and decision.state == INSUFFICIENT_DATA


def test_dynamodb_alarms_always_ignore_missing_data() -> None:
    """PutMetricAlarm's TreatMissingData: AWS/DynamoDB alarms stay in their state without data,
    whatever the alarm says (the stack's say notBreaching)."""
    throttles = alarm(
        Namespace="AWS/DynamoDB",
        MetricName="WriteThrottleEvents",
        Dimensions=[{"Name": "TableName", "Value": "t"}],
        Statistic="Sum",
        EvaluationPeriods=1,
        DatapointsToAlarm=None,
        Threshold=1.0,
    )
    assert throttles.missing_data == "ignore"
    assert decide(throttles, [None]) is None
    breached = decide(throttles, [2.0])
    assert breached is not None and breached.state == ALARM
    recovered = decide(throttles, [0.0])
    assert recovered is not None and recovered.state == OK


@pytest.mark.parametrize(
    ("operator", "value", "breaches"),
    [
        ("GreaterThanThreshold", 1.0, False),
        ("GreaterThanThreshold", 1.5, True),
        ("LessThanThreshold", 0.5, True),
        ("LessThanOrEqualToThreshold", 1.0, True),
        ("GreaterThanOrEqualToThreshold", 0.99, False),
    ],
)
def test_comparisons(operator: str, value: float, breaches: bool) -> None:
    one = alarm(
        EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=1.0, ComparisonOperator=operator
    )
    decision = decide(one, [value])
    assert decision is not None
    assert decision.state == (ALARM if breaches else OK)


def test_the_reason_says_what_crossed_as_cloudwatch_does() -> None:
    decision = decide(alarm(), [LOW, None, HIGH, HIGH, HIGH])
    assert decision is not None
    assert decision.reason.startswith(
        "Threshold Crossed: 3 out of the last 5 datapoints [400000.0, 400000.0, 400000.0, -, "
        "1000.0] were greater than or equal to the threshold (300000.0)"
    )


def capacity_alarm() -> AlarmDefinition:
    """The shape of the stack's consumed-capacity alarms: `consumed / 60` over a Sum."""
    return AlarmDefinition.from_api(
        {
            "AlarmName": "a",
            "EvaluationPeriods": 5,
            "Threshold": 4.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "Metrics": [
                {"Id": "expr_1", "Expression": "consumed / 60", "ReturnData": True},
                {
                    "Id": "consumed",
                    "ReturnData": False,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/DynamoDB",
                            "MetricName": "ConsumedWriteCapacityUnits",
                            "Dimensions": [{"Name": "TableName", "Value": "t"}],
                        },
                        "Period": 60,
                        "Stat": "Sum",
                    },
                },
            ],
        }
    )


def test_math_alarms_evaluate_their_expression_per_period() -> None:
    capacity = capacity_alarm()
    assert capacity.period == 60 and capacity.expression == "consumed / 60"
    assert period_value(capacity, {"consumed": 300.0}) == 5.0
    assert period_value(capacity, {"consumed": None}) is None
    decision = decide(capacity, [300.0 / 60] * 5)
    assert decision is not None and decision.state == ALARM


@pytest.mark.parametrize(
    ("expression", "values", "result"),
    [
        ("a + b + c", {"a": 1.0, "b": 2.0, "c": 3.0}, 6.0),
        ("(a + b) / 2", {"a": 1.0, "b": 3.0}, 2.0),
        ("a - b * 2", {"a": 10.0, "b": 3.0}, 4.0),
        ("a + b", {"a": 1.0, "b": None}, None),
        ("FILL(a, 0) + FILL(b, 0)", {"a": 1.0, "b": None}, 1.0),
        ("FILL(a, 0) / 60", {"a": None}, 0.0),
        ("FILL(a, 2 * 3)", {"a": 5.0}, 5.0),
    ],
)
def test_expressions(
    expression: str, values: dict[str, float | None], result: float | None
) -> None:
    assert evaluate_expression(expression, values) == result


@pytest.mark.parametrize(
    "expression", ["SUM(METRICS())", "a +", "a ? b", "zz + a", "FILL(a 0)", "FILL(a, 0"]
)
def test_unsupported_expressions_say_so(expression: str) -> None:
    with pytest.raises(UnsupportedAlarmError):
        evaluate_expression(expression, {"a": 1.0})


def test_a_wrong_number_of_datapoints_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="5 datapoints expected"):
        decide(alarm(), [LOW])
