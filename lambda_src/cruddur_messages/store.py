"""Access patterns A-D of Cruddur's direct messages, as a typed library over one DynamoDB table.

A  list_messages(group_uuid, limit, before)       a conversation's messages, newest first
B  list_message_groups(user_uuid, limit, cursor)   a user's conversations, newest first, once each
C  create_message(group_uuid, sender, text)        a message in an existing conversation
D  create_message_group(sender, recipient, text)   a conversation: both group rows and the first
                                                   message in one transaction

Keys come from `schema`, items from `items`, timestamps from `timestamps`, cursors and page
assembly from `pages`, the wire format from `wire`: this module only decides which requests to
make. Its errors (`errors`) and the page helpers are re-exported here, the import path callers use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, Final

from botocore.exceptions import ClientError

from cruddur_messages import items, schema, timestamps, validation, wire
from cruddur_messages.clients import dynamodb_client
from cruddur_messages.errors import (
    GroupNotFoundError,
    InvalidCursorError,
    MessageStoreError,
    NotAParticipantError,
    WriteConflictError,
)
from cruddur_messages.models import Message, MessageGroup, Page, User, validate_text
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

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_CURSOR_LENGTH",
    "MAX_PAGE_SIZE",
    "MAX_SORT_KEY_BYTES",
    "MAX_WRITE_ATTEMPTS",
    "GroupNotFoundError",
    "GroupPageBuilder",
    "InvalidCursorError",
    "MessageStore",
    "MessageStoreError",
    "NotAParticipantError",
    "WriteConflictError",
    "decode_cursor",
    "dynamodb_client",
    "encode_cursor",
    "validate_limit",
]

# A write whose key is taken (two messages in one microsecond) is retried this many times in all,
# each time one microsecond or more later.
MAX_WRITE_ATTEMPTS: Final = 5

# Put only if no item has this key: a write never overwrites another message or group row.
_KEY_IS_FREE: Final = "attribute_not_exists(#pk)"


class MessageStore:
    """The four access patterns over one table. Thread-safe as far as the boto3 client is."""

    def __init__(
        self,
        client: Any,
        *,
        table_name: str | None = None,
    ) -> None:
        """`client`: a low-level boto3 DynamoDB client, which decides the endpoint, region and
        credentials (the caller's environment, not the store's). `table_name`: defaults to
        `schema.table_name()` (`DDB_MESSAGE_TABLE` or the default)."""
        wire.require_client(client)
        self._client = client
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

        Raises ValueError for bad input, GroupNotFoundError, NotAParticipantError; all before
        anything is written."""
        group_uuid = schema.validate_uuid(group_uuid, field="message_group_uuid")
        sender = validation.require_user(sender, "sender")
        attempts = _attempts(group_uuid, sender, text, message_uuid, created_at)
        self._require_participant(group_uuid, sender.uuid)

        for message in attempts:
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=wire.serialize(items.message_item(message)),
                    ConditionExpression=_KEY_IS_FREE,
                    ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if wire.error_code(error) != "ConditionalCheckFailedException":
                    raise
                if wire.holder_message_uuid(error) == message.message_uuid:
                    # botocore retried a put that had succeeded (its response was lost, or a
                    # 500 came after the commit): the key holds this very message.
                    return message
                continue  # another message has this microsecond: take a later one
            return message
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
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": self.index_name,
            "KeyConditionExpression": "#group = :group",
            "ExpressionAttributeNames": {"#group": schema.GSI_PARTITION_KEY},
            "ExpressionAttributeValues": wire.serialize({":group": group_uuid}),
        }
        rows: list[MessageGroup] = []
        skipped = 0
        for item in wire.query(self._client, **kwargs):
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
        in one transaction (all three items or none). Returns the sender's row and the message.
        The uuids default to new ones and `created_at` to now; if a key is taken at that time,
        the next free microsecond is used (`timestamps.attempt_times`).

        Raises ValueError for bad input (before anything is written), WriteConflictError if the
        transaction is refused (nothing is written)."""
        sender = validation.require_user(sender, "sender")
        recipient = validation.require_user(recipient, "recipient")
        group_uuid = validation.uuid_or_new(group_uuid, field="message_group_uuid")
        attempts = _attempts(group_uuid, sender, text, message_uuid, created_at)
        if sender.uuid == recipient.uuid:
            raise ValueError("sender and recipient are the same user")

        reasons: list[str] = []
        for message in attempts:
            # Group rows are keyed by the first message's time: that is the conversation's
            # last_message_at until the stream processor moves the rows to a newer message.
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
            new_items = (
                items.message_item(message),
                items.group_item(senders_row),
                items.group_item(recipients_row),
            )
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self.table_name,
                                "Item": wire.serialize(item),
                                "ConditionExpression": _KEY_IS_FREE,
                                "ExpressionAttributeNames": {"#pk": schema.PARTITION_KEY},
                            }
                        }
                        for item in new_items
                    ]
                )
            except ClientError as error:
                reasons = wire.cancellation_codes(error)
                if wire.error_code(error) != "TransactionCanceledException":
                    raise
                if "ConditionalCheckFailed" in reasons:
                    # A participant already has a row at this microsecond: take a later one.
                    continue
                raise WriteConflictError(
                    f"the new conversation's transaction was cancelled ({', '.join(reasons)}); "
                    "nothing was written"
                ) from error
            return senders_row, message
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


def _attempts(
    group_uuid: str, sender: User, text: str, message_uuid: str | None, created_at: str | None
) -> Iterator[Message]:
    """The message as each write attempt writes it, a later created_at each time
    (`timestamps.attempt_times`). The arguments are checked now, before any request."""
    text = validate_text(text)
    message_uuid = validation.uuid_or_new(message_uuid, field="message_uuid")
    validation.check_created_at(created_at)
    return (
        Message(
            message_uuid=message_uuid,
            group_uuid=group_uuid,
            created_at=moment,
            text=text,
            sender=sender,
        )
        for moment in timestamps.attempt_times(created_at, MAX_WRITE_ATTEMPTS)
    )
