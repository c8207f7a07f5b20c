"""The course's stream Lambda (Cruddur week 5), re-implemented faithfully for the benchmark only.

Not in the Lambda asset. The algorithm is the course's, step for step: it reads only
`Records[0]` (its deployment pinned the batch size to 1), has no event filter (so it is invoked by
its own GRP# writes and skips them in code), and for a MSG# record runs one GSI query and then,
for each group row found, a delete of the row followed by a put of its replacement, with no
timestamp comparison. The only change: the table and index names are parameters instead of the
course's literals, and it talks through a low-level client (the same requests as its Table
resource sends).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cruddur_messages import schema

Handler = Callable[[dict[str, Any], Any], None]


def make_handler(client: Any, *, table_name: str, index_name: str) -> Handler:
    """The course's `lambda_handler`, bound to a client and the table's names."""

    def lambda_handler(event: dict[str, Any], context: Any) -> None:
        record = event["Records"][0]
        pk = record["dynamodb"]["Keys"][schema.PARTITION_KEY]["S"]
        sk = record["dynamodb"]["Keys"][schema.SORT_KEY]["S"]
        if not pk.startswith(schema.MESSAGE_PREFIX):
            return
        group_uuid = pk.replace(schema.MESSAGE_PREFIX, "")
        message = record["dynamodb"]["NewImage"]["message"]["S"]
        data = client.query(
            TableName=table_name,
            IndexName=index_name,
            KeyConditionExpression="#group = :group",
            ExpressionAttributeNames={"#group": schema.GSI_PARTITION_KEY},
            ExpressionAttributeValues={":group": {"S": group_uuid}},
        )
        for row in data["Items"]:
            client.delete_item(
                TableName=table_name,
                Key={
                    schema.PARTITION_KEY: row[schema.PARTITION_KEY],
                    schema.SORT_KEY: row[schema.SORT_KEY],
                },
            )
            client.put_item(
                TableName=table_name,
                Item={
                    schema.PARTITION_KEY: row[schema.PARTITION_KEY],
                    schema.SORT_KEY: {"S": sk},
                    schema.GSI_PARTITION_KEY: row[schema.GSI_PARTITION_KEY],
                    "message": {"S": message},
                    "user_display_name": row["user_display_name"],
                    "user_handle": row["user_handle"],
                    "user_uuid": row["user_uuid"],
                },
            )

    return lambda_handler
