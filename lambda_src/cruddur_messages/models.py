"""Typed results of the access patterns, and the validation every write goes through."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from cruddur_messages.schema import validate_uuid

# The product's limit, the same as the course's UI (its textarea allowed 1024 characters).
MAX_MESSAGE_LENGTH: Final = 1024
MAX_DISPLAY_NAME_LENGTH: Final = 128
MAX_HANDLE_LENGTH: Final = 64
# A handle is what follows `@` in the app's URLs (/@handle, /messages/@handle): the course's users
# table leaves it unconstrained text, so the rule is the app's: letters, digits and underscores.
HANDLE_PATTERN: Final = re.compile(r"[A-Za-z0-9_]+")


def validate_string(value: object, field: str) -> str:
    """`value` if it is a str DynamoDB can store; ValueError naming `field` otherwise.

    DynamoDB strings are UTF-8: a lone surrogate (which Python strings can hold, from a bad
    decode or a JSON escape) has no UTF-8 form and would only fail at the request."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{field} is not valid Unicode text (a lone surrogate at position {exc.start}); "
            "DynamoDB stores strings as UTF-8"
        ) from None
    return value


def validate_text(text: str) -> str:
    """The message text as written; ValueError if it is empty, blank, over the limit or not
    encodable as UTF-8."""
    text = validate_string(text, "message text")
    if not text.strip():
        raise ValueError("message text is empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValueError(
            f"message text is {len(text)} characters; the limit is {MAX_MESSAGE_LENGTH}"
        )
    return text


@dataclass(frozen=True, kw_only=True)
class User:
    """A participant, as shown in a conversation: who they are and how they are displayed."""

    uuid: str
    display_name: str
    handle: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "uuid", validate_uuid(self.uuid, field="user uuid"))
        for field, value, limit in (
            ("display_name", self.display_name, MAX_DISPLAY_NAME_LENGTH),
            ("handle", self.handle, MAX_HANDLE_LENGTH),
        ):
            if not validate_string(value, f"user {field}").strip():
                raise ValueError(f"user {field} is empty")
            if len(value) > limit:
                raise ValueError(f"user {field} is longer than {limit} characters")
        if not HANDLE_PATTERN.fullmatch(self.handle):
            raise ValueError(
                f"user handle {self.handle!r} must be letters, digits or _ (no @, spaces or :)"
            )


@dataclass(frozen=True, kw_only=True)
class Message:
    """One message of a conversation (pattern A's rows; what C and D write)."""

    message_uuid: str
    group_uuid: str
    created_at: str
    text: str
    sender: User


@dataclass(frozen=True, kw_only=True)
class MessageGroup:
    """An entry of a user's conversation list (pattern B): the other person, the last message."""

    group_uuid: str
    owner_uuid: str
    last_message_at: str
    last_message: str
    other_user: User


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of results, newest first; `next_cursor` is opaque and None on the last page.
    `skipped` counts the items read for this page that are not of the kind listed (another
    writer's, or malformed): they are left out, never raised."""

    items: list[T]
    next_cursor: str | None
    skipped: int = 0
