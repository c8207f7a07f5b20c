"""The bounded preview every GRP# row carries: short text whole, long text cut between characters
with an ellipsis, and a row at every other field's limit still one 1 KB write unit."""

from __future__ import annotations

import pytest
from boto3.dynamodb.types import TypeSerializer

from cruddur_messages import items
from cruddur_messages.items import PREVIEW_ELLIPSIS, PREVIEW_MAX_BYTES, message_preview
from cruddur_messages.models import (
    MAX_DISPLAY_NAME_LENGTH,
    MAX_HANDLE_LENGTH,
    MAX_MESSAGE_LENGTH,
    MessageGroup,
    User,
)
from tools.item_sizes import WRITE_UNIT_BYTES, item_size, write_units


def test_a_short_message_is_its_own_preview() -> None:
    text = "x" * PREVIEW_MAX_BYTES
    assert message_preview(text) == text


@pytest.mark.parametrize("character", ["x", "\u00e9", "\u20ac", "\U0001f600"])
def test_a_long_message_is_cut_between_characters(character: str) -> None:
    """Whatever the characters' UTF-8 length, the preview is a prefix of whole characters and
    the ellipsis, within the bound."""
    text = character * MAX_MESSAGE_LENGTH
    preview = message_preview(text)
    assert preview.endswith(PREVIEW_ELLIPSIS)
    head = preview[: -len(PREVIEW_ELLIPSIS)]
    assert text.startswith(head) and set(head) == {character}
    assert len(preview.encode("utf-8")) <= PREVIEW_MAX_BYTES
    # The longest such prefix: one more character would not fit.
    room = PREVIEW_MAX_BYTES - len(PREVIEW_ELLIPSIS.encode("utf-8"))
    assert len((head + character).encode("utf-8")) > room


def test_the_cut_drops_trailing_spaces_before_the_ellipsis() -> None:
    room = PREVIEW_MAX_BYTES - len(PREVIEW_ELLIPSIS.encode("utf-8"))
    text = "x" * (room - 1) + " " + "y" * 100
    assert message_preview(text) == "x" * (room - 1) + PREVIEW_ELLIPSIS


def test_a_row_at_every_limit_is_one_write_unit() -> None:
    """The widest row the models allow (4-byte display name, longest handle, longest message of
    4-byte characters) is at most 1 KB: one write unit for each put and delete."""
    other = User(
        uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a",
        display_name="\U0001f600" * MAX_DISPLAY_NAME_LENGTH,
        handle="h" * MAX_HANDLE_LENGTH,
    )
    row = MessageGroup(
        group_uuid="6f1c1b9e-0d5c-4b4e-9d55-1d2a3b4c5d6e",
        owner_uuid="3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d",
        last_message_at="2026-01-01T00:00:00.000000+00:00",
        last_message=message_preview("\U0001f600" * MAX_MESSAGE_LENGTH),
        other_user=other,
    )
    serializer = TypeSerializer()
    wire = {k: serializer.serialize(v) for k, v in items.group_item(row).items()}
    assert item_size(wire) <= WRITE_UNIT_BYTES
    assert write_units(item_size(wire)) == 1
