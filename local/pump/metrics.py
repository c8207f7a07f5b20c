"""The AWS/Lambda metrics Lambda publishes for a stream-mapped function, published by the pump
into the local CloudWatch with Lambda's names, units and dimensions.

Lambda developer guide, "Types of metrics for Lambda functions" (monitoring-metrics-types.html):
- per invocation, dimension FunctionName: Invocations, Errors and Throttles (counts, 0 or 1),
  Duration (milliseconds), ConcurrentExecutions, and for stream sources IteratorAge: the age of
  the last record in the batch when the function got it (milliseconds);
- with the mapping's MetricsConfig EventCount, dimension EventSourceMappingUUID: PolledEventCount,
  FilteredOutEventCount, FailedInvokeEventCount, OnFailureDestinationDeliveredEventCount and
  DroppedEventCount (records).
The pump invokes one batch at a time, so ConcurrentExecutions is 1 while it runs. The local
cloud never throttles an invocation (no account concurrency to exhaust): Throttles is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

NAMESPACE: Final = "AWS/Lambda"
FUNCTION_METRICS: Final = (
    "Invocations",
    "Errors",
    "Throttles",
    "Duration",
    "ConcurrentExecutions",
    "IteratorAge",
)
MAPPING_METRICS: Final = (
    "PolledEventCount",
    "FilteredOutEventCount",
    "FailedInvokeEventCount",
    "OnFailureDestinationDeliveredEventCount",
    "DroppedEventCount",
)


class LambdaMetrics:
    """Puts one invocation's or one record outcome's datapoints; a CloudWatch that cannot take
    them (the endpoint stopping) never fails a delivery."""

    def __init__(
        self,
        cloudwatch: Any,
        *,
        function_name: str,
        mapping_uuid: str,
        event_counts: bool,
    ) -> None:
        self._cloudwatch = cloudwatch
        self._function = [{"Name": "FunctionName", "Value": function_name}]
        self._mapping = [{"Name": "EventSourceMappingUUID", "Value": mapping_uuid}]
        self._event_counts = event_counts
        self.failed_puts = 0

    def invocation(
        self, *, failed: bool, duration_ms: float | None, iterator_age_ms: float
    ) -> None:
        values: list[tuple[str, float, str]] = [
            ("Invocations", 1, "Count"),
            ("Errors", 1 if failed else 0, "Count"),
            ("Throttles", 0, "Count"),
            ("ConcurrentExecutions", 1, "Count"),
            ("IteratorAge", max(0.0, iterator_age_ms), "Milliseconds"),
        ]
        if duration_ms is not None:
            values.append(("Duration", duration_ms, "Milliseconds"))
        self._put(self._function, values)

    def events(self, counts: Mapping[str, int]) -> None:
        """Record counts by MAPPING_METRICS name, when the mapping asked for EventCount: every
        count of the mapping each time, 0 for those not given, so a quiet count has data."""
        if self._event_counts:
            values = [(name, counts.get(name, 0), "Count") for name in MAPPING_METRICS]
            self._put(self._mapping, values)

    def _put(
        self, dimensions: Sequence[Mapping[str, str]], values: Sequence[tuple[str, float, str]]
    ) -> None:
        now = datetime.now(tz=UTC)
        data = [
            {
                "MetricName": name,
                "Dimensions": list(dimensions),
                "Timestamp": now,
                "Value": float(value),
                "Unit": unit,
            }
            for name, value, unit in values
        ]
        try:
            self._cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)
        except Exception:  # metrics are best effort, as Lambda's own are to a function
            self.failed_puts += 1


def iterator_age_ms(records: Sequence[Mapping[str, Any]], now: float) -> float:
    """The age of the batch's last record (its ApproximateCreationDateTime, seconds)."""
    created = records[-1].get("dynamodb", {}).get("ApproximateCreationDateTime", now)
    return (now - float(created)) * 1000
