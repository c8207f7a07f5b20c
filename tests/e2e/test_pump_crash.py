"""A real crash: the pump runs as its own process (`python -m local.pump`), is SIGKILLed while it
delivers a large stream, and is started again. Nothing in the pump gets a chance to clean up, so
only what it wrote before each batch finished (the checkpoint file) carries over."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import pytest

from cruddur_messages.models import Message, User
from cruddur_messages.store import MessageStore
from local import cloud, deploy
from local.pump import (
    Checkpoints,
    MappingSettings,
    deployment_checkpoint_path,
    find_mapping,
)
from local.stream_events import passes_message_filter, read_records
from tools import failure_records

CONVERSATIONS: Final = 6
# Ten of the local stage's 10-record batches: the kill lands after the first, with nine to go.
MESSAGES: Final = 100
# Generous: two shared cores, and the pump imports the deployed package before its first batch.
FIRST_BATCH_TIMEOUT_S: Final = 120.0
CATCH_UP_TIMEOUT_S: Final = 300.0


class PumpProcess:
    """`python -m local.pump` in its own process; its output lines are collected by a thread."""

    def __init__(self, endpoint: str, state_dir: Path, function_name: str) -> None:
        port = endpoint.rsplit(":", 1)[1]
        command = [sys.executable, "-u", "-m", "local.pump", "--port", port]
        command += ["--state-dir", str(state_dir), "--function", function_name]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=cloud.environment(endpoint),
        )
        self.lines: list[str] = []
        self._new_lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            self._new_lines.put(line)
        self._new_lines.put(None)  # end of output: the process is gone

    def wait_for_line(self, predicate: Callable[[str], bool], timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._new_lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"the pump exited ({self.process.wait()}):\n{self.output()}")
            if predicate(line):
                return line
        pytest.fail(f"no expected line from the pump within {timeout_s}s:\n{self.output()}")

    def output(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no handler, no finally, no flush
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; SIGKILL if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _is_batch_line(line: str) -> bool:
    return "record(s)" in line and "-> ok" in line


def _unprocessed_messages(
    streams: Any, mapping: MappingSettings, checkpoint_file: Path
) -> list[dict[str, Any]]:
    """The message inserts in the stream after the pump's saved position."""
    saved = json.loads(checkpoint_file.read_text())
    assert saved["stream_arn"] == mapping.stream_arn
    after = read_records(streams, mapping.stream_arn, after=saved["shards"])
    return [record for record in after if passes_message_filter(record)]


def _wait_until_caught_up(
    streams: Any, mapping: MappingSettings, checkpoint_file: Path, pump: PumpProcess
) -> None:
    """Until the checkpoint is at the end of the stream. The handler's own writes come before
    the checkpoint passes the batch that caused them, so at the end nothing more can come."""
    deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
    while time.monotonic() < deadline:
        if pump.process.poll() is not None:
            pytest.fail(f"the restarted pump exited:\n{pump.output()}")
        saved = json.loads(checkpoint_file.read_text())["shards"]
        if not read_records(streams, mapping.stream_arn, after=saved):
            return
        time.sleep(0.5)
    pytest.fail(f"the pump did not catch up within {CATCH_UP_TIMEOUT_S}s:\n{pump.output()}")


def _failure_objects(endpoint: str, bucket: str) -> int:
    """Failure records in the on-failure bucket (Lambda's key layout, under aws/lambda/)."""
    s3 = cloud.developer(endpoint)("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=failure_records.KEY_PREFIX
    )
    return sum(len(page.get("Contents", [])) for page in pages)


def _checkpoint_file(state_dir: Path, endpoint: str) -> Path:
    """Where `python -m local.pump --port N` keeps its position: one file per endpoint."""
    return deployment_checkpoint_path(state_dir, endpoint)


@pytest.fixture
def state_dir(endpoint: str, deployment: deploy.Deployment, tmp_path: Path) -> Path:
    """The pump's state directory, its checkpoint at the stream's current end, so the pump
    sees only this test's records."""
    mapping = find_mapping(cloud.developer(endpoint), deployment.function_name)
    checkpoints = Checkpoints(_checkpoint_file(tmp_path, endpoint), mapping.stream_arn)
    for record in read_records(cloud.developer(endpoint)("dynamodbstreams"), mapping.stream_arn):
        checkpoints.advance(record["ShardId"], record["dynamodb"]["SequenceNumber"])
    return tmp_path


@pytest.fixture
def pumps() -> Iterator[list[PumpProcess]]:
    """Every pump process a test starts is stopped when it ends, passed or failed."""
    started: list[PumpProcess] = []
    yield started
    for pump in started:
        pump.stop()


def test_pump_process_killed_mid_stream_applies_every_message_exactly_once(
    endpoint: str,
    deployment: deploy.Deployment,
    store: MessageStore,
    state_dir: Path,
    pumps: list[PumpProcess],
) -> None:
    """SIGKILLed after its first batch of a 100-message stream and started again, the pump
    leaves every conversation as if it had never crashed: both participants' rows at the last
    message, one row each, and nothing in the failure bucket."""
    mapping = find_mapping(cloud.developer(endpoint), deployment.function_name)
    checkpoint_file = _checkpoint_file(state_dir, endpoint)
    streams = cloud.developer(endpoint)("dynamodbstreams")
    assert deployment.failure_bucket is not None
    failures_before = _failure_objects(endpoint, deployment.failure_bucket)

    users = [
        User(uuid=str(uuid.uuid4()), display_name=f"User {n}", handle=f"user{n}")
        for n in range(CONVERSATIONS + 1)
    ]
    pairs = [(users[n], users[n + 1]) for n in range(CONVERSATIONS)]
    groups = [store.create_message_group(a, b, "hello")[0] for a, b in pairs]
    newest: dict[str, Message] = {}
    for n in range(MESSAGES - CONVERSATIONS):  # round robin: every batch spans conversations
        group, (a, b) = groups[n % CONVERSATIONS], pairs[n % CONVERSATIONS]
        newest[group.group_uuid] = store.create_message(group.group_uuid, (a, b)[n % 2], f"#{n}")

    first = PumpProcess(endpoint, state_dir, deployment.function_name)
    pumps.append(first)
    first.wait_for_line(_is_batch_line, FIRST_BATCH_TIMEOUT_S)
    first.kill()
    left = _unprocessed_messages(streams, mapping, checkpoint_file)
    assert 0 < len(left) < MESSAGES, "the kill must land after a batch and before the end"

    second = PumpProcess(endpoint, state_dir, deployment.function_name)
    pumps.append(second)
    _wait_until_caught_up(streams, mapping, checkpoint_file, second)
    second.stop()

    for group, (a, b) in zip(groups, pairs, strict=True):
        rows = store.get_message_group_rows(group.group_uuid)
        assert sorted(row.owner_uuid for row in rows) == sorted([a.uuid, b.uuid])
        last = newest[group.group_uuid]
        assert {(row.last_message, row.last_message_at) for row in rows} == {
            (last.text, last.created_at)
        }
    assert _failure_objects(endpoint, deployment.failure_bucket) == failures_before
    for line in first.lines + second.lines:
        assert "RetryAttemptsExhausted" not in line
        assert "RecordAgeExceeded" not in line
