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

import pytest
from botocore_models import share_one_loader
from xdist.scheduler import LoadScopeScheduling

from cruddur_messages import schema
from local import cloud, server

DUMMY_REGION = cloud.REGION

# Every boto3 client of a test process reads botocore's models once (tests/botocore_models.py).
share_one_loader()


@pytest.fixture(scope="session")
def endpoint_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's endpoint writes the tracebacks of requests it cannot serve."""
    return tmp_path_factory.mktemp("endpoint") / "endpoint.log"


@pytest.fixture(scope="session")
def moto_endpoint(endpoint_log: Path) -> Iterator[str]:
    """URL of a moto server started for this test session. This process's environment is left
    alone: each test says where it connects and as whom (a client factory, or an explicit env)."""
    port = server.free_port()
    moto = server.start(port, log_file=endpoint_log)
    try:
        yield cloud.endpoint_url(port)
    finally:
        moto.stop()


@pytest.fixture(scope="session")
def dynamodb_client(moto_endpoint: str) -> Any:
    """The developer's DynamoDB client, from a factory of its own: tests hook its events, which
    must not reach the process's shared `cloud.developer` clients."""
    developer = cloud.Clients(moto_endpoint, cloud.DUMMY_CREDENTIALS, identity="developer")
    return developer("dynamodb")


@pytest.fixture
def table_name(dynamodb_client: Any) -> Iterator[str]:
    """A fresh table built from the one schema definition, deleted after the test."""
    name = f"{schema.TABLE_NAME_DEFAULT}-{uuid.uuid4().hex[:8]}"
    dynamodb_client.create_table(**schema.create_table_kwargs(name))
    dynamodb_client.get_waiter("table_exists").wait(TableName=name)
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture(scope="session")
def synthesized_stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every stage synthesized in this process, once per session (tests/stage_synth.py)."""
    from stage_synth import synthesize_every_stage  # imports the CDK: only where a test needs it

    return synthesize_every_stage(tmp_path_factory.mktemp("synth"))


# `make test` runs the suite on every core (pytest-xdist). The tests of a folder that share one
# costly session fixture go to one worker, whole, so that it is built once: e2e's deployment, and
# the in-process synth of every stage that infra and make_diff both read. Every other test is
# scheduled on its own, as `--dist load` does. (Not `--dist loadgroup`: under pytest 9.2 its
# marks no longer reach the scheduler, pytest-dev/pytest-xdist#1386.)
WORKER_GROUPS = {"e2e": "e2e", "infra": "synth", "make_diff": "synth"}


class FolderScheduling(LoadScopeScheduling):  # type: ignore[misc]
    def _split_scope(self, nodeid: str) -> str:
        folder = nodeid.split("/")[1] if nodeid.count("/") >= 2 else ""
        return WORKER_GROUPS.get(folder, nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "load":  # an explicit --dist other than load wins
        return None
    # In collection order, so the longest folder (e2e, collected first) starts first; xdist's
    # default would start the folders with the most tests first.
    config.option.loadscopereorder = False
    return FolderScheduling(config, log)
