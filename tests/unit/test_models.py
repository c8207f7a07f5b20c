"""Typed models, text validation and the item builders that map them to DynamoDB items."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from cruddur_messages import items, schema
from cruddur_messages.models import (
    MAX_DISPLAY_NAME_LENGTH,
    MAX_HANDLE_LENGTH,
    MAX_MESSAGE_LENGTH,
    Message,
    MessageGroup,
    User,
    validate_text,
)

ANDREW = User(uuid="3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d", display_name="Andrew", handle="andrew")
BAYKO = User(uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a", display_name="Bayko", handle="bayko")
GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
AT = "2024-05-01T12:00:00.000000+00:00"
MESSAGE = Message(
    message_uuid=BAYKO.uuid, group_uuid=GROUP, created_at=AT, text="hi", sender=ANDREW
)
ROW = MessageGroup(
    group_uuid=GROUP,
    owner_uuid=ANDREW.uuid,
    last_message_at=AT,
    last_message="hi",
    other_user=BAYKO,
)


def test_validate_text_returns_the_text_unchanged() -> None:
    """Valid text, surrounding spaces included, is returned exactly as written."""
    assert validate_text("  hi there ") == "  hi there "


@pytest.mark.parametrize(
    "text", ["", " ", "\n", "\t \u3000"], ids=["empty", "space", "nl", "mixed"]
)
def test_validate_text_refuses_blank_text(text: str) -> None:
    """Empty or whitespace-only text is a ValueError."""
    with pytest.raises(ValueError, match="empty"):
        validate_text(text)


def test_validate_text_accepts_exactly_the_limit() -> None:
    """MAX_MESSAGE_LENGTH characters (not bytes: multi-byte characters count once) pass."""
    assert validate_text("€" * MAX_MESSAGE_LENGTH) == "€" * MAX_MESSAGE_LENGTH


def test_validate_text_refuses_one_over_the_limit() -> None:
    """One character over MAX_MESSAGE_LENGTH is a ValueError naming the limit."""
    with pytest.raises(ValueError, match=str(MAX_MESSAGE_LENGTH)):
        validate_text("x" * (MAX_MESSAGE_LENGTH + 1))


def test_validate_text_refuses_non_strings() -> None:
    """A non-string is a ValueError, not an AttributeError from deep inside."""
    with pytest.raises(ValueError, match="string"):
        validate_text(None)  # type: ignore[arg-type]


def test_user_canonicalizes_its_uuid() -> None:
    """A User built with an upper-case UUID holds the canonical lower-case one."""
    assert User(uuid=ANDREW.uuid.upper(), display_name="A", handle="a").uuid == ANDREW.uuid


@pytest.mark.parametrize(
    "changes",
    [
        {"uuid": "andrew"},
        {"display_name": " "},
        {"handle": ""},
        {"display_name": "x" * (MAX_DISPLAY_NAME_LENGTH + 1)},
        {"handle": "x" * (MAX_HANDLE_LENGTH + 1)},
    ],
    ids=["uuid", "blank-name", "empty-handle", "long-name", "long-handle"],
)
def test_user_refuses_bad_fields(changes: dict[str, Any]) -> None:
    """A User with a malformed UUID or a blank or over-long name or handle is a ValueError."""
    with pytest.raises(ValueError):
        dataclasses.replace(ANDREW, **changes)


def test_models_are_immutable() -> None:
    """Results cannot be modified by a caller after the store returns them."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        ANDREW.handle = "other"  # type: ignore[misc]


def test_message_item_round_trips() -> None:
    """A message survives message_item then message_from_item unchanged."""
    assert items.message_from_item(items.message_item(MESSAGE)) == MESSAGE


def test_message_item_is_keyed_by_group_and_time() -> None:
    """A message item lives in its group's MSG# partition, sorted by created_at."""
    item = items.message_item(MESSAGE)
    assert item[schema.PARTITION_KEY] == schema.message_pk(GROUP)
    assert item[schema.SORT_KEY] == AT


def test_group_item_round_trips() -> None:
    """A group row survives group_item then group_from_item unchanged."""
    assert items.group_from_item(items.group_item(ROW)) == ROW


def test_group_item_is_keyed_by_owner_time_and_group() -> None:
    """A group row lives in its owner's GRP# partition and carries the GSI key."""
    item = items.group_item(ROW)
    assert item[schema.PARTITION_KEY] == schema.group_pk(ANDREW.uuid)
    assert item[schema.SORT_KEY] == AT
    assert item[schema.GSI_PARTITION_KEY] == GROUP


def test_group_item_has_only_projected_attributes() -> None:
    """Every attribute of a group row is a key or projected into the GSI, so the index is enough."""
    keys = {schema.PARTITION_KEY, schema.SORT_KEY, schema.GSI_PARTITION_KEY}
    assert set(items.group_item(ROW)) == keys | set(schema.GSI_NON_KEY_ATTRIBUTES)


def test_message_from_item_refuses_a_group_row() -> None:
    """An item under a GRP# key is not read as a message, even with a message's attributes."""
    item = {**items.message_item(MESSAGE), schema.PARTITION_KEY: schema.group_pk(ANDREW.uuid)}
    with pytest.raises(ValueError, match="not a message item"):
        items.message_from_item(item)


def test_group_from_item_names_missing_attributes() -> None:
    """An item lacking attributes is a ValueError that names them."""
    item = {schema.PARTITION_KEY: schema.group_pk(ANDREW.uuid), schema.SORT_KEY: AT}
    with pytest.raises(ValueError, match=schema.GSI_PARTITION_KEY):
        items.group_from_item(item)
