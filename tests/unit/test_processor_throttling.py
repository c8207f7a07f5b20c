"""The processor under its table's capacity: throttles waited out inside the budget, fewer
conversations in flight while throttled, and no shared retry quota (through the real client)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from throttling_fakes import CapacityTable, Conversations, FakeClock, TokenBucket

from bench import processor_throughput as scenarios
from bench.fake_dynamodb import FakeDynamoDB, _error
from cruddur_messages import schema
from local import cloud
from stream_processor import batch, budget, config
from stream_processor import handler as handler_module
from stream_processor.calls import THROTTLE_RETRIES_WITHOUT_DEADLINE, PatientRows
from stream_processor.concurrency import AdaptiveConcurrency
from stream_processor.logic import RowKey


def test_a_throttled_batch_is_waited_out_and_finishes_inside_the_budget() -> None:
    """10 conversations (40 writes) on a 5-WCU table with its burst spent: every conversation
    reaches its new message in one invocation; the waits are the refills, not give-ups."""
    clock = FakeClock()
    conversations = Conversations(10)
    table = CapacityTable(TokenBucket(clock, rate=5))
    conversations.seed(table)
    result = batch.process_batch(conversations.records(), table, budget=clock.budget(30))
    assert result.failures == [] and conversations.stale(table) == []
    assert result.groups_updated == 10 and table.writes == 40
    assert result.throttles == table.bucket.refused > 0
    # The table's capacity bounds the time (40 writes at 5 a second: 8 s); never the margin.
    assert 40 / 5 <= clock.now < 30 - budget.ATTEMPT_WORST_S - budget.ANSWER_S


def test_a_table_without_capacity_ends_the_batch_in_time_with_every_conversation_reported() -> None:
    """Throttled without end: the waits stop where one attempt still fits before the margin,
    no attempt starts inside it, and every conversation is reported by its record."""
    clock = FakeClock()
    conversations = Conversations(3)
    deadline = 10.0
    run_budget = clock.budget(deadline)
    table = CapacityTable(TokenBucket(clock, rate=0), budget=run_budget)
    conversations.seed(table)
    records = conversations.records()
    result = batch.process_batch(records, table, budget=run_budget)
    assert [f.error for f in result.failures] == [batch.OUT_OF_TIME] * 3
    assert [f["itemIdentifier"] for f in result.response()["batchItemFailures"]] == [
        r["dynamodb"]["SequenceNumber"] for r in records
    ]
    assert min(table.remaining_at_calls) > run_budget.margin_s
    assert clock.now <= deadline - run_budget.margin_s
    assert result.throttles == table.bucket.refused


def test_waits_follow_full_jitter_backoff_capped_at_one_second() -> None:
    backoff = budget.THROTTLE_BACKOFF
    assert [backoff.ceiling_s(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [
        0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0
    ]  # fmt: skip

    class Highest:
        @staticmethod
        def uniform(low: float, high: float) -> float:
            return high

    assert backoff.delay_s(9, Highest()) == 1.0


def test_a_throttle_halves_the_limit_once_per_wave_and_calm_brings_it_back() -> None:
    now = [0.0]
    limit = AdaptiveConcurrency(20, clock=lambda: now[0], decrease_interval_s=0.2)
    limit.throttled()
    limit.throttled()  # the same wave of refusals: counted once
    assert limit.limit == 10
    now[0] = 0.3
    limit.throttled()
    assert limit.limit == 5
    for _ in range(5):
        limit.succeeded()
    assert limit.limit == 5  # +1/limit a call: about +1 per round of calls at the limit
    limit.succeeded()
    assert limit.limit == 6
    for _ in range(1000):
        limit.succeeded()
    assert limit.limit == 20  # back to the pool, never above
    assert limit.take_lowest() == 5 and limit.take_lowest() == 20
    for step in range(10):
        now[0] = 1 + step
        limit.throttled()
    assert limit.limit == 1  # never below one conversation


def test_a_full_limit_makes_the_next_conversation_wait_and_gives_up_when_time_is_up() -> None:
    limit = AdaptiveConcurrency(1)
    assert limit.acquire(lambda: 1.0)
    assert not limit.acquire(lambda: 0.0)
    freed = threading.Timer(0.05, limit.release)
    freed.start()
    assert limit.acquire(lambda: 5.0)  # woken by the release, not by the timeout
    freed.join()


def test_a_throttled_pool_runs_fewer_conversations_at_once_and_still_finishes() -> None:
    """20 threads on a 5-WCU table: the limit falls from the pool's 20 while throttled (so the
    threads do not stampede the refills), and every conversation still ends updated."""
    clock = FakeClock()
    conversations = Conversations(30)
    table = CapacityTable(TokenBucket(clock, rate=5))
    conversations.seed(table)
    limit = AdaptiveConcurrency(config.WORKERS, clock=lambda: clock.now)
    result = batch.process_batch(
        conversations.records(),
        table,
        budget=clock.budget(10_000),
        workers=config.WORKERS,
        concurrency=limit,
    )
    assert result.failures == [] and conversations.stale(table) == []
    assert result.throttles > 0
    assert result.concurrency_low <= config.WORKERS // 4


def test_without_a_deadline_throttles_are_still_waited_out_but_not_forever() -> None:
    """A replay from the command line has no deadline: it waits throttles out too, up to a
    fixed number of retries, then the throttle is the conversation's error."""
    clock = FakeClock()
    conversations = Conversations(1)
    table = CapacityTable(TokenBucket(clock, rate=0))
    conversations.seed(table)
    rows = PatientRows(table, None, sleep=clock.sleep)
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        rows.delete(RowKey("GRP#someone", conversations.at(0)), conversations.group(0))
    assert table.bucket.refused == THROTTLE_RETRIES_WITHOUT_DEADLINE + 1
    assert 0 < clock.now <= THROTTLE_RETRIES_WITHOUT_DEADLINE * budget.THROTTLE_BACKOFF.cap_s


class RefusingFirst(FakeDynamoDB):
    """The HTTP-level fake, refusing its first `refusals` writes as a throttled table does."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals
        self._refusing = threading.Lock()

    def _dispatch(self, operation: str, body: Any) -> tuple[int, dict[str, Any]]:
        if operation in ("PutItem", "DeleteItem") and self.refusals > 0:
            self.refusals -= 1
            return _error("ProvisionedThroughputExceededException")
        return super()._dispatch(operation, body)


@pytest.fixture
def processor() -> Iterator[None]:
    names = {schema.TABLE_NAME_ENV: scenarios.TABLE, schema.GSI_NAME_ENV: schema.GSI_NAME}
    # names() and client() are cached by the environment they come from; the concurrency limit is
    # per execution environment, so each test starts from the pool's size.
    with cloud.offline_environ(extra=names):
        handler_module.concurrency.cache_clear()
        yield
    handler_module.concurrency.cache_clear()


def test_more_throttles_than_botocores_retry_quota_holds_are_all_waited_out(
    processor: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real handler and client: 150 refusals, more than the 100 throttled retries a
    standard-mode client's shared quota (500 tokens, 5 each) would allow, and no conversation
    fails; the batch line counts every throttle waited out. (The handler's waits run 20 times
    faster here: their number is the point, not their length.)"""
    monkeypatch.setattr(handler_module, "time", SimpleNamespace(sleep=lambda s: time.sleep(s / 20)))
    fake = RefusingFirst(150)
    quiet = scenarios.quiet_batch(fake)
    caplog.set_level("INFO", logger=handler_module.__name__)
    started = time.monotonic()
    with fake.attached(handler_module.client()):
        response = handler_module.handler({"Records": quiet.records}, scenarios.Context(30))
    assert time.monotonic() - started < 30
    assert response == {"batchItemFailures": []}
    (line,) = [r for r in caplog.records if r.getMessage() == "batch processed"]
    assert line.throttles == 150  # type: ignore[attr-defined]
    assert line.concurrency_low < config.WORKERS  # type: ignore[attr-defined]
