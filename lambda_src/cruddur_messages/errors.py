"""The message store's own errors, all `MessageStoreError`s. Other bad input is a plain
`ValueError` (or `TypeError`); like `InvalidCursorError`, it is raised before any request."""

from __future__ import annotations


class MessageStoreError(Exception):
    """Base class of the store's own errors (input errors are plain `ValueError`s)."""


class GroupNotFoundError(MessageStoreError, LookupError):
    """The message group does not exist."""

    def __init__(self, group_uuid: str) -> None:
        super().__init__(f"message group {group_uuid} does not exist")
        self.group_uuid = group_uuid


class NotAParticipantError(MessageStoreError, PermissionError):
    """The user is not one of the message group's participants."""

    def __init__(self, group_uuid: str, user_uuid: str) -> None:
        super().__init__(f"user {user_uuid} is not a participant of message group {group_uuid}")
        self.group_uuid = group_uuid
        self.user_uuid = user_uuid


class InvalidCursorError(MessageStoreError, ValueError):
    """A pagination cursor that this store did not issue for this list."""


class WriteConflictError(MessageStoreError):
    """The write was refused (its keys stayed taken, or a concurrent transaction won); nothing
    was written and the caller may retry."""
