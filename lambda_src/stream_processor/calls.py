"""Every DynamoDB call of a conversation: inside the budget, throttles waited out, rare errors
retried, and the table's answer told to the concurrency limit.

botocore makes one attempt per call (`config.client_config`); the attempts are made here:

- before each attempt, its worst case (`budget.ATTEMPT_WORST_S`) must end before the margin,
  or the conversation stops with OutOfTimeError and is reported for Lambda to retry;
- a throttle is waited out with full-jitter backoff (`budget.THROTTLE_BACKOFF`), each wait cut to
  what the budget allows, for as long as there is time: nothing else ends the attempts, so a
  throttled conversation never fails while the invocation still has time to give it;
- a transient error (5xx, a lost connection, a read timeout) gets `retries.TRANSIENT_ATTEMPTS`;
- anything else (a condition, access denied, validation) is the port's answer or the
  conversation's failure, at once.

The puts' and deletes' conditions make every retry safe: a put whose first attempt did commit
finds its own row (the condition admits this conversation's row), and a delete finds the row
gone, which the port already treats as done.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from cruddur_messages import retries
from cruddur_messages.models import MessageGroup
from stream_processor import budget as budget_module
from stream_processor.budget import Budget
from stream_processor.concurrency import AdaptiveConcurrency
from stream_processor.logic import GroupRows, RowKey

T = TypeVar("T")

# With no deadline (a replay from the command line), throttles are still waited out, but not
# forever: about 30 s of capped backoff, then the error stands.
THROTTLE_RETRIES_WITHOUT_DEADLINE: Final = 60


class OutOfTimeError(Exception):
    """The next attempt's worst case would end past the invocation's margin."""


class ThrottleCount:
    """Throttles waited out in one batch, counted across the pool's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


class PatientRows:
    """The port, with every call made through `attempt`."""

    def __init__(
        self,
        rows: GroupRows,
        budget: Budget | None,
        *,
        concurrency: AdaptiveConcurrency | None = None,
        throttles: ThrottleCount | None = None,
        backoff: retries.Backoff = budget_module.THROTTLE_BACKOFF,
        rng: Any = random,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._rows = rows
        self._budget = budget
        self._concurrency = concurrency
        self._throttles = throttles or ThrottleCount()
        self._backoff = backoff
        self._rng = rng
        self._sleep = sleep or (budget.sleep if budget is not None else time.sleep)

    def query(self, group_uuid: str) -> Sequence[Mapping[str, Any]]:
        return self.attempt(self._rows.query, group_uuid)

    def put(self, group: MessageGroup) -> None:
        self.attempt(self._rows.put, group)

    def delete(self, key: RowKey, group_uuid: str) -> None:
        self.attempt(self._rows.delete, key, group_uuid)

    def attempt(self, call: Callable[..., T], *args: Any) -> T:
        throttled = transient = 0
        while True:
            if self._budget is not None and not self._budget.room_for_call():
                raise OutOfTimeError
            try:
                result = call(*args)
            except Exception as error:
                if retries.is_throttle(error):
                    throttled += 1
                    if self._concurrency is not None:
                        self._concurrency.throttled()
                    if self._budget is None and throttled > THROTTLE_RETRIES_WITHOUT_DEADLINE:
                        raise
                    self._throttles.add()
                    self._wait(self._backoff.delay_s(throttled, self._rng))
                elif retries.is_transient(error) and transient + 1 < retries.TRANSIENT_ATTEMPTS:
                    transient += 1
                    self._wait(self._backoff.delay_s(transient, self._rng))
                else:
                    raise
            else:
                if self._concurrency is not None:
                    self._concurrency.succeeded()
                return result

    def _wait(self, wanted_s: float) -> None:
        """Cut to what leaves room for one more attempt; no room at all ends the attempts (an
        attempt without its backoff would only meet the same empty bucket)."""
        wait_s = wanted_s if self._budget is None else self._budget.wait_allowance_s(wanted_s)
        if wait_s <= 0 and wanted_s > 0:
            raise OutOfTimeError
        if wait_s > 0:
            self._sleep(wait_s)
