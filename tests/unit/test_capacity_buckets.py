"""Token buckets with burst (local/capacity/buckets.py), on a clock the test advances."""

from __future__ import annotations

from local.capacity.buckets import BURST_SECONDS, Buckets, TokenBucket


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_bucket_holds_300_seconds_of_its_rate() -> None:
    bucket = TokenBucket.full(rate=5, now=0)
    assert bucket.balance == 5 * BURST_SECONDS == 1500


def test_a_1_unit_bucket_admits_its_burst_then_one_unit_a_second() -> None:
    clock = ManualClock()
    bucket = Buckets(clock).bucket(("arn", "t0", None, "Write"), rate=1)
    admitted = 0
    while bucket.admits(1, 1, clock()):
        bucket.charge(1)
        admitted += 1
    assert admitted == 300
    clock.now += 1
    assert bucket.admits(1, 1, clock())
    bucket.charge(1)
    assert not bucket.admits(1, 1, clock())


def test_unused_capacity_is_kept_for_300_seconds_at_most() -> None:
    bucket = TokenBucket(balance=0, updated_at=0)
    assert bucket.refill(rate=2, now=100) == 200
    assert bucket.refill(rate=2, now=10_000) == 600


def test_a_read_charged_afterwards_may_overdraw_and_is_paid_back_first() -> None:
    bucket = TokenBucket(balance=1, updated_at=0)
    assert bucket.admits(rate=1, cost=0.5, now=0)
    bucket.charge(4)  # the page turned out to read 16 KB
    assert not bucket.admits(rate=1, cost=0.5, now=3)  # -3 + 3 = 0: still nothing to spend
    assert bucket.admits(rate=1, cost=0.5, now=3.5)


def test_a_request_larger_than_the_burst_needs_a_full_bucket() -> None:
    bucket = TokenBucket.full(rate=1, now=0)
    assert bucket.admits(rate=1, cost=400, now=0)
    bucket.charge(400)
    assert not bucket.admits(rate=1, cost=400, now=399)
    assert bucket.admits(rate=1, cost=400, now=400)


def test_a_lower_rate_clips_the_balance_to_its_own_burst() -> None:
    """UpdateTable down from 10 to 1: the bucket keeps at most 300 s of the new rate."""
    bucket = TokenBucket.full(rate=10, now=0)
    assert bucket.refill(rate=1, now=1) == 300


def test_a_table_re_created_under_the_same_name_gets_new_buckets() -> None:
    clock = ManualClock()
    buckets = Buckets(clock)
    old = buckets.bucket(("arn", "created-1", None, "Write"), rate=1)
    old.charge(300)
    new = buckets.bucket(("arn", "created-2", None, "Write"), rate=1)
    assert new.balance == 300
