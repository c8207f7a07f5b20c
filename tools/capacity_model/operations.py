"""The read and write units of every request the system makes, table and index apart.

Rules (DynamoDB developer guide): "DynamoDB read and write operations" (read-write-operations.html:
writes in 1 KB units, a put by the larger of the old and new item, a delete by the deleted item;
reads in 4 KB units, a Query by the total size of the items it reads, rounded up once per
request, at least one unit, half for an eventually consistent read; transactions twice),
"Provisioned throughput considerations for Global Secondary Indexes" (GSI.html: an index is
charged for the entries a table write adds or removes, by the entry's size; a sparse item costs
it nothing; index reads are eventually consistent) and "Query" (at most 1 MB per request). The
arithmetic is `tools.item_sizes`'; the sizes are `shapes.Shape`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from tools.capacity_model.shapes import Shape
from tools.item_sizes import read_units, write_units

QUERY_PAGE_BYTES: Final = 1024 * 1024
# A transaction's writes cost twice on the table ("Capacity management for transactions",
# transaction-apis.html). Its index entries are ordinary index writes: the same page says a
# transaction's changes propagate to the GSIs after it completes, and a measurement against
# DynamoDB agrees (github.com/nubo-db/dynoxide/pull/188: "the transactional 2x factor applies
# to the base table arm alone"). The local meter (local/capacity) doubles them: see bench part 11.
TRANSACTION_FACTOR: Final = 2
TRANSACTION_INDEX_FACTOR: Final = 1
PARTICIPANTS: Final = 2


@dataclass(frozen=True)
class Units:
    """Capacity units of the table and of its GSI."""

    table_read: float = 0.0
    table_write: float = 0.0
    index_read: float = 0.0
    index_write: float = 0.0

    def __add__(self, other: Units) -> Units:
        return Units(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def scaled(self, factor: float) -> Units:
        return Units(*(value * factor for value in self.as_tuple()))

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.table_read, self.table_write, self.index_read, self.index_write)

    def as_dict(self) -> dict[str, float]:
        """The units as the reports and the bench's results name them, to 3 decimals."""
        names = ("table_rcu", "table_wcu", "gsi_rcu", "gsi_wcu")
        return {name: round(value, 3) for name, value in zip(names, self.as_tuple(), strict=True)}

    @property
    def total(self) -> float:
        return sum(self.as_tuple())

    @property
    def reads(self) -> float:
        return self.table_read + self.index_read

    @property
    def writes(self) -> float:
        return self.table_write + self.index_write


@dataclass(frozen=True)
class Request:
    """One request to DynamoDB and what it costs."""

    action: str
    units: Units


@dataclass(frozen=True)
class Operation:
    """What the system does for one event: its requests, in order."""

    name: str
    requests: tuple[Request, ...] = field(default=())

    @property
    def units(self) -> Units:
        total = Units()
        for request in self.requests:
            total = total + request.units
        return total


def query_units(item_bytes: int, count: int, *, consistent: bool) -> float:
    """A Query (and the requests its paging makes) that reads `count` items of `item_bytes`."""
    if count <= 0:
        return read_units(0, consistent=consistent)
    per_page = max(1, QUERY_PAGE_BYTES // item_bytes)
    units = 0.0
    while count > 0:
        page = min(count, per_page)
        units += read_units(page * item_bytes, consistent=consistent)
        count -= page
    return units


def _index_query(shape: Shape, rows: int, action: str) -> Request:
    return Request(
        action, Units(index_read=query_units(shape.index_entry_bytes, rows, consistent=False))
    )


def _message_transaction(shape: Shape) -> Request:
    """C's write: the message and its message_uuid's guard, both put if absent in one
    transaction (neither is in the index: no `message_group_uuid`)."""
    table = write_units(shape.message_bytes) + write_units(shape.message_guard_bytes)
    return Request(
        "TransactWriteItems message + its guard",
        Units(table_write=TRANSACTION_FACTOR * table),
    )


def create_message(shape: Shape) -> Operation:
    """Pattern C by a participant: the index lists the conversation's rows, then the
    transaction of the message and its guard."""
    return Operation(
        "C: a message in a conversation",
        (
            _index_query(shape, PARTICIPANTS, "Query index: the participant check"),
            _message_transaction(shape),
        ),
    )


def participant_check(shape: Shape, *, lagging: bool, conversations: int, cheap: bool) -> Operation:
    """Pattern C's participant check when the index lists no row of the sender: a stranger's post
    (the index lists the two participants) or a conversation the index has not caught up with.
    `cheap=False` is the check before the cheaper rows: a strongly consistent Query over the
    sender's whole GRP# partition (`conversations` rows)."""
    rows = 0 if lagging else PARTICIPANTS
    requests = [_index_query(shape, rows, "Query index: the conversation's rows")]
    if not cheap:
        requests.append(
            Request(
                "Query table: the sender's every row (strongly consistent)",
                Units(table_read=query_units(shape.row_bytes, conversations, consistent=True)),
            )
        )
    elif lagging:
        requests.append(
            Request(
                "Query table: the first message (strongly consistent)",
                Units(table_read=read_units(shape.message_bytes, consistent=True)),
            )
        )
        requests.append(
            Request(
                "GetItem the sender's first row (strongly consistent)",
                Units(table_read=read_units(shape.row_bytes, consistent=True)),
            )
        )
    who = "a conversation the index has not listed yet" if lagging else "a stranger's post"
    return Operation(f"C check: {who}", tuple(requests))


def create_message_group(shape: Shape) -> Operation:
    """Pattern D: the first message, both rows, the message's guard and the pair's guard in one
    transaction (puts of new keys); only the rows are in the index."""
    table = (
        write_units(shape.message_bytes)
        + PARTICIPANTS * write_units(shape.row_bytes)
        + write_units(shape.message_guard_bytes)
        + write_units(shape.pair_guard_bytes)
    )
    index = PARTICIPANTS * write_units(shape.index_entry_bytes)
    return Operation(
        "D: a new conversation",
        (
            Request(
                "TransactWriteItems message + 2 rows + 2 guards",
                Units(
                    table_write=TRANSACTION_FACTOR * table,
                    index_write=TRANSACTION_INDEX_FACTOR * index,
                ),
            ),
        ),
    )


def processor_move(shape: Shape, previous: Shape | None = None) -> Operation:
    """E: the processor moves both rows from `previous` (by default a message of the same shape)
    to this message: the index query, then per participant a put of the new row and a delete of
    the old one, each also written to the index."""
    old = previous or shape
    put = Units(
        table_write=write_units(shape.row_bytes), index_write=write_units(shape.index_entry_bytes)
    )
    delete = Units(
        table_write=write_units(old.row_bytes), index_write=write_units(old.index_entry_bytes)
    )
    return Operation(
        "E: the processor moves both rows",
        (
            _index_query(old, PARTICIPANTS, "Query index: the conversation's rows"),
            *(Request("PutItem new row", put) for _ in range(PARTICIPANTS)),
            *(Request("DeleteItem old row", delete) for _ in range(PARTICIPANTS)),
        ),
    )


def processor_unchanged(shape: Shape) -> Operation:
    """E for a new conversation's first message (its rows already hold it): the query only."""
    return Operation(
        "E: the rows already hold the message",
        (_index_query(shape, PARTICIPANTS, "Query index: the conversation's rows"),),
    )


def list_messages(shape: Shape, *, page: int, available: int) -> Operation:
    """Pattern A: one page (plus the one item that tells whether another page exists)."""
    read = min(page + 1, available)
    return Operation(
        f"A: a page of {page} messages",
        (
            Request(
                "Query table (eventually consistent)",
                Units(table_read=query_units(shape.message_bytes, read, consistent=False)),
            ),
        ),
    )


def list_message_groups(
    shape: Shape, *, page: int, page_number: int, conversations: int, cheap: bool
) -> Operation:
    """Pattern B's page `page_number` of a user in `conversations` conversations. `cheap=False`:
    before the cheaper rows, a later page first re-read every earlier row, strongly consistent."""
    earlier = (page_number - 1) * page
    read = max(0, min(page + 1, conversations - earlier))
    requests = []
    if not cheap and page_number > 1:
        requests.append(
            Request(
                "Query table: every earlier row (strongly consistent)",
                Units(table_read=query_units(shape.row_bytes, earlier, consistent=True)),
            )
        )
    requests.append(
        Request(
            "Query table (eventually consistent)",
            Units(table_read=query_units(shape.row_bytes, read, consistent=False)),
        )
    )
    return Operation(f"B: page {page_number} of {page} conversations", tuple(requests))
