"""Fixtures shared by the integration tests; every test in this folder is marked `integration`
(`pytest -m integration` selects them all)."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cruddur_messages import schema
from local import cloud, deploy, server

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def local_cloud_port() -> Iterator[int]:
    """A free port for a `make demo`/`make local` of the test's own, and afterwards no
    cdk.out.local-<port> assemblies left in the checkout."""
    port = server.free_port()
    yield port
    assembly = deploy.default_output(cloud.endpoint_url(port))
    for directory in (assembly, deploy.bootstrap_output(assembly)):
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def write(dynamodb_client: Any, table_name: str) -> Callable[..., None]:
    """Puts one message item whose text is `text`, plus any `extra` attributes (one
    conversation per test, sort keys in write order)."""
    group = str(uuid.uuid4())

    def put(text: str, **extra: Any) -> None:
        dynamodb_client.put_item(
            TableName=table_name,
            Item={
                schema.PARTITION_KEY: {"S": schema.message_pk(group)},
                schema.SORT_KEY: {"S": f"{time.time_ns():024d}"},
                "message": {"S": text},
                **extra,
            },
        )

    return put
