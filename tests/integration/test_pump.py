"""The stream pump's mapping semantics, against a real stream (moto over HTTP), fast: the mapping
is built directly (no deploy) with the schema's filter pattern, and the handler is a plain
callable that records what it was given or fails on demand."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pumps import mapping_pump

from local import cloud
from local.pump import StreamPump
from local.stream_events import stream_arn

# An ARN of the right shape for the context object; nothing is ever invoked through it.


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so the pump does not catch it."""


def _text(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["NewImage"]["message"]["S"])


class RecordingHandler:
    """Records each batch's message texts; raises for any batch containing a text in `poison`."""

    def __init__(self, poison: frozenset[str] = frozenset()) -> None:
        self.poison = poison
        self.batches: list[list[str]] = []
        self.delivered: list[str] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        texts = [_text(record) for record in event["Records"]]
        self.batches.append(texts)
        if self.poison & set(texts):
            raise RuntimeError("poison record in the batch")
        self.delivered.extend(texts)
        return {"batchItemFailures": []}


@pytest.fixture
def endpoint(moto_endpoint: str) -> str:
    return moto_endpoint


@pytest.fixture
def arn(dynamodb_client: Any, table_name: str) -> str:
    return stream_arn(dynamodb_client, table_name)


@pytest.fixture
def failure_queue(endpoint: str) -> Iterator[tuple[str, str]]:
    """(ARN, URL) of a fresh SQS queue in moto, the mapping's on-failure destination."""
    sqs = cloud.developer(endpoint)("sqs")
    url = sqs.create_queue(QueueName=f"pump-failures-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    yield queue_arn["Attributes"]["QueueArn"], url
    sqs.delete_queue(QueueUrl=url)


def _failures(endpoint: str, queue_url: str) -> list[dict[str, Any]]:
    sqs = cloud.developer(endpoint)("sqs")
    found: list[dict[str, Any]] = []
    while True:
        page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        messages = page.get("Messages", [])
        if not messages:
            return found
        found.extend(json.loads(message["Body"]) for message in messages)


PumpFactory = Callable[..., StreamPump]


@pytest.fixture
def make_pump(endpoint: str, arn: str, tmp_path: Path) -> PumpFactory:
    """A pump of a mapping with the local stage's settings, any of them overridden; pumps made
    in one test share one checkpoint file."""
    checkpoint_file = tmp_path / "checkpoint.json"

    def build(handler: Callable[[dict[str, Any], Any], Any], **overrides: Any) -> StreamPump:
        return mapping_pump(endpoint, arn, handler, checkpoint_file, **overrides)

    return build


def _writing_on_first_drain(endpoint: str, write: Callable[[], None]) -> cloud.Clients:
    """The pump's clients (its `clients` option), whose Streams client calls `write` once, right
    after the first GetRecords that finds the shard drained: a record that arrives while the pump
    holds a partial batch. botocore's event hooks are the one way to act at that exact point."""
    # Its own factory: the hook must not reach the process's shared developer clients.
    developer = cloud.Clients(endpoint, cloud.DUMMY_CREDENTIALS, identity="developer")
    streams = developer("dynamodbstreams")
    fired = False

    def after_get_records(parsed: dict[str, Any], **_kwargs: Any) -> None:
        nonlocal fired
        if not fired and not parsed.get("Records"):
            fired = True
            write()

    streams.meta.events.register("after-call.dynamodb-streams.GetRecords", after_get_records)
    return developer


def test_records_arriving_within_the_batching_window_share_one_batch(
    make_pump: PumpFactory, endpoint: str, write: Callable[[str], None]
) -> None:
    """With a batching window, a record written after the shard was drained but within the
    window joins the waiting batch: one invocation with both (delivered as soon as the batch is
    full, not at the window's end)."""
    handler = RecordingHandler()
    clients = _writing_on_first_drain(endpoint, lambda: write("second"))
    pump = make_pump(handler, batching_window_s=30, batch_size=2, clients=clients)
    write("first")

    pump.run_once()

    assert handler.batches == [["first", "second"]]


def test_a_zero_batching_window_delivers_what_is_there(
    make_pump: PumpFactory, endpoint: str, write: Callable[[str], None]
) -> None:
    """Without a window the pump delivers as soon as the shard is drained: a record that
    arrives after that goes in the next batch."""
    handler = RecordingHandler()
    pump = make_pump(
        handler,
        batching_window_s=0,
        clients=_writing_on_first_drain(endpoint, lambda: write("second")),
    )
    write("first")

    pump.run_until_idle()

    assert handler.batches == [["first"], ["second"]]


def test_an_expired_record_is_not_retried_but_sent_to_the_failure_queue(
    endpoint: str,
    make_pump: PumpFactory,
    write: Callable[[str], None],
    failure_queue: tuple[str, str],
) -> None:
    """A record that failed and is older than MaximumRecordAgeInSeconds when its retry comes
    is not delivered again: it goes to the on-failure queue as RecordAgeExceeded."""
    queue_arn, queue_url = failure_queue
    max_age_s = 60
    invocations: list[str] = []
    now = [time.time()]

    def fails_until_expired(event: dict[str, Any], context: Any) -> Any:
        (record,) = event["Records"]
        invocations.append(_text(record))
        created = float(record["dynamodb"]["ApproximateCreationDateTime"])
        now[0] = created + max_age_s + 1  # the record ages past the limit during this attempt
        raise RuntimeError("transient failure")

    pump = make_pump(
        fails_until_expired,
        max_record_age_s=max_age_s,
        max_retry_attempts=5,
        on_failure_arn=queue_arn,
        clock=lambda: now[0],
    )
    write("ages out")

    pump.run_until_idle()

    assert invocations == ["ages out"]
    (failure,) = _failures(endpoint, queue_url)
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1


def test_latest_skips_records_written_before_the_pump_started(
    make_pump: PumpFactory, write: Callable[[str], None]
) -> None:
    """StartingPosition LATEST: only records written after the pump's first read arrive."""
    handler = RecordingHandler()
    write("before")
    pump = make_pump(handler, starting_position="LATEST")

    pump.run_until_idle()
    write("after")
    pump.run_until_idle()

    assert handler.delivered == ["after"]


def test_trim_horizon_delivers_records_written_before_the_pump_started(
    make_pump: PumpFactory, write: Callable[[str], None]
) -> None:
    """StartingPosition TRIM_HORIZON: the stream's oldest records come first."""
    handler = RecordingHandler()
    write("before")
    pump = make_pump(handler, starting_position="TRIM_HORIZON")

    pump.run_until_idle()
    write("after")
    pump.run_until_idle()

    assert handler.delivered == ["before", "after"]


def test_bisecting_isolates_the_poison_record(
    endpoint: str,
    make_pump: PumpFactory,
    write: Callable[[str], None],
    failure_queue: tuple[str, str],
) -> None:
    """A whole-batch exception caused by one record: the batch is split until that record is
    alone; it alone goes to the failure queue and every other record is delivered."""
    queue_arn, queue_url = failure_queue
    texts = [f"message {n}" for n in range(8)]
    poison = texts[5]
    handler = RecordingHandler(poison=frozenset({poison}))
    pump = make_pump(
        handler, batch_size=8, max_retry_attempts=1, bisect_on_error=True, on_failure_arn=queue_arn
    )
    for text in texts:
        write(text)

    pump.run_until_idle()

    assert handler.batches[0] == texts
    assert sorted(handler.delivered) == sorted(t for t in texts if t != poison)
    (failure,) = _failures(endpoint, queue_url)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert pump.stats.failure_messages == [failure]


def test_a_new_pump_resumes_after_the_last_finished_batch(
    make_pump: PumpFactory, write: Callable[[str], None]
) -> None:
    """A pump that dies during its second batch leaves the checkpoint after the first; a new
    pump on the same checkpoint file starts with the second batch, never the first again."""
    texts = [f"message {n}" for n in range(6)]
    for text in texts:
        write(text)
    seen: list[list[str]] = []

    def dies_in_second_batch(event: dict[str, Any], context: Any) -> Any:
        seen.append([_text(record) for record in event["Records"]])
        if len(seen) == 2:
            raise Crash
        return {"batchItemFailures": []}

    with pytest.raises(Crash):
        make_pump(dies_in_second_batch, batch_size=2).run_until_idle()
    first_batch, in_flight = seen

    handler = RecordingHandler()
    make_pump(handler, batch_size=2).run_until_idle()

    assert first_batch == texts[:2]
    assert handler.batches[0] == in_flight
    assert handler.delivered == texts[2:]
