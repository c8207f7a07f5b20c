"""DynamoDB capacity on the local endpoint, as DynamoDB meters and enforces it.

    metering.py    what a read or write costs, by the developer guide's rules (pure)
    buckets.py     token buckets at the provisioned rate with 300 s of burst; the injectable clock
    deployed.py    the tables' schema, live capacity and items, from moto's backend
    plan.py        a request -> its reads and writes, with their cost before and after
    reads.py       the items a Query/Scan page reads before its filter (what DynamoDB charges)
    responses.py   ConsumedCapacity and the throttling errors, as DynamoDB writes them
    middleware.py  the WSGI layer in front of moto
    ledger.py      consumed units and throttles per table and index (the capacity line)
    metrics.py     the ledger published as AWS/DynamoDB metrics into the local CloudWatch

Entry points: `start()` (the server), `summary()` (the demo's capacity line), `counts(endpoint)`
(the same totals over HTTP, for tests in another process).
"""

from __future__ import annotations

import json
import os
import urllib.request
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from local.capacity import deployed, reads
from local.capacity.buckets import MONOTONIC, Buckets, Clock
from local.capacity.ledger import Ledger
from local.capacity.metrics import INTERVAL_S as METRICS_INTERVAL_S
from local.capacity.metrics import Publisher
from local.capacity.middleware import CAPACITY_PATH, CapacityApp

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "ENFORCE_ENV",
    "METRICS_INTERVAL_S",
    "MONOTONIC",
    "Clock",
    "Running",
    "counts",
    "enforce_by_default",
    "start",
    "summary",
]

# The one switch: LOCAL_CAPACITY=unlimited keeps metering (ConsumedCapacity, metrics, the
# capacity line) but refuses nothing, e.g. to load a data set faster than the stack's
# provisioned capacity allows, or to tell a throttling bug from another one.
ENFORCE_ENV: Final = "LOCAL_CAPACITY"


def enforce_by_default(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(ENFORCE_ENV, "").strip().lower()
    return value != "unlimited"


class Running:
    """Metering (and enforcement, unless off) started with an endpoint, and its metrics."""

    def __init__(self, *, enforce: bool, clock: Clock, metrics_interval_s: float) -> None:
        self.enforce = enforce
        self.buckets = Buckets(clock)
        self.ledger = Ledger()
        self.metrics_interval_s = metrics_interval_s
        self.publisher: Publisher | None = None

    def wrap(self, app: WSGIApplication) -> CapacityApp:
        return CapacityApp(app, self.buckets, self.ledger, enforce=self.enforce)

    def publish_metrics(self, lock: AbstractContextManager[Any]) -> None:
        """Publish AWS/DynamoDB metrics every interval, under the endpoint's request lock."""
        self.publisher = Publisher(self.ledger, lock, interval_s=self.metrics_interval_s)
        self.publisher.start()

    def spend_burst(self, table: str) -> int:
        """Empty every bucket of `table` (and its indexes), as a table that has spent its burst
        and has not been idle since; for tests of what a throttled table does. Call it while no
        request runs (between requests). The number of buckets emptied."""
        emptied = 0
        now = self.buckets.clock()
        for deployed_table in deployed.every_table():
            if deployed_table.schema.name != table or deployed_table.on_demand:
                continue
            for index in (None, *(i.name for i in deployed_table.schema.indexes)):
                throughput = deployed_table.throughput(index)
                for kind, rate in (("Read", throughput.read), ("Write", throughput.write)):
                    key = (deployed_table.arn, deployed_table.generation, index, kind)
                    bucket = self.buckets.bucket(key, rate)
                    bucket.balance, bucket.updated_at = 0.0, now
                    emptied += 1
        return emptied

    def stop(self) -> None:
        """Stop publishing, after publishing what is left."""
        if self.publisher is not None:
            self.publisher.stop()


_latest: list[Running] = []  # the endpoint started last in this process: the capacity line's


def start(
    *,
    enforce: bool | None = None,
    clock: Clock = MONOTONIC,
    metrics_interval_s: float = METRICS_INTERVAL_S,
) -> Running:
    """Meter (and, by default, enforce) DynamoDB capacity on the endpoint about to start."""
    reads.install()
    running = Running(
        enforce=enforce_by_default() if enforce is None else enforce,
        clock=clock,
        metrics_interval_s=metrics_interval_s,
    )
    _latest[:] = [running]
    return running


def summary() -> str:
    """One line: consumed and provisioned units and throttled requests, per table and index."""
    return _latest[0].ledger.summary() if _latest else Ledger().summary()


def counts(endpoint: str) -> dict[str, Any]:
    """The totals of the endpoint at `endpoint`, which may run in another process."""
    with urllib.request.urlopen(endpoint + CAPACITY_PATH, timeout=10) as response:  # noqa: S310
        found: dict[str, Any] = json.loads(response.read())
    return found
