"""Pagination cursors: opaque, URL-safe, bound to one list, refused clearly when tampered with."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cruddur_messages import schema
from cruddur_messages.pages import MAX_SEEN, decode_group_cursor
from cruddur_messages.store import (
    MAX_CURSOR_LENGTH,
    MAX_SORT_KEY_BYTES,
    InvalidCursorError,
    decode_cursor,
    encode_cursor,
)

PK = schema.message_pk("5ae290ed-55d1-47a0-bc6d-fe2bc2700399")
SK = "2024-05-01T12:00:00.000000+00:00"
GROUP = "9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a"
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def token_of(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@given(st.text(min_size=1, max_size=200))
def test_cursor_round_trips(sk: str) -> None:
    """Decoding an encoded cursor for the same list gives back the key it was made from."""
    assert decode_cursor(encode_cursor(PK, sk), expected_pk=PK) == {
        schema.PARTITION_KEY: PK,
        schema.SORT_KEY: sk,
    }


@given(st.text(min_size=1, max_size=200))
def test_cursor_is_url_safe(sk: str) -> None:
    """A cursor can go into a query string as it is: URL-safe alphabet, no padding."""
    assert set(encode_cursor(PK, sk)) <= URL_SAFE


def test_cursor_of_another_list_is_refused() -> None:
    """A cursor issued for one partition is refused for another, not silently reused."""
    other = schema.message_pk("9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a")
    with pytest.raises(InvalidCursorError, match="another list"):
        decode_cursor(encode_cursor(PK, SK), expected_pk=other)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!not base64!!!",
        base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
        token_of(["v", 1]),
        token_of({"v": 2, "pk": PK, "sk": SK}),
        token_of({"v": 1, "pk": PK}),
        token_of({"v": 1, "pk": PK, "sk": ""}),
        token_of({"v": 1, "pk": PK, "sk": 5}),
        token_of({"v": 1, "pk": None, "sk": SK}),
        token_of({"v": 1, "pk": PK, "sk": "9" * (MAX_SORT_KEY_BYTES + 1)}),
        token_of({"v": 1, "pk": PK, "sk": "\ud800"}),
        "A" * (MAX_CURSOR_LENGTH + 1),
        token_of({"v": 1, "pk": PK, "sk": SK, "seen": "not a list"}),
        token_of({"v": 1, "pk": PK, "sk": SK, "seen": ["not-a-uuid"]}),
        token_of({"v": 1, "pk": PK, "sk": SK, "seen": [GROUP] * (MAX_SEEN + 1)}),
    ],
    ids=[
        "empty",
        "not-base64",
        "not-json",
        "json-list",
        "other-version",
        "no-sk",
        "empty-sk",
        "number-sk",
        "null-pk",
        "sk-over-dynamodb-key-limit",
        "sk-lone-surrogate",
        "too-long",
        "seen-not-a-list",
        "seen-not-uuids",
        "seen-too-many",
    ],
)
def test_malformed_cursors_are_refused(token: str) -> None:
    """Anything the store did not issue is an InvalidCursorError, before any request."""
    with pytest.raises(InvalidCursorError):
        decode_cursor(token, expected_pk=PK)


def test_invalid_cursor_is_a_value_error() -> None:
    """Callers that catch ValueError for bad input also catch a bad cursor."""
    with pytest.raises(ValueError, match="cursor"):
        decode_cursor("%%%", expected_pk=PK)


def test_cursor_accepts_restored_padding() -> None:
    """A cursor whose base64 padding a client added back still decodes."""
    token = encode_cursor(PK, SK)
    padded = token + "=" * (-len(token) % 4)
    assert decode_cursor(padded, expected_pk=PK)[schema.SORT_KEY] == SK


def test_cursor_at_the_sort_key_limit_is_accepted() -> None:
    """A sort key of exactly DynamoDB's 1024-byte limit is a valid position."""
    sk = "9" * MAX_SORT_KEY_BYTES
    assert decode_cursor(encode_cursor(PK, sk), expected_pk=PK)[schema.SORT_KEY] == sk


def test_a_cursor_round_trips_the_conversations_it_names() -> None:
    token = encode_cursor(PK, SK, seen=(GROUP,))
    assert decode_group_cursor(token, expected_pk=PK) == (
        {schema.PARTITION_KEY: PK, schema.SORT_KEY: SK},
        (GROUP,),
    )


def test_a_cursor_names_fewer_conversations_rather_than_grow_past_its_limit() -> None:
    """At the sort-key limit the conversations named give way, never the position."""
    sk = "9" * MAX_SORT_KEY_BYTES
    token = encode_cursor(PK, sk, seen=(GROUP,) * MAX_SEEN)
    assert len(token) <= MAX_CURSOR_LENGTH
    key, seen = decode_group_cursor(token, expected_pk=PK)
    assert key[schema.SORT_KEY] == sk and 0 < len(seen) < MAX_SEEN
