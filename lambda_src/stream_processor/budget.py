"""The invocation's time budget: the SDK's limits and the margin they imply, derived in one place.

A DynamoDB call here is a few milliseconds; the limits below only decide how long a *broken*
attempt can hold a thread. Everything that waits (attempts, throttling backoff, a free slot, the
one index wait) must end before the function's timeout, or Lambda kills the invocation, loses its
partial batch response and retries the whole batch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.config import Config

from cruddur_messages import retries, schema

# Per attempt: 1 s to connect and 1 s per socket read, two orders of magnitude above a healthy
# call, whose request and response fit in one packet each.
CONNECT_TIMEOUT_S: Final = 1.0
READ_TIMEOUT_S: Final = 1.0
# botocore makes one attempt per call (retries.SINGLE_ATTEMPT); the retries are the processor's
# own (calls.py), each attempt checked against the budget before it starts and each wait cut to
# what the budget allows. So the worst case the margin must hold is one attempt, not a call.
ATTEMPT_WORST_S: Final = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
# After the last attempt: log the summary and return the response.
ANSWER_S: Final = 0.5
# Threads, each running one conversation at a time. A request costs ~0.5 ms of CPU against a
# ~5 ms round trip, so ~10 in flight hide the wait; 20 leave room for the GIL's hand-offs (make
# bench: 10 threads kept ~0.7 of the 0 ms rate at 5 ms, 20 kept ~0.9). The pool holds one
# connection per thread, so no thread waits for a connection and none is opened and thrown away.
# How many of them may run at once is decided by concurrency.py, from the table's throttles.
WORKERS: Final = 20
# Throttled requests: full-jitter backoff from 50 ms, doubling to at most 1 s: a provisioned
# table refills its bucket every second, so a longer wait only leaves capacity unused.
THROTTLE_BACKOFF: Final = retries.Backoff(base_s=0.05, cap_s=1.0)


def client_config() -> Config:
    # Built from a dict: the botocore stubs predate total_max_attempts.
    options: dict[str, Any] = dict(
        retries=dict(retries.SINGLE_ATTEMPT),
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=WORKERS,
        # Every request is built by group_rows.py from validated models, and DynamoDB validates it
        # again; the client-side check was ~8% of the processor's CPU under cProfile.
        parameter_validation=False,
    )
    return Config(**options)


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


class ConfigurationError(RuntimeError):
    """The function's environment lacks what it needs: it must not start."""


@dataclass(frozen=True)
class Names:
    table: str
    index: str


REQUIRED_ENV: Final = (schema.TABLE_NAME_ENV, schema.GSI_NAME_ENV)


def names_from(environ: Mapping[str, str] | None = None) -> Names:
    """The table and index the function works on, from its environment; no defaults here (the
    tools' default table would silently point a deployed function at the wrong one)."""
    env = os.environ if environ is None else environ
    missing = [name for name in REQUIRED_ENV if not env.get(name, "").strip()]
    if missing:
        raise ConfigurationError(
            f"the stream processor needs {' and '.join(missing)} in its environment "
            "(set by the stack); refusing to start"
        )
    return Names(env[schema.TABLE_NAME_ENV].strip(), env[schema.GSI_NAME_ENV].strip())
