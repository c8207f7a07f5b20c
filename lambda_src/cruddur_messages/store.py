"""Access patterns A-D of Cruddur's direct messages, as a typed library over one DynamoDB table.

A  list_messages(group_uuid, limit, before)       a conversation's messages, newest first
B  list_message_groups(user_uuid, limit, cursor)   a user's conversations, newest first, once each
C  create_message(group_uuid, sender, text)        a message in an existing conversation
D  create_message_group(sender, recipient, text)   a conversation: rows and first message at once

Keys come from `schema`, items from `items`, timestamps from `timestamps`, cursors and page
assembly from `pages`, the wire format from `wire`: this module only decides which requests to
make. Its errors (`errors`) and the page helpers are re-exported here, the import path callers use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, Final

from cruddur_messages import guards, items, schema, validation, wire
from cruddur_messages.clients import dynamodb_client
from cruddur_messages.errors import (
    ConversationExistsError,
    GroupNotFoundError,
    InvalidCursorError,
    MessageStoreError,
    MessageUuidTakenError,
    NotAParticipantError,
    TableBusyError,
    WriteConflictError,
)
from cruddur_messages.models import Message, MessageGroup, Page, User
from cruddur_messages.pages import (
    DEFAULT_PAGE_SIZE,
    MAX_CURSOR_LENGTH,
    MAX_PAGE_SIZE,
    MAX_SORT_KEY_BYTES,
    GroupPageBuilder,
    decode_cursor,
    decode_group_cursor,
    encode_cursor,
    validate_limit,
)
from cruddur_messages.wire import DEFAULT_BUSY_TIMEOUT_S, client_config

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "DEFAULT_PAGE_SIZE",
    "MAX_CURSOR_LENGTH",
    "MAX_PAGE_SIZE",
    "MAX_SORT_KEY_BYTES",
    "MAX_WRITE_ATTEMPTS",
    "ConversationExistsError",
    "GroupNotFoundError",
    "GroupPageBuilder",
    "InvalidCursorError",
    "MessageStore",
    "MessageStoreError",
    "MessageUuidTakenError",
    "NotAParticipantError",
    "TableBusyError",
    "WriteConflictError",
    "client_config",
    "decode_cursor",
    "dynamodb_client",
    "encode_cursor",
    "validate_limit",
]

# Attempts in all of a write whose key is taken (two messages in one microsecond), each later.
MAX_WRITE_ATTEMPTS: Final = 5


class MessageStore:
    """The four access patterns over one table. Thread-safe as far as the boto3 client is."""

    def __init__(
        self,
        client: Any,
        *,
        table_name: str | None = None,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        """`client`: a low-level boto3 DynamoDB client, which decides the endpoint, region and
        credentials; build it with `config=client_config()` (botocore's retries would add to the
        bound). `table_name`: defaults to `schema.table_name()`. `busy_timeout_s`: how long a
        write call (each read request) may wait out throttling, then TableBusyError."""
        wire.require_client(client)
        if not busy_timeout_s > 0:  # also refuses NaN
            raise ValueError(f"busy_timeout_s must be positive, got {busy_timeout_s!r}")
        self._client = wire.BoundedClient(client, bound_s=busy_timeout_s)
        self.busy_timeout_s = busy_timeout_s
        # None means "the configured table"; an empty name is a mistake, not a request for it.
        name = schema.table_name() if table_name is None else table_name
        self.table_name = schema.validate_name(name, field="table_name")
        self.index_name = schema.validate_name(schema.index_name(), field="index_name")

    # -- A ------------------------------------------------------------------------------------

    def list_messages(
        self, group_uuid: str, limit: int = DEFAULT_PAGE_SIZE, before: str | None = None
    ) -> Page[Message]:
        """A conversation's messages, newest first. `before` is the previous page's
        `next_cursor`; the result's `next_cursor` is None on the last page."""
        pk = schema.message_pk(group_uuid)
        validate_limit(limit)
        start = decode_cursor(before, expected_pk=pk) if before is not None else None
        found: list[Message] = []
        skipped = 0
        # One item more than the page tells whether a next page exists, so the last page never
        # carries a cursor to an empty one.
        for item in self._query_partition(pk, start=start, batch=limit + 1):
            message = wire.parsed(items.message_from_item, item)
            if message is None:
                skipped += 1
                continue
            found.append(message)
            if len(found) > limit:
                break
        shown = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(pk, shown[-1].created_at)
        return Page(items=shown, next_cursor=next_cursor, skipped=skipped)

    # -- B ------------------------------------------------------------------------------------

    def list_message_groups(
        self, user_uuid: str, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> Page[MessageGroup]:
        """A user's conversations, newest first, each once on a page (the newest row of a
        conversation whose row is being moved), with the other participant and a preview of the
        last message (`items.message_preview`).

        Every page is one eventually consistent Query of `limit + 1` rows from the cursor on, so
        page 250 costs what page 1 does. A conversation moving while the pages are read (new row
        put, old row not yet deleted) is shown once: its new row is among the newest, which the
        cursor names (`pages.MAX_SEEN`). Only a stale row of an older conversation, left by a
        move whose every retry failed, can show its conversation again on a later page, until
        replay-failures or the conversation's next message removes it."""
        pk = schema.group_pk(user_uuid)
        builder = GroupPageBuilder(limit)
        start = None
        if cursor is not None:
            start, seen = decode_group_cursor(cursor, expected_pk=pk)
            builder = GroupPageBuilder(limit, seen)
        skipped = 0
        for item in self._query_partition(pk, start=start, batch=limit + 1):
            group = wire.parsed(items.group_from_item, item)
            if group is None:
                skipped += 1
            elif builder.offer(group):
                break
        return dataclasses.replace(builder.page(), skipped=skipped)

    # -- C ------------------------------------------------------------------------------------

    def create_message(
        self,
        group_uuid: str,
        sender: User,
        text: str,
        *,
        message_uuid: str | None = None,
        created_at: str | None = None,
    ) -> Message:
        """Add a message to an existing conversation. The stream processor then moves both
        participants' group rows to it. `message_uuid` defaults to a new one and `created_at`
        to now; if a key is taken at that time, the next free microsecond is used.

        A retry with the same `message_uuid` stores nothing new and returns the stored message,
        whatever time it carries (a guard item, `guards`). Raises ValueError for bad input,
        GroupNotFoundError, NotAParticipantError, MessageUuidTakenError, TableBusyError
        (throttled past `busy_timeout_s`); nothing is written when it raises."""
        group_uuid = schema.validate_uuid(group_uuid, field="message_group_uuid")
        sender = validation.require_user(sender, "sender")
        attempts = validation.message_attempts(
            group_uuid,
            sender,
            text,
            message_uuid=message_uuid,
            created_at=created_at,
            attempts=MAX_WRITE_ATTEMPTS,
        )
        with wire.deadline(self.busy_timeout_s):
            self._require_participant(group_uuid, sender.uuid)
            for message in attempts:
                # The message and its message_uuid's guard, both or neither.
                reasons = guards.transact(
                    self._client,
                    self.table_name,
                    items.message_item(message),
                    guards.message_guard(message),
                )
                if reasons is None:
                    return message
                if guards.taken(reasons, 1):
                    # A retry of a send that was stored (whatever time this one carries).
                    return guards.sent_before(self._client, self.table_name, message)
                if not guards.taken(reasons, 0):
                    raise WriteConflictError(
                        f"the message's transaction was cancelled ({', '.join(reasons)}); "
                        "nothing was written"
                    )
                # Another message has this microsecond: take a later one.
        raise WriteConflictError(
            f"no free timestamp for a message in group {group_uuid} after "
            f"{MAX_WRITE_ATTEMPTS} attempts; nothing was written"
        )

    def _require_participant(self, group_uuid: str, user_uuid: str) -> None:
        """Every row names both participants (its owner and the other user), so any row the
        index lists settles it. Only when it lists none (a conversation created a moment ago: the
        index is eventually consistent) is the table asked, one key at a time: the first
        message, then the sender's row at its time, where pattern D put it."""
        rows = self.get_message_group_rows(group_uuid)
        if rows:
            members = {row.owner_uuid for row in rows} | {row.other_user.uuid for row in rows}
            if user_uuid in members:
                return
            raise NotAParticipantError(group_uuid, user_uuid)
        first = self._first_item(schema.message_pk(group_uuid))
        if first is None:
            raise GroupNotFoundError(group_uuid)
        message = wire.parsed(items.message_from_item, first)
        if message is not None and (
            message.sender.uuid == user_uuid
            or self._has_row(user_uuid, message.created_at, group_uuid)
        ):
            return
        raise NotAParticipantError(group_uuid, user_uuid)

    def _first_item(self, pk: str) -> dict[str, Any] | None:
        response = self._client.query(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
            ExpressionAttributeValues=wire.serialize({":pk": pk}),
            Limit=1,
            ConsistentRead=True,
        )
        found = response.get("Items") or [None]
        return wire.deserialize(found[0]) if found[0] is not None else None

    def _has_row(self, user_uuid: str, sk: str, group_uuid: str) -> bool:
        """Whether the user's row at `sk` is this conversation's (strongly consistent)."""
        response = self._client.get_item(
            TableName=self.table_name,
            Key=wire.serialize(
                {schema.PARTITION_KEY: schema.group_pk(user_uuid), schema.SORT_KEY: sk}
            ),
            ProjectionExpression="#group",
            ExpressionAttributeNames={"#group": schema.GSI_PARTITION_KEY},
            ConsistentRead=True,
        )
        item = wire.deserialize(response.get("Item") or {})
        return item.get(schema.GSI_PARTITION_KEY) == group_uuid

    def get_message_group_rows(self, group_uuid: str) -> list[MessageGroup]:
        """Every group row of a conversation (one per participant; two for a participant while
        the stream processor moves their row), oldest first, from the GSI: eventually
        consistent, so a conversation created a moment ago may not be listed yet."""
        return self.message_group_rows(group_uuid).items

    def message_group_rows(self, group_uuid: str) -> Page[MessageGroup]:
        """get_message_group_rows as a Page (no cursor) that also counts the index's items
        that are not group rows (`skipped`)."""
        group_uuid = schema.validate_uuid(group_uuid, field="message_group_uuid")
        request = schema.message_group_rows_query(
            table_name=self.table_name, index_name=self.index_name, group_uuid=group_uuid
        )
        rows: list[MessageGroup] = []
        skipped = 0
        for item in wire.query(self._client, **request):
            row = wire.parsed(items.group_from_item, item)
            if row is None:
                skipped += 1
            else:
                rows.append(row)
        return Page(items=rows, next_cursor=None, skipped=skipped)

    # -- D ------------------------------------------------------------------------------------

    def create_message_group(
        self,
        sender: User,
        recipient: User,
        text: str,
        *,
        group_uuid: str | None = None,
        message_uuid: str | None = None,
        created_at: str | None = None,
    ) -> tuple[MessageGroup, Message]:
        """Start a conversation: the first message and both participants' group rows, written
        in one transaction with their guards (all or none); returns the sender's row and the
        message. The uuids default to new ones and `created_at` to now; if a key is taken at
        that time, the next free microsecond is used (`timestamps.attempt_times`).

        A retry with the same `message_uuid` returns what the first call did; a conversation
        between the two users already raises ConversationExistsError naming it (one pair
        guard each, `guards`). Raises ValueError for bad input (before any request),
        TableBusyError, WriteConflictError; nothing is written when it raises."""
        sender = validation.require_user(sender, "sender")
        recipient = validation.require_user(recipient, "recipient")
        group_uuid = validation.uuid_or_new(group_uuid, field="message_group_uuid")
        attempts = validation.message_attempts(
            group_uuid,
            sender,
            text,
            message_uuid=message_uuid,
            created_at=created_at,
            attempts=MAX_WRITE_ATTEMPTS,
        )
        if sender.uuid == recipient.uuid:
            raise ValueError("sender and recipient are the same user")

        reasons: list[str] = []
        with wire.deadline(self.busy_timeout_s):
            for message in attempts:
                # Rows keyed by the first message's time, until the processor moves them on.
                senders_row, recipients_row = (
                    MessageGroup(
                        group_uuid=group_uuid,
                        owner_uuid=owner.uuid,
                        last_message_at=message.created_at,
                        last_message=items.message_preview(message.text),
                        other_user=other,
                    )
                    for owner, other in ((sender, recipient), (recipient, sender))
                )
                cancelled = guards.transact(
                    self._client,
                    self.table_name,
                    items.message_item(message),
                    items.group_item(senders_row),
                    items.group_item(recipients_row),
                    guards.message_guard(message),
                    guards.pair_guard(sender.uuid, recipient.uuid, group_uuid),
                )
                if cancelled is None:
                    return senders_row, message
                reasons = cancelled
                if guards.taken(reasons, 3):
                    # A retry of this very request: what the first one returned.
                    first = guards.sent_before(
                        self._client, self.table_name, message, same_group=False
                    )
                    return dataclasses.replace(
                        senders_row,
                        group_uuid=first.group_uuid,
                        last_message_at=first.created_at,
                        last_message=items.message_preview(first.text),
                    ), first
                if guards.taken(reasons, 4):
                    raise ConversationExistsError(
                        guards.pair_group(
                            self._client, self.table_name, sender.uuid, recipient.uuid
                        )
                    )
                if not any(guards.taken(reasons, index) for index in range(3)):
                    raise WriteConflictError(
                        f"the new conversation's transaction was cancelled "
                        f"({', '.join(reasons)}); nothing was written"
                    )
                # A participant already has a row at this microsecond: take a later one.
        raise WriteConflictError(
            f"the new conversation's keys stayed taken after {MAX_WRITE_ATTEMPTS} attempts "
            f"({', '.join(reasons)}); nothing was written"
        )

    # -- plumbing -----------------------------------------------------------------------------

    def _query_partition(
        self, pk: str, *, start: Mapping[str, str] | None, batch: int
    ) -> Iterator[dict[str, Any]]:
        """A partition's items, newest sort key first, fetched `batch` at a time, lazily."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": schema.PARTITION_KEY},
            "ExpressionAttributeValues": wire.serialize({":pk": pk}),
            "ScanIndexForward": False,
            "Limit": batch,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = wire.serialize(start)
        return wire.query(self._client, **kwargs)
