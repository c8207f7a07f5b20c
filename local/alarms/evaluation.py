"""How CloudWatch decides an alarm's state from its most recent periods: pure, no clock, no I/O.

Rules from the CloudWatch user guide, "Using Amazon CloudWatch alarms" (AlarmThatSendsEmail.html:
period, evaluation periods N, datapoints to alarm M, "M out of N") and "Configuring how
CloudWatch alarms treat missing data" (same page, #alarms-and-missing-data):
- each of the N most recent periods is one datapoint, the alarm's statistic over that period;
- `breaching` / `notBreaching`: a missing datapoint counts as breaching / not breaching;
- `ignore`: missing datapoints are left out; with none left, the state is kept;
- `missing`: missing datapoints are left out; with none left, INSUFFICIENT_DATA;
- alarms on AWS/DynamoDB metrics always ignore missing data, whatever TreatMissingData says
  (PutMetricAlarm API reference, TreatMissingData);
- ALARM when at least M of the datapoints evaluated breach; OK otherwise.
The local simplification: the evaluation range is the N periods themselves (CloudWatch may look
a few periods further back to fill in `missing` alarms).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

OK: Final = "OK"
ALARM: Final = "ALARM"
INSUFFICIENT_DATA: Final = "INSUFFICIENT_DATA"
_UNCHECKED: Final = "Unchecked: Initial alarm creation"
IGNORE_MISSING_NAMESPACES: Final = frozenset({"AWS/DynamoDB"})

_COMPARISONS: Final[Mapping[str, tuple[Callable[[float, float], bool], str]]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}


class UnsupportedAlarmError(ValueError):
    """An alarm the local evaluator cannot evaluate (anomaly bands, Metrics Insights, a math
    function); the message says which part."""


@dataclass(frozen=True)
class MetricStat:
    """One metric of an alarm: namespace, name, the exact dimension set, statistic, period."""

    id: str
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    period: int


@dataclass(frozen=True)
class AlarmDefinition:
    """A metric alarm as DescribeAlarms returns it, reduced to what evaluation needs."""

    name: str
    arn: str
    state: str
    metrics: tuple[MetricStat, ...]
    expression: str | None  # the returned math expression over the metrics' ids, if any
    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    period: int
    actions_enabled: bool
    actions: Mapping[str, tuple[str, ...]]  # state -> action ARNs

    @classmethod
    def from_api(cls, alarm: Mapping[str, Any]) -> AlarmDefinition:
        name = str(alarm["AlarmName"])
        if "ThresholdMetricId" in alarm:
            raise UnsupportedAlarmError(f"{name}: anomaly detection alarms are not evaluated")
        metrics, expression = _metrics(alarm)
        if alarm.get("ComparisonOperator") not in _COMPARISONS:
            raise UnsupportedAlarmError(f"{name}: comparison {alarm.get('ComparisonOperator')}")
        periods = int(alarm["EvaluationPeriods"])
        state = str(alarm.get("StateValue", INSUFFICIENT_DATA))
        # CloudWatch creates an alarm in INSUFFICIENT_DATA (AWS::CloudWatch::Alarm reference);
        # moto creates it OK, "Unchecked": it has not been evaluated yet.
        if str(alarm.get("StateReason", "")).startswith(_UNCHECKED):
            state = INSUFFICIENT_DATA
        return cls(
            name=name,
            arn=str(alarm.get("AlarmArn", "")),
            state=state,
            metrics=metrics,
            expression=expression,
            threshold=float(alarm["Threshold"]),
            comparison=str(alarm["ComparisonOperator"]),
            evaluation_periods=periods,
            datapoints_to_alarm=int(alarm.get("DatapointsToAlarm") or periods),
            treat_missing_data=str(alarm.get("TreatMissingData") or "missing"),
            period=metrics[0].period,
            actions_enabled=bool(alarm.get("ActionsEnabled", True)),
            actions={
                ALARM: tuple(alarm.get("AlarmActions", ())),
                OK: tuple(alarm.get("OKActions", ())),
                INSUFFICIENT_DATA: tuple(alarm.get("InsufficientDataActions", ())),
            },
        )

    @property
    def missing_data(self) -> str:
        """The treatment that applies: DynamoDB's metrics always ignore missing data."""
        if any(metric.namespace in IGNORE_MISSING_NAMESPACES for metric in self.metrics):
            return "ignore"
        return self.treat_missing_data


def _dimensions(raw: Sequence[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(d["Name"]), str(d["Value"])) for d in raw))


def _metrics(alarm: Mapping[str, Any]) -> tuple[tuple[MetricStat, ...], str | None]:
    name = alarm["AlarmName"]
    if alarm.get("MetricName"):
        statistic = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        stat = MetricStat(
            id="m1",
            namespace=str(alarm["Namespace"]),
            name=str(alarm["MetricName"]),
            dimensions=_dimensions(alarm.get("Dimensions", [])),
            statistic=str(statistic),
            period=int(alarm["Period"]),
        )
        return (stat,), None
    stats: list[MetricStat] = []
    expression: str | None = None
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            stats.append(
                MetricStat(
                    id=str(query["Id"]),
                    namespace=str(metric["Namespace"]),
                    name=str(metric["MetricName"]),
                    dimensions=_dimensions(metric.get("Dimensions", [])),
                    statistic=str(query["MetricStat"]["Stat"]),
                    period=int(query["MetricStat"]["Period"]),
                )
            )
        elif query.get("ReturnData", True):
            expression = str(query["Expression"])
    if not stats:
        raise UnsupportedAlarmError(f"{name}: no metric to evaluate")
    if expression is None and len(stats) != 1:
        raise UnsupportedAlarmError(f"{name}: several metrics and no expression")
    return tuple(stats), expression


# -- metric math ---------------------------------------------------------------------


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(.))")
_OPERATORS: Final[Mapping[str, Callable[[float, float], float]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else float("nan"),
}


def evaluate_expression(expression: str, values: Mapping[str, float | None]) -> float | None:
    """`+ - * /`, parentheses and FILL(x, value) over metric ids and numbers; None when an
    operand is missing (no datapoint for that metric in the period) unless FILL gives it a
    value (metric math's FILL: "fills the missing values of a time series"). Other functions
    are unsupported."""
    tokens = [m.groups() for m in _TOKEN.finditer(expression) if m.group(0).strip()]
    position = 0

    def peek() -> str | None:
        return tokens[position][2] if position < len(tokens) else None

    def atom() -> float | None:
        nonlocal position
        if position >= len(tokens):
            raise UnsupportedAlarmError(f"expression {expression!r} ends early")
        number, name, symbol = tokens[position]
        position += 1
        if number is not None:
            return float(number)
        if name == "FILL" and peek() == "(":
            position += 1
            filled = chain(term, "+-")
            expect(",")
            default = chain(term, "+-")
            expect(")")
            return default if filled is None else filled
        if name is not None:
            if name not in values:
                raise UnsupportedAlarmError(f"expression {expression!r}: {name} is no metric id")
            return values[name]
        if symbol == "(":
            inner = chain(term, "+-")
            if peek() != ")":
                raise UnsupportedAlarmError(f"expression {expression!r}: ')' expected")
            position += 1
            return inner
        raise UnsupportedAlarmError(f"expression {expression!r}: unexpected {symbol!r}")

    def expect(symbol: str) -> None:
        nonlocal position
        if peek() != symbol:
            raise UnsupportedAlarmError(f"expression {expression!r}: {symbol!r} expected")
        position += 1

    def term() -> float | None:
        return chain(atom, "*/")

    def chain(operand: Callable[[], float | None], symbols: str) -> float | None:
        nonlocal position
        result = operand()
        while (symbol := peek()) is not None and symbol in symbols:
            position += 1
            right = operand()
            result = None if result is None or right is None else _OPERATORS[symbol](result, right)
        return result

    result = chain(term, "+-")
    if position != len(tokens):
        raise UnsupportedAlarmError(f"expression {expression!r}: unsupported after {position}")
    return result


def period_value(alarm: AlarmDefinition, values: Mapping[str, float | None]) -> float | None:
    """The alarm's datapoint for one period from each metric's statistic (None: no data)."""
    if alarm.expression is None:
        return values.get(alarm.metrics[0].id)
    return evaluate_expression(alarm.expression, {m.id: values.get(m.id) for m in alarm.metrics})


# -- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    state: str
    reason: str
    breaching: int
    evaluated: int


def _number(value: float) -> str:
    return repr(float(value))


def decide(alarm: AlarmDefinition, datapoints: Sequence[float | None]) -> Decision | None:
    """The state the alarm's N most recent datapoints (oldest first, None for a missing one)
    call for, with CloudWatch's kind of reason; None when the state is to be kept."""
    if len(datapoints) != alarm.evaluation_periods:
        raise ValueError(f"{alarm.evaluation_periods} datapoints expected, got {len(datapoints)}")
    compare, words = _COMPARISONS[alarm.comparison]
    treatment = alarm.missing_data
    missing = sum(1 for value in datapoints if value is None)
    present = [value for value in datapoints if value is not None]
    breaching = sum(1 for value in present if compare(value, alarm.threshold))
    evaluated = len(present)
    if treatment == "breaching":
        breaching, evaluated = breaching + missing, len(datapoints)
    elif treatment == "notBreaching":
        evaluated = len(datapoints)
    elif not present:
        if treatment == "ignore":
            return None
        return Decision(
            INSUFFICIENT_DATA,
            f"Insufficient Data: {missing} datapoint(s) were unknown.",
            breaching=0,
            evaluated=0,
        )
    shown = ", ".join("-" if value is None else _number(value) for value in reversed(datapoints))
    state = ALARM if breaching >= alarm.datapoints_to_alarm else OK
    verb = "was" if breaching == 1 else "were"
    treated = ""
    if missing and treatment in ("breaching", "notBreaching"):
        kind = "Breaching" if treatment == "breaching" else "NonBreaching"
        treated = f" and {missing} missing datapoint(s) treated as [{kind}]"
    reason = (
        f"Threshold Crossed: {breaching} out of the last {alarm.evaluation_periods} datapoints "
        f"[{shown}] {verb} {words} the threshold ({_number(alarm.threshold)}){treated} "
        f"(minimum {alarm.datapoints_to_alarm} datapoint(s) for OK -> ALARM transition)."
    )
    return Decision(state, reason, breaching=breaching, evaluated=evaluated)
