"""The embedded AWS endpoint: moto's server on localhost, where the course's DynamoDB Local was.

It must listen on "localhost", not 127.0.0.1: moto resolves the template URLs `cdk deploy` hands
to CloudFormation (https://s3.../bucket/key) against its own S3 only for that host name.

    python -m local.server [--port 8000]      serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import socket
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from xml.sax.saxutils import escape

from moto.awslambda.models import LambdaBackend
from moto.logs.models import LogGroup
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

from local import authz, capacity, cloud, dynamodb_costs

_READY_TIMEOUT_S: Final = 10.0
# stop() waits for the server's loop to see the shutdown, up to one poll (socketserver's
# default: 0.5 s).
_SHUTDOWN_POLL_S: Final = 0.05


class StartError(RuntimeError):
    """The endpoint cannot start; the message is one line saying why and what to do."""


class PortInUseError(StartError):
    """Something already listens on the port the endpoint was asked to use."""

    def __init__(self, port: int, *, port_setting: str = "--port N") -> None:
        # port_setting: how the user chose the port (`PORT=N` through make).
        super().__init__(
            f"port {port} is already in use (a running `make local`, DynamoDB Local or another "
            f"server?); stop it or choose another port with {port_setting}"
        )
        self.port = port


class _OneRequestAtATime:
    """moto's backends are not thread-safe: a query running while another thread writes the same
    table can miss items that were there before and after. The server still accepts connections
    on many threads, but the backends see one request at a time, as callers of a real service
    may assume (the pump writing while `bin/ddb/seed` checks a conversation's rows, say)."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()

    @property
    def lock(self) -> threading.Lock:
        """Held while a request runs; whatever else reads or writes moto's backends takes it."""
        return self._lock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        with self._lock:
            # Consume the body inside the lock: a lazy response could still read the backend.
            return list(self._app(environ, start_response))


def _error_response(environ: WSGIEnvironment, message: str) -> tuple[str, list[Any], bytes]:
    """An AWS InternalFailure in the protocol of the request: JSON for the JSON protocols
    (X-Amz-Target or a JSON body: DynamoDB, Lambda), else the query/REST XML envelope, so
    botocore parses it into a ClientError with this code and message."""
    request_id = str(uuid.uuid4())
    content_type = str(environ.get("CONTENT_TYPE", ""))
    headers: list[Any] = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", "InternalFailure")]
    if "HTTP_X_AMZ_TARGET" in environ or "json" in content_type:
        body = json.dumps({"__type": "InternalFailure", "message": message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.0"))
    else:
        body = (
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return "500 Internal Server Error", headers, body


class _AwsErrors:
    """A request moto cannot serve (an unknown region, a string it cannot encode) raises inside
    its backend. Its traceback goes to the endpoint's log file, not the terminal of `make
    local`, and the client gets what AWS sends for its own failures: InternalFailure, 500."""

    def __init__(self, app: WSGIApplication, log_file: Path) -> None:
        self._app = app
        self._log_file = log_file
        self._logger = logging.getLogger(f"local.endpoint.{id(self)}")
        self._logger.propagate = False
        self._handler: logging.Handler | None = None

    def _log(self, environ: WSGIEnvironment) -> None:
        if self._handler is None:  # the file exists only once something went wrong
            self._log_file.parent.mkdir(parents=True, exist_ok=True)
            self._handler = logging.FileHandler(self._log_file, encoding="utf-8")
            self._handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            self._logger.addHandler(self._handler)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        self._logger.exception(
            "%s %s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), target
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            return list(self._app(environ, start_response))
        except Exception as error:
            self._log(environ)
            reason = " ".join(f"{type(error).__name__}: {error}".split())[:300]
            status, headers, body = _error_response(
                environ,
                f"the local cloud could not serve this request ({reason}); see {self._log_file}",
            )
            start_response(status, headers, sys.exc_info())
            return [body]

    def close(self) -> None:
        if self._handler is not None:
            self._logger.removeHandler(self._handler)
            self._handler.close()


class PolicyEngineError(StartError):
    """The policy engine that authorizes role-signed requests cannot run."""


class _Server(ThreadedMotoServer):
    """moto's threaded server with serialized backends and, in front of moto, the authorization
    of role-signed requests; reports a failed bind instead of leaving start() waiting."""

    startup_error: OSError | None = None
    log_file: Path
    authorization: authz.Running | None = None
    capacity: capacity.Running | None = None

    def _server_entry(self) -> None:
        # moto's own _server_entry, with the application wrapped.
        try:
            backends: Any = DomainDispatcherApplication(create_backend_app)
            if self.capacity is not None:  # behind authorization: a denied call consumes nothing
                backends = self.capacity.wrap(backends)
            if self.authorization is not None:
                backends = self.authorization.wrap(backends)
            self.errors = _AwsErrors(backends, self.log_file)
            # Inside the lock: the authorizer and the capacity meter read moto's backends too.
            app = _OneRequestAtATime(self.errors)
            if self.capacity is not None:
                self.capacity.publish_metrics(app.lock)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
        except OSError as error:
            self.startup_error = error
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever(_SHUTDOWN_POLL_S)

    def stop(self) -> None:
        super().stop()
        errors: _AwsErrors | None = getattr(self, "errors", None)
        if errors is not None:
            errors.close()
        if self.authorization is not None:
            self.authorization.stop()
        if self.capacity is not None:  # the last metrics, once no request runs
            self.capacity.stop()


def _hand_streams_to_the_pump() -> None:
    """Stop moto from delivering DynamoDB stream records to Lambda itself.

    moto invokes a mapped function on every write through Docker; without Docker the invoke
    "returns" an error string, and moto then *clears the shard* as if the records had been
    delivered. The stream pump is the event source mapping here, so moto must leave the
    records in the stream. (Only the stream hook is replaced; Lambda's API is untouched.)
    """

    def keep_records(self: LambdaBackend, *_: Any, **__: Any) -> str:
        return ""  # falsy: moto keeps the shard's records

    if not hasattr(LambdaBackend, "send_dynamodb_items"):
        raise RuntimeError("this moto version has no LambdaBackend.send_dynamodb_items to replace")
    LambdaBackend.send_dynamodb_items = keep_records  # type: ignore[method-assign]


def _log_group_arn_as_cloudformation_returns_it() -> None:
    """`Fn::GetAtt LogGroup.Arn` ends in `:*` in AWS ("arn:aws:logs:...:log-group:NAME:*", the
    Return values of AWS::Logs::LogGroup in the CloudFormation User Guide); moto returns it
    without. A role policy granting logs:PutLogEvents on that ARN would then deny the function's
    log streams here and allow them in AWS: give the deployed policies AWS's ARN."""
    original = LogGroup.get_cfn_attribute
    if getattr(original, "_with_stream_wildcard", False):
        return

    def get_cfn_attribute(self: LogGroup, attribute_name: str) -> Any:
        value = original(self, attribute_name)
        return f"{value}:*" if attribute_name == "Arn" else value

    get_cfn_attribute._with_stream_wildcard = True  # type: ignore[attr-defined]
    LogGroup.get_cfn_attribute = get_cfn_attribute  # type: ignore[method-assign]


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for tests and benchmarks."""
    with socket.socket() as sock:
        sock.bind((cloud.HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option as the server's own bind, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((cloud.HOST, port))
        except OSError:
            return False
    return True


def start(
    port: int = cloud.DEFAULT_PORT,
    *,
    log_file: Path | None = None,
    authorize: bool = True,
    enforce_capacity: bool | None = None,
    capacity_clock: capacity.Clock = capacity.MONOTONIC,
    metrics_interval_s: float = capacity.METRICS_INTERVAL_S,
) -> ThreadedMotoServer:
    """Start the endpoint in a background thread of this process, with the policy engine that
    authorizes role-signed requests (authorize=False: moto alone, for tests that need no role).
    DynamoDB capacity is metered and enforced (local/capacity); enforce_capacity=False, or
    LOCAL_CAPACITY=unlimited when it is None, meters without refusing anything.
    Tracebacks of requests it cannot serve go to `log_file` (default: cloud.endpoint_log).
    StartError (PortInUseError, PolicyEngineError) with one line if it cannot start."""
    if not 0 < port < 65536:
        raise ValueError(f"port must be between 1 and 65535, got {port}")
    if not port_is_free(port):
        raise PortInUseError(port)
    authorization = None
    if authorize:
        try:
            authorization = authz.start()
        except authz.EngineUnavailable as error:
            raise PolicyEngineError(str(error)) from None
    _hand_streams_to_the_pump()
    _log_group_arn_as_cloudformation_returns_it()
    dynamodb_costs.install()
    # One access-log line per request would drown the pump's one line per batch.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Types moto's CloudFormation skips (alarms, queue and bucket policies) are listed in
    # docs/local-cloud.md; one warning each per deploy would bury the deploy's own output.
    logging.getLogger("moto").addFilter(
        lambda record: not record.getMessage().startswith("No Moto CloudFormation support")
    )
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    server = _Server(ip_address=cloud.HOST, port=port, verbose=False)
    server.log_file = log_file or cloud.endpoint_log(port)
    server.authorization = authorization
    server.capacity = capacity.start(
        enforce=enforce_capacity, clock=capacity_clock, metrics_interval_s=metrics_interval_s
    )
    server.start()
    if server.startup_error is not None:
        server.stop()
        if server.startup_error.errno == errno.EADDRINUSE:
            raise PortInUseError(port) from None
        raise server.startup_error
    wait_until_ready(cloud.endpoint_url(port))
    return server


def wait_until_ready(endpoint: str, timeout_s: float = _READY_TIMEOUT_S) -> None:
    """Block until the endpoint answers an STS call; TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cloud.account_id(endpoint)
            return
        except Exception as error:  # any failure means "not yet"
            if time.monotonic() > deadline:
                raise TimeoutError(f"no AWS endpoint answered at {endpoint}: {error}") from None
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=str(cloud.DEFAULT_PORT))
    args = parser.parse_args(argv)
    try:
        args.port = cloud.parse_port(args.port)
        server = start(args.port)
    except (StartError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"local cloud listening on {cloud.endpoint_url(args.port)} (state in memory; Ctrl-C)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("local cloud stopped")
    finally:
        server.stop()
        print(authz.audit_summary())
        print(capacity.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
