"""Fakes for throttling tests: a clock that moves only when someone sleeps, a token bucket on it,
and the processor's port over an in-memory table whose writes are paid from that bucket.

A write the bucket cannot pay is refused the way DynamoDB refuses it (a botocore ClientError
ProvisionedThroughputExceededException, nothing written), so the code under test meets the same
exception type and fields as on AWS. Reads are not metered: the processor's throttling is on the
writes (one quiet conversation is 4 writes and 1 query).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from cruddur_messages import items, schema, timestamps
from cruddur_messages.models import Message, MessageGroup, User
from local.stream_events import synthetic_record
from stream_processor import logic
from stream_processor.budget import Budget

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def throttle_error(operation: str) -> ClientError:
    return ClientError(
        {
            "Error": {
                "Code": "ProvisionedThroughputExceededException",
                "Message": "The level of configured provisioned throughput for the table was "
                "exceeded. Consider increasing your provisioning level with the UpdateTable API.",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


class FakeClock:
    """Time passes only when a thread sleeps (each sleep moves the shared clock)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def budget(self, deadline_s: float) -> Budget:
        return Budget(remaining_s=lambda: deadline_s - self.now, sleep=self.sleep)


class TokenBucket:
    """`rate` units a second, holding at most `burst_s` seconds of them (DynamoDB keeps up to
    300 s of unused capacity); starts with `initial` units."""

    def __init__(
        self, clock: FakeClock, *, rate: float, burst_s: float = 0.0, initial: float = 0.0
    ) -> None:
        self._clock = clock
        self.rate = rate
        self.capacity = max(1.0, rate * burst_s)
        self.tokens = initial
        self._at = clock.now
        self.refused = 0

    def take(self, units: float = 1.0) -> bool:
        now = self._clock.now
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = now
        if self.tokens >= units:
            self.tokens -= units
            return True
        self.refused += 1
        return False


class CapacityTable:
    """`logic.GroupRows` over a dict of GRP# items; puts and deletes pay one unit each."""

    def __init__(self, bucket: TokenBucket, budget: Budget | None = None) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.bucket = bucket
        self.writes = 0
        # What was left of the budget when each call arrived (None: no budget given).
        self.remaining_at_calls: list[float] = []
        self._budget = budget
        self._lock = threading.Lock()

    def seed(self, group: MessageGroup) -> None:
        item = items.group_item(group)
        self.items[item[schema.PARTITION_KEY], item[schema.SORT_KEY]] = item

    def _arrive(self) -> None:
        if self._budget is not None:
            self.remaining_at_calls.append(self._budget.remaining_s())

    def query(self, group_uuid: str) -> Sequence[Mapping[str, Any]]:
        with self._lock:
            self._arrive()
            found = [i for i in self.items.values() if i[schema.GSI_PARTITION_KEY] == group_uuid]
            return sorted(found, key=lambda i: i[schema.SORT_KEY])

    def put(self, group: MessageGroup) -> None:
        with self._lock:
            self._arrive()
            if not self.bucket.take():
                raise throttle_error("PutItem")
            item = items.group_item(group)
            key = item[schema.PARTITION_KEY], item[schema.SORT_KEY]
            existing = self.items.get(key)
            if existing and existing[schema.GSI_PARTITION_KEY] != group.group_uuid:
                raise logic.RowKeyTakenError("the key holds another conversation's row")
            self.items[key] = item
            self.writes += 1

    def delete(self, key: logic.RowKey, group_uuid: str) -> None:
        with self._lock:
            self._arrive()
            if not self.bucket.take():
                raise throttle_error("DeleteItem")
            existing = self.items.get((key.pk, key.sk))
            if existing and existing[schema.GSI_PARTITION_KEY] == group_uuid:
                del self.items[key.pk, key.sk]
            self.writes += 1


@dataclass(frozen=True)
class Conversations:
    """`count` conversations of distinct users, seeded at START, and one new message each."""

    count: int

    def group(self, n: int) -> str:
        return str(uuid.UUID(int=10_000 + n))

    def users(self, n: int) -> tuple[User, User]:
        return tuple(  # type: ignore[return-value]
            User(
                uuid=str(uuid.UUID(int=2 * n + k + 1)), display_name=f"U{n}{k}", handle=f"u{n}_{k}"
            )
            for k in (0, 1)
        )

    def at(self, seconds: float) -> str:
        return timestamps.format_timestamp(START + timedelta(seconds=seconds))

    def seed(self, table: CapacityTable) -> None:
        for n in range(self.count):
            first, second = self.users(n)
            for owner, other in ((first, second), (second, first)):
                table.seed(
                    MessageGroup(
                        group_uuid=self.group(n),
                        owner_uuid=owner.uuid,
                        last_message_at=self.at(0),
                        last_message="hello",
                        other_user=other,
                    )
                )

    def messages(self) -> list[Message]:
        return [
            Message(
                message_uuid=str(uuid.uuid5(uuid.NAMESPACE_OID, self.group(n))),
                group_uuid=self.group(n),
                created_at=self.at(1),
                text=f"reply {n}",
                sender=self.users(n)[1],
            )
            for n in range(self.count)
        ]

    def records(self) -> list[dict[str, Any]]:
        return [
            synthetic_record(items.message_item(m), str(1000 + n))
            for n, m in enumerate(self.messages(), 1)
        ]

    def stale(self, table: CapacityTable) -> list[str]:
        """Conversations whose rows are not both at the new message."""
        at_new: dict[str, int] = {}
        for (_, sk), item in table.items.items():
            if sk == self.at(1):
                group = item[schema.GSI_PARTITION_KEY]
                at_new[group] = at_new.get(group, 0) + 1
        return [self.group(n) for n in range(self.count) if at_new.get(self.group(n)) != 2]
