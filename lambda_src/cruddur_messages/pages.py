"""Pagination, independent of DynamoDB: page sizes, the opaque cursor, and pattern B's page
assembly. Unit-tested without a table (tests/unit/test_store_cursor.py, test_store_pages.py)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final

from cruddur_messages import schema
from cruddur_messages.errors import InvalidCursorError
from cruddur_messages.models import MessageGroup, Page

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
# A cursor holds two keys of at most a few hundred bytes; anything longer is not ours.
MAX_CURSOR_LENGTH: Final = 2048
# DynamoDB refuses a sort key over 1024 bytes (UTF-8) with a ValidationException; a cursor's sk
# is checked against it so a tampered one is an InvalidCursorError, not a server error.
MAX_SORT_KEY_BYTES: Final = 1024
_CURSOR_VERSION: Final = 1


# Pattern B's cursor also names the newest conversations shown so far: a move puts a
# conversation's new row at the top of its list, so a stale row a later page meets (its delete
# not landed yet) belongs to one of the newest few. Kept in the cursor, not re-read: every page
# costs the same.
MAX_SEEN: Final = 20


def encode_cursor(pk: str, sk: str, *, seen: tuple[str, ...] = ()) -> str:
    """An opaque, URL-safe token for the position just after the item with this key, naming up
    to MAX_SEEN conversations already shown (as many as fit MAX_CURSOR_LENGTH)."""
    kept = list(seen[:MAX_SEEN])
    while True:
        body: dict[str, object] = {"v": _CURSOR_VERSION, "pk": pk, "sk": sk}
        if kept:
            body["seen"] = kept
        payload = json.dumps(body, separators=(",", ":"))
        token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        if len(token) <= MAX_CURSOR_LENGTH or not kept:
            return token
        kept.pop()


def decode_cursor(token: str, *, expected_pk: str) -> dict[str, str]:
    """The key a cursor points after, as `{PARTITION_KEY: ..., SORT_KEY: ...}`.

    Raises InvalidCursorError (a ValueError) for anything this store did not issue for the list
    whose partition key is `expected_pk`: the token is never passed to DynamoDB unchecked.
    """
    return decode_group_cursor(token, expected_pk=expected_pk)[0]


def decode_group_cursor(token: str, *, expected_pk: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """decode_cursor, and the conversations the cursor says were shown (canonical uuids)."""
    if not isinstance(token, str) or not token:
        raise InvalidCursorError("cursor must be a non-empty string")
    if len(token) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError("cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursorError("cursor is malformed") from None
    if not isinstance(payload, dict) or payload.get("v") != _CURSOR_VERSION:
        raise InvalidCursorError("cursor is malformed")
    pk, sk = payload.get("pk"), payload.get("sk")
    if not isinstance(pk, str) or not isinstance(sk, str) or not sk:
        raise InvalidCursorError("cursor is malformed")
    try:
        sk_bytes = len(sk.encode("utf-8"))
    except UnicodeEncodeError:  # JSON can spell a lone surrogate, which no key can hold
        raise InvalidCursorError("cursor is malformed") from None
    if sk_bytes > MAX_SORT_KEY_BYTES:
        raise InvalidCursorError("cursor is malformed")
    if pk != expected_pk:
        raise InvalidCursorError("cursor belongs to another list")
    return {schema.PARTITION_KEY: pk, schema.SORT_KEY: sk}, _seen(payload.get("seen", []))


def _seen(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_SEEN:
        raise InvalidCursorError("cursor is malformed")
    try:
        return tuple(schema.validate_uuid(group) for group in value)
    except ValueError:
        raise InvalidCursorError("cursor is malformed") from None


def validate_limit(limit: int) -> int:
    """The page size; ValueError unless it is an int from 1 to MAX_PAGE_SIZE."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValueError(f"limit must be an integer, got {type(limit).__name__}")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    return limit


class GroupPageBuilder:
    """Pattern B's page assembly, independent of DynamoDB.

    Feed it a user's group rows newest first. While the stream processor moves a conversation's
    row (put the new one, then delete the old), the conversation briefly has two rows; only the
    first one seen, the newest, is kept. `earlier` names the newest conversations shown on
    earlier pages (from the cursor), so a stale row below a page boundary is not shown a second
    time; the page's cursor passes them on, with this page's, up to MAX_SEEN.
    """

    def __init__(self, limit: int, earlier: tuple[str, ...] = ()) -> None:
        self._limit = validate_limit(limit)
        self._earlier = earlier
        self._skip = set(earlier)
        self._groups: list[MessageGroup] = []

    def offer(self, group: MessageGroup) -> bool:
        """Take the next row; True once the page is decided (a further conversation exists)."""
        if group.group_uuid not in self._skip:
            self._skip.add(group.group_uuid)
            self._groups.append(group)
        return self.full

    @property
    def full(self) -> bool:
        return len(self._groups) > self._limit

    def page(self) -> Page[MessageGroup]:
        shown = self._groups[: self._limit]
        if not self.full:
            return Page(items=shown, next_cursor=None)
        last = shown[-1]
        seen = (*self._earlier, *(group.group_uuid for group in shown))[:MAX_SEEN]
        return Page(
            items=shown,
            next_cursor=encode_cursor(
                schema.group_pk(last.owner_uuid), last.last_message_at, seen=seen
            ),
        )
