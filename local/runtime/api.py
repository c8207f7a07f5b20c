"""Lambda's Runtime API for one execution environment, on a free localhost port.

The worker's runtime interface client (awslambdaric) long-polls `invocation/next`, runs the
handler and posts the result to `invocation/{id}/response` or `.../error`; an import or init
failure goes to `init/error`. Paths, headers and status codes follow the Runtime API reference
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). The client keeps one HTTP/1.1
connection open, so every answer carries a Content-Length, and Nagle is off: a small answer
must not wait for a delayed ACK (40 ms on Linux) before it leaves.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

_PREFIX: Final = "/2018-06-01/runtime"
_ERROR_TYPE_HEADER: Final = "Lambda-Runtime-Function-Error-Type"
# close() waits for the server's loop to see the shutdown, up to one poll: at socketserver's
# default 0.5 s, that was half a second added to every kill (a timeout, a cold start, the end).
_SHUTDOWN_POLL_S: Final = 0.05


@dataclass(eq=False)
class Invocation:
    """One event handed to the worker, and what it answered."""

    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    done: threading.Event = field(default_factory=threading.Event)
    response: bytes | None = None
    error: dict[str, Any] | None = None


class RuntimeApi:
    """The Runtime API server of one worker: one invocation at a time, as in Lambda."""

    def __init__(self) -> None:
        self._pending: queue.Queue[Invocation | None] = queue.Queue()
        self._by_id: dict[str, Invocation] = {}
        self.init_error: dict[str, Any] | None = None
        self.init_done = threading.Event()  # the client asked for its first event, or failed
        self._server = _Server(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(_SHUTDOWN_POLL_S,),
            name="runtime-api",
            daemon=True,
        )
        self._thread.start()

    @property
    def address(self) -> str:
        """host:port, the value of AWS_LAMBDA_RUNTIME_API."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def submit(self, invocation: Invocation) -> None:
        self._by_id[invocation.request_id] = invocation
        self._pending.put(invocation)

    def close(self) -> None:
        self._pending.put(None)  # releases a handler blocked in invocation/next
        self._server.shutdown()
        self._server.server_close()

    # -- called by the request handler ---------------------------------------------------------

    def next_invocation(self) -> Invocation | None:
        self.init_done.set()
        return self._pending.get()

    def finish(self, request_id: str, *, response: bytes | None, error: Any = None) -> bool:
        invocation = self._by_id.pop(request_id, None)
        if invocation is None:
            return False
        invocation.response, invocation.error = response, error
        invocation.done.set()
        return True

    def fail_init(self, error: dict[str, Any]) -> None:
        self.init_error = error
        self.init_done.set()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a worker killed mid-request (timeout, shutdown): nothing to report


def _handler_class(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return  # the worker's own lines are the log, not the API's access log

        def _answer(
            self, status: HTTPStatus, body: bytes, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _status(self, status: HTTPStatus, message: str) -> None:
            self._answer(status, json.dumps({"status": message}).encode())

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            if self.path != f"{_PREFIX}/invocation/next":
                self._status(HTTPStatus.NOT_FOUND, "unknown path")
                return
            invocation = api.next_invocation()
            if invocation is None:  # the environment is shutting down
                self.close_connection = True
                self._status(HTTPStatus.GONE, "shutting down")
                return
            self._answer(
                HTTPStatus.OK,
                invocation.payload,
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                },
            )

        def do_POST(self) -> None:
            body = self._body()
            parts = self.path.removeprefix(_PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                api.fail_init(_error_document(body, self.headers.get(_ERROR_TYPE_HEADER)))
                self._status(HTTPStatus.ACCEPTED, "OK")
                return
            if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                if parts[2] == "response":
                    known = api.finish(parts[1], response=body)
                else:
                    error = _error_document(body, self.headers.get(_ERROR_TYPE_HEADER))
                    known = api.finish(parts[1], response=None, error=error)
                if known:
                    self._status(HTTPStatus.ACCEPTED, "OK")
                else:
                    self._status(HTTPStatus.BAD_REQUEST, "InvalidRequestID")
                return
            self._status(HTTPStatus.NOT_FOUND, "unknown path")

    return Handler


def _error_document(body: bytes, error_type: str | None) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        document = {"errorMessage": body.decode(errors="replace")}
    if not isinstance(document, dict):
        document = {"errorMessage": str(document)}
    document.setdefault("errorType", error_type or "Unhandled")
    document.setdefault("errorMessage", "")
    return document
