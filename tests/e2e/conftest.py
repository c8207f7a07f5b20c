"""One local cloud per session: `python -m local.server` on a free port (its own process, so its
in-memory state is not shared with the integration tests' server), deployed once with the real
CDK CLI. Every e2e test works in that deployment with its own users and conversations, and is
marked `e2e` here (`pytest -m e2e` selects them all)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cruddur_messages.store import MessageStore
from local import authz, cloud, deploy, server
from local.pump import Checkpoints, StreamPump, find_mapping
from local.pump.engine import Handler
from local.pump.functions import deployed_function as start_deployed_function
from local.runtime.worker import ExecutionEnvironment
from local.stream_events import read_records

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is marked `e2e` (a conftest's `pytestmark` marks nothing)."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = server.free_port()
    # A file, not a pipe: nobody reads a pipe during the session, and a server that fills one
    # (a traceback per failed request) would block mid-test.
    log_file = tmp_path_factory.mktemp("server") / "server.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.server", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    url = cloud.endpoint_url(port)
    try:
        server.wait_until_ready(url, timeout_s=30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def deployment(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> deploy.Deployment:
    return deploy.deploy(
        endpoint, output_dir=tmp_path_factory.mktemp("cdk.out"), log=lambda _line: None
    )


@pytest.fixture(scope="session")
def deployed_function(
    endpoint: str, deployment: deploy.Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExecutionEnvironment]:
    """The deployed function in one execution environment (a worker), shared by the session; it
    runs with a session of the execution role per cold start, as in Lambda."""
    developer = cloud.developer(endpoint)
    mapping = find_mapping(developer, deployment.function_name)
    name = deployment.function_name
    with start_deployed_function(
        developer,
        mapping,
        tmp_path_factory.mktemp("state"),
        credentials=lambda: authz.function_credentials(developer, name),
        logs_client=mapping_clients(endpoint, deployment)("logs"),
        echo=lambda _line: None,
    ) as environment:
        yield environment


def mapping_clients(endpoint: str, deployment: deploy.Deployment) -> cloud.Clients:
    """A session of the execution role for the mapping's own calls, as the pump takes it."""
    return authz.mapping_clients(cloud.developer(endpoint), deployment.function_name)


@pytest.fixture
def store(endpoint: str, deployment: deploy.Deployment) -> MessageStore:
    return MessageStore(cloud.developer(endpoint)("dynamodb"), table_name=deployment.table_name)


PumpFactory = Callable[..., StreamPump]


@pytest.fixture
def make_pump(
    endpoint: str,
    deployment: deploy.Deployment,
    deployed_function: ExecutionEnvironment,
    tmp_path: Path,
) -> PumpFactory:
    """A pump of the deployed mapping whose checkpoint starts at the stream's current end, so a
    test sees only the records it writes. Pumps made in one test share the checkpoint file.
    Its stream reads and failure deliveries run as the execution role, as Lambda's do."""
    mapping = find_mapping(cloud.developer(endpoint), deployed_function.config.name)
    checkpoint_file = tmp_path / "pump" / f"{mapping.uuid}.json"
    streams = cloud.developer(endpoint)("dynamodbstreams")
    checkpoints = Checkpoints(checkpoint_file, mapping.stream_arn)
    for record in read_records(streams, mapping.stream_arn):
        checkpoints.advance(record["ShardId"], record["dynamodb"]["SequenceNumber"])

    clients = mapping_clients(endpoint, deployment)

    def build(handler: Handler | None = None, **options: Any) -> StreamPump:
        options.setdefault("clients", clients)
        options.setdefault("log", lambda _line: None)
        return StreamPump(
            mapping=mapping,
            handler=handler or deployed_function,
            checkpoints=Checkpoints(checkpoint_file, mapping.stream_arn),
            retry_delay_s=0,
            **options,
        )

    return build
