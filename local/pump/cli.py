"""`python -m local.pump`: the stream pump's command line.

    python -m local.pump [--port 8000]      one line per batch, until Ctrl-C

Without a deployment (DynamoDB Local has a stream but no Lambda API), `--table NAME` plays a
mapping described on the command line (defaults: the local stage's settings; filter: the
schema's pattern) and runs the working tree's handler in a worker:

    python -m local.pump --table cruddur-messages [--endpoint http://localhost:8000]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from local import cloud
from local.cloud import Clients
from local.pump.checkpoints import Checkpoints, checkpoint_path
from local.pump.engine import DEFAULT_STATE_DIR, MappingProblem, StreamGoneError, StreamPump
from local.pump.functions import TABLE_MODE_HANDLER, working_tree_function
from local.pump.mapping import PumpError, latest_stream, table_mapping
from local.runtime.worker import InitError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Play the deployed stream mapping (or, with --table, one described here) "
        "until Ctrl-C, one line per batch."
    )
    parser.add_argument(
        "--port", type=int, help=f"local endpoint port (default {cloud.DEFAULT_PORT})"
    )
    parser.add_argument(
        "--endpoint",
        help="endpoint URL (default: http://localhost:PORT; with --table, AWS_ENDPOINT_URL first)",
    )
    parser.add_argument("--function", help="the mapped function (default: the only mapping)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="deliver what the stream holds, then exit (instead of running until Ctrl-C)",
    )
    table = parser.add_argument_group(
        "without a deployment (DynamoDB Local)",
        "Read TABLE's stream with these mapping settings (defaults: the local stage's) and the "
        f"schema's filter, and run the working tree's {TABLE_MODE_HANDLER}.",
    )
    table.add_argument("--table", help="the table whose stream to read")
    table.add_argument("--batch-size", type=_at_least(1))
    table.add_argument("--batching-window", type=_at_least(0), metavar="SECONDS")
    table.add_argument("--starting-position", choices=("TRIM_HORIZON", "LATEST"))
    table.add_argument("--retry-attempts", type=_at_least(-1), help="-1: until the record expires")
    table.add_argument(
        "--max-record-age", type=_at_least(-1), metavar="SECONDS", help="-1: no limit"
    )
    table.add_argument(
        "--on-failure",
        metavar="ARN_OR_QUEUE",
        help="on-failure destination on the same endpoint: an S3 bucket (arn:aws:s3:::NAME, "
        "which gets the whole batch) or an SQS queue (its ARN or name: a pointer only)",
    )
    return parser


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_TABLE_OPTIONS: Final = {
    "batch_size": "batch_size",
    "batching_window": "batching_window_s",
    "starting_position": "starting_position",
    "retry_attempts": "max_retry_attempts",
    "max_record_age": "max_record_age_s",
    "on_failure": "on_failure",
}


def _endpoint(args: argparse.Namespace) -> str:
    if args.endpoint:
        return str(args.endpoint)
    if args.port is None and args.table and os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    return cloud.endpoint_url(args.port or cloud.DEFAULT_PORT)


def _table_pump(args: argparse.Namespace, developer: Clients) -> StreamPump:
    """Table mode: no deployment, no IAM (DynamoDB Local): everything runs as the developer."""
    settings = {
        setting: getattr(args, option)
        for option, setting in _TABLE_OPTIONS.items()
        if getattr(args, option) is not None
    }
    mapping = table_mapping(developer, args.table, **settings)
    checkpoints = Checkpoints(checkpoint_path(args.state_dir, mapping.uuid), mapping.stream_arn)
    return StreamPump(
        clients=developer,
        mapping=mapping,
        handler=working_tree_function(developer, mapping),
        checkpoints=checkpoints,
        follow_stream=lambda: latest_stream(developer, mapping.table_name),
    )


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.table:
        given = [
            f"--{option.replace('_', '-')}"
            for option in _TABLE_OPTIONS
            if getattr(args, option) is not None
        ]
        if given:
            parser.error(f"{', '.join(given)} only apply with --table")
    elif args.function:
        parser.error("--function names a deployed mapping; --table runs without one")
    endpoint = _endpoint(args)
    try:
        if args.table:
            pump = _table_pump(args, cloud.developer(endpoint))
            target = f"{TABLE_MODE_HANDLER} (working tree)"
        else:
            pump = StreamPump.for_deployment(
                cloud.developer(endpoint), state_dir=args.state_dir, function_name=args.function
            )
            target = pump.mapping.function_arn
    except Exception as error:  # one line, not a traceback: the usual cause is no deploy yet
        # table_mapping's errors already name the endpoint and the fix.
        detail = str(error) if args.table and isinstance(error, PumpError) else None
        print(
            f"error: {detail or f'cannot start the stream pump on {endpoint}: {error}'}",
            file=sys.stderr,
        )
        return 1
    until = "until idle" if args.until_idle else "Ctrl-C stops"
    print(f"stream pump: {pump.mapping.stream_arn} -> {target} ({until})", flush=True)
    try:
        if args.until_idle:
            stats = pump.run_until_idle(timeout_s=math.inf)
            dropped = f", {stats.records_dropped} dropped" if stats.records_dropped else ""
            unreadable = (
                f", {stats.records_unreadable} unreadable (skipped)"
                if stats.records_unreadable
                else ""
            )
            print(
                f"stream pump idle: {stats.records_done} record(s) delivered, "
                f"{stats.records_filtered_out} filtered out, "
                f"{stats.records_sent_to_failure} failed{dropped}{unreadable}"
            )
        else:
            pump.run_forever()
    except KeyboardInterrupt:
        print("stream pump stopped; position saved")
    except MappingProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    except (InitError, StreamGoneError) as error:
        print(
            f"error: {type(error).__name__}: {error}; nothing checkpointed past it", file=sys.stderr
        )
        return 1
    finally:
        pump.close()
    return 0
