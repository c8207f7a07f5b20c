"""Consumed read capacity of the queries a command makes, as reported and as estimated.

The store's methods return models, not responses, so the meter hooks the boto3 client instead:
it asks for `ReturnConsumedCapacity=TOTAL` on every Query/Scan and adds up what comes back. Some
local servers do not report capacity, and moto reports a flat 1.0 per request whatever it read,
so the meter also estimates it from the size of the items read, by DynamoDB's documented rules
(tools/item_sizes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.item_sizes import item_size, read_units


@dataclass
class CapacityMeter:
    """Totals over every Query/Scan request made through the clients it is attached to."""

    requests: int = 0
    reported_units: float = 0.0
    unreported_requests: int = 0
    bytes_read: int = 0
    estimated_units: float = 0.0
    # DynamoDB bills a read by the whole items it reads, whatever a projection returns: the size
    # of a projected response is less than what was billed, so the estimate is a lower bound.
    projected_requests: int = 0
    _consistent: bool = field(default=False, repr=False)
    _projected: bool = field(default=False, repr=False)

    def attach(self, client: Any, operations: tuple[str, ...] = ("Query", "Scan")) -> None:
        events = client.meta.events
        for operation in operations:
            events.register(f"before-parameter-build.dynamodb.{operation}", self._before)
            events.register(f"after-call.dynamodb.{operation}", self._after)

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")
        self._consistent = bool(params.get("ConsistentRead", False))
        self._projected = "ProjectionExpression" in params or params.get("Select") not in (
            None,
            "ALL_ATTRIBUTES",
        )

    def _after(self, parsed: Mapping[str, Any], **_: Any) -> None:
        consistent, self._consistent = self._consistent, False
        projected, self._projected = self._projected, False
        if "Error" in parsed:
            return
        self.requests += 1
        self.projected_requests += projected
        page_bytes = sum(item_size(item) for item in parsed.get("Items", []))
        self.bytes_read += page_bytes
        self.estimated_units += read_units(page_bytes, consistent=consistent)
        capacity = parsed.get("ConsumedCapacity")
        if isinstance(capacity, Mapping) and "CapacityUnits" in capacity:
            self.reported_units += float(capacity["CapacityUnits"])
        else:
            self.unreported_requests += 1

    @property
    def reported(self) -> float | None:
        """The endpoint's total, or None when any request came back without one."""
        if self.requests == 0 or self.unreported_requests:
            return None
        return self.reported_units

    def summary(self) -> str:
        reported = "n/a (not reported by the endpoint)"
        if self.reported is not None:
            reported = f"{self.reported:g} RCU reported by the endpoint"
        plural = "" if self.requests == 1 else "s"
        at_least = "at least " if self.projected_requests else ""
        return (
            f"consumed capacity: {reported}; estimated from item sizes: "
            f"{at_least}{self.estimated_units:g} RCU ({self.bytes_read:,} bytes, "
            f"{self.requests} request{plural})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "reported_rcu": self.reported,
            "estimated_rcu": self.estimated_units,
            "bytes_read": self.bytes_read,
            "requests": self.requests,
            "estimate_is_lower_bound": bool(self.projected_requests),
        }
