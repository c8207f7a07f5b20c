"""Where a command goes: the local cloud by default, `AWS_ENDPOINT_URL` when set, AWS with --prod.

Resolving the target never touches the network; the client it builds fails fast (short connect
timeout, few attempts) so an unreachable endpoint is one clear error, not a minute of retries.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from cruddur_messages import schema
from cruddur_messages.clients import configured_region
from local import cloud
from tools.errors import ToolError

# The service-specific variable wins over the global one, exactly as boto3 itself resolves them.
ENDPOINT_ENVS: Final = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL")
_KEY_VARIABLES: Final = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True, kw_only=True)
class Target:
    """The endpoint, region and table a command uses; `endpoint_url` None means AWS's own."""

    prod: bool
    endpoint_url: str | None
    region: str
    table: str


def resolve(
    *,
    prod: bool,
    table: str | None = None,
    environ: Mapping[str, str] | None = None,
    endpoint_envs: tuple[str, ...] = ENDPOINT_ENVS,
) -> Target:
    """The target for these options and environment; ToolError if --prod has no region.
    `endpoint_envs`: the variables naming a local endpoint, the service's own first."""
    env = os.environ if environ is None else environ
    name = _table_name(table, env)
    region = _configured_region(env)
    if prod:
        if region is None:
            raise ToolError(
                "no AWS region configured for --prod: set AWS_REGION or a profile's region"
            )
        return Target(prod=True, endpoint_url=None, region=region, table=name)
    variable, endpoint = next(
        ((var, env[var].strip()) for var in endpoint_envs if env.get(var, "").strip()),
        ("", cloud.endpoint_url()),
    )
    _check_endpoint(variable, endpoint)
    return Target(prod=False, endpoint_url=endpoint, region=region or cloud.REGION, table=name)


def _table_name(option: str | None, env: Mapping[str, str]) -> str:
    # An explicit --table "" is a mistake, not a request for the default table.
    source, name = (
        ("--table", option.strip())
        if option is not None
        else (schema.TABLE_NAME_ENV, schema.table_name(env))
    )
    try:
        return schema.validate_name(name, field=source)
    except ValueError as exc:
        raise ToolError(str(exc)) from None


def _check_endpoint(variable: str, endpoint: str) -> None:
    """ToolError unless `endpoint` is an http(s) URL with a host (and a valid port)."""
    try:
        parts = urlsplit(endpoint)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        valid = False
    if not valid:
        raise ToolError(
            f"{variable}={endpoint!r} is not an endpoint URL: expected http(s)://host[:port], "
            "e.g. http://localhost:8000"
        )


def _configured_region(env: Mapping[str, str]) -> str | None:
    # The library's rule (configured_region), then the profile's region: reading the
    # config file is local, no network.
    return configured_region(env) or boto3.session.Session().region_name or None


def client_config(*, prod: bool) -> Config:
    # Built from a dict: the botocore stubs predate two of these (long-standing) options.
    options: dict[str, Any] = dict(
        connect_timeout=2 if not prod else 5,
        read_timeout=15,
        # Standard mode retries throttling and transient errors; locally one retry is enough.
        retries={"mode": "standard", "total_max_attempts": 3 if prod else 2},
        # --prod means AWS's own endpoint even when AWS_ENDPOINT_URL or a profile's endpoint_url is
        # set for the local cloud; locally the endpoint is passed explicitly anyway.
        ignore_configured_endpoint_urls=True,
        user_agent_appid="cruddur-ddb-tools",
    )
    if not prod:
        # A local endpoint serves every bucket under its own host: path-style addresses.
        options["s3"] = {"addressing_style": "path"}
    return Config(**options)


Clients = Callable[[str], Any]


def clients(target: Target) -> Clients:
    """The command's client factory, `clients(service)`: one session for the target, one client
    per service made on first use (credentials resolve lazily, on first call). The identity is
    the developer's: on AWS the normal credential chain; locally the environment's keys if it
    has them, else the local cloud's dummy ones (a profile's real keys are never sent to a local
    endpoint)."""
    config = client_config(prod=target.prod)
    if target.prod:
        session: Any = boto3.session.Session(region_name=target.region)
    else:
        env_keys = {name: os.environ[name] for name in _KEY_VARIABLES if os.environ.get(name)}
        keys = env_keys if "AWS_ACCESS_KEY_ID" in env_keys else cloud.DUMMY_CREDENTIALS
        session = boto3.session.Session(
            aws_access_key_id=keys.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=keys.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=keys.get("AWS_SESSION_TOKEN"),
            region_name=target.region,
        )

    @functools.cache
    def client(service: str) -> Any:
        return session.client(service, endpoint_url=target.endpoint_url, config=config)

    return client
