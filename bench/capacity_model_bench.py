"""Part `capacity_model` of `make bench`: the capacity model against the local cloud's meter.

A mixed workload (new conversations, quiet and busy sends, short and long messages, pattern A and
B pages, a stranger's post) runs through the message store and the stream processor's real data
access against the local endpoint, which meters every request by DynamoDB's rules (local/capacity)
and answers `ReturnConsumedCapacity: INDEXES`. Each operation's metered units, table and GSI apart,
are set against what the model (tools/capacity_model) says for the same items; and against what
the model says the operation cost before the cheaper rows (the whole text on every GRP# row, B's
look-back over every earlier row, C's scan of the sender's partition): "before" is the model's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

from cruddur_messages import items, schema
from cruddur_messages.models import Message, User
from cruddur_messages.store import MessageStore, NotAParticipantError
from local import cloud, server
from local.stream_events import synthetic_record
from stream_processor.batch import process_batch
from stream_processor.group_rows import DynamoGroupRows
from tools.capacity_model import operations as ops
from tools.capacity_model.operations import Operation, Units
from tools.capacity_model.shapes import Shape

T = TypeVar("T")
TABLE: Final = "bench-capacity"
ROUNDS: Final = 3  # conversations of the write workload
GOAL_PERCENT: Final = 5.0
SHORT: Final = Shape()
LONG: Final = Shape(message_chars=1024, bytes_per_char=4)
BUSY: Final = 5  # messages of one conversation in one batch
B_CONVERSATIONS: Final = 45
A_MESSAGES: Final = 25
PAGE: Final = 20
_WRITES: Final = frozenset({"PutItem", "DeleteItem", "TransactWriteItems"})


class Meter:
    """Asks for INDEXES on every request of the client and keeps what came back, per label."""

    def __init__(self, client: Any) -> None:
        self.label = ""
        self.units: dict[str, Units] = {}
        self.requests: dict[str, int] = {}
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._ask)
        events.register("after-call.dynamodb.*", self._keep)

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _WRITES | {"Query", "GetItem"}:
            params["ReturnConsumedCapacity"] = "INDEXES"

    def _keep(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.label or model.name not in _WRITES | {"Query", "GetItem"}:
            return
        found = parsed.get("ConsumedCapacity")
        if found is None:
            if "Error" in parsed:  # a refused condition is billed too: the meter must say so
                raise RuntimeError(f"{model.name} failed without ConsumedCapacity: {parsed}")
            return
        write = model.name in _WRITES
        total = Units()
        for capacity in found if isinstance(found, list) else [found]:
            table = float(capacity.get("Table", {}).get("CapacityUnits", 0.0))
            index = sum(
                float(entry.get("CapacityUnits", 0.0))
                for entry in (capacity.get("GlobalSecondaryIndexes") or {}).values()
            )
            if write:
                total = total + Units(table_write=table, index_write=index)
            else:
                total = total + Units(table_read=table, index_read=index)
        self.units[self.label] = self.units.get(self.label, Units()) + total
        self.requests[self.label] = self.requests.get(self.label, 0) + 1

    @contextmanager
    def counting(self, label: str) -> Iterator[None]:
        self.label = label
        try:
            yield
        finally:
            self.label = ""


def _user(n: int) -> User:
    """Users whose names have the model's default lengths (16 and 10 characters)."""
    return User(uuid=str(uuid.uuid4()), display_name=f"Bench user {n:05d}", handle=f"bench{n:05d}")


class Workload:
    """The store and the processor's data access on one metered client; every measured
    operation's label, the model's operations for it (now and before) and how often it ran."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.meter = Meter(client)
        self.store = MessageStore(client, table_name=TABLE)
        self.rows = DynamoGroupRows(client, table_name=TABLE, index_name=schema.GSI_NAME)
        self.sequence = 0
        self.users = iter(_user(n) for n in range(100_000))
        self.operations: dict[str, tuple[Operation, Operation]] = {}
        self.runs: dict[str, int] = {}

    def measured(self, label: str, now: Operation, before: Operation, action: Callable[[], T]) -> T:
        self.operations.setdefault(label, (now, before))
        self.runs[label] = self.runs.get(label, 0) + 1
        with self.meter.counting(label):  # a refusal (the stranger's post) is measured too
            return action()

    def process(self, *messages: Message) -> None:
        """The processor's batch over these messages' stream records, as Lambda hands them."""
        records = []
        for message in messages:
            self.sequence += 1
            records.append(synthetic_record(items.message_item(message), f"{self.sequence:021d}"))
        result = process_batch(records, self.rows)
        if result.failures or result.skipped_conversations:
            raise RuntimeError(f"the processor failed: {result}")

    def send(self, group: str, sender: User, shape: Shape, count: int = 1) -> list[Message]:
        return [self.store.create_message(group, sender, shape.text) for _ in range(count)]


def _old(shape: Shape) -> Shape:
    return dataclasses.replace(shape, preview=False)


def _conversation_round(w: Workload) -> None:
    """A new conversation, a quiet short and a quiet long send, a busy burst; each processed."""
    a, b = next(w.users), next(w.users)
    group, first = w.measured(
        "D: new conversation",
        ops.create_message_group(SHORT),
        ops.create_message_group(_old(SHORT)),
        functools.partial(w.store.create_message_group, a, b, SHORT.text),
    )
    w.measured(
        "E: first message (rows already hold it)",
        ops.processor_unchanged(SHORT),
        ops.processor_unchanged(_old(SHORT)),
        functools.partial(w.process, first),
    )
    conversation = group.group_uuid
    for shape, kind in ((SHORT, "short"), (LONG, "long")):
        sent = w.measured(
            f"C: quiet send, {kind}",
            ops.create_message(shape),
            ops.create_message(_old(shape)),
            functools.partial(w.send, conversation, b, shape),
        )
        w.measured(
            f"E: move after a {kind} send",
            ops.processor_move(shape, SHORT),
            ops.processor_move(_old(shape), _old(SHORT)),
            functools.partial(w.process, *sent),
        )
        w.process(*w.send(conversation, a, SHORT))  # the rows hold a short message again
    burst = w.measured(
        f"C: busy send, {BUSY} messages in a batch",
        Operation("busy", ops.create_message(SHORT).requests * BUSY),
        Operation("busy", ops.create_message(_old(SHORT)).requests * BUSY),
        functools.partial(w.send, conversation, a, SHORT, BUSY),
    )
    w.measured(
        f"E: one move for {BUSY} messages",
        ops.processor_move(SHORT),
        ops.processor_move(_old(SHORT)),
        functools.partial(w.process, *burst),
    )


def _reads(w: Workload) -> None:
    """Pattern A's pages of a conversation, B's pages of a user, and that user's post to a
    conversation not theirs."""
    a, b = next(w.users), next(w.users)
    group, first = w.store.create_message_group(a, b, SHORT.text)
    w.process(first)
    for n in range(A_MESSAGES - 1):
        w.process(*w.send(group.group_uuid, (a, b)[n % 2], SHORT))
    cursor = None
    for number in (1, 2):
        available = A_MESSAGES - (number - 1) * PAGE
        op = ops.list_messages(SHORT, page=PAGE, available=available)
        page = w.measured(
            f"A: page {number} of {PAGE}",
            op,
            op,
            functools.partial(w.store.list_messages, group.group_uuid, PAGE, cursor),
        )
        cursor = page.next_cursor
    owner = next(w.users)
    for _ in range(B_CONVERSATIONS):
        w.process(w.store.create_message_group(next(w.users), owner, SHORT.text)[1])
    cursor = None
    for number in (1, 2, 3):
        where = {"page": PAGE, "page_number": number, "conversations": B_CONVERSATIONS}
        listed = w.measured(
            f"B: page {number} of {PAGE} ({B_CONVERSATIONS} conversations)",
            ops.list_message_groups(SHORT, cheap=True, **where),
            ops.list_message_groups(_old(SHORT), cheap=False, **where),
            functools.partial(w.store.list_message_groups, owner.uuid, PAGE, cursor),
        )
        cursor = listed.next_cursor
    with contextlib.suppress(NotAParticipantError):
        w.measured(
            f"C check: a stranger in {B_CONVERSATIONS} conversations",
            ops.participant_check(SHORT, lagging=False, conversations=B_CONVERSATIONS, cheap=True),
            ops.participant_check(
                _old(SHORT), lagging=False, conversations=B_CONVERSATIONS, cheap=False
            ),
            functools.partial(w.send, group.group_uuid, owner, SHORT),
        )
    _reply_before_the_index(w, owner)


@contextmanager
def _index_lag(client: Any) -> Iterator[None]:
    """Every GSI query answers empty, as DynamoDB's can for rows written a moment ago (moto's
    index is always caught up)."""

    def nobody(params: dict[str, Any], **_: Any) -> None:
        if params.get("IndexName"):
            params["ExpressionAttributeValues"] = {":group": {"S": str(uuid.uuid4())}}

    client.meta.events.register("provide-client-params.dynamodb.Query", nobody)
    try:
        yield
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.Query", nobody)


def _reply_before_the_index(w: Workload, owner: User) -> None:
    """`owner` (in B_CONVERSATIONS conversations) replies to a new conversation the index does
    not list yet: the check reads the first message and owner's row at its time."""
    group, _ = w.store.create_message_group(next(w.users), owner, SHORT.text)
    write = ops.create_message(SHORT).requests[1:]  # the message and its guard
    rows = B_CONVERSATIONS + 1
    now = ops.participant_check(SHORT, lagging=True, conversations=rows, cheap=True)
    before = ops.participant_check(_old(SHORT), lagging=True, conversations=rows, cheap=False)
    with _index_lag(w.client):
        w.measured(
            f"C: a reply before the index lists the conversation ({B_CONVERSATIONS} others)",
            Operation("lag", now.requests + write),
            Operation("lag", before.requests + write),
            functools.partial(w.send, group.group_uuid, owner, SHORT),
        )


def _error_percent(model: float, metered: float) -> float:
    if model == metered:
        return 0.0
    return 100.0 * abs(model - metered) / max(model, metered)


def measure_capacity(port: int, scratch: Path) -> dict[str, Any]:
    endpoint = cloud.endpoint_url(port)
    # Metered, not enforced: the workload measures costs, a throttle would only slow it.
    moto = server.start(port, log_file=scratch / "capacity-endpoint.log", enforce_capacity=False)
    try:
        client = cloud.developer(endpoint)("dynamodb")
        client.create_table(
            **schema.create_table_kwargs(TABLE, read_capacity=1000, write_capacity=1000)
        )
        workload = Workload(client)
        for _ in range(ROUNDS):
            _conversation_round(workload)
        _reads(workload)
        results = [_compare(workload, label) for label in workload.operations]
    finally:
        moto.stop()
    worst = max(row["worst_error_percent"] for row in results)
    return {
        "benchmark": "capacity model vs the local meter, units per operation",
        "goal_percent": GOAL_PERCENT,
        "worst_error_percent": worst,
        "within_goal": worst <= GOAL_PERCENT,
        "before_is": "the whole text on every GRP# row and index entry, B's strongly consistent "
        "re-read of every earlier row, C's Query over the sender's whole partition",
        "operations": results,
    }


def _compare(workload: Workload, label: str) -> dict[str, Any]:
    now, before = workload.operations[label]
    runs = workload.runs[label]
    metered = workload.meter.units.get(label, Units()).scaled(1 / runs)
    pairs = zip(now.units.as_tuple(), metered.as_tuple(), strict=True)
    return {
        "operation": label,
        "runs": runs,
        "requests": workload.meter.requests.get(label, 0) // runs,
        "metered": _as_dict(metered),
        "model": _as_dict(now.units),
        "model_before": _as_dict(before.units),
        "worst_error_percent": round(max(_error_percent(m, x) for m, x in pairs), 2),
    }


def _as_dict(units: Units) -> dict[str, float]:
    return {**units.as_dict(), "total": round(units.total, 3)}
