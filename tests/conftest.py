"""Session-wide fixtures: the embedded AWS endpoint (moto's server, as `make local` starts it) on a
free port.

Integration and tool tests talk to it over real HTTP, exactly as they would to DynamoDB Local
or AWS. Unit tests never touch it (tests/unit disables sockets).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cruddur_messages import schema
from local import cloud, server

DUMMY_REGION = cloud.REGION


@pytest.fixture(scope="session")
def endpoint_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's endpoint writes the tracebacks of requests it cannot serve."""
    return tmp_path_factory.mktemp("endpoint") / "endpoint.log"


@pytest.fixture(scope="session")
def moto_endpoint(endpoint_log: Path) -> Iterator[str]:
    """URL of a moto server started for this test session, with dummy credentials in the env
    (no AWS_ENDPOINT_URL: each test says where it connects)."""
    port = server.free_port()
    moto = server.start(port, log_file=endpoint_log)
    try:
        with cloud.offline_environ():
            yield cloud.endpoint_url(port)
    finally:
        moto.stop()


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
