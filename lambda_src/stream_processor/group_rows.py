"""The processor's data access on DynamoDB: one GSI query, PutItem and DeleteItem on GRP# rows.

Exactly the actions its IAM policy grants. The query is the store's
(`schema.message_group_rows_query`), paged and typed by `cruddur_messages.wire` as the store's
are; item shapes come from `cruddur_messages.items`, so the rows written here are the rows the
store reads.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

from cruddur_messages import items, schema, wire
from cruddur_messages.models import MessageGroup
from stream_processor.logic import RowKey, RowKeyTakenError

# The put may replace a row only if the key is free or the row is this conversation's (a replay):
# two conversations of one user whose last messages share a microsecond would otherwise collide,
# and the later one would silently overwrite the earlier (batch.py then takes the next microsecond).
_PUT_CONDITION: Final = "attribute_not_exists(#pk) OR #group = :group"
# The delete removes a row only while it is still this conversation's: a stale index entry must
# never delete another conversation's row that now holds the same key.
_DELETE_CONDITION: Final = "#group = :group"


class DynamoGroupRows:
    """`logic.GroupRows` on a DynamoDB (or DynamoDB-compatible) low-level client."""

    def __init__(self, client: Any, *, table_name: str, index_name: str) -> None:
        self._client = client
        self._table_name = table_name
        self._index_name = index_name

    def query(self, group_uuid: str) -> list[dict[str, Any]]:
        request = schema.message_group_rows_query(
            table_name=self._table_name, index_name=self._index_name, group_uuid=group_uuid
        )
        return list(wire.query(self._client, **request))

    def put(self, group: MessageGroup) -> None:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=wire.serialize(items.group_item(group)),
                ConditionExpression=_PUT_CONDITION,
                ExpressionAttributeNames={
                    "#pk": schema.PARTITION_KEY,
                    "#group": schema.GSI_PARTITION_KEY,
                },
                ExpressionAttributeValues={":group": {"S": group.group_uuid}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise RowKeyTakenError(
                f"{group.owner_uuid}'s row key {group.last_message_at} holds another conversation"
            ) from None

    def delete(self, key: RowKey, group_uuid: str) -> None:
        # Gone already (a replay), or no longer this conversation's row: nothing to delete.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.delete_item(
                TableName=self._table_name,
                Key={schema.PARTITION_KEY: {"S": key.pk}, schema.SORT_KEY: {"S": key.sk}},
                ConditionExpression=_DELETE_CONDITION,
                ExpressionAttributeNames={"#group": schema.GSI_PARTITION_KEY},
                ExpressionAttributeValues={":group": {"S": group_uuid}},
            )
