"""`make demo` and `make local`: the whole system on one machine, deployed as production is.

    python -m local.demo [--port 8000]     start, deploy, seed, send, pump, print, stop
    python -m local.demo --serve           start, deploy, then pump until Ctrl-C (make local)

The endpoint runs in a background thread of this process and holds everything in memory: when
the process ends, the cloud and all it held are gone.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cruddur_messages import schema
from cruddur_messages.models import Message, MessageGroup
from cruddur_messages.store import MessageStore
from local import authz, capacity, cloud, deploy, server, stopping, user_pool
from local.alarms import AlarmEvaluator
from local.pump import PROJECT_ROOT, StreamPump
from tools import users

Log = Callable[[str], None]

# The seed's users (tools/data/users.json), so the ddb tools find them by handle afterwards.
_DIRECTORY = users.load()
ANDREW = _DIRECTORY.lookup("andrewbrown")
BAYKO = _DIRECTORY.lookup("bayko")
LONDO = _DIRECTORY.lookup("londo")
# The conversation step 4 starts (D) and continues (C): not the seed's pair, Andrew and Bayko.
CONTINUED: Final = (LONDO, ANDREW)


@dataclass(frozen=True)
class Conversation:
    group: MessageGroup
    messages: list[Message]


def send_messages(store: MessageStore) -> tuple[str, Message]:
    """Beside the seed's conversation (Andrew and Bayko), D starts two more and C continues one:
    one conversation per pair (ConversationExistsError otherwise). Returns it and its newest
    message."""
    londo, andrew = CONTINUED
    group, _ = store.create_message_group(
        londo, andrew, "Andrew! The Centauri Republic needs a database."
    )
    store.create_message_group(BAYKO, londo, "Londo, are you coming to the demo?")
    store.create_message(group.group_uuid, andrew, "It needs a partition key first.")
    store.create_message(group.group_uuid, londo, "Then give it one. Two, if they are cheap.")
    last = store.create_message(group.group_uuid, andrew, "Deployed: the stream keeps our rows.")
    return group.group_uuid, last


def check_rows(store: MessageStore, group_uuid: str, last: Message) -> list[str]:
    """Problems with the conversation's group rows: one per participant of CONTINUED, both
    showing its newest message."""
    rows = store.get_message_group_rows(group_uuid)
    problems = []
    if sorted(row.owner_uuid for row in rows) != sorted(user.uuid for user in CONTINUED):
        problems.append(f"expected one group row per participant, got {len(rows)}")
    problems.extend(
        f"{row.owner_uuid}'s row shows {row.last_message!r}, not the newest message"
        for row in rows
        if (row.last_message, row.last_message_at) != (last.text, last.created_at)
    )
    return problems


class StepError(RuntimeError):
    """A step failed and has said why; the message is the rest of the one error line."""


def ddb(command: str, *args: str, endpoint: str, table: str, log: Log) -> None:
    """Run one of the ddb tools (bin/ddb/...) against the local cloud, as a user would, and log
    its output; StepError if it fails (its own error line is logged already)."""
    env = cloud.environment(endpoint)
    if sys.stdout.isatty():  # rich lays the tables out for this terminal, not for its pipe
        env["COLUMNS"] = str(shutil.get_terminal_size().columns)
    else:  # piped on: one line per row, whatever the width (tools/output.py)
        env.pop("COLUMNS", None)
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tools", command, *args, "--table", table],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in (result.stdout + result.stderr).rstrip().splitlines():
        if not line.startswith("ddb: "):  # the endpoint and table, already said
            log(line)
    if result.returncode:
        raise StepError(f"ddb {command} failed (exit {result.returncode})")


def on_local_cloud(
    port: int, steps: Callable[[str], int], *, log: Log = print, port_setting: str = "--port N"
) -> int:
    """Start the endpoint on `port`, return `steps(endpoint)`, and stop the endpoint whatever
    happens, then log the audit summary and the capacity line. An endpoint that cannot start
    (the port is taken, the policy engine cannot run) or a step that raises is one error line and
    exit 1; a port taken is advised in the user's own terms (`port_setting`: `PORT=N` through
    make)."""
    try:
        endpoint_server = server.start(port)
    except server.PortInUseError as error:
        log(f"error: {server.PortInUseError(error.port, port_setting=port_setting)}")
        return 1
    except server.StartError as error:
        log(f"error: {error}")
        return 1
    try:
        return steps(cloud.endpoint_url(port))
    except StepError as error:
        log(f"error: {error}")
        return 1
    except KeyboardInterrupt:  # Ctrl-C or a stop signal (local.stopping) before the end
        log("stopped")
        return 130
    except Exception as error:  # any failed step: say which, exit non-zero
        log(f"error: {type(error).__name__}: {error}")
        return 1
    finally:
        endpoint_server.stop()
        log(authz.audit_summary())
        log(capacity.summary())


def run_demo(
    port: int, *, log: Log = print, state_dir: Path | None = None, port_setting: str = "--port N"
) -> int:
    """The one-shot demo; 0 if every step worked, 1 otherwise (with a one-line reason)."""
    started = time.monotonic()

    def steps(endpoint: str) -> int:
        log(f"1/6 local cloud on {endpoint} (in memory)")
        log("2/6 cdk bootstrap + cdk deploy -c stage=local ...")
        deployment = deploy.deploy(endpoint, log=lambda line: log(f"    {line}"))
        table = deployment.table_name
        pool_id = user_pool.ensure(endpoint, _DIRECTORY)
        log(f"    user pool of tools/data/users.json: AWS_COGNITO_USER_POOL_ID={pool_id}")
        store = MessageStore(cloud.developer(endpoint)("dynamodb"), table_name=table)
        log("3/6 bin/ddb/seed: the seed conversation")
        ddb("seed", endpoint=endpoint, table=table, log=lambda line: log(f"    {line}"))
        log("4/6 sending messages with the message store (patterns D and C)")
        group_uuid, last = send_messages(store)
        log("5/6 stream pump: the deployed function processes the stream")
        with tempfile.TemporaryDirectory() as scratch:
            pump = StreamPump.for_deployment(
                cloud.developer(endpoint),
                state_dir=state_dir or Path(scratch),
                log=lambda line: log(f"    {line}"),
            )
            try:
                stats = pump.run_until_idle()
            finally:
                pump.close()
        if stats.records_sent_to_failure or stats.records_dropped:
            failed = stats.records_sent_to_failure + stats.records_dropped
            raise StepError(f"{failed} record(s) failed (see the pump's lines above)")
        problems = check_rows(store, group_uuid, last)
        for problem in problems:
            log(f"error: {problem}")
        if problems:
            return 1
        alarms = AlarmEvaluator(cloud.developer(endpoint), log=lambda line: log(f"    {line}"))
        alarms.evaluate()
        log("6/6 results, read with the ddb tools")
        log(f"\n$ bin/ddb/patterns/list-conversations {ANDREW.handle}")
        ddb("list-conversations", ANDREW.handle, endpoint=endpoint, table=table, log=log)
        log(f"\n$ bin/ddb/patterns/get-conversation {group_uuid}")
        ddb("get-conversation", group_uuid, endpoint=endpoint, table=table, log=log)
        log(f"\n{alarms.summary()}")
        log(f"\ndemo finished in {time.monotonic() - started:.0f}s; the local cloud is stopped")
        return 0

    return on_local_cloud(port, steps, log=log, port_setting=port_setting)


def scan_hint(endpoint: str, table: str) -> str:
    """The ddb command that lists the table, with only what differs from the tools' defaults."""
    variable = "" if endpoint == cloud.endpoint_url() else f"AWS_ENDPOINT_URL={endpoint} "
    option = "" if table == schema.TABLE_NAME_DEFAULT else f" --table {table}"
    return f"{variable}bin/ddb/scan{option}"


def run_local(port: int, *, log: Log = print, port_setting: str = "--port N") -> int:
    """`make local`: endpoint + deploy, then the pump in the foreground until Ctrl-C."""

    def steps(endpoint: str) -> int:
        try:
            log(f"local cloud on {endpoint}; state is in memory and ends with this process")
            deployment = deploy.deploy(endpoint)
            pool_id = user_pool.ensure(endpoint, _DIRECTORY)
            log(
                f"table {deployment.table_name}; AWS_COGNITO_USER_POOL_ID={pool_id}; "
                f"try: {scan_hint(endpoint, deployment.table_name)}"
            )
            pump = StreamPump.for_deployment(
                cloud.developer(endpoint),
                state_dir=cloud.state_dir(port),
                log=log,
                echo=lambda line: log(f"  | {line}"),
            )
            log(
                f"stream pump running {pump.mapping.function_arn} in a worker; its log lines "
                "follow (also in its log group); Ctrl-C stops everything"
            )
            # Each alarm state change, as its topic gets it: "ALARM <name>: <reason>".
            alarms = AlarmEvaluator(cloud.developer(endpoint), log=log).start()
            try:
                pump.run_forever()
            finally:
                alarms.stop()
                pump.close()
        except KeyboardInterrupt:  # how `make local` is meant to end
            log("stopped")
        return 0

    return on_local_cloud(port, steps, log=log, port_setting=port_setting)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=str(cloud.DEFAULT_PORT))
    parser.add_argument("--serve", action="store_true", help="deploy, then pump until Ctrl-C")
    # How the user set the port, for the advice when it is taken (the Makefile: PORT=N).
    parser.add_argument("--port-setting", default="--port N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        port = cloud.parse_port(args.port)
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")

    def log(line: str) -> None:
        print(line, flush=True)

    runner: Any = run_local if args.serve else run_demo
    stopping.stop_on_signals()
    try:
        return int(runner(port, log=log, port_setting=args.port_setting))
    except KeyboardInterrupt:  # before the endpoint was up: nothing to stop yet
        log("stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())
