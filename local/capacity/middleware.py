"""The WSGI layer in front of moto: meters every DynamoDB data-plane request, refuses what the
buckets cannot pay for before moto sees it, and writes ConsumedCapacity as DynamoDB does.

It runs inside the endpoint's one-request-at-a-time lock, so the items it reads (the item before
a write) and the buckets it checks cannot change between the check and moto's write.
"""

from __future__ import annotations

import binascii
import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from moto.iam.models import get_account_id_from

from local.capacity import deployed, plan, responses
from local.capacity.buckets import Buckets
from local.capacity.ledger import Ledger
from local.capacity.metering import Consumed
from local.capacity.reads import PAGE
from local.capacity.responses import Shortfall

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_TARGET_PREFIX: Final = "DynamoDB_20120810."
_GET_RECORDS: Final = "DynamoDBStreams_20120810.GetRecords"
# moto's shard iterators name their table: "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/.."
_ITERATOR_TABLE: Final = re.compile(r":table/([^/]+)/stream/")
_CREDENTIAL: Final = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")
_DEFAULT_REGION: Final = "us-east-1"
CAPACITY_PATH: Final = "/_local/capacity"


_ACCOUNTS: dict[str, str] = {}  # access key -> account: a key's account never changes


def _where(environ: WSGIEnvironment) -> tuple[str, str]:
    """The account and region moto serves the request in (moto's own order of precedence)."""
    found = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    access_key, region = (found.group(1), found.group(2)) if found else ("", _DEFAULT_REGION)
    account = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if not account:
        account = _ACCOUNTS.get(access_key)
        if account is None:
            account = _ACCOUNTS[access_key] = str(get_account_id_from(access_key))
    return str(account), region


def _parts(consumed: Consumed) -> Iterable[tuple[str | None, str, float]]:
    yield None, "Read", consumed.read
    yield None, "Write", consumed.write
    for name, units in consumed.index_read.items():
        yield name, "Read", units
    for name, units in consumed.index_write.items():
        yield name, "Write", units


def _by_table(
    actions: Iterable[plan.Action], costs: Iterable[Consumed]
) -> dict[str, tuple[deployed.DeployedTable, Consumed]]:
    grouped: dict[str, tuple[deployed.DeployedTable, Consumed]] = {}
    for action, cost in zip(actions, costs, strict=True):
        entry = grouped.setdefault(action.name, (action.table, Consumed(action.name)))
        entry[1].add(cost)
    return grouped


class CapacityApp:
    def __init__(
        self, app: WSGIApplication, buckets: Buckets, ledger: Ledger, *, enforce: bool
    ) -> None:
        self._app = app
        self.buckets = buckets
        self.ledger = ledger
        self.enforce = enforce
        self._moto_s = 0.0  # time in moto during the current request (not the layer's own)

    # -- buckets ---------------------------------------------------------------------------

    def shortfalls(
        self, grouped: dict[str, tuple[deployed.DeployedTable, Consumed]]
    ) -> list[Shortfall]:
        now = self.buckets.clock()
        short: list[Shortfall] = []
        for table, consumed in grouped.values():
            if table.on_demand:
                continue  # not throttled by provisioned capacity (on-demand maximums: see docs)
            for index, kind, units in _parts(consumed):
                if units <= 0:
                    continue
                throughput = table.throughput(index)
                rate = throughput.read if kind == "Read" else throughput.write
                bucket = self.buckets.bucket((table.arn, table.generation, index, kind), rate)
                if not bucket.admits(rate, units, now):
                    short.append(
                        Shortfall(table.schema.name, table.resource_arn(index), index, kind)
                    )
        return short

    def charge(self, grouped: dict[str, tuple[deployed.DeployedTable, Consumed]]) -> None:
        for table, consumed in grouped.values():
            if table.on_demand:
                continue
            for index, kind, units in _parts(consumed):
                if units > 0:
                    throughput = table.throughput(index)
                    rate = throughput.read if kind == "Read" else throughput.write
                    self.buckets.bucket((table.arn, table.generation, index, kind), rate).charge(
                        units
                    )

    @staticmethod
    def _provisioned(table: deployed.DeployedTable) -> dict[str | None, tuple[float, float]]:
        if table.on_demand:
            return {None: (0.0, 0.0), **{i.name: (0.0, 0.0) for i in table.schema.indexes}}
        found: dict[str | None, tuple[float, float]] = {}
        for index in (None, *(i.name for i in table.schema.indexes)):
            throughput = table.throughput(index)
            found[index] = (throughput.read, throughput.write)
        return found

    # -- the request -----------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CAPACITY_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(self.ledger.counts()).encode()]
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target == _GET_RECORDS:
            return self._get_records(environ, start_response)
        operation = target[len(_TARGET_PREFIX) :] if target.startswith(_TARGET_PREFIX) else ""
        if operation not in plan.METERED:
            return self._app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        started = time.perf_counter()  # after the body arrived: waiting for it is not the layer's
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._app(environ, start_response)
        where = _where(environ)
        actions = plan.actions(operation, body, lambda name: deployed.find(*where, name))
        if not actions:
            return self._app(environ, start_response)
        self._moto_s = 0.0
        answer = self._serve(environ, start_response, operation, body, actions=actions, where=where)
        self.ledger.timed(time.perf_counter() - started - self._moto_s)
        return answer

    def _serve(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        operation: str,
        body: dict[str, Any],
        *,
        actions: list[plan.Action],
        where: tuple[str, str],
    ) -> list[bytes]:
        admitted, refused, short = self._admit(operation, actions)
        if short:
            self._record_throttle(where, operation, refused or actions, short)
        if not admitted:
            error = _refusal(operation, actions, short)
            return _answer(start_response, "400 Bad Request", responses.encode(error))
        if refused:  # a batch goes on with what the buckets can pay for
            environ = _without(environ, operation, body, refused)
        status, headers, chunks, sizes = self._forward(environ, operation, admitted, where)
        succeeded = status.startswith("200")
        condition_failed = (
            status.startswith("400") and operation in plan.SINGLE_WRITES
            and b"ConditionalCheckFailedException" in chunks
        )  # fmt: skip
        if succeeded or condition_failed:
            costs = [a.after(sizes, condition_failed) for a in admitted]
            grouped = _by_table(admitted, costs)
            if self.enforce:
                self.charge(grouped)
            for table, consumed in grouped.values():
                self.ledger.consumed(where, consumed, self._provisioned(table))
            if succeeded:
                rewritten = self._rewrite(operation, body, chunks, grouped, refused)
                if rewritten is not chunks:
                    chunks, headers = rewritten, _replace_checksum(headers, rewritten)
        start_response(status, headers)
        return [chunks]

    def _forward(
        self,
        environ: WSGIEnvironment,
        operation: str,
        admitted: list[plan.Action],
        where: tuple[str, str],
    ) -> tuple[str, list[tuple[str, str]], bytes, list[int]]:
        """moto's answer (status, headers, body) and the sizes its Query/Scan page read."""
        PAGE.sizes = [] if any(action.kind == "Page" for action in admitted) else None
        PAGE.seconds = 0.0
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda _: None

        tables = dict.fromkeys(action.name for action in admitted)
        moto_started = time.perf_counter()
        try:
            chunks = b"".join(self._app(environ, capture))
            sizes = list(PAGE.sizes or [])
        except Exception:  # answered as InternalFailure (500) by the endpoint's error layer
            for name in tables:
                self.ledger.system_error(where, name, operation)
            raise
        finally:
            PAGE.sizes = None
            self._moto_s = time.perf_counter() - moto_started - PAGE.seconds
        status: str = captured.get("status", "500 Internal Server Error")
        if status.startswith("5"):
            for name in tables:
                self.ledger.system_error(where, name, operation)
        return status, list(captured.get("headers", [])), chunks, sizes

    def _get_records(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """Streams' GetRecords is not metered in capacity units; its HTTP 500s are SystemErrors."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        found = _ITERATOR_TABLE.search(raw.decode("utf-8", "replace"))
        captured: list[str] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.append(status)
            return start_response(status, headers, exc_info)

        try:
            chunks = list(self._app(environ, capture))
        except Exception:
            captured.append("500")
            raise
        finally:
            if found and captured and captured[-1].startswith("5"):
                self.ledger.system_error(_where(environ), found.group(1), "GetRecords")
        return chunks

    def _admit(
        self, operation: str, actions: list[plan.Action]
    ) -> tuple[list[plan.Action], list[plan.Action], list[Shortfall]]:
        """(admitted, refused, shortfalls). A batch admits item by item what the buckets can pay
        for and returns the rest as unprocessed; any other request is admitted whole or not."""
        if not self.enforce:
            return actions, [], []
        if operation not in ("BatchGetItem", "BatchWriteItem"):
            short = self.shortfalls(_by_table(actions, [a.before() for a in actions]))
            return ([], actions, short) if short else (actions, [], [])
        admitted: list[plan.Action] = []
        refused: list[plan.Action] = []
        short_all: list[Shortfall] = []
        for action in actions:
            trial = [*admitted, action]
            short = self.shortfalls(_by_table(trial, [a.before() for a in trial]))
            if short:
                refused.append(action)
                short_all.extend(s for s in short if s not in short_all)
            else:
                admitted.append(action)
        return admitted, refused, short_all

    def _record_throttle(
        self,
        where: tuple[str, str],
        operation: str,
        refused: list[plan.Action],
        short: list[Shortfall],
    ) -> None:
        events = [(s.table, s.index, s.kind) for s in short]
        # A batch counts one throttle event per item refused, on the resources that refused it.
        if operation in ("BatchGetItem", "BatchWriteItem"):
            kinds = {(s.table, s.index, s.kind) for s in short}
            events = [event for action in refused for event in kinds if event[0] == action.name]
        provisioned = {
            (a.name, index): value
            for a in refused
            for index, value in self._provisioned(a.table).items()
        }
        self.ledger.throttled(where, operation, events, provisioned)

    def _rewrite(
        self,
        operation: str,
        body: dict[str, Any],
        chunks: bytes,
        grouped: dict[str, tuple[deployed.DeployedTable, Consumed]],
        refused: list[plan.Action],
    ) -> bytes:
        mode = str(body.get("ReturnConsumedCapacity", "NONE"))
        if mode not in ("TOTAL", "INDEXES") and not refused and b'"ConsumedCapacity"' not in chunks:
            return chunks  # nothing to write: the answer stays moto's bytes
        try:
            answer = json.loads(chunks)
        except ValueError:
            return chunks
        if mode in ("TOTAL", "INDEXES"):
            answer["ConsumedCapacity"] = responses.consumed_capacity(
                operation, mode, {name: consumed for name, (_, consumed) in grouped.items()}
            )
        else:
            answer.pop("ConsumedCapacity", None)
        if refused:
            _unprocessed(operation, body, answer, refused)
        return responses.encode(answer)


def _refusal(operation: str, actions: list[plan.Action], short: list[Shortfall]) -> dict[str, Any]:
    if not operation.startswith("Transact"):
        return responses.throttled(short)
    by_table: dict[str, list[Shortfall]] = {}
    for shortfall in short:
        by_table.setdefault(shortfall.table, []).append(shortfall)
    return responses.cancelled([action.name for action in actions], by_table)


def _without(
    environ: WSGIEnvironment, operation: str, body: dict[str, Any], refused: list[plan.Action]
) -> WSGIEnvironment:
    """The request without the batch items the buckets refused."""
    drop = {action.origin for action in refused}
    items: dict[str, Any] = {}
    for name, request in body["RequestItems"].items():
        if operation == "BatchWriteItem":
            kept = [r for i, r in enumerate(request) if (name, i) not in drop]
            if kept:
                items[name] = kept
        else:
            keys = [k for i, k in enumerate(request["Keys"]) if (name, i) not in drop]
            if keys:
                items[name] = {**request, "Keys": keys}
    raw = responses.encode({**body, "RequestItems": items})
    return {**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}


def _unprocessed(
    operation: str, body: dict[str, Any], answer: dict[str, Any], refused: list[plan.Action]
) -> None:
    field = "UnprocessedItems" if operation == "BatchWriteItem" else "UnprocessedKeys"
    unprocessed: dict[str, Any] = answer.get(field) or {}
    for action in refused:
        assert action.origin is not None
        name, position = action.origin
        request = body["RequestItems"][name]
        if operation == "BatchWriteItem":
            unprocessed.setdefault(name, []).append(request[position])
        else:
            entry = unprocessed.setdefault(name, {k: v for k, v in request.items() if k != "Keys"})
            entry.setdefault("Keys", []).append(request["Keys"][position])
    answer[field] = unprocessed


def _replace_checksum(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")]
    return [*kept, ("Content-Length", str(len(body))), ("x-amz-crc32", str(binascii.crc32(body)))]


def _answer(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Length", str(len(body))),
            ("x-amz-crc32", str(binascii.crc32(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]
