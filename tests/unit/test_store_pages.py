"""Pattern B's page assembly: newest row per conversation, page size honoured, nothing repeated."""

from __future__ import annotations

import uuid

import pytest

from cruddur_messages import schema
from cruddur_messages.models import MessageGroup, Page, User
from cruddur_messages.pages import MAX_SEEN, decode_group_cursor
from cruddur_messages.store import GroupPageBuilder, decode_cursor

OWNER = "3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d"
FRIEND = User(uuid="9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a", display_name="Bayko", handle="bayko")


def row(group: str, second: int) -> MessageGroup:
    return MessageGroup(
        group_uuid=group,
        owner_uuid=OWNER,
        last_message_at=f"2025-01-01T00:00:{second:02d}.000000+00:00",
        last_message=f"at {second}",
        other_user=FRIEND,
    )


def groups(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def build(
    rows: list[MessageGroup], limit: int, earlier: tuple[str, ...] = ()
) -> Page[MessageGroup]:
    builder = GroupPageBuilder(limit, earlier)
    for r in rows:
        if builder.offer(r):
            break
    return builder.page()


def test_a_short_list_is_the_last_page() -> None:
    """Fewer conversations than the page size: all of them, and no cursor."""
    a, b = groups(2)
    page = build([row(a, 2), row(b, 1)], limit=5)
    assert [g.group_uuid for g in page.items] == [a, b]
    assert page.next_cursor is None


def test_an_exactly_full_list_is_the_last_page() -> None:
    """Exactly `limit` conversations: no cursor to an empty next page."""
    a, b = groups(2)
    assert build([row(a, 2), row(b, 1)], limit=2).next_cursor is None


def test_a_longer_list_gets_a_cursor_after_the_last_shown_row() -> None:
    """More conversations than fit: `limit` of them, and a cursor at the last one shown."""
    a, b, c = groups(3)
    page = build([row(a, 3), row(b, 2), row(c, 1)], limit=2)
    assert [g.group_uuid for g in page.items] == [a, b]
    assert page.next_cursor is not None
    key = decode_cursor(page.next_cursor, expected_pk=schema.group_pk(OWNER))
    assert key[schema.SORT_KEY] == row(b, 2).last_message_at


def test_a_duplicate_keeps_the_newest_row() -> None:
    """A conversation's second (older) row is dropped and its newest row is shown."""
    a, b = groups(2)
    page = build([row(a, 9), row(b, 5), row(a, 1)], limit=5)
    assert page.items == [row(a, 9), row(b, 5)]


def test_a_duplicate_does_not_shorten_the_page() -> None:
    """A dropped duplicate does not count towards the page size."""
    a, b, c, d = groups(4)
    page = build([row(a, 9), row(a, 8), row(b, 7), row(c, 6), row(d, 5)], limit=3)
    assert [g.group_uuid for g in page.items] == [a, b, c]
    assert page.next_cursor is not None


def test_a_duplicate_after_the_page_does_not_make_a_next_page() -> None:
    """A stale row of a shown conversation is not evidence of another page."""
    a, b = groups(2)
    page = build([row(a, 9), row(b, 8), row(a, 1)], limit=2)
    assert page.next_cursor is None


def test_conversations_shown_on_earlier_pages_are_skipped() -> None:
    """Stale rows of conversations already shown above the cursor are not shown again."""
    a, b, c = groups(3)
    page = build([row(b, 5), row(a, 4), row(c, 3)], limit=2, earlier=(a,))
    assert [g.group_uuid for g in page.items] == [b, c]
    assert page.next_cursor is None


def test_the_cursor_names_the_newest_conversations_shown() -> None:
    """A page's cursor passes on the conversations of earlier pages, then its own, newest first,
    at most MAX_SEEN: what the next page skips, without reading them again."""
    earlier = tuple(groups(MAX_SEEN - 1))
    a, b, c = groups(3)
    page = build([row(a, 3), row(b, 2), row(c, 1)], limit=2, earlier=earlier)
    assert page.next_cursor is not None
    _, seen = decode_group_cursor(page.next_cursor, expected_pk=schema.group_pk(OWNER))
    assert seen == (*earlier, a)


def test_builder_refuses_a_bad_limit() -> None:
    """The page size is validated like the store's."""
    with pytest.raises(ValueError, match="limit"):
        GroupPageBuilder(0)
