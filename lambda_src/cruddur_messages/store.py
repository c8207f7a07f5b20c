"""Access patterns A-D of Cruddur's direct messages, as a typed library over one DynamoDB table.

A  list_messages(group_uuid, limit, before)       a conversation's messages, newest first
B  list_message_groups(user_uuid, limit, cursor)   a user's conversations, newest first, once each
C  create_message(group_uuid, sender, text)        a message in an existing conversation
D  create_message_group(sender, recipient, text)   a conversation: both group rows and the first
                                                   message in one transaction

Keys come from `schema`, items from `items`, timestamps from `timestamps`: this module only
decides which requests to make. It talks to DynamoDB through a low-level boto3 client only (one
serialization path), so it works against AWS, DynamoDB Local and moto.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cruddur_messages import items, schema, timestamps
from cruddur_messages.models import Message, MessageGroup, Page, User, validate_text

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
# A write whose key is taken (two messages in one microsecond) is retried this many times in all,
# each time one microsecond or more later.
MAX_WRITE_ATTEMPTS: Final = 5
# A cursor holds two keys of at most a few hundred bytes; anything longer is not ours.
MAX_CURSOR_LENGTH: Final = 2048
# DynamoDB refuses a sort key over 1024 bytes (UTF-8) with a ValidationException; a cursor's sk
# is checked against it so a tampered one is an InvalidCursorError, not a server error.
MAX_SORT_KEY_BYTES: Final = 1024
_CURSOR_VERSION: Final = 1

T = TypeVar("T")

# Put only if no item has this key: a write never overwrites another message or group row.
_KEY_IS_FREE: Final = "attribute_not_exists(#pk)"


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


# ---------------------------------------------------------------------------------------------
# Pure helpers: cursors and argument checks (unit-tested without a table).


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


def _require_user(value: object, role: str) -> User:
    if not isinstance(value, User):
        raise TypeError(f"{role} must be a User, got {type(value).__name__}")
    return value


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


# ---------------------------------------------------------------------------------------------


def _uuid_or_new(value: str | None, *, field: str) -> str:
    return str(uuid.uuid4()) if value is None else schema.validate_uuid(value, field=field)


def _check_created_at(value: str | None) -> None:
    if value is not None:
        timestamps.validate_timestamp(value, field="created_at")


def _write_times(created_at: str | None) -> Iterator[str]:
    """The created_at of each write attempt: `created_at` (default: now), then, while the key
    stays taken, one microsecond or more later each time (now, if the clock has moved past).
    A given time is a lower bound, as the clock's is: the returned model has the time used."""
    previous: datetime | None = None
    for _ in range(MAX_WRITE_ATTEMPTS):
        moment = (
            timestamps.utc_now() if created_at is None else timestamps.parse_timestamp(created_at)
        )
        if previous is not None:
            moment = max(moment, previous + timedelta(microseconds=1))
        previous = moment
        yield timestamps.format_timestamp(moment)


def _require_dynamodb_client(client: object) -> None:
    # A resource or Table would fail only at the first request, with an AttributeError.
    service_model = getattr(getattr(client, "meta", None), "service_model", None)
    if getattr(service_model, "service_name", None) != "dynamodb":
        raise TypeError(
            "client must be a low-level DynamoDB client (boto3.client('dynamodb')), "
            f"got {type(client).__name__}"
        )


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
        _require_dynamodb_client(client)
        self._client = client
        # None means "the configured table"; an empty name is a mistake, not a request for it.
        name = schema.table_name() if table_name is None else table_name
        self.table_name = schema.validate_name(name, field="table_name")
        self.index_name = schema.validate_name(schema.index_name(), field="index_name")
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

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
            message = _parsed(items.message_from_item, item)
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
        """A user's conversations, newest first, each once (the newest row of a conversation
        whose row is being moved), with the other participant and the last message."""
        pk = schema.group_pk(user_uuid)
        builder = GroupPageBuilder(limit)
        start = None
        if cursor is not None:
            start = decode_cursor(cursor, expected_pk=pk)
            builder = GroupPageBuilder(limit, self._groups_above(pk, start[schema.SORT_KEY]))
        skipped = 0
        for item in self._query_partition(pk, start=start, batch=limit + 1):
            group = _parsed(items.group_from_item, item)
            if group is None:
                skipped += 1
            elif builder.offer(group):
                break
        return dataclasses.replace(builder.page(), skipped=skipped)

    def _groups_above(self, pk: str, sk: str) -> frozenset[str]:
        """Conversations with a row at or above the cursor's row `sk`: those shown on earlier
        pages (the cursor's own row was the last one shown). A strongly consistent read, so a
        conversation's new row, put before its old row is deleted, is always seen here when the
        old row is seen on this page."""
        groups: set[str] = set()
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk >= :sk",
            "ProjectionExpression": "#group",
            "ExpressionAttributeNames": {
                "#pk": schema.PARTITION_KEY,
                "#sk": schema.SORT_KEY,
                "#group": schema.GSI_PARTITION_KEY,
            },
            "ExpressionAttributeValues": self._serialize({":pk": pk, ":sk": sk}),
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**kwargs)
            for raw in response.get("Items", []):
                value = self._deserialize(raw).get(schema.GSI_PARTITION_KEY)
                if isinstance(value, str):
                    groups.add(value)
            if "LastEvaluatedKey" not in response:
                return frozenset(groups)
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

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
        to now (see `_write_times` for a taken key).

        Raises ValueError for bad input, GroupNotFoundError, NotAParticipantError; all before
        anything is written."""
        group_uuid = schema.validate_uuid(group_uuid, field="message_group_uuid")
        sender = _require_user(sender, "sender")
        text = validate_text(text)
        message_uuid = _uuid_or_new(message_uuid, field="message_uuid")
        _check_created_at(created_at)
        self._require_participant(group_uuid, sender.uuid)

        for moment in _write_times(created_at):
            message = Message(
                message_uuid=message_uuid,
                group_uuid=group_uuid,
                created_at=moment,
                text=text,
                sender=sender,
            )
            try:
                self._client.put_item(
                    TableName=self.table_name,
                    Item=self._serialize(items.message_item(message)),
                    ConditionExpression=_KEY_IS_FREE,
                    ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if _error_code(error) != "ConditionalCheckFailedException":
                    raise
                if _holder_message_uuid(error) == message_uuid:
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
        rows = self.get_message_group_rows(group_uuid)
        if any(row.owner_uuid == user_uuid for row in rows):
            return
        # The GSI is eventually consistent: a conversation created a moment ago (pattern D) may
        # not be indexed yet. Before refusing, confirm with strongly consistent base-table reads.
        if self._user_has_group(user_uuid, group_uuid):
            return
        if rows or self._partition_has_items(schema.message_pk(group_uuid)):
            raise NotAParticipantError(group_uuid, user_uuid)
        raise GroupNotFoundError(group_uuid)

    def _user_has_group(self, user_uuid: str, group_uuid: str) -> bool:
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "FilterExpression": "#group = :group",
            "ProjectionExpression": "#group",
            "ExpressionAttributeNames": {
                "#pk": schema.PARTITION_KEY,
                "#group": schema.GSI_PARTITION_KEY,
            },
            "ExpressionAttributeValues": self._serialize(
                {":pk": schema.group_pk(user_uuid), ":group": group_uuid}
            ),
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**kwargs)
            if response.get("Items"):
                return True
            if "LastEvaluatedKey" not in response:
                return False
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _partition_has_items(self, pk: str) -> bool:
        response = self._client.query(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
            ExpressionAttributeValues=self._serialize({":pk": pk}),
            ProjectionExpression="#pk",
            Limit=1,
            ConsistentRead=True,
        )
        return bool(response.get("Items"))

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
            "ExpressionAttributeValues": self._serialize({":group": group_uuid}),
        }
        rows: list[MessageGroup] = []
        skipped = 0
        while True:
            response = self._client.query(**kwargs)
            for raw in response["Items"]:
                row = _parsed(items.group_from_item, self._deserialize(raw))
                if row is None:
                    skipped += 1
                else:
                    rows.append(row)
            if "LastEvaluatedKey" not in response:
                return Page(items=rows, next_cursor=None, skipped=skipped)
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

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
        The uuids default to new ones and `created_at` to now (see `_write_times`).

        Raises ValueError for bad input (before anything is written), WriteConflictError if the
        transaction is refused (nothing is written)."""
        sender = _require_user(sender, "sender")
        recipient = _require_user(recipient, "recipient")
        text = validate_text(text)
        if sender.uuid == recipient.uuid:
            raise ValueError("sender and recipient are the same user")
        group_uuid = _uuid_or_new(group_uuid, field="message_group_uuid")
        message_uuid = _uuid_or_new(message_uuid, field="message_uuid")
        _check_created_at(created_at)

        reasons: list[str] = []
        for moment in _write_times(created_at):
            message = Message(
                message_uuid=message_uuid,
                group_uuid=group_uuid,
                created_at=moment,
                text=text,
                sender=sender,
            )
            # Group rows are keyed by the first message's time: that is the conversation's
            # last_message_at until the stream processor moves the rows to a newer message.
            senders_row, recipients_row = (
                MessageGroup(
                    group_uuid=group_uuid,
                    owner_uuid=owner.uuid,
                    last_message_at=moment,
                    last_message=text,
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
                                "Item": self._serialize(item),
                                "ConditionExpression": _KEY_IS_FREE,
                                "ExpressionAttributeNames": {"#pk": schema.PARTITION_KEY},
                            }
                        }
                        for item in new_items
                    ]
                )
            except ClientError as error:
                reasons = _cancellation_codes(error)
                if _error_code(error) != "TransactionCanceledException":
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
            "ExpressionAttributeValues": self._serialize({":pk": pk}),
            "ScanIndexForward": False,
            "Limit": batch,
        }
        if start is not None:
            kwargs["ExclusiveStartKey"] = self._serialize(dict(start))
        while True:
            response = self._client.query(**kwargs)
            for raw in response["Items"]:
                yield self._deserialize(raw)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _serialize(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: self._serializer.serialize(value) for name, value in item.items()}

    def _deserialize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {name: self._deserializer.deserialize(value) for name, value in raw.items()}


def _parsed(parse: Callable[[Mapping[str, Any]], T], item: Mapping[str, Any]) -> T | None:
    """The model of an item, or None when it is not one: the table is shared, and another
    writer's item (or one of ours damaged by hand) is counted and left out, never raised."""
    try:
        return parse(item)
    except (ValueError, TypeError):
        return None


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _holder_message_uuid(error: ClientError) -> str | None:
    """The message_uuid of the item that failed a put's condition (ALL_OLD)."""
    holder = error.response.get("Item")
    value = holder.get("message_uuid") if isinstance(holder, Mapping) else None
    return value.get("S") if isinstance(value, Mapping) else None


def _cancellation_codes(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]
