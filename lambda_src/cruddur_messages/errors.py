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


class TableBusyError(MessageStoreError):
    """The table had no capacity for the request (DynamoDB throttled it) for as long as the
    store's bound allowed; nothing was written. Try again after `retry_after_s` seconds."""

    def __init__(self, retry_after_s: float, waited_s: float) -> None:
        super().__init__(
            f"the messages table is busy (throttled for {waited_s:.1f}s); nothing was written, "
            f"try again in {retry_after_s:g}s"
        )
        self.retry_after_s = retry_after_s
        self.waited_s = waited_s


class ConversationExistsError(MessageStoreError):
    """D: the two users already have a conversation; send into it with create_message."""

    def __init__(self, group_uuid: str) -> None:
        super().__init__(f"these users already have a conversation: message group {group_uuid}")
        self.group_uuid = group_uuid


class MessageUuidTakenError(MessageStoreError, ValueError):
    """The message_uuid already names a stored message with another conversation, sender or
    text: a retry must resend the same message."""

    def __init__(self, message_uuid: str) -> None:
        super().__init__(f"message_uuid {message_uuid} already names a different message")
        self.message_uuid = message_uuid
