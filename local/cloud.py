"""What every part of the local cloud agrees on: where it listens, which credentials it takes, and
how a client of it is made.

moto accepts any credentials; dummy ones keep boto3 and the CDK CLI from looking for real ones
(a developer's profile must never be used against, or leak into, the local endpoint). The ddb
tools take their local defaults from here too: this module is their one definition.

Clients come from one factory per identity (`Clients`), never from a bare endpoint: the
developer's (`developer(endpoint)`, these dummy credentials, which authorization lets through),
the event source mapping's and the function's (sessions of the execution role,
local/authz/credentials.py). No call defaults to the developer: code that forgets whose call it
makes fails, instead of passing locally where AWS would deny it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import boto3

DEFAULT_PORT: Final = 8000
HOST: Final = "localhost"
REGION: Final = "us-east-1"
STATE_DIR_NAME: Final = ".local-cloud"
PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent

DUMMY_CREDENTIALS: Final[Mapping[str, str]] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Variables that would point a tool at a real account instead of the endpoint.
_REAL_ACCOUNT_VARIABLES: Final = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE")


def offline_variables(endpoint: str | None = None) -> dict[str, str]:
    """Dummy credentials and the local region (and the endpoint, when given), as variables."""
    variables = {**DUMMY_CREDENTIALS, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    if endpoint is not None:
        variables["AWS_ENDPOINT_URL"] = endpoint
    return variables


@contextmanager
def offline_environ(
    endpoint: str | None = None, extra: Mapping[str, str] | None = None
) -> Iterator[None]:
    """This process's environment with offline_variables() (plus `extra`) and no real-account
    variables, restored as it was on exit: for tests and benchmarks that run in-process."""
    values = {**offline_variables(endpoint), **(extra or {})}
    names: Iterable[str] = [*values, *_REAL_ACCOUNT_VARIABLES]
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(values)
    for name in _REAL_ACCOUNT_VARIABLES:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def endpoint_url(port: int = DEFAULT_PORT) -> str:
    return f"http://{HOST}:{port}"


def parse_port(value: str) -> int:
    """A TCP port from a command line; ValueError with a one-line reason otherwise."""
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"--port must be a number from 1 to 65535, got {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"--port must be a number from 1 to 65535, got {port}")
    return port


def state_dir(port: int = DEFAULT_PORT) -> Path:
    """What a local cloud on `port` keeps on disk (pump checkpoints, the endpoint's error log):
    one directory per port, so two clouds on different ports share no state."""
    return PROJECT_ROOT / STATE_DIR_NAME / f"port-{port}"


def endpoint_log(port: int = DEFAULT_PORT) -> Path:
    """Where the endpoint writes the tracebacks of requests it could not serve."""
    return state_dir(port) / "endpoint.log"


def environment(endpoint: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) pointed at the local endpoint."""
    env = dict(os.environ if base is None else base)
    for name in _REAL_ACCOUNT_VARIABLES:
        env.pop(name, None)
    env.update(offline_variables(endpoint))
    return env


class Clients:
    """The boto3 clients of one identity on one endpoint, `clients(service)`: one client per
    service, made on first use and kept. A client is thread-safe and costs a model load to make
    (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients);
    a session is not, so clients are made under a lock. Threads sharing a client share its
    standard-mode retry quota."""

    def __init__(self, endpoint: str, credentials: Mapping[str, str], *, identity: str) -> None:
        missing = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} - set(credentials)
        if missing:
            raise ValueError(f"{identity}'s credentials lack {sorted(missing)}")
        self.endpoint = endpoint
        self.credentials: Mapping[str, str] = dict(credentials)
        self.identity = identity
        self._session: Any = boto3.session.Session(
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
            region_name=REGION,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service, endpoint_url=self.endpoint)
            return self._clients[service]

    def __repr__(self) -> str:
        return f"Clients({self.identity} at {self.endpoint})"


@functools.cache
def developer(endpoint: str) -> Clients:
    """The developer's clients of the endpoint (deploy, the tools, the pump's view of the
    Lambda and CloudFormation APIs, table mode): the dummy credentials. One per endpoint."""
    return Clients(endpoint, DUMMY_CREDENTIALS, identity="developer")


def account_id(endpoint: str) -> str:
    """The account the endpoint serves (moto's default), asked of STS like a real account."""
    return str(developer(endpoint)("sts").get_caller_identity()["Account"])
