"""Guard items: what makes a retried write a no-op, in the same transaction as the write.

A message's key is its time (`MSG#group`, `created_at`), and a retry of a send carries a new
time, so the key alone cannot tell a retry from a new message. The message's own id can: C and D
write, with the message, a guard item keyed by its `message_uuid`, on the condition that it is
absent. A retried send finds the guard taken, and gets back the message the guard points to.
Likewise D writes one guard per pair of users (`PAIR#` the two uuids, sorted), pointing to their
conversation: a second "new conversation" between them is refused with its uuid.

Guards carry no `message_group_uuid` (so the GSI never holds them) and no `MSG#` key (so the
stream's filter drops them). Cost: a transaction bills 2 WCU per started KB of each item
("Read/write capacity mode", HowItWorks.ReadWriteCapacityMode.html: transactional writes), and a
guard is under 1 KB: C is 2 x (message KB + 1), D adds 2 x 2 to its three puts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from botocore.exceptions import ClientError

from cruddur_messages import items, schema, wire
from cruddur_messages.errors import MessageUuidTakenError, WriteConflictError
from cruddur_messages.models import Message

# Where a guard points: the message's key, or the pair's conversation.
GUARDED_MESSAGE_PK: Final = "guarded_pk"
GUARDED_MESSAGE_SK: Final = "guarded_sk"
GUARDED_GROUP: Final = "guarded_group_uuid"
_TAKEN: Final = "ConditionalCheckFailed"
_KEY_IS_FREE: Final = "attribute_not_exists(#pk)"


def message_guard_key(message_uuid: str) -> dict[str, str]:
    return {
        schema.PARTITION_KEY: schema.message_uuid_pk(message_uuid),
        schema.SORT_KEY: schema.GUARD_SORT_KEY,
    }


def message_guard(message: Message) -> dict[str, str]:
    return {
        **message_guard_key(message.message_uuid),
        GUARDED_MESSAGE_PK: schema.message_pk(message.group_uuid),
        GUARDED_MESSAGE_SK: message.created_at,
    }


def pair_guard_key(user_uuid: str, other_uuid: str) -> dict[str, str]:
    return {
        schema.PARTITION_KEY: schema.pair_pk(user_uuid, other_uuid),
        schema.SORT_KEY: schema.GUARD_SORT_KEY,
    }


def pair_guard(user_uuid: str, other_uuid: str, group_uuid: str) -> dict[str, str]:
    return {**pair_guard_key(user_uuid, other_uuid), GUARDED_GROUP: group_uuid}


def put_if_absent(table_name: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """One TransactItems entry: put `item` only if no item has its key."""
    return {
        "Put": {
            "TableName": table_name,
            "Item": wire.serialize(item),
            "ConditionExpression": _KEY_IS_FREE,
            "ExpressionAttributeNames": {"#pk": schema.PARTITION_KEY},
        }
    }


def taken(reasons: Sequence[str], index: int) -> bool:
    """Whether the transaction's item at `index` failed its condition (its key was taken)."""
    return index < len(reasons) and reasons[index] == _TAKEN


def read(client: Any, table_name: str, key: Mapping[str, str]) -> dict[str, Any] | None:
    """An item by key, strongly consistent (a guard is read right after it was found taken)."""
    response = client.get_item(TableName=table_name, Key=wire.serialize(key), ConsistentRead=True)
    raw = response.get("Item")
    return wire.deserialize(raw) if raw else None


def transact(client: Any, table_name: str, *new_items: Mapping[str, Any]) -> list[str] | None:
    """Put every item only if its key is free, in one transaction: None when written, else the
    cancellation reasons (one per item). A throttle is waited out by the store's client; a token
    per attempt makes a re-sent committed transaction succeed as a no-op."""
    try:
        client.transact_write_items(
            TransactItems=[put_if_absent(table_name, item) for item in new_items],
            ClientRequestToken=str(uuid.uuid4()),
        )
    except ClientError as error:
        if wire.error_code(error) != "TransactionCanceledException":
            raise
        return wire.cancellation_codes(error)
    return None


def sent_before(
    client: Any, table_name: str, message: Message, *, same_group: bool = True
) -> Message:
    """The stored message whose guard this message_uuid holds; MessageUuidTakenError if it is
    not the same message (another sender or text, or with `same_group` another conversation:
    a retry of D may carry a new group uuid)."""
    guard = read(client, table_name, message_guard_key(message.message_uuid))
    stored_item = None
    if guard is not None:
        stored_key = {
            schema.PARTITION_KEY: guard[GUARDED_MESSAGE_PK],
            schema.SORT_KEY: guard[GUARDED_MESSAGE_SK],
        }
        stored_item = read(client, table_name, stored_key)
    stored = wire.parsed(items.message_from_item, stored_item) if stored_item else None
    if (
        stored is None
        or (stored.sender.uuid, stored.text) != (message.sender.uuid, message.text)
        or (same_group and stored.group_uuid != message.group_uuid)
    ):
        raise MessageUuidTakenError(message.message_uuid)
    return stored


def pair_group(client: Any, table_name: str, user_uuid: str, other_uuid: str) -> str:
    """The conversation the pair's guard points to."""
    guard = read(client, table_name, pair_guard_key(user_uuid, other_uuid))
    group_uuid = guard.get(GUARDED_GROUP) if guard else None
    if not isinstance(group_uuid, str):
        raise WriteConflictError("the users' conversation guard is unreadable; nothing was written")
    return group_uuid
