"""The local CloudWatch's alarm evaluation: the deployed alarms, read with DescribeAlarms,
evaluated on the metrics in the local CloudWatch, their state changes recorded on the alarm
(SetAlarmState: DescribeAlarms then shows the state, its reason and its time) and their
actions run: a message to each SNS topic of the new state, in CloudWatch's message format.

moto stores alarms but evaluates none; this is the part of CloudWatch it leaves out. A
`speed` above 1 runs the alarms' clock faster: a 60 s period lasts 60 / speed real seconds, so
a test proves a 3-of-5 alarm in seconds. The metrics need no other clock: their datapoints carry
real timestamps, and the evaluator cuts real time into the shorter periods.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from local import cloud
from local.alarms.evaluation import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmDefinition,
    Decision,
    UnsupportedAlarmError,
    decide,
    period_value,
)
from local.alarms.storage import DAY_S, publish_bucket_metrics

Log = Callable[[str], None]
# How often, in alarm periods, the evaluator looks: CloudWatch evaluates about once a period.
_LOOKS_PER_PERIOD: Final = 4


@dataclass(frozen=True)
class Transition:
    """One state change of one alarm, as recorded and sent."""

    alarm: str
    old_state: str
    new_state: str
    reason: str
    at: datetime
    notified: tuple[str, ...]  # the topics it was published to

    def line(self) -> str:
        """What `make local` prints: "ALARM <name>: <reason>"."""
        return f"{self.new_state} {self.alarm}: {self.reason}"


def real_period_s(period: int, speed: float) -> int:
    """The real seconds one alarm period lasts at `speed` (whole seconds: CloudWatch's
    timestamps and GetMetricData's periods are whole seconds)."""
    return max(1, round(period / speed))


class AlarmEvaluator:
    """Evaluates every metric alarm of the CloudWatch behind `clients` (cloud.developer of the
    endpoint: CloudWatch acts as the service, not as a role), now (`evaluate`) or in a background
    thread (`start`/`stop`). `log` gets one line per transition."""

    def __init__(
        self,
        clients: Callable[[str], Any],
        *,
        speed: float = 1.0,
        log: Log = print,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be above 0, got {speed}")
        make = clients  # CloudWatch's own calls: the developer's clients locally
        self._cloudwatch = make("cloudwatch")
        self._sns = make("sns")
        self._s3 = make("s3")
        self.speed = speed
        self._log = log
        self._clock = clock
        self.transitions: list[Transition] = []
        self._unsupported: set[str] = set()
        self.evaluated: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- one evaluation round ---------------------------------------------------------------

    def alarms(self) -> Iterator[AlarmDefinition]:
        for page in self._cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm"]
        ):
            for raw in page.get("MetricAlarms", []):
                try:
                    yield AlarmDefinition.from_api(raw)
                except UnsupportedAlarmError as error:
                    if raw["AlarmName"] not in self._unsupported:
                        self._unsupported.add(raw["AlarmName"])
                        self._log(f"warning: alarm not evaluated locally: {error}")

    def datapoints(self, alarm: AlarmDefinition, now: float) -> list[float | None]:
        """The alarm's N most recent complete periods' datapoints, oldest first."""
        length = real_period_s(alarm.period, self.speed)
        end = math.floor(now / length) * length
        starts = [
            end - (alarm.evaluation_periods - i) * length for i in range(alarm.evaluation_periods)
        ]
        answer = self._cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": metric.id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": metric.namespace,
                            "MetricName": metric.name,
                            "Dimensions": [{"Name": n, "Value": v} for n, v in metric.dimensions],
                        },
                        "Period": length,
                        "Stat": metric.statistic,
                    },
                    "ReturnData": True,
                }
                for metric in alarm.metrics
            ],
            StartTime=datetime.fromtimestamp(starts[0], tz=UTC),
            EndTime=datetime.fromtimestamp(end, tz=UTC),
        )
        by_id: dict[str, dict[int, float]] = {}
        for result in answer["MetricDataResults"]:
            series = by_id.setdefault(result["Id"], {})
            for stamp, value in zip(result["Timestamps"], result["Values"], strict=True):
                series[int(stamp.timestamp())] = float(value)
        return [
            period_value(alarm, {metric: series.get(start) for metric, series in by_id.items()})
            for start in starts
        ]

    def evaluate(self, now: float | None = None) -> list[Transition]:
        """One round over every alarm; the transitions it made."""
        at = self._clock() if now is None else now
        made: list[Transition] = []
        with self._lock:
            for alarm in self.alarms():
                try:
                    decision = decide(alarm, self.datapoints(alarm, at))
                except UnsupportedAlarmError as error:
                    if alarm.name not in self._unsupported:
                        self._unsupported.add(alarm.name)
                        self._log(f"warning: alarm not evaluated locally: {error}")
                    continue
                self.evaluated.add(alarm.name)
                if decision is not None and decision.state != alarm.state:
                    made.append(self._transition(alarm, decision, at))
        return made

    def _transition(self, alarm: AlarmDefinition, decision: Decision, at: float) -> Transition:
        when = datetime.fromtimestamp(at, tz=UTC)
        reason_data = {
            "version": "1.0",
            "queryDate": when.isoformat(timespec="milliseconds"),
            "statistic": alarm.metrics[0].statistic,
            "period": alarm.period,
            "threshold": alarm.threshold,
            "evaluatedDatapoints": decision.evaluated,
        }
        self._cloudwatch.set_alarm_state(
            AlarmName=alarm.name,
            StateValue=decision.state,
            StateReason=decision.reason,
            StateReasonData=json.dumps(reason_data),
        )
        topics = alarm.actions.get(decision.state, ()) if alarm.actions_enabled else ()
        sent = tuple(
            topic
            for topic in topics
            if ":sns:" in topic and self._notify(topic, alarm, decision, when)
        )
        transition = Transition(
            alarm.name, alarm.state, decision.state, decision.reason, when, sent
        )
        self.transitions.append(transition)
        # A new alarm's first OK is sent, as CloudWatch sends it, but not printed one by one.
        if (transition.old_state, transition.new_state) != (INSUFFICIENT_DATA, OK):
            self._log(transition.line())
        return transition

    def _notify(
        self, topic: str, alarm: AlarmDefinition, decision: Decision, when: datetime
    ) -> bool:
        """Publish CloudWatch's alarm notification (the JSON an e-mail subscriber receives)."""
        message = notification(alarm, decision, when)
        try:
            self._sns.publish(
                TopicArn=topic,
                Subject=f'{decision.state}: "{alarm.name}" in {cloud.REGION}'[:100],
                Message=json.dumps(message),
            )
        except Exception as error:  # a deleted topic: CloudWatch records the failed action
            self._log(f"warning: alarm {alarm.name}: could not publish to {topic}: {error}")
            return False
        return True

    # -- in the background ------------------------------------------------------------------

    def interval_s(self) -> float:
        """How long between rounds: a fraction of the shortest alarm period, in real time."""
        periods = [alarm.period for alarm in self.alarms()] or [60]
        return max(0.05, real_period_s(min(periods), self.speed) / _LOOKS_PER_PERIOD)

    def start(self) -> AlarmEvaluator:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alarm-evaluator", daemon=True)
        self._thread.start()
        return self

    def publish_storage_metrics(self) -> int:
        """S3's daily storage metrics of every bucket, now; the number of buckets."""
        return publish_bucket_metrics(self._s3, self._cloudwatch)

    def _run(self) -> None:
        interval = self.interval_s()
        storage_due = 0.0
        while not self._stop.wait(interval):
            try:
                if time.monotonic() >= storage_due:
                    self.publish_storage_metrics()
                    storage_due = time.monotonic() + DAY_S / self.speed
                self.evaluate()
            except Exception as error:  # the endpoint stopping under us: say it once and end
                if not self._stop.is_set():
                    self._log(f"warning: alarm evaluation stopped: {error}")
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def summary(self) -> str:
        """One line for the end of `make demo`: each state change, and what is in ALARM now."""
        changes = [
            t for t in self.transitions if (t.old_state, t.new_state) != (INSUFFICIENT_DATA, OK)
        ]
        latest = {t.alarm: t.new_state for t in self.transitions}
        alarming = sorted(name for name, state in latest.items() if state == ALARM)
        said = ", ".join(f"{t.alarm} {t.old_state}->{t.new_state}" for t in changes) or "none"
        return (
            f"alarms: {len(self.evaluated)} evaluated, state changes: {said}; "
            f"in ALARM now: {', '.join(alarming) or 'none'}"
        )


def notification(alarm: AlarmDefinition, decision: Decision, when: datetime) -> Mapping[str, Any]:
    """The fields of CloudWatch's SNS alarm message that a subscriber reads."""
    metric = alarm.metrics[0]
    return {
        "AlarmName": alarm.name,
        "AlarmArn": alarm.arn,
        "NewStateValue": decision.state,
        "OldStateValue": alarm.state,
        "NewStateReason": decision.reason,
        "StateChangeTime": when.isoformat(timespec="milliseconds"),
        "Region": cloud.REGION,
        "Trigger": {
            "MetricName": metric.name,
            "Namespace": metric.namespace,
            "Statistic": metric.statistic.upper(),
            "Dimensions": [{"name": n, "value": v} for n, v in metric.dimensions],
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm,
            "ComparisonOperator": alarm.comparison,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing_data,
        },
    }
