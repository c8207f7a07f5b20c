"""The stream processor against the HTTP server with a real stream.

Messages are written with the message store; the stream is read with the Streams API and shaped
as the event source mapping hands it over (local/stream_events.py, filter included); the real
handler runs with its environment pointing at the server, and the rows are read back.
"""

from __future__ import annotations

import contextlib
import copy
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from bench import processor_throughput as scenarios
from bench.fake_dynamodb import FakeDynamoDB
from cruddur_messages import items, schema
from cruddur_messages.models import Message, MessageGroup, User
from cruddur_messages.store import MessageStore
from local import cloud, stream_events
from stream_processor import budget
from stream_processor import handler as handler_module

_deserializer = TypeDeserializer()


def function_environment(endpoint: str, table_name: str) -> contextlib.AbstractContextManager[None]:
    """This process's environment as the deployed function's, aimed at `endpoint`, for one test:
    the dummy credentials, the region, the endpoint, the table and index."""
    names = {schema.TABLE_NAME_ENV: table_name, schema.GSI_NAME_ENV: schema.GSI_NAME}
    return cloud.offline_environ(endpoint, names)


@pytest.fixture
def run_handler(moto_endpoint: str, table_name: str) -> Iterator[Any]:
    """The real handler, configured like the deployed function but aimed at the test server."""
    with function_environment(moto_endpoint, table_name):
        yield lambda event: handler_module.handler(event, None)


@pytest.fixture
def store(dynamodb_client: Any, table_name: str) -> MessageStore:
    return MessageStore(dynamodb_client, table_name=table_name)


@pytest.fixture
def streams_client(moto_endpoint: str) -> Any:
    return cloud.developer(moto_endpoint)("dynamodbstreams")


def user(name: str) -> User:
    return User(uuid=str(uuid.uuid4()), display_name=name.title(), handle=name)


def read_stream(dynamodb_client: Any, streams_client: Any, table_name: str) -> list[Any]:
    """Every record of the table's stream, shaped for Lambda, unfiltered."""
    arn = stream_events.stream_arn(dynamodb_client, table_name)
    records = stream_events.read_records(streams_client, arn)
    return [stream_events.lambda_record(record, arn) for record in records]


def message_event(records: list[Any]) -> dict[str, Any]:
    """What the event source mapping delivers: only MSG# INSERTs."""
    return {"Records": [r for r in records if stream_events.passes_message_filter(r)]}


def rows_of(dynamodb_client: Any, table_name: str, owner: User) -> list[MessageGroup]:
    """A user's group rows from the base table (strongly consistent)."""
    page = dynamodb_client.query(
        TableName=table_name,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": schema.PARTITION_KEY},
        ExpressionAttributeValues={":pk": {"S": schema.group_pk(owner.uuid)}},
        ConsistentRead=True,
    )
    return [
        items.group_from_item({k: _deserializer.deserialize(v) for k, v in item.items()})
        for item in page["Items"]
    ]


def table_items(dynamodb_client: Any, table_name: str) -> list[Any]:
    found = dynamodb_client.scan(TableName=table_name, ConsistentRead=True)["Items"]
    return sorted(found, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def assert_at_newest(
    dynamodb_client: Any, table_name: str, pair: tuple[User, User], newest: Message
) -> None:
    """Each participant has exactly one row of the conversation, at the newest message, with
    the other participant's identity."""
    for owner, other in (pair, pair[::-1]):
        [row] = [
            r
            for r in rows_of(dynamodb_client, table_name, owner)
            if r.group_uuid == newest.group_uuid
        ]
        assert (row.last_message_at, row.last_message) == (newest.created_at, newest.text)
        assert row.other_user == other


def write_conversations(
    store: MessageStore, conversations: int, total_messages: int
) -> dict[str, tuple[tuple[User, User], Message]]:
    """Conversations among a few users (some share a participant), then messages spread over
    them by either participant; returns each conversation's participants and newest message."""
    people = [user(f"user{n}") for n in range(conversations + 1)]
    shuffle = random.Random(5)
    state: dict[str, tuple[tuple[User, User], Message]] = {}
    for n in range(conversations):
        pair = (people[0], people[n + 1]) if n % 2 == 0 else (people[n], people[n + 1])
        _, first = store.create_message_group(pair[0], pair[1], f"hello {n}")
        state[first.group_uuid] = (pair, first)
    for n in range(total_messages - conversations):
        group_uuid = shuffle.choice(list(state))
        pair, _ = state[group_uuid]
        sent = store.create_message(group_uuid, shuffle.choice(pair), f"message {n}")
        state[group_uuid] = (pair, sent)
    return state


def test_a_batch_of_100_records_brings_every_conversation_to_its_newest_message(
    dynamodb_client: Any,
    streams_client: Any,
    table_name: str,
    store: MessageStore,
    run_handler: Any,
) -> None:
    """100 MSG# inserts over five conversations, one invocation: every row at its newest."""
    state = write_conversations(store, conversations=5, total_messages=100)
    event = message_event(read_stream(dynamodb_client, streams_client, table_name))
    assert len(event["Records"]) == 100

    assert run_handler(event) == {"batchItemFailures": []}
    for pair, newest in state.values():
        assert_at_newest(dynamodb_client, table_name, pair, newest)


def test_a_retried_batch_leaves_the_table_as_the_first_run(
    dynamodb_client: Any,
    streams_client: Any,
    table_name: str,
    store: MessageStore,
    run_handler: Any,
) -> None:
    """The same batch delivered twice: the second run changes nothing."""
    write_conversations(store, conversations=3, total_messages=30)
    event = message_event(read_stream(dynamodb_client, streams_client, table_name))
    run_handler(event)
    once = table_items(dynamodb_client, table_name)
    assert run_handler(event) == {"batchItemFailures": []}
    assert table_items(dynamodb_client, table_name) == once


def test_an_older_record_after_a_newer_one_leaves_the_rows_at_the_newer(
    dynamodb_client: Any,
    streams_client: Any,
    table_name: str,
    store: MessageStore,
    run_handler: Any,
) -> None:
    """A late record (a replay from an earlier checkpoint) never moves a row backwards."""
    state = write_conversations(store, conversations=1, total_messages=6)
    records = message_event(read_stream(dynamodb_client, streams_client, table_name))["Records"]
    run_handler({"Records": records})
    run_handler({"Records": records[1:3]})
    [(pair, newest)] = state.values()
    assert_at_newest(dynamodb_client, table_name, pair, newest)


def test_malformed_records_are_skipped_and_the_rest_of_the_batch_applies(
    dynamodb_client: Any,
    streams_client: Any,
    table_name: str,
    store: MessageStore,
    run_handler: Any,
) -> None:
    """A message without text and a GRP# insert the filter would have dropped: both skipped,
    not reported for retry, and the other records still update their conversations."""
    state = write_conversations(store, conversations=2, total_messages=10)
    everything = read_stream(dynamodb_client, streams_client, table_name)
    records = message_event(everything)["Records"]
    broken = copy.deepcopy(records[3])
    del broken["dynamodb"]["NewImage"]["message"]
    group_row_insert = next(r for r in everything if not stream_events.passes_message_filter(r))

    batch = [*records[:3], broken, group_row_insert, *records[3:]]
    assert run_handler({"Records": batch}) == {"batchItemFailures": []}
    for pair, newest in state.values():
        assert_at_newest(dynamodb_client, table_name, pair, newest)


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A server that accepts every connection and never answers a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def test_an_endpoint_that_never_answers_still_lets_the_invocation_answer_in_time(
    silent_endpoint: str,
) -> None:
    """Every call hangs: each gives up after its attempts, no conversation starts once the
    margin is reached, and the invocation returns before its deadline reporting them all."""
    records = scenarios.quiet_batch(FakeDynamoDB()).records[: 2 * budget.WORKERS + 5]
    deadline_s = budget.CALL_WORST_S + budget.ANSWER_S + 2  # room for one wave only
    started = time.monotonic()
    with function_environment(silent_endpoint, "cruddur-messages-hang"):
        response = handler_module.handler({"Records": records}, scenarios.Context(deadline_s))
    elapsed = time.monotonic() - started
    assert elapsed < deadline_s - budget.ANSWER_S
    reported = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert reported == [r["dynamodb"]["SequenceNumber"] for r in records]
