"""What DynamoDB puts in the request context of each item-level call: the action(s) IAM checks,
the resource ARN and the `dynamodb:*` condition keys. Pure: no sockets, no moto.

AWS's rules, from the DynamoDB Developer Guide's "Using IAM policy conditions for fine-grained
access control" (specifying-conditions.html) and "Using IAM with DynamoDB transactions"
(transaction-apis-iam.html):
- `dynamodb:LeadingKeys` is the partition key value(s) the request touches (plural even for one
  item): from Key, Item, or the key condition's equality on the partition key of the table or
  of the index queried.
- `dynamodb:Attributes` lists the top-level attribute names the request names: the item's or
  key's attributes, and those in projection, condition, filter, key-condition and update
  expressions (a nested path `a.b[0]` counts as `a`).
- `dynamodb:Select` is Query's and Scan's Select; absent, it is SPECIFIC_ATTRIBUTES with a
  projection, else ALL_PROJECTED_ATTRIBUTES on an index and ALL_ATTRIBUTES on a table.
- `dynamodb:ReturnValues` always has a value on a write (NONE unless the request says).
- A transaction is authorized item by item as the underlying PutItem, UpdateItem, DeleteItem,
  ConditionCheckItem or GetItem, with `dynamodb:EnclosingOperation` naming the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

ContextValue = str | list[str]


@dataclass(frozen=True)
class Check:
    """One authorization IAM performs for a request: an action on a resource, with the
    service-specific context keys (the global ones are added by the authorizer)."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


class UnsupportedRequest(Exception):
    """A request the local authorizer does not model: it is refused, never waved through."""


# The partition key attribute of a table (index None) or of one of its indexes; None if unknown.
PartitionKeyOf = Callable[[str, str | None], str | None]

_TOKEN: Final = re.compile(r"#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*|\S")
_KEYWORDS: Final = frozenset(
    {"and", "or", "not", "between", "in", "set", "remove", "add", "delete"}
)
_FUNCTIONS: Final = frozenset(
    {
        "attribute_exists",
        "attribute_not_exists",
        "attribute_type",
        "begins_with",
        "contains",
        "size",
        "if_not_exists",
        "list_append",
    }
)
_WRITES: Final = frozenset({"PutItem", "DeleteItem", "UpdateItem"})
_TRANSACT_ACTIONS: Final = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_EXPRESSIONS: Final = (
    "ProjectionExpression",
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "UpdateExpression",
)
_LEGACY_NAME_MAPS: Final = (
    "Expected",
    "AttributeUpdates",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
)


def expression_names(expression: str, aliases: Mapping[str, str]) -> list[str]:
    """The top-level attribute names an expression refers to, aliases (#n) resolved."""
    tokens = _TOKEN.findall(expression)
    names: list[str] = []
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else ""
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token.startswith(":") or previous == "." or not (token[0] == "#" or token[0].isalpha()):
            continue  # a value, a nested path segment, or punctuation
        if token[0] != "#" and (
            token.lower() in _KEYWORDS or (token.lower() in _FUNCTIONS and following == "(")
        ):
            continue
        name = aliases.get(token, token) if token.startswith("#") else token
        if name not in names:
            names.append(name)
    return names


def _scalar(value: Mapping[str, Any]) -> str | None:
    """The string IAM compares for a key value ({"S": "x"} -> "x")."""
    for type_ in ("S", "N", "B"):
        if type_ in value:
            return str(value[type_])
    return None


def _partition_value_from_condition(body: Mapping[str, Any], partition_key: str) -> str | None:
    aliases = body.get("ExpressionAttributeNames", {})
    values = body.get("ExpressionAttributeValues", {})
    expression = body.get("KeyConditionExpression")
    if expression:
        tokens = _TOKEN.findall(expression)
        for index, symbol in enumerate(tokens[1:-1], start=1):
            if symbol != "=":
                continue
            left, right = tokens[index - 1], tokens[index + 1]
            for name, value in ((left, right), (right, left)):
                if aliases.get(name, name) == partition_key and value in values:
                    return _scalar(values[value])
        return None
    condition = body.get("KeyConditions", {}).get(partition_key)
    if condition and condition.get("ComparisonOperator") == "EQ":
        return _scalar(condition["AttributeValueList"][0])
    return None


def _attributes(body: Mapping[str, Any], *, item_keys: Iterable[str] = ()) -> list[str]:
    aliases = body.get("ExpressionAttributeNames", {})
    names: list[str] = list(item_keys)
    for parameter in _EXPRESSIONS:
        if body.get(parameter):
            names += expression_names(body[parameter], aliases)
    names += list(body.get("AttributesToGet", []))
    for parameter in _LEGACY_NAME_MAPS:
        names += list(body.get(parameter, {}))
    return list(dict.fromkeys(names))


def table_arn(region: str, account: str, table: str) -> str:
    if table.startswith("arn:"):
        return table  # DynamoDB accepts a table ARN wherever it takes a name
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}"


def _single_item(
    operation: str, body: Mapping[str, Any], arn: str, partition_key: str | None
) -> Check:
    item_like = body.get("Item") if operation == "PutItem" else body.get("Key")
    item_like = item_like or {}
    context: dict[str, ContextValue] = {}
    leading = _scalar(item_like.get(partition_key, {})) if partition_key else None
    if leading is not None:
        context["dynamodb:LeadingKeys"] = [leading]
    attributes = _attributes(body, item_keys=item_like)
    if attributes:
        context["dynamodb:Attributes"] = attributes
    if operation in _WRITES:
        context["dynamodb:ReturnValues"] = body.get("ReturnValues", "NONE")
    return Check(f"dynamodb:{operation}", arn, context)


def _read_many(
    operation: str, body: Mapping[str, Any], region: str, account: str, key_of: PartitionKeyOf
) -> Check:
    table = body["TableName"]
    index = body.get("IndexName")
    arn = table_arn(region, account, table) + (f"/index/{index}" if index else "")
    context: dict[str, ContextValue] = {}
    if operation == "Query":
        partition_key = key_of(table, index)
        leading = _partition_value_from_condition(body, partition_key) if partition_key else None
        if leading is not None:
            context["dynamodb:LeadingKeys"] = [leading]
    attributes = _attributes(body)
    if attributes:
        context["dynamodb:Attributes"] = attributes
    if "Select" in body:
        context["dynamodb:Select"] = body["Select"]
    elif body.get("ProjectionExpression") or body.get("AttributesToGet"):
        context["dynamodb:Select"] = "SPECIFIC_ATTRIBUTES"
    else:
        context["dynamodb:Select"] = "ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES"
    return Check(f"dynamodb:{operation}", arn, context)


def _batch_write(
    body: Mapping[str, Any], region: str, account: str, key_of: PartitionKeyOf
) -> list[Check]:
    checks = []
    for table, requests in body.get("RequestItems", {}).items():
        partition_key = key_of(table, None)
        leading: list[str] = []
        attributes: list[str] = []
        for request in requests:
            item = (request.get("PutRequest") or {}).get("Item") or (
                request.get("DeleteRequest") or {}
            ).get("Key", {})
            value = _scalar(item.get(partition_key, {})) if partition_key else None
            if value is not None and value not in leading:
                leading.append(value)
            attributes += [name for name in item if name not in attributes]
        context: dict[str, ContextValue] = {"dynamodb:Attributes": attributes}
        if leading:
            context["dynamodb:LeadingKeys"] = leading
        checks.append(Check("dynamodb:BatchWriteItem", table_arn(region, account, table), context))
    return checks


def _transaction(
    operation: str, body: Mapping[str, Any], region: str, account: str, key_of: PartitionKeyOf
) -> list[Check]:
    checks = []
    for entry in body.get("TransactItems", []):
        ((kind, request),) = entry.items()
        action = _TRANSACT_ACTIONS[kind]
        arn = table_arn(region, account, request["TableName"])
        check = _single_item(action, request, arn, key_of(request["TableName"], None))
        context = {**check.context, "dynamodb:EnclosingOperation": operation}
        checks.append(Check(check.action, arn, context))
    return checks


def dynamodb_checks(
    operation: str, body: Mapping[str, Any], *, region: str, account: str, key_of: PartitionKeyOf
) -> Sequence[Check]:
    """The checks IAM makes for one DynamoDB (not Streams) call."""
    if operation in ("GetItem", "PutItem", "DeleteItem", "UpdateItem"):
        table = body["TableName"]
        arn = table_arn(region, account, table)
        return [_single_item(operation, body, arn, key_of(table, None))]
    if operation in ("Query", "Scan"):
        return [_read_many(operation, body, region, account, key_of)]
    if operation == "BatchWriteItem":
        return _batch_write(body, region, account, key_of)
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return _transaction(operation, body, region, account, key_of)
    if operation in ("DescribeTable", "DescribeTimeToLive", "DescribeContinuousBackups"):
        return [Check(f"dynamodb:{operation}", table_arn(region, account, body["TableName"]))]
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Check(f"dynamodb:{operation}", "*")]
    raise UnsupportedRequest(f"dynamodb:{operation}")


def streams_checks(operation: str, body: Mapping[str, Any]) -> Sequence[Check]:
    """DynamoDB Streams: DescribeStream and GetShardIterator name the stream; GetRecords names
    it through its iterator (moto's iterators start with the stream ARN, before "|");
    ListStreams has no resource-level permissions (Resource "*")."""
    if operation in ("DescribeStream", "GetShardIterator"):
        return [Check(f"dynamodb:{operation}", body["StreamArn"])]
    if operation == "GetRecords":
        return [Check("dynamodb:GetRecords", str(body["ShardIterator"]).split("|", 1)[0])]
    if operation == "ListStreams":
        return [Check("dynamodb:ListStreams", "*")]
    raise UnsupportedRequest(f"dynamodb:{operation}")
