"""The invocation's time budget: the margin the client's limits (config.py) imply, and the waits.

A DynamoDB call here is a few milliseconds; the client's limits only decide how long a *broken*
attempt can hold a thread. Everything that waits (attempts, throttling backoff, a free slot, the
one index wait) must end before the function's timeout, or Lambda kills the invocation, loses its
partial batch response and retries the whole batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from cruddur_messages import retries
from stream_processor import config

# botocore makes one attempt per call (retries.SINGLE_ATTEMPT); the retries are the processor's
# own (calls.py), each attempt checked against the budget before it starts and each wait cut to
# what the budget allows. So the worst case the margin must hold is one attempt, not a call.
ATTEMPT_WORST_S: Final = config.CONNECT_TIMEOUT_S + config.READ_TIMEOUT_S
# After the last attempt: log the summary and return the response.
ANSWER_S: Final = 0.5
# Throttled requests: full-jitter backoff from 50 ms, doubling to at most 1 s: a provisioned
# table refills its bucket every second, so a longer wait only leaves capacity unused.
THROTTLE_BACKOFF: Final = retries.Backoff(base_s=0.05, cap_s=1.0)


@dataclass(frozen=True)
class Budget:
    """What is left of the invocation, and what must stay in hand when nothing more may start."""

    remaining_s: Callable[[], float]
    sleep: Callable[[float], None]
    attempt_worst_s: float = ATTEMPT_WORST_S
    answer_s: float = ANSWER_S

    @property
    def margin_s(self) -> float:
        return self.attempt_worst_s + self.answer_s

    def room_for_call(self) -> bool:
        """An attempt may start only if its worst case still ends before the margin's end."""
        return self.remaining_s() > self.margin_s

    def wait_allowance_s(self, wanted_s: float) -> float:
        """How long a wait may last and still leave room for one call after it (0: none)."""
        return max(0.0, min(wanted_s, self.remaining_s() - self.margin_s - 0.1))


def for_context(context: Any, sleep: Callable[[float], None]) -> Budget:
    """The budget of a Lambda invocation; a context without a deadline (a direct call in a
    script) gets an unbounded one."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return Budget(remaining_s=lambda: math.inf, sleep=sleep)
    return Budget(remaining_s=lambda: remaining_ms() / 1000, sleep=sleep)
