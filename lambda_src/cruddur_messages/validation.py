"""The write methods' own arguments, checked before any request (text, names and keys are
checked by `models` and `schema`; page sizes and cursors by `pages`)."""

from __future__ import annotations

import uuid

from cruddur_messages import schema, timestamps
from cruddur_messages.models import User


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
