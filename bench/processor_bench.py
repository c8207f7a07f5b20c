"""Benchmark: the stream processor against the course's algorithm, on the same recorded stream.

    python -m bench.processor_bench [--out PATH]

One run starts its own moto server on a free port, and for each scenario:

1. records a stream: conversations created and messages written with the message store, then the
   table's stream read with the Streams API and filtered as the event source mapping does;
2. replays it through this project's handler (batches of the scenario's size) on a fresh table
   seeded with the same initial group rows;
3. replays it through `bench.course_processor` (batch size 1, as the course deployed it; no
   filter, so its own GRP# writes come back as invocations too) on another fresh table;
4. checks both tables end with one row per participant at the newest message, and counts.

What is counted, per message: DynamoDB requests (a hook on the processor's client), handler
invocations, write capacity units of the table and of the GSI and read capacity units of the
queries, computed from DynamoDB's documented rules (moto's ConsumedCapacity is a constant, not a
measure), and wall time of the handler calls (local server: compare, do not quote). `run()`
returns the results and writes them as JSON (default bench/results/processor-<date>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import boto3

from bench import course_processor
from cruddur_messages import schema, stream_records
from cruddur_messages.models import Message, User
from cruddur_messages.store import MessageStore
from local import cloud, server, stream_events
from stream_processor import handler as processor
from tools.item_sizes import item_size, read_units, write_units

REGION: Final = cloud.REGION
RESULTS_DIR: Final = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    conversations: int
    messages_per_conversation: int
    batch_size: int


SCENARIOS: Final = (
    Scenario("quiet", "one conversation, one message per batch", 1, 20, 1),
    Scenario("busy", "three conversations, ~33 messages per group per batch", 3, 40, 100),
)


class Meter:
    """Counts a client's requests and the capacity they consume by the documented rules.

    A delete is charged by the size of the item it deletes (1 WCU if there is none), a put by
    the larger of the new and replaced item; each write of an item carrying the GSI key is also
    a write on the index (its projection holds every attribute of a group row). A query costs
    half a read unit per 4 KB of returned items (eventually consistent). Replaced and deleted
    items are looked up with a separate, uncounted client.
    """

    def __init__(self, client: Any, lookup: Any, table_name: str) -> None:
        self.requests: Counter[str] = Counter()
        self.table_wcu = 0
        self.index_wcu = 0
        self.rcu = 0.0
        # Time spent in the uncounted look-ups, taken off the handler's wall time.
        self.overhead_seconds = 0.0
        self._lookup = lookup
        self._table_name = table_name
        self._client = client
        client.meta.events.register("before-parameter-build.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.Query", self._after_query)

    def detach(self) -> None:
        self._client.meta.events.unregister("before-parameter-build.dynamodb.*", self._before)
        self._client.meta.events.unregister("after-call.dynamodb.Query", self._after_query)

    def _existing(self, key: Mapping[str, Any]) -> dict[str, Any] | None:
        started = time.perf_counter()
        found = self._lookup.get_item(TableName=self._table_name, Key=key, ConsistentRead=True)
        self.overhead_seconds += time.perf_counter() - started
        item: dict[str, Any] | None = found.get("Item")
        return item

    def _before(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        self.requests[model.name] += 1
        if model.name == "PutItem":
            item = params["Item"]
            key = {k: item[k] for k in (schema.PARTITION_KEY, schema.SORT_KEY)}
            old = self._existing(key)
            size = max(item_size(item), item_size(old) if old else 0)
            self.table_wcu += write_units(size)
            if schema.GSI_PARTITION_KEY in item:
                self.index_wcu += write_units(size)
        elif model.name == "DeleteItem":
            old = self._existing(params["Key"])
            self.table_wcu += write_units(item_size(old) if old else 0)
            if old and schema.GSI_PARTITION_KEY in old:
                self.index_wcu += write_units(item_size(old))

    def _after_query(self, parsed: Mapping[str, Any], **_: Any) -> None:
        returned = sum(item_size(item) for item in parsed.get("Items", []))
        self.rcu += read_units(returned, consistent=False)


# -- the local server and the recorded stream ----------------------------------------------------


@contextmanager
def _server() -> Iterator[str]:
    """A moto server on a free port, with dummy credentials in the environment meanwhile."""
    port = server.free_port()
    moto = server.start(port)
    endpoint = cloud.endpoint_url(port)
    try:
        with cloud.offline_environ(endpoint, {schema.GSI_NAME_ENV: schema.GSI_NAME}):
            yield endpoint
    finally:
        moto.stop()


@dataclass
class Recording:
    records: list[dict[str, Any]]
    initial_rows: list[dict[str, Any]]
    newest: dict[str, Message]
    participants: dict[str, tuple[User, User]]


class Bench:
    def __init__(self, endpoint: str) -> None:
        self.dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=REGION)
        self.endpoint = endpoint

    def new_table(self, seed_rows: Sequence[Mapping[str, Any]] = ()) -> str:
        name = f"{schema.TABLE_NAME_DEFAULT}-bench-{uuid.uuid4().hex[:8]}"
        self.dynamodb.create_table(**schema.create_table_kwargs(name))
        self.dynamodb.get_waiter("table_exists").wait(TableName=name)
        for row in seed_rows:
            self.dynamodb.put_item(TableName=name, Item=row)
        return name

    def _stream(self, table_name: str) -> tuple[str, list[dict[str, Any]]]:
        arn = stream_events.stream_arn(self.dynamodb, table_name)
        return arn, stream_events.read_records(self.streams, arn)

    def record(self, scenario: Scenario) -> Recording:
        table = self.new_table()
        store = MessageStore(self.dynamodb, table_name=table)
        people = [
            User(uuid=str(uuid.uuid4()), display_name=f"User {n}", handle=f"user{n}")
            for n in range(scenario.conversations + 1)
        ]
        participants: dict[str, tuple[User, User]] = {}
        newest: dict[str, Message] = {}
        for n in range(scenario.conversations):
            pair = (people[0], people[n + 1])  # one busy user in every conversation
            _, first = store.create_message_group(pair[0], pair[1], f"hello {n}")
            participants[first.group_uuid] = pair
            newest[first.group_uuid] = first
        initial_rows = [
            item
            for item in self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
            if schema.is_group_pk(item[schema.PARTITION_KEY]["S"])
        ]
        order = [
            group for group in participants for _ in range(scenario.messages_per_conversation - 1)
        ]
        chooser = random.Random(7)
        chooser.shuffle(order)
        for n, group in enumerate(order):
            sender = chooser.choice(participants[group])
            newest[group] = store.create_message(group, sender, f"message {n}: " + "x" * 60)
        arn, raw = self._stream(table)
        records = [
            stream_events.lambda_record(r, arn)
            for r in raw
            if stream_events.passes_message_filter(r)
        ]
        self.dynamodb.delete_table(TableName=table)
        return Recording(records, initial_rows, newest, participants)

    def rows_correct(self, table: str, recording: Recording) -> bool:
        """One row per participant per conversation, at its newest message, nothing else."""
        rows = [
            item
            for item in self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
            if schema.is_group_pk(item[schema.PARTITION_KEY]["S"])
        ]
        found = sorted(
            (
                r[schema.PARTITION_KEY]["S"],
                r[schema.GSI_PARTITION_KEY]["S"],
                r[schema.SORT_KEY]["S"],
            )
            for r in rows
        )
        expected = sorted(
            (schema.group_pk(owner.uuid), group, recording.newest[group].created_at)
            for group, pair in recording.participants.items()
            for owner in pair
        )
        return found == expected

    def replay_ours(self, recording: Recording, batch_size: int) -> dict[str, Any]:
        table = self.new_table(recording.initial_rows)
        os.environ[schema.TABLE_NAME_ENV] = table
        meter = Meter(processor.client(), self.dynamodb, table)
        try:
            invocations, _ = self._run_ours(recording, batch_size)
        finally:
            meter.detach()  # the handler's client is cached: the next replay meters anew
        correct = self.rows_correct(table, recording)
        self.dynamodb.delete_table(TableName=table)
        # The handler's threads meter in parallel, so the meter's summed look-up time can exceed
        # the wall time it overlaps: time the same replay again, unmetered, on a fresh table.
        timed = self.new_table(recording.initial_rows)
        os.environ[schema.TABLE_NAME_ENV] = timed
        _, elapsed = self._run_ours(recording, batch_size)
        self.dynamodb.delete_table(TableName=timed)
        return _metrics(meter, invocations, elapsed, len(recording.records), correct)

    def _run_ours(self, recording: Recording, batch_size: int) -> tuple[int, float]:
        """The recording through the processor's handler: invocations, handler wall seconds."""
        invocations, elapsed = 0, 0.0
        for batch in stream_events.batches(recording.records, batch_size):
            started = time.perf_counter()
            response = processor.handler({"Records": list(batch)}, None)
            elapsed += time.perf_counter() - started
            invocations += 1
            if response["batchItemFailures"]:
                raise RuntimeError(f"the processor reported failures: {response}")
        return invocations, elapsed

    def replay_course(self, recording: Recording) -> dict[str, Any]:
        table = self.new_table(recording.initial_rows)
        arn, seeded = self._stream(table)
        checkpoint = {r["ShardId"]: stream_records.parse(r).sequence_number for r in seeded}
        client = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name=REGION)
        meter = Meter(client, self.dynamodb, table)
        handle = course_processor.make_handler(client, table_name=table, index_name=schema.GSI_NAME)
        invocations, elapsed = 0, 0.0

        def invoke(record: Mapping[str, Any]) -> None:
            nonlocal invocations, elapsed
            started = time.perf_counter()
            handle({"Records": [record]}, None)
            elapsed += time.perf_counter() - started
            invocations += 1

        for record in recording.records:
            invoke(record)
        # No filter on the course's mapping: every GRP# delete and put it made invoked it again.
        for record in stream_events.read_records(self.streams, arn, after=checkpoint):
            invoke(stream_events.lambda_record(record, arn))
        correct = self.rows_correct(table, recording)
        self.dynamodb.delete_table(TableName=table)
        # One invocation at a time: the meter's look-ups lie within the timed calls.
        elapsed -= meter.overhead_seconds
        return _metrics(meter, invocations, elapsed, len(recording.records), correct)


def _metrics(
    meter: Meter, invocations: int, elapsed: float, messages: int, correct: bool
) -> dict[str, Any]:
    """`elapsed`: the handler's own wall seconds, without the meter's look-ups."""
    if elapsed <= 0:
        raise ValueError(f"handler time not measurable: {elapsed:.3f} s after the meter's")
    total_requests = sum(meter.requests.values())
    return {
        "rows_correct": correct,
        "invocations": invocations,
        "requests": dict(sorted(meter.requests.items())),
        "requests_total": total_requests,
        "requests_per_message": total_requests / messages,
        "invocations_per_message": invocations / messages,
        "table_wcu_per_message": meter.table_wcu / messages,
        "index_wcu_per_message": meter.index_wcu / messages,
        "wcu_per_message": (meter.table_wcu + meter.index_wcu) / messages,
        "rcu_per_message": meter.rcu / messages,
        "handler_seconds": elapsed,
        "handler_ms_per_message": 1000 * elapsed / messages,
    }


def rounded(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Figures for the results file, rounded only after the ratios are taken from them."""
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in metrics.items()}


RATIO_KEYS: Final = (
    "requests_per_message",
    "wcu_per_message",
    "rcu_per_message",
    "invocations_per_message",
    "handler_seconds",
)


def ratios(ours: Mapping[str, Any], course: Mapping[str, Any]) -> dict[str, float | None]:
    """How many times the course's figure is ours (> 1: ours is cheaper)."""
    return {key: round(course[key] / ours[key], 2) if ours[key] else None for key in RATIO_KEYS}


def default_out_path() -> Path:
    return RESULTS_DIR / f"processor-{datetime.now(UTC).date().isoformat()}.json"


def run(out_path: Path | str | None = None) -> dict[str, Any]:
    """Run every scenario, write the results as JSON to `out_path`, and return them."""
    import moto

    started = time.perf_counter()
    results: dict[str, Any] = {
        "benchmark": "stream processor: this project vs the course's algorithm",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": f"moto {moto.__version__} over HTTP on localhost",
        "capacity_rules": (
            "write: 1 WCU per started KB of the larger of new/replaced item, delete by the deleted"
            " item (1 WCU when none); each write of an item with the GSI key also writes the index;"
            " query: 0.5 RCU per started 4 KB returned (eventually consistent)"
        ),
        "ratios_are": "course / ours (above 1: ours is cheaper or faster)",
        "scenarios": {},
    }
    with _server() as endpoint:
        bench = Bench(endpoint)
        for scenario in SCENARIOS:
            recording = bench.record(scenario)
            ours = bench.replay_ours(recording, scenario.batch_size)
            course = bench.replay_course(recording)
            results["scenarios"][scenario.name] = {
                "description": scenario.description,
                "messages": len(recording.records),
                "conversations": scenario.conversations,
                "batch_size": scenario.batch_size,
                "ours": rounded(ours),
                "course": rounded(course),
                # From the exact figures: 5 / 0.017 (a rounded 2/120) would be 294, not 300.
                "ratios": ratios(ours, course),
            }
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    path = Path(out_path) if out_path is not None else default_out_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return results


def _summary(results: Mapping[str, Any]) -> str:
    lines = [
        f"{'scenario':8} {'processor':9} {'req/msg':>8} {'WCU/msg':>8} {'RCU/msg':>8} "
        f"{'inv/msg':>8} {'handler s':>9}  rows ok"
    ]
    for name, scenario in results["scenarios"].items():
        for who in ("ours", "course"):
            m = scenario[who]
            lines.append(
                f"{name:8} {who:9} {m['requests_per_message']:8} {m['wcu_per_message']:8} "
                f"{m['rcu_per_message']:8} {m['invocations_per_message']:8} "
                f"{m['handler_seconds']:9}  {m['rows_correct']}"
            )
        lines.append(f"{name:8} {'ratio':9} {scenario['ratios']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.processor_bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="results file (JSON)")
    args = parser.parse_args(argv)
    out = args.out or default_out_path()
    results = run(out)
    print(_summary(results))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
