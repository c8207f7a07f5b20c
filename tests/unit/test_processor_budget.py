"""The invocation's time budget, through the real handler, client and config, over an in-process
DynamoDB that answers at the HTTP layer (no sockets)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench import processor_throughput as scenarios
from bench.fake_dynamodb import FakeDynamoDB
from cruddur_messages import schema
from local import cloud
from stacks.settings import STAGES
from stream_processor import batch, budget
from stream_processor import handler as handler_module


@pytest.fixture
def processor() -> Iterator[None]:
    names = {schema.TABLE_NAME_ENV: scenarios.TABLE, schema.GSI_NAME_ENV: schema.GSI_NAME}
    with cloud.offline_environ(extra=names):
        yield


def test_the_client_counts_attempts_not_retries_and_pools_a_connection_per_worker() -> None:
    """total_max_attempts (3 attempts in all), not the retries dict's max_attempts (which would
    be one more), short timeouts, and one pooled connection per worker thread."""
    config = budget.client_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (1.0, 1.0)
    assert config.max_pool_connections == budget.WORKERS
    assert budget.CALL_WORST_S == 3 * (1.0 + 1.0) + (1.0 + 2.0)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_the_margin_and_the_index_wait_fit_inside_every_stages_timeout(stage: str) -> None:
    """A batch can always start: the margin plus the one index wait leave time for work."""
    timeout = STAGES[stage].function.timeout_seconds
    assert timeout / 2 > budget.CALL_WORST_S + budget.ANSWER_S + batch.INDEX_WAIT_S


def test_the_lagging_batch_returns_inside_the_timeout_with_every_stale_conversation_reported(
    processor: None,
) -> None:
    """100 records at 5 ms a request, 30 new conversations whose second row never reaches the
    index: one wait, then every stale conversation is at or after the reported checkpoint."""
    fake = FakeDynamoDB(round_trip_s=0.005)
    lagging = scenarios.lagging_batch(fake)
    timeout = STAGES["prod"].function.timeout_seconds
    started = time.monotonic()
    with fake.attached(handler_module.client()):
        response = handler_module.handler({"Records": lagging.records}, scenarios.Context(timeout))
    elapsed = time.monotonic() - started
    assert elapsed < timeout
    reported = [int(f["itemIdentifier"]) for f in response["batchItemFailures"]]
    stale = scenarios.stale_groups(fake, lagging)
    assert stale == lagging.lagging and len(reported) == len(stale) == 30
    first: dict[str, int] = {}
    for record in lagging.records:
        group = record["dynamodb"]["NewImage"][schema.PARTITION_KEY]["S"].split("#", 1)[1]
        first.setdefault(group, int(record["dynamodb"]["SequenceNumber"]))
    assert all(first[group] >= min(reported) for group in stale)
    assert sorted(first[group] for group in stale) == sorted(reported)


def test_a_deadline_already_inside_the_margin_starts_nothing_and_reports_everything(
    processor: None,
) -> None:
    """With less time left than the margin, no request is sent; every conversation is
    reported by its first record, so Lambda retries the whole batch from its start."""
    fake = FakeDynamoDB()
    quiet = scenarios.quiet_batch(fake)
    context = scenarios.Context(budget.CALL_WORST_S)
    with fake.attached(handler_module.client()):
        response = handler_module.handler({"Records": quiet.records}, context)
    assert sum(fake.requests.values()) == 0
    assert len(response["batchItemFailures"]) == scenarios.BATCH


def test_the_function_refuses_to_run_without_its_table_and_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No silent fallback to the tools' default table: the error names both variables."""
    monkeypatch.delenv(schema.TABLE_NAME_ENV, raising=False)
    monkeypatch.setenv(schema.GSI_NAME_ENV, " ")
    with pytest.raises(budget.ConfigurationError, match="DDB_MESSAGE_TABLE and DDB_MESSAGE"):
        handler_module.handler({"Records": []}, None)


def test_inside_lambda_the_init_phase_fails_with_one_clear_line() -> None:
    """Lambda's runtime sets AWS_LAMBDA_RUNTIME_API: importing the handler without the table
    variable fails there, before any batch is taken."""
    env = {k: v for k, v in os.environ.items() if k not in budget.REQUIRED_ENV}
    env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9001"
    env[schema.GSI_NAME_ENV] = schema.GSI_NAME
    run = subprocess.run(
        [sys.executable, "-c", "import stream_processor.handler"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[-1] == (
        "stream_processor.budget.ConfigurationError: the stream processor needs "
        "DDB_MESSAGE_TABLE in its environment (set by the stack); refusing to start"
    )
