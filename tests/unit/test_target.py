"""Where a ddb command goes without --prod: the local cloud's own endpoint and region by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from cruddur_messages import clients as library_clients
from local import cloud
from tools.errors import ToolError
from tools.target import clients, resolve


@pytest.fixture(autouse=True)
def _no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's profile region must not decide what these tests see.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_the_default_target_is_the_local_cloud() -> None:
    target = resolve(prod=False, environ={})
    assert (target.endpoint_url, target.region) == (cloud.endpoint_url(), cloud.REGION)


def test_an_endpoint_and_region_from_the_environment_win() -> None:
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_REGION": "eu-west-1"}
    target = resolve(prod=False, environ=env)
    assert (target.endpoint_url, target.region) == ("http://127.0.0.1:9000", "eu-west-1")


def test_prod_without_a_region_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The profile's region is read by boto3 from this process's environment and config file.
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with pytest.raises(ToolError, match="no AWS region"):
        resolve(prod=True, environ={})


def test_the_local_client_goes_to_the_target_endpoint() -> None:
    client = clients(resolve(prod=False, environ={}))("dynamodb")
    assert client.meta.endpoint_url == cloud.endpoint_url()
    assert client.meta.region_name == cloud.REGION


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "eu-west-2"}, "eu-west-2"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}, "eu-west-1"),
        ({"AWS_REGION": "  ", "AWS_DEFAULT_REGION": "eu-west-2"}, "eu-west-2"),
    ],
)
def test_the_tools_and_the_library_take_the_region_by_one_rule(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], region: str
) -> None:
    """AWS_REGION, else AWS_DEFAULT_REGION: the same for --prod, the local target and the
    library's own client (cruddur_messages.clients)."""
    for name in library_clients.REGION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**cloud.DUMMY_CREDENTIALS, **env}.items():
        monkeypatch.setenv(name, value)
    assert library_clients.configured_region(env) == region
    assert resolve(prod=True, environ=env).region == region
    assert resolve(prod=False, environ=env).region == region
    assert library_clients.dynamodb_client().meta.region_name == region
