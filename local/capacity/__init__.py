"""DynamoDB capacity on the local endpoint, as DynamoDB meters and enforces it.

    metering.py    what a read or write costs, by the developer guide's rules (pure)
    buckets.py     token buckets at the provisioned rate with 300 s of burst; the injectable clock
    deployed.py    the tables' schema, live capacity and items, from moto's backend
    plan.py        a request -> its reads and writes, with their cost before and after
    reads.py       the items a Query/Scan page reads before its filter (what DynamoDB charges)
    responses.py   ConsumedCapacity and the throttling errors, as DynamoDB writes them
    middleware.py  the WSGI layer in front of moto
    ledger.py      consumed units and throttles per table and index (the capacity line)

Entry points: `start()` (the server), `summary()` (the demo's capacity line), `counts(endpoint)`
(the same totals over HTTP, for tests in another process).
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import TYPE_CHECKING, Any, Final

from local.capacity import reads
from local.capacity.buckets import MONOTONIC, Buckets, Clock
from local.capacity.ledger import Ledger
from local.capacity.middleware import CAPACITY_PATH, CapacityApp

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "ENFORCE_ENV",
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

# The ledger of the endpoint running in this process (one per process, like the endpoint).
LEDGER = Ledger()


def enforce_by_default(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get(ENFORCE_ENV, "").strip().lower()
    return value != "unlimited"


class Running:
    """Metering (and enforcement, unless off) started with an endpoint."""

    def __init__(self, *, enforce: bool, clock: Clock) -> None:
        self.enforce = enforce
        self.buckets = Buckets(clock)
        self.ledger = LEDGER

    def wrap(self, app: WSGIApplication) -> CapacityApp:
        return CapacityApp(app, self.buckets, self.ledger, enforce=self.enforce)


def start(*, enforce: bool | None = None, clock: Clock = MONOTONIC) -> Running:
    """Meter (and, by default, enforce) DynamoDB capacity on the endpoint about to start."""
    reads.install()
    LEDGER.reset()
    return Running(enforce=enforce_by_default() if enforce is None else enforce, clock=clock)


def summary() -> str:
    """One line: consumed and provisioned units and throttled requests, per table and index."""
    return LEDGER.summary()


def counts(endpoint: str) -> dict[str, Any]:
    """The totals of the endpoint at `endpoint`, which may run in another process."""
    with urllib.request.urlopen(endpoint + CAPACITY_PATH, timeout=10) as response:  # noqa: S310
        found: dict[str, Any] = json.loads(response.read())
    return found
