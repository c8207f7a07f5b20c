"""What every part of the local cloud agrees on: where it listens and which credentials it takes.

moto accepts any credentials; dummy ones keep boto3 and the CDK CLI from looking for real ones
(a developer's profile must never be used against, or leak into, the local endpoint).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

import boto3

DEFAULT_PORT: Final = 8000
HOST: Final = "localhost"
REGION: Final = "us-east-1"
STATE_DIR_NAME: Final = ".local-cloud"

_DUMMY_CREDENTIALS: Final[Mapping[str, str]] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Variables that would point a tool at a real account instead of the endpoint.
_REAL_ACCOUNT_VARIABLES: Final = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE")


def endpoint_url(port: int = DEFAULT_PORT) -> str:
    return f"http://{HOST}:{port}"


def environment(endpoint: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) pointed at the local endpoint."""
    env = dict(os.environ if base is None else base)
    for name in _REAL_ACCOUNT_VARIABLES:
        env.pop(name, None)
    env.update(_DUMMY_CREDENTIALS)
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    return env


def client(service: str, endpoint: str) -> Any:
    """A boto3 client for `service` on the local endpoint, with the dummy credentials."""
    session: Any = boto3.session.Session(
        aws_access_key_id=_DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=_DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=_DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint)


def account_id(endpoint: str) -> str:
    """The account the endpoint serves (moto's default), asked of STS like a real account."""
    return str(client("sts", endpoint).get_caller_identity()["Account"])
