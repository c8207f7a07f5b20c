"""The invocation's time budget: the SDK's limits and the margin they imply, derived in one place.

A DynamoDB call here is a few milliseconds; the limits below only decide how long a *broken* call
can hold a thread. Everything that waits (the SDK's attempts and backoff, the one index wait) must
end before the function's timeout, or Lambda kills the invocation, loses its partial batch
response and retries the whole batch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.config import Config

from cruddur_messages import schema

# Per attempt: 1 s to connect and 1 s per socket read, two orders of magnitude above a healthy
# call, whose request and response fit in one packet each.
CONNECT_TIMEOUT_S: Final = 1.0
READ_TIMEOUT_S: Final = 1.0
# The trap: in botocore's retries dict `max_attempts` counts *retries* (max_attempts=5 is 6
# attempts); `total_max_attempts` counts attempts, first one included. Three attempts in all.
TOTAL_MAX_ATTEMPTS: Final = 3
# Standard mode backs off before retry i (1-based) for up to base * 2**(i-1), base 1 s for
# throttling (25 ms for other DynamoDB errors): at most 1 s + 2 s here.
MAX_BACKOFF_S: Final = float(sum(2**i for i in range(TOTAL_MAX_ATTEMPTS - 1)))
# One call's worst case: every attempt times out connecting and reading, with the longest backoff
# between them: 3 * (1 + 1) + 3 = 9 s.
CALL_WORST_S: Final = TOTAL_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) + MAX_BACKOFF_S
# After the last call: log the summary and return the response.
ANSWER_S: Final = 0.5
# Conversations in flight at once. A request costs ~0.5 ms of CPU against a ~5 ms round trip, so
# ~10 in flight hide the wait; 20 leave room for the GIL's hand-offs (make bench: 10 threads kept
# ~0.7 of the 0 ms rate at 5 ms, 20 kept ~0.9). The pool holds one connection per thread, so no
# thread waits for a connection and none is opened and thrown away.
WORKERS: Final = 20


def client_config() -> Config:
    # Built from a dict: the botocore stubs predate total_max_attempts.
    options: dict[str, Any] = dict(
        retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
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
    call_worst_s: float = CALL_WORST_S
    answer_s: float = ANSWER_S

    @property
    def margin_s(self) -> float:
        return self.call_worst_s + self.answer_s

    def room_for_call(self) -> bool:
        """A call may start only if its worst case still ends before the margin's end."""
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
