"""The store's side of the DynamoDB API: its client's config, each request's bound under
throttling, typed attribute values, paged queries, the fields of a refusal. Only a low-level
client is accepted, so values have one form on the wire."""

from __future__ import annotations

import contextlib
import contextvars
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from cruddur_messages import retries
from cruddur_messages.errors import TableBusyError

T = TypeVar("T")

_SERIALIZER: Final = TypeSerializer()
_DESERIALIZER: Final = TypeDeserializer()


# A store call ends within this bound when the table throttles: a backend request behind it has
# a gateway timeout of ~29-30 s, and a user waiting for "send" should hear "busy" within seconds.
DEFAULT_BUSY_TIMEOUT_S: Final = 3.0
# A user-facing wait: backoff from 50 ms to at most 0.5 s, several tries inside the bound.
STORE_BACKOFF: Final = retries.Backoff(base_s=0.05, cap_s=0.5)
# The hint in TableBusyError: a provisioned table refills its capacity every second.
RETRY_AFTER_S: Final = 1.0
# Per attempt: DynamoDB answers in milliseconds; these bound a broken connection, not a call.
CONNECT_TIMEOUT_S: Final = 1.0
READ_TIMEOUT_S: Final = 1.0

# The deadline of the store call in progress on this thread (set by `deadline`).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def client_config() -> Config:
    """The store's client: one attempt per botocore call (the store retries, within its bound,
    and no retry quota is shared), short timeouts. `boto3.client("dynamodb",
    config=client_config())`; merge it over a config of your own with `Config.merge`."""
    options: dict[str, Any] = dict(
        retries=dict(retries.SINGLE_ATTEMPT),
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    return Config(**options)


@contextlib.contextmanager
def deadline(bound_s: float, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Every request inside shares one deadline, `bound_s` from now (an outer one wins)."""
    if _DEADLINE.get() is not None:
        yield
        return
    token = _DEADLINE.set(clock() + bound_s)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class BoundedClient:
    """The caller's client, each request retried while DynamoDB throttles it (and a few times on
    a transient error), never past the call's deadline: then TableBusyError, nothing written.
    A request outside `deadline` gets its own, `bound_s` from its start."""

    _OPERATIONS: Final = frozenset(
        {"query", "get_item", "put_item", "delete_item", "transact_write_items"}
    )

    def __init__(
        self,
        client: Any,
        *,
        bound_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Any = random,
    ) -> None:
        self._client = client
        self.bound_s = bound_s
        self._clock = clock
        self._sleep = sleep
        self._rng = rng

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self._OPERATIONS:
            return attribute
        return lambda **request: self._send(attribute, request)

    def _send(self, operation: Callable[..., Any], request: Mapping[str, Any]) -> Any:
        started = self._clock()
        ends = _DEADLINE.get() or started + self.bound_s
        throttled = transient = 0
        while True:
            try:
                return operation(**request)
            except Exception as error:
                if retries.is_throttle(error):
                    throttled += 1
                    wait_s = STORE_BACKOFF.delay_s(throttled, self._rng)
                    if self._clock() + wait_s >= ends:
                        raise TableBusyError(RETRY_AFTER_S, self._clock() - started) from error
                elif retries.is_transient(error) and transient + 1 < retries.TRANSIENT_ATTEMPTS:
                    transient += 1
                    wait_s = STORE_BACKOFF.delay_s(transient, self._rng)
                    if self._clock() + wait_s >= ends:
                        raise
                else:
                    raise
            self._sleep(wait_s)


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
    return retries.error_code(error)


def cancellation_codes(error: ClientError) -> list[str]:
    return retries.cancellation_codes(error)
