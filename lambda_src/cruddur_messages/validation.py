"""The write methods' own arguments, checked before any request (text, names and keys are
checked by `models` and `schema`; page sizes and cursors by `pages`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from cruddur_messages import schema, timestamps
from cruddur_messages.models import Message, User, validate_text


def require_user(value: object, role: str) -> User:
    if not isinstance(value, User):
        raise TypeError(f"{role} must be a User, got {type(value).__name__}")
    return value


def uuid_or_new(value: str | None, *, field: str) -> str:
    """A new UUID, or the given one in canonical form; ValueError naming `field` if malformed."""
    return str(uuid.uuid4()) if value is None else schema.validate_uuid(value, field=field)


def check_created_at(value: str | None) -> None:
    if value is not None:
        timestamps.validate_timestamp(value, field="created_at")


def message_attempts(
    group_uuid: str,
    sender: User,
    text: str,
    *,
    message_uuid: str | None,
    created_at: str | None,
    attempts: int,
) -> Iterator[Message]:
    """The message as each write attempt writes it, a later created_at each time
    (`timestamps.attempt_times`). The arguments are checked now, before any request."""
    text = validate_text(text)
    message_uuid = uuid_or_new(message_uuid, field="message_uuid")
    check_created_at(created_at)
    return (
        Message(
            message_uuid=message_uuid,
            group_uuid=group_uuid,
            created_at=moment,
            text=text,
            sender=sender,
        )
        for moment in timestamps.attempt_times(created_at, attempts)
    )
