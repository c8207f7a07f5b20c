"""Plain-dict DynamoDB items (the resource/TypeDeserializer shape) to and from the typed models.

One place builds a message item and a group row, so the store, the stream processor and the tools
cannot disagree about attribute names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cruddur_messages import schema
from cruddur_messages.models import Message, MessageGroup, User

Item = dict[str, Any]

# A GRP# row (and its GSI entry) carries a preview of the last message, not its text: at most this
# many UTF-8 bytes, so that a row whose every other field is at its limit (a 128-character display
# name of 4-byte characters, a 64-character handle) still fits one 1 KB write unit
# (tests/unit/test_message_preview.py proves it). Pattern A returns the whole text.
PREVIEW_MAX_BYTES: Final = 200
PREVIEW_ELLIPSIS: Final = "\u2026"


def message_preview(text: str) -> str:
    """`text` if it fits PREVIEW_MAX_BYTES of UTF-8, else its longest prefix that fits with an
    ellipsis after it, cut between characters. What every GRP# row's `message` holds."""
    encoded = text.encode("utf-8")
    if len(encoded) <= PREVIEW_MAX_BYTES:
        return text
    room = PREVIEW_MAX_BYTES - len(PREVIEW_ELLIPSIS.encode("utf-8"))
    # A multi-byte character cut in two at the end is dropped whole.
    head = encoded[:room].decode("utf-8", errors="ignore")
    return head.rstrip() + PREVIEW_ELLIPSIS


def message_item(message: Message) -> Item:
    return {
        schema.PARTITION_KEY: schema.message_pk(message.group_uuid),
        schema.SORT_KEY: message.created_at,
        "message_uuid": message.message_uuid,
        "message": message.text,
        "user_uuid": message.sender.uuid,
        "user_display_name": message.sender.display_name,
        "user_handle": message.sender.handle,
    }


def group_item(group: MessageGroup) -> Item:
    """The owner's row for one conversation, holding the *other* participant's identity."""
    return {
        schema.PARTITION_KEY: schema.group_pk(group.owner_uuid),
        schema.SORT_KEY: group.last_message_at,
        schema.GSI_PARTITION_KEY: group.group_uuid,
        "message": group.last_message,
        "user_uuid": group.other_user.uuid,
        "user_display_name": group.other_user.display_name,
        "user_handle": group.other_user.handle,
    }


def _require(item: Mapping[str, Any], *names: str) -> None:
    missing = [name for name in names if not isinstance(item.get(name), str)]
    if missing:
        raise ValueError(f"item is missing string attribute(s): {', '.join(missing)}")


def _user(item: Mapping[str, Any]) -> User:
    """The user an item names: a message's sender, a group row's other participant."""
    return User(
        uuid=item["user_uuid"],
        display_name=item["user_display_name"],
        handle=item["user_handle"],
    )


def message_from_item(item: Mapping[str, Any]) -> Message:
    """A Message from a MSG# item; ValueError if it is not one or lacks an attribute."""
    _require(item, schema.PARTITION_KEY, schema.SORT_KEY, "message_uuid", "message", "user_uuid")
    _require(item, "user_display_name", "user_handle")
    pk = item[schema.PARTITION_KEY]
    if not schema.is_message_pk(pk):
        raise ValueError(f"not a message item: {pk!r}")
    return Message(
        message_uuid=schema.validate_uuid(item["message_uuid"], field="message_uuid"),
        group_uuid=schema.uuid_from_pk(pk),
        created_at=item[schema.SORT_KEY],
        text=item["message"],
        sender=_user(item),
    )


def group_from_item(item: Mapping[str, Any]) -> MessageGroup:
    """A MessageGroup from a GRP# row; ValueError if it is not one or lacks an attribute."""
    _require(item, schema.PARTITION_KEY, schema.SORT_KEY, schema.GSI_PARTITION_KEY, "message")
    _require(item, "user_uuid", "user_display_name", "user_handle")
    pk = item[schema.PARTITION_KEY]
    if not schema.is_group_pk(pk):
        raise ValueError(f"not a group row: {pk!r}")
    return MessageGroup(
        group_uuid=schema.validate_uuid(item[schema.GSI_PARTITION_KEY], field="message_group_uuid"),
        owner_uuid=schema.uuid_from_pk(pk),
        last_message_at=item[schema.SORT_KEY],
        last_message=item["message"],
        other_user=_user(item),
    )
