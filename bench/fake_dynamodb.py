"""An in-process DynamoDB for the stream processor's three calls, answered at the HTTP layer.

It registers on a real botocore client's `before-send` event, so everything the SDK does for a
call (parameter validation, serialization, signing, retries, parsing) still runs; only the socket
is replaced, by a fixed round trip (`round_trip_s`) and an answer from a dict. Conditional writes
follow group_rows.py's two conditions exactly; a row can be kept out of the index (`hidden`) to play
a GSI that has not caught up. Thread-safe: the processor calls it from its pool.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, Final

from botocore.awsrequest import AWSResponse

from cruddur_messages import schema
from stream_processor import group_rows

_ERROR_PREFIX: Final = "com.amazonaws.dynamodb.v20120810#"
Key = tuple[str, str]


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class FakeDynamoDB:
    def __init__(self, *, round_trip_s: float = 0.0) -> None:
        self.round_trip_s = round_trip_s
        self.items: dict[Key, dict[str, Any]] = {}
        self.hidden: set[Key] = set()
        self._by_group: dict[str, set[Key]] = {}
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def attached(self, client: Any) -> Iterator[Any]:
        """`client` answered by this fake until the block ends (the handler's client is cached,
        so the fake must not outlive its test or run)."""
        client.meta.events.register("before-send.dynamodb", self._answer)
        try:
            yield client
        finally:
            client.meta.events.unregister("before-send.dynamodb", self._answer)

    @staticmethod
    def key(item: Mapping[str, Any]) -> Key:
        return item[schema.PARTITION_KEY]["S"], item[schema.SORT_KEY]["S"]

    def _store(self, item: Mapping[str, Any]) -> None:
        key = self.key(item)
        old = self.group_of(key)
        if old is not None:
            self._by_group[old].discard(key)
        self.items[key] = dict(item)
        self._by_group.setdefault(item[schema.GSI_PARTITION_KEY]["S"], set()).add(key)

    def seed(self, item: Mapping[str, Any], *, indexed: bool = True) -> None:
        """A wire-format item; `indexed=False` keeps it out of the GSI."""
        self._store(item)
        if not indexed:
            self.hidden.add(self.key(item))

    def group_of(self, key: Key) -> str | None:
        item = self.items.get(key)
        return item[schema.GSI_PARTITION_KEY]["S"] if item else None

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        if self.round_trip_s:
            time.sleep(self.round_trip_s)
        target = request.headers["X-Amz-Target"]
        operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
        body = json.loads(request.body or b"{}")
        with self._lock:
            self.requests[operation] += 1
            status, payload = self._dispatch(operation, body)
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fake"}
        return AWSResponse(request.url, status, headers, _Body(json.dumps(payload).encode()))

    def _dispatch(self, operation: str, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        if operation == "Query":
            value = body["ExpressionAttributeValues"][":group"]["S"]
            keys = sorted(self._by_group.get(value, ()), key=lambda k: k[1])
            found = [self.items[key] for key in keys if key not in self.hidden]
            return 200, {"Items": found, "Count": len(found), "ScannedCount": len(found)}
        if operation == "PutItem" and body.get("ConditionExpression") == group_rows._PUT_CONDITION:
            item = body["Item"]
            owner = self.group_of(self.key(item))
            if owner is not None and owner != item[schema.GSI_PARTITION_KEY]["S"]:
                return _error("ConditionalCheckFailedException")
            self._store(item)
            return 200, {}
        if (
            operation == "DeleteItem"
            and body.get("ConditionExpression") == group_rows._DELETE_CONDITION
        ):
            key = self.key(body["Key"])
            if self.group_of(key) != body["ExpressionAttributeValues"][":group"]["S"]:
                return _error("ConditionalCheckFailedException")
            self._by_group[self.items.pop(key)[schema.GSI_PARTITION_KEY]["S"]].discard(key)
            self.hidden.discard(key)
            return 200, {}
        return _error("ValidationException", f"the fake does not serve this {operation}")


def _error(code: str, message: str = "") -> tuple[int, dict[str, Any]]:
    return 400, {"__type": _ERROR_PREFIX + code, "message": message or code}
