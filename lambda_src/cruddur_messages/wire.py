"""The store's side of the DynamoDB API: typed attribute values, paged queries, the fields of a
refusal. Only a low-level client is accepted, so values have one form on the wire."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

T = TypeVar("T")

_SERIALIZER: Final = TypeSerializer()
_DESERIALIZER: Final = TypeDeserializer()


def require_client(client: object) -> None:
    """TypeError unless `client` is a low-level DynamoDB client."""
    # A resource or Table would fail only at the first request, with an AttributeError.
    service_model = getattr(getattr(client, "meta", None), "service_model", None)
    if getattr(service_model, "service_name", None) != "dynamodb":
        raise TypeError(
            "client must be a low-level DynamoDB client (boto3.client('dynamodb')), "
            f"got {type(client).__name__}"
        )


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in item.items()}


def deserialize(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZER.deserialize(value) for name, value in raw.items()}


def query(client: Any, **request: Any) -> Iterator[dict[str, Any]]:
    """Every item of a Query, as plain values, one response page at a time and lazily: a caller
    that stops early sends no further request."""
    while True:
        response = client.query(**request)
        for raw in response.get("Items", []):
            yield deserialize(raw)
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def parsed(parse: Callable[[Mapping[str, Any]], T], item: Mapping[str, Any]) -> T | None:
    """The model of an item, or None when it is not one: the table is shared, and another
    writer's item (or one of ours damaged by hand) is counted and left out, never raised."""
    try:
        return parse(item)
    except (ValueError, TypeError):
        return None


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def holder_message_uuid(error: ClientError) -> str | None:
    """The message_uuid of the item that failed a put's condition (ALL_OLD)."""
    holder = error.response.get("Item")
    value = holder.get("message_uuid") if isinstance(holder, Mapping) else None
    return value.get("S") if isinstance(value, Mapping) else None


def cancellation_codes(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]
