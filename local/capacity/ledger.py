"""What the endpoint consumed and throttled, per table and index: the totals since it started (the
capacity line of `make demo`/`make local`) and what is not yet published to CloudWatch."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any, Final

from local.capacity.metering import Consumed

# (account, region, table, index or None)
Resource = tuple[str, str, str, str | None]


@dataclass
class Usage:
    consumed_read: float = 0.0
    consumed_write: float = 0.0
    read_throttle_events: int = 0
    write_throttle_events: int = 0
    provisioned_read: float = 0.0
    provisioned_write: float = 0.0

    def merge(self, other: Usage) -> None:
        """Add the other's consumption and throttles; take its provisioned units (the latest)."""
        for name in _COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.provisioned_read, self.provisioned_write = (
            other.provisioned_read,
            other.provisioned_write,
        )


_COUNTED: Final = (
    "consumed_read",
    "consumed_write",
    "read_throttle_events",
    "write_throttle_events",
)


@dataclass
class Window:
    """Usage per resource and throttled requests per (account, region, table, operation)."""

    usage: dict[Resource, Usage] = field(default_factory=dict)
    throttled_requests: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    system_errors: dict[tuple[str, str, str, str], int] = field(default_factory=dict)


_TIMINGS_KEPT = 10_000


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # the publisher thread drains what requests record
        self.totals = Window()
        self.pending = Window()
        # The layer's own time per metered request (not moto's), for `make bench`.
        self.seconds: list[float] = []

    def timed(self, elapsed_s: float) -> None:
        if len(self.seconds) < _TIMINGS_KEPT:
            self.seconds.append(elapsed_s)

    def _record(self, resource: Resource, usage: Usage) -> None:
        for window in (self.totals, self.pending):
            window.usage.setdefault(resource, Usage()).merge(usage)

    def consumed(
        self,
        where: tuple[str, str],
        consumed: Consumed,
        provisioned: dict[str | None, tuple[float, float]],
    ) -> None:
        account, region = where
        with self._lock:
            for index, (read, write) in provisioned.items():
                usage = Usage(provisioned_read=read, provisioned_write=write)
                if index is None:
                    usage.consumed_read, usage.consumed_write = consumed.read, consumed.write
                else:
                    usage.consumed_read = consumed.index_read.get(index, 0.0)
                    usage.consumed_write = consumed.index_write.get(index, 0.0)
                self._record((account, region, consumed.table, index), usage)

    def throttled(
        self,
        where: tuple[str, str],
        operation: str,
        events: list[tuple[str, str | None, str]],
        provisioned: dict[tuple[str, str | None], tuple[float, float]],
    ) -> None:
        """One throttled request; `events` are (table, index, "Read"/"Write") per item refused."""
        account, region = where
        with self._lock:
            tables = set()
            for table, index, kind in events:
                read, write = provisioned.get((table, index), (0.0, 0.0))
                usage = Usage(provisioned_read=read, provisioned_write=write)
                if kind == "Read":
                    usage.read_throttle_events = 1
                else:
                    usage.write_throttle_events = 1
                self._record((account, region, table, index), usage)
                tables.add(table)
            for table in tables:
                key = (account, region, table, operation)
                for window in (self.totals, self.pending):
                    window.throttled_requests[key] = window.throttled_requests.get(key, 0) + 1

    def system_error(self, where: tuple[str, str], table: str, operation: str) -> None:
        """A request moto could not serve (the client got an HTTP 500)."""
        key = (*where, table, operation)
        with self._lock:
            for window in (self.totals, self.pending):
                window.system_errors[key] = window.system_errors.get(key, 0) + 1

    def drain(self) -> Window:
        """What was recorded since the last drain (for the metrics publisher)."""
        with self._lock:
            drained, self.pending = self.pending, Window()
        return drained

    def reset(self) -> None:
        with self._lock:
            self.totals, self.pending = Window(), Window()
            self.seconds.clear()

    def counts(self) -> dict[str, Any]:
        """The totals as JSON-ready data: {table: {"table": {...}, "indexes": {name: {...}}}}."""
        with self._lock:
            found: dict[str, Any] = {}
            for (_, _, table, index), usage in sorted(
                self.totals.usage.items(), key=lambda kv: (kv[0][2], kv[0][3] or "")
            ):
                entry = found.setdefault(
                    table, {"table": None, "indexes": {}, "throttled_requests": 0}
                )
                shaped = dataclasses.asdict(usage)
                if index is None:
                    entry["table"] = shaped
                else:
                    entry["indexes"][index] = shaped
            for (_, _, table, _), count in self.totals.throttled_requests.items():
                found.setdefault(table, {"table": None, "indexes": {}, "throttled_requests": 0})
                found[table]["throttled_requests"] += count
            return found

    def summary(self) -> str:
        """One line: consumed and provisioned units and throttled requests per table and index."""
        counts = self.counts()
        if not counts:
            return "capacity: no DynamoDB reads or writes"
        parts = []
        for table, entry in counts.items():
            rows = [(table, entry["table"])] + [
                (f"{table}/{name}", usage) for name, usage in entry["indexes"].items()
            ]
            described = [
                f"{name} {_units(u['consumed_read'])} RCU / {_units(u['consumed_write'])} WCU "
                f"consumed ({_provisioned(u)})"
                for name, u in rows
                if u is not None
            ]
            throttled = entry["throttled_requests"]
            described[-1] += f", {throttled} throttled request{'' if throttled == 1 else 's'}"
            parts.append("; ".join(described))
        return "capacity: " + "; ".join(parts)


def _units(value: float) -> str:
    return f"{value:g}"


def _provisioned(usage: dict[str, float]) -> str:
    if not usage["provisioned_read"] and not usage["provisioned_write"]:
        return "on demand"
    return (
        f"{_units(usage['provisioned_read'])} RCU / {_units(usage['provisioned_write'])} WCU "
        "provisioned"
    )
