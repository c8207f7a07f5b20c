"""The processor's data access on DynamoDB: one GSI query, PutItem and DeleteItem on GRP# rows.

Exactly the actions its IAM policy grants. Item shapes come from `cruddur_messages.items` and key
names from `cruddur_messages.schema`, so the rows written here are the rows the store reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from cruddur_messages import items, schema
from cruddur_messages.models import MessageGroup
from stream_processor.logic import RowKey, RowKeyTakenError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# The put may replace a row only if the key is free or the row is this conversation's (a replay):
# two conversations of one user whose last messages share a microsecond would otherwise collide,
# and the later one would silently overwrite the earlier (batch.py then takes the next microsecond).
_PUT_CONDITION: Final = "attribute_not_exists(#pk) OR #group = :group"
# The delete removes a row only while it is still this conversation's: a stale index entry must
# never delete another conversation's row that now holds the same key.
_DELETE_CONDITION: Final = "#group = :group"


def _to_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def _from_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


class DynamoGroupRows:
    """`logic.GroupRows` on a DynamoDB (or DynamoDB-compatible) low-level client."""

    def __init__(self, client: Any, *, table_name: str, index_name: str) -> None:
        self._client = client
        self._table_name = table_name
        self._index_name = index_name

    def query(self, group_uuid: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": self._index_name,
            "KeyConditionExpression": "#group = :group",
            "ExpressionAttributeNames": {"#group": schema.GSI_PARTITION_KEY},
            "ExpressionAttributeValues": {":group": {"S": group_uuid}},
        }
        while True:
            page = self._client.query(**request)
            rows.extend(_from_dynamodb(item) for item in page.get("Items", []))
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return rows
            request["ExclusiveStartKey"] = last_key

    def put(self, group: MessageGroup) -> None:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=_to_dynamodb(items.group_item(group)),
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
