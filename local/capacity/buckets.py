"""Token buckets at a table's or an index's provisioned rate, with DynamoDB's burst capacity.

"Burst capacity" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/burst-adaptive-capacity.html):
"DynamoDB currently retains up to 5 minutes (300 seconds) of unused read and write capacity",
so a bucket refills at the provisioned rate and holds at most 300 seconds of it.

Decisions AWS does not document, taken here:
- A new bucket starts full (300 s of capacity), as a table that has been idle for five minutes:
  the usual state of a table before a test, a demo or a deploy's first write. A test that needs a
  spent burst spends it (or drives the injected clock).
- A request is admitted when the bucket holds what it is known to cost before it runs (a put's
  or a delete's exact cost; at least one unit for a read whose size is known only afterwards);
  then it is charged what it did cost, which may take the balance below zero: the bucket refills
  from there before the next request is admitted, as DynamoDB charges a Query by what it read.
- A request that costs more than the bucket can ever hold needs a full bucket.
- Capacity changes (UpdateTable) take effect on the next request: the rate is read from the
  deployed table every time; a lower capacity clips the balance to its new 300 seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Clock = Callable[[], float]  # seconds, monotonic; tests pass a clock they advance by hand

BURST_SECONDS: Final = 300.0
MONOTONIC: Final[Clock] = time.monotonic


@dataclass
class TokenBucket:
    balance: float
    updated_at: float

    @classmethod
    def full(cls, rate: float, now: float) -> TokenBucket:
        return cls(balance=rate * BURST_SECONDS, updated_at=now)

    def refill(self, rate: float, now: float) -> float:
        """The balance now, after refilling at `rate` units per second since the last call."""
        ceiling = rate * BURST_SECONDS
        elapsed = max(0.0, now - self.updated_at)
        self.balance = min(ceiling, self.balance + elapsed * rate)
        self.updated_at = now
        return self.balance

    def admits(self, rate: float, cost: float, now: float) -> bool:
        needed = min(cost, rate * BURST_SECONDS)
        return self.refill(rate, now) >= needed and self.balance > 0

    def charge(self, units: float) -> None:
        self.balance -= units


Key = tuple[str, str, str | None, str]  # (table ARN, created at, index or None, "read"/"write")


class Buckets:
    """Every table's and index's buckets, created on first use."""

    def __init__(self, clock: Clock = MONOTONIC) -> None:
        self.clock = clock
        self._buckets: dict[Key, TokenBucket] = {}

    def bucket(self, key: Key, rate: float) -> TokenBucket:
        found = self._buckets.get(key)
        if found is None:
            found = self._buckets[key] = TokenBucket.full(rate, self.clock())
        return found

    def forget(self, keep: Callable[[Key], bool]) -> None:
        """Drop the buckets of tables that no longer exist."""
        self._buckets = {key: b for key, b in self._buckets.items() if keep(key)}
