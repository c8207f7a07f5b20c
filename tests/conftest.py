"""Session-wide fixtures: the embedded AWS endpoint (moto's server, as `make local` starts it) on a
free port.

Integration and tool tests talk to it over real HTTP, exactly as they would to DynamoDB Local
or AWS. Unit tests never touch it (tests/unit disables sockets).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from cruddur_messages import schema
from local import cloud, server

DUMMY_REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of a moto server started for this test session, with dummy credentials in the env."""
    port = server.free_port()
    moto = server.start(port)
    endpoint = cloud.endpoint_url(port)
    saved = {k: os.environ.get(k) for k in _ENV_KEYS}
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": DUMMY_REGION,
            "AWS_REGION": DUMMY_REGION,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield endpoint
    finally:
        moto.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
)


@pytest.fixture(scope="session")
def dynamodb_client(moto_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=DUMMY_REGION)


@pytest.fixture
def table_name(dynamodb_client: Any) -> Iterator[str]:
    """A fresh table built from the one schema definition, deleted after the test."""
    name = f"{schema.TABLE_NAME_DEFAULT}-{uuid.uuid4().hex[:8]}"
    dynamodb_client.create_table(**schema.create_table_kwargs(name))
    dynamodb_client.get_waiter("table_exists").wait(TableName=name)
    yield name
    dynamodb_client.delete_table(TableName=name)
