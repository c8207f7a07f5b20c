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


def encode_cursor(pk: str, sk: str) -> str:
    """An opaque, URL-safe token for the position just after the item with this key."""
    payload = json.dumps({"v": _CURSOR_VERSION, "pk": pk, "sk": sk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str, *, expected_pk: str) -> dict[str, str]:
    """The key a cursor points after, as `{PARTITION_KEY: ..., SORT_KEY: ...}`.

    Raises InvalidCursorError (a ValueError) for anything this store did not issue for the list
    whose partition key is `expected_pk`: the token is never passed to DynamoDB unchecked.
    """
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
    return {schema.PARTITION_KEY: pk, schema.SORT_KEY: sk}


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
    first one seen, the newest, is kept. `earlier` names the conversations that have a row above
    this page's start (shown on an earlier page), so a stale row below a page boundary is not
    shown a second time.
    """

    def __init__(self, limit: int, earlier: frozenset[str] = frozenset()) -> None:
        self._limit = validate_limit(limit)
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
        return Page(
            items=shown,
            next_cursor=encode_cursor(schema.group_pk(last.owner_uuid), last.last_message_at),
        )
