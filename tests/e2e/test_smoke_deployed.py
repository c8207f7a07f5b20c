"""`bin/ddb/smoke` against the deployed local stage, run as a user runs it (its own process): it
passes while the pump processes the stream, leaves the table as it found it, and fails with one
clear line when the mapping is disabled."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from cruddur_messages import schema
from local import cloud, deploy
from local.runtime.worker import ExecutionEnvironment

PROJECT_ROOT = cloud.PROJECT_ROOT


def run_smoke(endpoint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "tools", "smoke", "--timeout", "20"],
        cwd=PROJECT_ROOT,
        env=cloud.environment(endpoint),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def table_keys(endpoint: str, table: str) -> set[tuple[str, str]]:
    client = cloud.developer(endpoint)("dynamodb")
    return {
        (item[schema.PARTITION_KEY]["S"], item[schema.SORT_KEY]["S"])
        for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        for item in page["Items"]
    }


@pytest.fixture
def running_pump(make_pump: Any, deployed_function: ExecutionEnvironment) -> Iterator[None]:
    """The deployed mapping's pump in the background, as `make local` runs it."""
    stop = threading.Event()
    pump = make_pump(poll_interval_s=0.05)
    thread = threading.Thread(target=pump.run_forever, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.mark.usefixtures("running_pump")
def test_smoke_passes_and_leaves_the_table_as_it_found_it(
    endpoint: str, deployment: deploy.Deployment
) -> None:
    before = table_keys(endpoint, deployment.table_name)
    result = run_smoke(endpoint)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(
        line.startswith("ok: a message reached both conversation rows through the stream in ")
        for line in lines
    )
    assert "ok: event source mapping " in result.stdout
    # Two messages, two conversation rows, the messages' two uuid guards and the pair's guard.
    assert any(line.startswith("removed the smoke run's 7 item(s)") for line in lines)
    assert lines[-1].startswith("smoke: 0 failure(s), 1 warning(s)")  # the local stage pages nobody
    assert table_keys(endpoint, deployment.table_name) == before


def test_smoke_fails_in_one_line_when_the_mapping_is_disabled(
    endpoint: str, deployment: deploy.Deployment
) -> None:
    lambda_client = cloud.developer(endpoint)("lambda")
    [mapping] = lambda_client.list_event_source_mappings(FunctionName=deployment.function_name)[
        "EventSourceMappings"
    ]
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    try:
        result = run_smoke(endpoint)
    finally:
        lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL: ")]
    assert result.returncode == 1
    assert failures == [
        f"FAIL: event source mapping {mapping['UUID']} is Disabled, not Enabled: new messages "
        "reach no conversation list (enable it: aws lambda update-event-source-mapping "
        f"--uuid {mapping['UUID']} --enabled)"
    ]
    assert "Traceback" not in result.stderr
