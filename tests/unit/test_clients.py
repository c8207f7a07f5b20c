"""One client factory per identity: each client made once, and no identity by default."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from local import cloud
from local.pump import StreamPump
from local.pump.failures import FailureDestination
from local.pump.functions import deployed_function
from local.runtime.worker import ExecutionEnvironment

ENDPOINT = "http://localhost:1"


def test_a_factory_makes_each_services_client_once() -> None:
    clients = cloud.Clients(ENDPOINT, cloud.DUMMY_CREDENTIALS, identity="developer")

    assert clients("dynamodb") is clients("dynamodb")
    assert clients("dynamodb") is not clients("dynamodbstreams")
    assert clients("dynamodb").meta.endpoint_url == ENDPOINT


def test_the_developers_factory_is_one_per_endpoint() -> None:
    assert cloud.developer(ENDPOINT) is cloud.developer(ENDPOINT)
    assert cloud.developer(ENDPOINT) is not cloud.developer("http://localhost:2")
    assert cloud.developer(ENDPOINT).credentials == cloud.DUMMY_CREDENTIALS


def test_a_factory_without_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="mapping's credentials lack"):
        cloud.Clients(ENDPOINT, {"AWS_SESSION_TOKEN": "t"}, identity="mapping")


@pytest.mark.parametrize(
    ("callable_", "parameter"),
    [
        (StreamPump, "clients"),
        (FailureDestination, "clients"),
        (ExecutionEnvironment, "credentials"),
        (deployed_function, "credentials"),
        (deployed_function, "logs_client"),
    ],
)
def test_whose_calls_is_never_defaulted(callable_: Callable[..., Any], parameter: str) -> None:
    """A caller that forgets the identity fails at once, instead of running as the developer,
    whom authorization never checks."""
    assert inspect.signature(callable_).parameters[parameter].default is inspect.Parameter.empty
