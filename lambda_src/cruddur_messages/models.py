"""Typed results of the access patterns, and the validation every write goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from cruddur_messages.schema import validate_uuid

# The product's limit, the same as the course's UI (its textarea allowed 1024 characters).
MAX_MESSAGE_LENGTH: Final = 1024
MAX_DISPLAY_NAME_LENGTH: Final = 128
MAX_HANDLE_LENGTH: Final = 64


def validate_text(text: str) -> str:
    """The message text as written; ValueError if it is empty, blank or over the limit."""
    if not isinstance(text, str):
        raise ValueError(f"message text must be a string, got {type(text).__name__}")
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
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"user {field} is empty")
            if len(value) > limit:
                raise ValueError(f"user {field} is longer than {limit} characters")


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
    """A page of results, newest first; `next_cursor` is opaque and None on the last page."""

    items: list[T]
    next_cursor: str | None
