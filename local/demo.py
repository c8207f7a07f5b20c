"""`make demo` and `make local`: the whole system on one machine, deployed as production is.

    python -m local.demo [--port 8000]     start, deploy, seed, send, pump, print, stop
    python -m local.demo --serve           start, deploy, then pump until Ctrl-C (make local)

The endpoint runs in a background thread of this process and holds everything in memory: when
the process ends, the cloud and all it held are gone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cruddur_messages.models import Message, MessageGroup, User
from cruddur_messages.store import MessageStore
from local import cloud, deploy, server
from local.pump import DEFAULT_STATE_DIR, StreamPump

Log = Callable[[str], None]

# The course's seed users.
ANDREW = User(
    uuid="8b3f4a2e-1c0d-4e7f-9a6b-2d5c8e1f0a31", display_name="Andrew Brown", handle="andrewbrown"
)
BAYKO = User(
    uuid="c6d1e9b4-7f2a-4c3e-8b5d-0e9f1a2b3c42", display_name="Andrew Bayko", handle="bayko"
)
LONDO = User(
    uuid="f2a7c3d8-5e1b-4a9c-b6d0-3e4f5a6b7c53", display_name="Londo Mollari", handle="londo"
)


@dataclass(frozen=True)
class Conversation:
    group: MessageGroup
    messages: list[Message]


def send_messages(store: MessageStore) -> tuple[str, Message]:
    """Two conversations: D starts each, C continues one. Returns it and its newest message."""
    group, _ = store.create_message_group(ANDREW, BAYKO, "Hey Bayko, are you coming to the demo?")
    store.create_message_group(LONDO, ANDREW, "Andrew! The Centauri Republic needs a database.")
    store.create_message(group.group_uuid, BAYKO, "Yes, I'll be there.")
    store.create_message(group.group_uuid, ANDREW, "Great, bring the stream processor.")
    last = store.create_message(group.group_uuid, BAYKO, "It's deployed; the pump runs it.")
    return group.group_uuid, last


def check_rows(store: MessageStore, group_uuid: str, last: Message) -> list[str]:
    """Problems with the conversation's two group rows: both must show its newest message."""
    rows = store.get_message_group_rows(group_uuid)
    problems = []
    if sorted(row.owner_uuid for row in rows) != sorted((ANDREW.uuid, BAYKO.uuid)):
        problems.append(f"expected one group row per participant, got {len(rows)}")
    problems.extend(
        f"{row.owner_uuid}'s row shows {row.last_message!r}, not the newest message"
        for row in rows
        if (row.last_message, row.last_message_at) != (last.text, last.created_at)
    )
    return problems


def _print_conversations(store: MessageStore, log: Log, group_uuid: str) -> None:
    log(f"\n{ANDREW.display_name}'s conversations (pattern B), newest first:")
    for group in store.list_message_groups(ANDREW.uuid).items:
        log(f"  @{group.other_user.handle:<12} {group.last_message_at}  {group.last_message}")
    log(f"\nconversation {group_uuid} (pattern A), newest first:")
    for message in store.list_messages(group_uuid).items:
        log(f"  @{message.sender.handle:<12} {message.created_at}  {message.text}")


def run_demo(port: int, *, log: Log = print, state_dir: Path | None = None) -> int:
    """The one-shot demo; 0 if every step worked, 1 otherwise (with a one-line reason)."""
    started = time.monotonic()
    endpoint = cloud.endpoint_url(port)
    try:
        endpoint_server = server.start(port)
    except server.PortInUseError as error:
        log(f"error: {error}")
        return 1
    try:
        log(f"1/5 local cloud on {endpoint} (in memory)")
        log("2/5 cdk bootstrap + cdk deploy -c stage=local ...")
        deployment = deploy.deploy(endpoint, log=lambda line: log(f"    {line}"))
        store = MessageStore(cloud.client("dynamodb", endpoint), table_name=deployment.table_name)
        log("3/5 sending messages with the message store (patterns D and C)")
        group_uuid, last = send_messages(store)
        log("4/5 stream pump: the deployed function processes the stream")
        with tempfile.TemporaryDirectory() as scratch:
            pump = StreamPump.for_deployment(
                endpoint, state_dir=state_dir or Path(scratch), log=lambda line: log(f"    {line}")
            )
            stats = pump.run_until_idle()
        if stats.records_sent_to_failure:
            log(f"error: {stats.records_sent_to_failure} record(s) went to the failure queue")
            return 1
        problems = check_rows(store, group_uuid, last)
        for problem in problems:
            log(f"error: {problem}")
        if problems:
            return 1
        log("5/5 results")
        _print_conversations(store, log, group_uuid)
        log(f"\ndemo finished in {time.monotonic() - started:.0f}s; the local cloud is stopped")
        return 0
    except Exception as error:  # any failed step: say which, exit non-zero
        log(f"error: {type(error).__name__}: {error}")
        return 1
    finally:
        endpoint_server.stop()


def run_local(port: int, *, log: Log = print) -> int:
    """`make local`: endpoint + deploy, then the pump in the foreground until Ctrl-C."""
    endpoint = cloud.endpoint_url(port)
    try:
        endpoint_server = server.start(port)
    except server.PortInUseError as error:
        log(f"error: {error}")
        return 1
    try:
        log(f"local cloud on {endpoint}; state is in memory and ends with this process")
        deployment = deploy.deploy(endpoint)
        log(
            f"table {deployment.table_name}; try: AWS_ENDPOINT_URL={endpoint} aws dynamodb scan ..."
        )
        pump = StreamPump.for_deployment(endpoint, state_dir=DEFAULT_STATE_DIR)
        log(f"stream pump running {pump.mapping.function_arn} (Ctrl-C stops everything)")
        pump.run_forever()
        return 0
    except KeyboardInterrupt:
        log("stopped")
        return 0
    except Exception as error:
        log(f"error: {type(error).__name__}: {error}")
        return 1
    finally:
        endpoint_server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=cloud.DEFAULT_PORT)
    parser.add_argument("--serve", action="store_true", help="deploy, then pump until Ctrl-C")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    runner: Any = run_local if args.serve else run_demo
    return int(runner(args.port, log=log))


if __name__ == "__main__":
    sys.exit(main())
