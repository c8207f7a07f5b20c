"""AWS/DynamoDB metrics into the local CloudWatch (moto's backend, in process), with DynamoDB's
names and dimensions ("DynamoDB Metrics and dimensions",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html):

- ConsumedReadCapacityUnits, ConsumedWriteCapacityUnits, ProvisionedReadCapacityUnits,
  ProvisionedWriteCapacityUnits, ReadThrottleEvents, WriteThrottleEvents: TableName, and
  TableName + GlobalSecondaryIndexName for an index's own.
- ThrottledRequests, SystemErrors: TableName + Operation.

Consumed units are a sum over the interval (alarms divide by the period for units per second);
provisioned units are the table's setting, for the provisioned tables that served a request in
the interval. Counts are published when they happen, as DynamoDB does. The publisher runs every
`interval_s` (10 s: DynamoDB publishes at one-minute granularity, so a 60 s alarm period sees
every interval) under the endpoint's request lock (moto's backends are not thread-safe), and once
more when the endpoint stops.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Final

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow

from local.capacity.ledger import Ledger, Window

NAMESPACE: Final = "AWS/DynamoDB"
INTERVAL_S: Final = 10.0

Datum = dict[str, Any]


def _dimensions(
    table: str, index: str | None = None, operation: str | None = None
) -> list[dict[str, str]]:
    found = [{"Name": "TableName", "Value": table}]
    if index is not None:
        found.append({"Name": "GlobalSecondaryIndexName", "Value": index})
    if operation is not None:
        found.append({"Name": "Operation", "Value": operation})
    return found


def datapoints(window: Window, timestamp: datetime) -> dict[tuple[str, str], list[Datum]]:
    """The window's datapoints, per (account, region): pure, for the tests."""
    found: dict[tuple[str, str], list[Datum]] = defaultdict(list)

    def add(
        where: tuple[str, str], name: str, value: float, dimensions: list[dict[str, str]]
    ) -> None:
        found[where].append(
            {"MetricName": name, "Value": float(value), "Unit": "Count", "Dimensions": dimensions,
             "Timestamp": timestamp}
        )  # fmt: skip

    for (account, region, table, index), usage in window.usage.items():
        where, dims = (account, region), _dimensions(table, index)
        add(where, "ConsumedReadCapacityUnits", usage.consumed_read, dims)
        add(where, "ConsumedWriteCapacityUnits", usage.consumed_write, dims)
        if usage.provisioned_read or usage.provisioned_write:
            add(where, "ProvisionedReadCapacityUnits", usage.provisioned_read, dims)
            add(where, "ProvisionedWriteCapacityUnits", usage.provisioned_write, dims)
        if usage.read_throttle_events:
            add(where, "ReadThrottleEvents", usage.read_throttle_events, dims)
        if usage.write_throttle_events:
            add(where, "WriteThrottleEvents", usage.write_throttle_events, dims)
    for (account, region, table, operation), count in window.throttled_requests.items():
        add((account, region), "ThrottledRequests", count, _dimensions(table, operation=operation))
    for (account, region, table, operation), count in window.system_errors.items():
        add((account, region), "SystemErrors", count, _dimensions(table, operation=operation))
    return found


class Publisher:
    """Drains the ledger into CloudWatch every `interval_s`, and on `stop()`."""

    def __init__(
        self,
        ledger: Ledger,
        lock: AbstractContextManager[Any],
        *,
        interval_s: float = INTERVAL_S,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._ledger = ledger
        self._lock = lock
        self._interval_s = interval_s
        self._now = now
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capacity-metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def publish(self) -> int:
        """Publish what was recorded since the last call; the number of datapoints."""
        window = self._ledger.drain()
        published = 0
        with self._lock:
            for (account, region), data in datapoints(window, self._now()).items():
                for start in range(0, len(data), 1000):
                    cloudwatch_backends[account][region].put_metric_data(
                        NAMESPACE, data[start : start + 1000]
                    )
                published += len(data)
        return published

    def _run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            self.publish()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
        self.publish()
