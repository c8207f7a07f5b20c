"""End to end on the local cloud: messages per second from `create_message` to both group rows
updated through the stream pump, ours against the course's algorithm run by the same pump.

One embedded cloud, one real `cdk deploy` of the local stage, its table then on-demand (see
`_on_demand`: the processors are compared, not the stage's capacity). Ours is the deployed
function's package behind the deployed mapping (filter, batch size, batching window). The
course's is `bench.course_processor` behind the mapping the course deployed: batch size 1, no
filter, so it is invoked for its own group-row writes too. Both pumps share one checkpoint file,
so neither sees the other's records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from bench import course_processor
from cruddur_messages import schema
from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import cloud, deploy, server
from local.pump import (
    Checkpoints,
    MappingSettings,
    StreamPump,
    deployment_checkpoint_path,
    find_mapping,
)
from local.pump.functions import deployed_function

MESSAGES_PER_SCENARIO: Final = 200
CONCURRENCY_LEVELS: Final = (1, 10, 100)
_MAX_WRITERS: Final = 16
_DRAIN_TIMEOUT_S: Final = 300.0


def _participants(count: int) -> list[tuple[User, User]]:
    pairs = []
    for n in range(count):
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        pairs.append(
            (
                User(uuid=a, display_name=f"Sender {n}", handle=f"sender{n}"),
                User(uuid=b, display_name=f"Recipient {n}", handle=f"recipient{n}"),
            )
        )
    return pairs


def _quiet(_: str) -> None:
    return None


class _Scenario:
    """`conversations` groups; MESSAGES_PER_SCENARIO messages spread evenly over them."""

    def __init__(self, store: MessageStore, client: Any, conversations: int) -> None:
        self.store = store
        self.client = client
        self.pairs = _participants(conversations)
        self.groups: list[str] = []
        self.last_text: dict[str, str] = {}

    def open_groups(self) -> None:
        """Each conversation opened by the store's own pattern D (its transaction, guards
        included): setup, not measured."""
        for sender, recipient in self.pairs:
            group, _ = self.store.create_message_group(sender, recipient, "hello")
            self.groups.append(group.group_uuid)

    def send_messages(self) -> int:
        per_group = max(1, MESSAGES_PER_SCENARIO // len(self.pairs))

        def converse(index: int) -> int:
            sender, recipient = self.pairs[index]
            group_uuid = self.groups[index]
            for n in range(per_group):
                author = sender if n % 2 == 0 else recipient
                text = f"message {n} in conversation {index}"
                self.store.create_message(group_uuid, author, text)
            self.last_text[group_uuid] = text
            return per_group

        with ThreadPoolExecutor(max_workers=min(_MAX_WRITERS, len(self.pairs))) as pool:
            return sum(pool.map(converse, range(len(self.pairs))))

    def rows_correct(self) -> bool:
        """Both participants show each conversation exactly once, at its last message."""
        for (sender, recipient), group_uuid in zip(self.pairs, self.groups, strict=True):
            for user in (sender, recipient):
                rows = [
                    g
                    for g in self.store.list_message_groups(user.uuid, limit=100).items
                    if g.group_uuid == group_uuid
                ]
                if len(rows) != 1 or rows[0].last_message != self.last_text[group_uuid]:
                    return False
        return True


def _run_scenario(
    store: MessageStore, client: Any, conversations: int, make_pump: Callable[[], StreamPump]
) -> dict[str, Any]:
    scenario = _Scenario(store, client, conversations)
    scenario.open_groups()
    make_pump().run_until_idle(_DRAIN_TIMEOUT_S)  # the first messages are not timed
    pump = make_pump()
    started = time.perf_counter()
    sent = scenario.send_messages()
    written = time.perf_counter()
    stats = pump.run_until_idle(_DRAIN_TIMEOUT_S)
    finished = time.perf_counter()
    elapsed = finished - started
    return {
        "conversations": conversations,
        "messages": sent,
        "write_s": round(written - started, 3),
        "drain_s": round(finished - written, 3),
        "total_s": round(elapsed, 3),
        "messages_per_s": round(sent / elapsed, 1),
        "invocations": stats.invocations,
        "invocations_per_message": round(stats.invocations / sent, 3),
        "rows_correct": scenario.rows_correct(),
    }


def _on_demand(dynamodb: Any, table_name: str) -> None:
    """Switch the deployed table to on-demand before measuring. The part compares how fast the
    two algorithms move messages through the pump; the local stage's 5 WCU (1,500 of burst) would
    throttle the first scenarios' writes and then measure the endpoint's capacity enforcement,
    not the processors. (bench/capacity_bench.py measures capacity.) On-demand is metered, never
    throttled locally; on AWS a new on-demand table sustains 4,000 writes/s, far above this
    part's load (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    on-demand-capacity-mode.html, "Initial throughput and scaling properties")."""
    dynamodb.update_table(TableName=table_name, BillingMode="PAY_PER_REQUEST")
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)


def measure_end_to_end(port: int, scratch: Path) -> dict[str, Any]:
    endpoint = cloud.endpoint_url(port)
    moto = server.start(port)
    with contextlib.ExitStack() as stack:
        stack.callback(moto.stop)
        started = time.perf_counter()
        deployment = deploy.deploy(endpoint, output_dir=scratch / "e2e-cdk.out", log=_quiet)
        deploy_s = time.perf_counter() - started
        developer = cloud.developer(endpoint)
        dynamodb = developer("dynamodb")
        _on_demand(dynamodb, deployment.table_name)
        store = MessageStore(dynamodb, table_name=deployment.table_name)
        mapping = find_mapping(developer)
        state_dir = scratch / "e2e-state"
        # The deployed pump's own checkpoint file, shared with the course's pump.
        checkpoints_path = deployment_checkpoint_path(state_dir, endpoint)
        # One execution environment for all of ours, warm after the first (untimed) drain.
        # Its calls, like the course handler's, are the developer's: the comparison measures the
        # two algorithms, not authorization (bench/authz_bench.py measures that).
        environment = deployed_function(
            developer,
            mapping,
            state_dir,
            credentials=developer.credentials,
            logs_client=developer("logs"),
            echo=_quiet,
        )
        stack.callback(environment.close)

        def ours() -> StreamPump:
            return StreamPump.for_deployment(
                developer, state_dir=state_dir, handler=environment, log=_quiet
            )

        course_mapping: MappingSettings = dataclasses.replace(
            mapping, batch_size=1, batching_window_s=0, filters=()
        )
        course_handler = course_processor.make_handler(
            dynamodb, table_name=deployment.table_name, index_name=schema.GSI_NAME
        )

        def course() -> StreamPump:
            return StreamPump(
                clients=developer,
                mapping=course_mapping,
                handler=course_handler,
                checkpoints=Checkpoints(checkpoints_path, mapping.stream_arn),
                log=_quiet,
            )

        results: dict[str, Any] = {"deploy_s": round(deploy_s, 1), "scenarios": []}
        for conversations in CONCURRENCY_LEVELS:
            row: dict[str, Any] = {"conversations": conversations}
            for name, make_pump in (("ours", ours), ("course", course)):
                row[name] = _run_scenario(store, dynamodb, conversations, make_pump)
            row["throughput_ratio"] = round(
                row["ours"]["messages_per_s"] / row["course"]["messages_per_s"], 2
            )
            results["scenarios"].append(row)
        return results
