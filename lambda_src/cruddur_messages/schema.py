"""The one definition of the messages table.

The CDK stack, the stream processor, the ddb tools and the tests all import these names; no other
file spells an index name, a key attribute or a key prefix as a literal.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

TABLE_NAME_DEFAULT: Final = "cruddur-messages"
# The course's backend reads the table name from this variable; the Lambda gets it the same way.
TABLE_NAME_ENV: Final = "DDB_MESSAGE_TABLE"
GSI_NAME_ENV: Final = "DDB_MESSAGE_GROUP_INDEX"

PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"

GSI_NAME: Final = "message-group-sk-index"
GSI_PARTITION_KEY: Final = "message_group_uuid"
GSI_SORT_KEY: Final = SORT_KEY

MESSAGE_PREFIX: Final = "MSG#"
GROUP_PREFIX: Final = "GRP#"
# Guard items (cruddur_messages.guards): one per message_uuid, one per pair of users with a
# conversation. Neither prefix starts with MSG#, and guards carry no GSI key, so the stream's
# filter drops them and the index never holds them.
MESSAGE_UUID_PREFIX: Final = "MSGID#"
PAIR_PREFIX: Final = "PAIR#"
GUARD_SORT_KEY: Final = "GUARD"

# Attributes of a group row besides its keys. The GSI projects exactly these (INCLUDE): the stream
# processor rebuilds a participant's row from the index alone (the other person's identity, plus
# the last message so a row read from the index is a complete conversation-list entry), and never
# needs a second read of the base table.
GSI_NON_KEY_ATTRIBUTES: Final[tuple[str, ...]] = (
    "message",
    "user_uuid",
    "user_display_name",
    "user_handle",
)

# Table and index names, by DynamoDB's naming rules ("Supported data types and naming rules in
# Amazon DynamoDB", HowItWorks.NamingRulesDataTypes.html): 3-255 of a-z A-Z 0-9 _ - .
_RESOURCE_NAME: Final = re.compile(r"[A-Za-z0-9_.-]{3,255}")

# Every key attribute is a string.
KEY_ATTRIBUTE_TYPES: Final[Mapping[str, str]] = {
    PARTITION_KEY: "S",
    SORT_KEY: "S",
    GSI_PARTITION_KEY: "S",
}


def table_name(environ: Mapping[str, str] | None = None) -> str:
    """The table name: `DDB_MESSAGE_TABLE` when set and not blank, else the default."""
    env = os.environ if environ is None else environ
    name = env.get(TABLE_NAME_ENV, "").strip()
    return name or TABLE_NAME_DEFAULT


def index_name(environ: Mapping[str, str] | None = None) -> str:
    """The GSI name; the Lambda receives it in its environment, everything else uses the default."""
    env = os.environ if environ is None else environ
    name = env.get(GSI_NAME_ENV, "").strip()
    return name or GSI_NAME


def validate_name(value: object, *, field: str = "table_name") -> str:
    """`value` if DynamoDB accepts it as a table or index name; ValueError naming the field."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{field} is empty")
    if not _RESOURCE_NAME.fullmatch(value):
        raise ValueError(
            f"{field} {value[:40]!r}{'...' if len(value) > 40 else ''} is not a DynamoDB name: "
            "3-255 characters of a-z, A-Z, 0-9, _, - and ."
        )
    return value


def validate_uuid(value: str, *, field: str = "uuid") -> str:
    """Return `value` in canonical lower-case form, or raise ValueError naming the field."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string UUID, got {type(value).__name__}")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{field} is not a valid UUID: {value!r}") from None
    canonical = str(parsed)
    if value.strip().lower() != canonical:
        raise ValueError(f"{field} is not a canonical UUID (8-4-4-4-12 hex): {value!r}")
    return canonical


def message_pk(group_uuid: str) -> str:
    """Partition key of a conversation's messages."""
    return MESSAGE_PREFIX + validate_uuid(group_uuid, field="message_group_uuid")


def group_pk(user_uuid: str) -> str:
    """Partition key of a user's group rows (one per conversation)."""
    return GROUP_PREFIX + validate_uuid(user_uuid, field="user_uuid")


def message_uuid_pk(message_uuid: str) -> str:
    """The partition of the guard that keeps one message per message_uuid."""
    return MESSAGE_UUID_PREFIX + validate_uuid(message_uuid, field="message_uuid")


def pair_pk(user_uuid: str, other_uuid: str) -> str:
    """The partition of the guard that keeps one conversation per pair of users (in either
    order: the two uuids sorted)."""
    first, second = sorted(
        (validate_uuid(user_uuid, field="user_uuid"), validate_uuid(other_uuid, field="user_uuid"))
    )
    return f"{PAIR_PREFIX}{first}#{second}"


def is_message_pk(pk: str) -> bool:
    return pk.startswith(MESSAGE_PREFIX)


def is_guard_pk(pk: str) -> bool:
    return pk.startswith((MESSAGE_UUID_PREFIX, PAIR_PREFIX))


def is_group_pk(pk: str) -> bool:
    return pk.startswith(GROUP_PREFIX)


def message_insert_filter_pattern() -> dict[str, Any]:
    """The stream mapping's filter, in Lambda's event pattern language: only INSERTs of message
    items invoke the processor, so its own GRP# writes (and any MODIFY or REMOVE) never do.

    Plain JSON data, the one definition: the CDK stack serializes it into FilterCriteria, and the
    local stream pump and the tests match records against it."""
    return {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {PARTITION_KEY: {"S": [{"prefix": MESSAGE_PREFIX}]}}},
    }


def message_group_rows_query(
    *, table_name: str, index_name: str, group_uuid: str
) -> dict[str, Any]:
    """The low-level Query for every GRP# row of one conversation, through the GSI (patterns B's
    conversation lookup and E): the one definition, used by the store and the stream processor,
    whose IAM policy grants exactly this index."""
    return {
        "TableName": table_name,
        "IndexName": index_name,
        "KeyConditionExpression": "#group = :group",
        "ExpressionAttributeNames": {"#group": GSI_PARTITION_KEY},
        "ExpressionAttributeValues": {":group": {"S": group_uuid}},
    }


def uuid_from_pk(pk: str) -> str:
    """The UUID part of a `MSG#`/`GRP#` key; ValueError for anything else."""
    for prefix in (MESSAGE_PREFIX, GROUP_PREFIX):
        if pk.startswith(prefix):
            return validate_uuid(pk[len(prefix) :], field=PARTITION_KEY)
    raise ValueError(f"not a message or group key: {pk!r}")


def create_table_kwargs(
    name: str,
    *,
    read_capacity: int = 5,
    write_capacity: int = 5,
    gsi_read_capacity: int | None = None,
    gsi_write_capacity: int | None = None,
) -> dict[str, Any]:
    """boto3 `create_table` arguments for the table, for places without CloudFormation
    (DynamoDB Local, the ddb tools' schema-load, integration tests). Mirrors the CDK table."""
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": kind}
            for attr, kind in KEY_ATTRIBUTE_TYPES.items()
        ],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": GSI_NAME,
                "KeySchema": [
                    {"AttributeName": GSI_PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": GSI_SORT_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": list(GSI_NON_KEY_ATTRIBUTES),
                },
                "ProvisionedThroughput": {
                    "ReadCapacityUnits": gsi_read_capacity or read_capacity,
                    "WriteCapacityUnits": gsi_write_capacity or write_capacity,
                },
            }
        ],
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {
            "ReadCapacityUnits": read_capacity,
            "WriteCapacityUnits": write_capacity,
        },
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        "SSESpecification": {"Enabled": True},
    }
