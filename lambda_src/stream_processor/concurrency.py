"""How many conversations may run at once: additive increase, multiplicative decrease (AIMD).

The pool has `WORKERS` threads, enough to hide round trips on an idle table; a 5-WCU table
throttled by 20 conversations at once only refuses 19 of them and makes them all back off. So a
throttle halves the limit (at most once per `DECREASE_INTERVAL_S`, so that one wave of refusals
counts once), and each call that goes through raises it by 1/limit, about +1 per round of
calls: the limit settles near what the table's capacity sustains, and climbs back to the pool
size when the throttling stops (TCP's congestion control, applied to a table). One instance
lives per execution environment, so the next batch starts where the last one left off.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Final

# Throttles within this interval belong to the same wave of requests (they were all in flight
# when the table ran out): they halve the limit once.
DECREASE_INTERVAL_S: Final = 0.2


class AdaptiveConcurrency:
    """A semaphore whose size follows the table's throttles; thread-safe."""

    def __init__(
        self,
        maximum: int,
        *,
        minimum: int = 1,
        clock: Callable[[], float] = time.monotonic,
        decrease_interval_s: float = DECREASE_INTERVAL_S,
    ) -> None:
        if not 1 <= minimum <= maximum:
            raise ValueError(f"need 1 <= minimum <= maximum, got {minimum} and {maximum}")
        self.maximum = maximum
        self.minimum = minimum
        self._limit = float(maximum)
        self._lowest = float(maximum)
        self._in_flight = 0
        self._clock = clock
        self._interval_s = decrease_interval_s
        self._last_decrease = -math.inf
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        """Conversations that may run at once now."""
        return int(self._limit)

    def take_lowest(self) -> int:
        """The lowest limit since the last call (for the batch's log line), then reset to now."""
        with self._changed:
            lowest, self._lowest = int(self._lowest), self._limit
        return lowest

    def acquire(self, allowance_s: Callable[[], float]) -> bool:
        """Wait for a free slot, for at most what `allowance_s()` says may still be waited (it is
        asked again after every wake-up); False when the time ran out first."""
        with self._changed:
            while self._in_flight >= int(self._limit):
                wait_s = allowance_s()
                if wait_s <= 0:
                    return False
                self._changed.wait(timeout=None if math.isinf(wait_s) else wait_s)
            self._in_flight += 1
            return True

    def release(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify()

    def throttled(self) -> None:
        with self._changed:
            now = self._clock()
            if now - self._last_decrease < self._interval_s:
                return
            self._last_decrease = now
            self._limit = max(float(self.minimum), self._limit / 2)
            self._lowest = min(self._lowest, self._limit)

    def succeeded(self) -> None:
        with self._changed:
            before = int(self._limit)
            self._limit = min(float(self.maximum), self._limit + 1 / self._limit)
            if int(self._limit) > before:
                self._changed.notify()
