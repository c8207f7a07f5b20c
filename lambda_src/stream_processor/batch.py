"""One batch: its conversations concurrently, inside the invocation's time, failures reported.

Each conversation runs whole on one thread of a bounded pool (its query, puts and deletes in
order); conversations share nothing but the table, and the conditional writes keep a shared
participant's rows apart. How many run at once follows the table's throttles (concurrency.py);
every call goes through calls.py, which waits throttles out and never lets an attempt start
whose worst case would end past the budget's margin: a conversation that runs out of time, or
never got a slot, is reported, so the invocation always answers in time. Conversations whose rows
are not in the index yet get one wait, all together, then one more try; what still lags is
reported, and Lambda retries it from its earliest record.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from cruddur_messages import timestamps
from cruddur_messages.models import MessageGroup
from stream_processor import logic
from stream_processor.budget import Budget
from stream_processor.calls import OutOfTimeError, PatientRows, ThrottleCount
from stream_processor.concurrency import AdaptiveConcurrency
from stream_processor.logic import ConversationUpdate, GroupRows

# A new conversation's rows reach the GSI a moment after the transaction that wrote them ("within
# a fraction of a second" normally). One wait per invocation spares those conversations a retry.
INDEX_WAIT_S: Final = 1.0


@dataclass(frozen=True)
class ConversationFailure:
    """A conversation reported by its earliest sequence number, for Lambda to retry. `error` is
    an AWS error code, an exception's name, OUT_OF_TIME or INDEX_LAG: never message text."""

    group_uuid: str
    sequence_number: str
    error: str


# The processor's own failure names: its time ran out (OutOfTimeError), or the rows still lag.
OUT_OF_TIME: Final = "OutOfTime"
INDEX_LAG: Final = "IndexNotCaughtUp"


@dataclass(frozen=True)
class SkippedConversation:
    """A conversation whose rows contradict its message: logged, never retried (a retry cannot
    fix data)."""

    group_uuid: str
    sequence_number: str
    reason: str


@dataclass
class BatchResult:
    """What one batch did; `batch_item_failures` is the partial batch response."""

    batch_size: int
    groups_updated: int = 0
    groups_unchanged: int = 0
    rows_put: int = 0
    rows_deleted: int = 0
    index_wait_s: float = 0.0
    # Throttled attempts that were waited out and tried again, and the lowest concurrency limit
    # the batch ran under (the pool's size when the table never throttled).
    throttles: int = 0
    concurrency_low: int = 0
    skipped_records: list[logic.SkippedRecord] = field(default_factory=list)
    skipped_conversations: list[SkippedConversation] = field(default_factory=list)
    failures: list[ConversationFailure] = field(default_factory=list)

    def batch_item_failures(self) -> list[dict[str, str]]:
        seen: dict[str, None] = dict.fromkeys(f.sequence_number for f in self.failures)
        return [{"itemIdentifier": sequence_number} for sequence_number in seen]

    def response(self) -> dict[str, list[dict[str, str]]]:
        return {"batchItemFailures": self.batch_item_failures()}


def describe_error(error: BaseException) -> str:
    """A short, text-free description: the AWS error code when there is one."""
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    if isinstance(error, OutOfTimeError):
        return OUT_OF_TIME
    return type(error).__name__


class _Kind(enum.Enum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    LAGGING = "lagging"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class _Outcome:
    update: ConversationUpdate
    kind: _Kind = _Kind.UNCHANGED
    rows_put: int = 0
    rows_deleted: int = 0
    detail: str = ""


def _next_microsecond(sk: str) -> str:
    return timestamps.format_timestamp(timestamps.parse_timestamp(sk) + timedelta(microseconds=1))


# A participant's rows of two conversations share the GRP# partition, keyed by time: when both
# conversations' last messages have the same microsecond, the later put takes the next free one.
MAX_KEY_ATTEMPTS: Final = 3


def _put_with_free_key(rows: PatientRows, group: MessageGroup) -> None:
    for _ in range(MAX_KEY_ATTEMPTS - 1):
        try:
            rows.put(group)
        except logic.RowKeyTakenError:
            group = dataclasses.replace(
                group, last_message_at=_next_microsecond(group.last_message_at)
            )
        else:
            return
    rows.put(group)


@dataclass(frozen=True)
class _Run:
    """What every conversation of one batch shares."""

    rows: GroupRows
    budget: Budget | None
    concurrency: AdaptiveConcurrency
    throttles: ThrottleCount

    def patient(self) -> PatientRows:
        return PatientRows(
            self.rows, self.budget, concurrency=self.concurrency, throttles=self.throttles
        )

    def slot_allowance_s(self) -> float:
        return math.inf if self.budget is None else self.budget.wait_allowance_s(math.inf)


def _update(update: ConversationUpdate, run: _Run) -> _Outcome:
    """One conversation, start to end, on the calling thread, once a slot is free."""
    outcome = _Outcome(update)
    if not run.concurrency.acquire(run.slot_allowance_s):
        outcome.kind, outcome.detail = _Kind.FAILED, OUT_OF_TIME
        return outcome
    try:
        return _update_in_slot(update, run.patient(), outcome)
    finally:
        run.concurrency.release()


def _update_in_slot(update: ConversationUpdate, rows: PatientRows, outcome: _Outcome) -> _Outcome:
    try:
        plan = logic.plan_rows(update.message, rows.query(update.group_uuid))
        for group in plan.puts:
            _put_with_free_key(rows, group)
            outcome.rows_put += 1
        for key in plan.deletes:
            rows.delete(key, update.group_uuid)
            outcome.rows_deleted += 1
    except logic.IndexNotCaughtUpError:
        outcome.kind = _Kind.LAGGING
    except logic.UnprocessableConversationError as error:
        outcome.kind, outcome.detail = _Kind.SKIPPED, str(error)
    except Exception as error:
        # One conversation's failure must not hold back the others: report it and go on.
        outcome.kind, outcome.detail = _Kind.FAILED, describe_error(error)
    else:
        outcome.kind = _Kind.UNCHANGED if plan.is_empty else _Kind.UPDATED
    return outcome


def _update_all(updates: Sequence[ConversationUpdate], run: _Run, workers: int) -> list[_Outcome]:
    if workers <= 1 or len(updates) <= 1:
        return [_update(update, run) for update in updates]
    with ThreadPoolExecutor(max_workers=min(workers, len(updates))) as pool:
        return list(pool.map(lambda update: _update(update, run), updates))


def process_batch(
    records: Sequence[Any],
    rows: GroupRows,
    *,
    budget: Budget | None = None,
    workers: int = 1,
    concurrency: AdaptiveConcurrency | None = None,
) -> BatchResult:
    """Bring every conversation of the batch to its newest message.

    A conversation whose query or writes fail, that ran out of time, or whose rows are still not
    in the index after the wait, is reported by its earliest sequence number; Lambda retries from
    the lowest reported one, so later records of other conversations are processed again, which
    is harmless (an equal sk is a no-op). Without a budget there is no deadline and no index wait.
    `concurrency` (default: a new one the size of the pool) caps the conversations in flight.
    """
    result = BatchResult(batch_size=len(records))
    parsed: list[logic.MessageRecord] = []
    for record in records:
        classified = logic.parse_record(record)
        if isinstance(classified, logic.SkippedRecord):
            result.skipped_records.append(classified)
        else:
            parsed.append(classified)

    run = _Run(rows, budget, concurrency or AdaptiveConcurrency(max(1, workers)), ThrottleCount())
    outcomes = _update_all(logic.newest_per_conversation(parsed), run, workers)
    lagging = [o.update for o in outcomes if o.kind is _Kind.LAGGING]
    if lagging and budget is not None:
        result.index_wait_s = budget.wait_allowance_s(INDEX_WAIT_S)
        if result.index_wait_s > 0:
            budget.sleep(result.index_wait_s)
            retried = {o.update.group_uuid: o for o in _update_all(lagging, run, workers)}
            outcomes = [retried.get(o.update.group_uuid, o) for o in outcomes]
    for outcome in outcomes:
        _tally(result, outcome)
    result.throttles = run.throttles.value
    result.concurrency_low = run.concurrency.take_lowest()
    return result


def _tally(result: BatchResult, outcome: _Outcome) -> None:
    update = outcome.update
    result.rows_put += outcome.rows_put
    result.rows_deleted += outcome.rows_deleted
    if outcome.kind is _Kind.UPDATED:
        result.groups_updated += 1
    elif outcome.kind is _Kind.UNCHANGED:
        result.groups_unchanged += 1
    elif outcome.kind is _Kind.SKIPPED:
        result.skipped_conversations.append(
            SkippedConversation(update.group_uuid, update.first_sequence_number, outcome.detail)
        )
    else:
        error = INDEX_LAG if outcome.kind is _Kind.LAGGING else outcome.detail
        result.failures.append(
            ConversationFailure(update.group_uuid, update.first_sequence_number, error)
        )
