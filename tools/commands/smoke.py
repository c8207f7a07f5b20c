"""smoke: after a deploy, does the stack work? (tools/smoke.py has the checks.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import click

from local import cloud
from tools.connection import prod_option
from tools.errors import ToolError
from tools.smoke import Smoke
from tools.target import clients, resolve

STACK_PREFIX = "CruddurMessages-"  # stacks/messaging_stack.py stack_name(): not imported (CDK)


@contextlib.contextmanager
def _local_endpoint(endpoint: str) -> Iterator[None]:
    """A local cloud (http://localhost:PORT) started for the run if nothing listens there."""
    from local import smoke as local_smoke  # the local cloud's code, only when it must start

    parts = urlsplit(endpoint)
    port = parts.port or cloud.DEFAULT_PORT
    if parts.hostname != cloud.HOST or local_smoke.listening(port):
        yield
        return
    with local_smoke.local_cloud_for_smoke(port, log=click.echo):
        yield


@click.command("smoke")
@click.option(
    "--stage",
    default=None,
    metavar="NAME",
    help="The stage whose stack to check [default: local, with --prod: prod].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a message may take to reach both conversation rows.",
)
@prod_option
def smoke(stage: str | None, timeout: float, prod: bool) -> None:
    """Check a deployed stack end to end: resources, mapping Enabled, a smoke conversation
    through the stream (latency), alarms not in ALARM, a confirmed alarm subscriber. Removes
    its own items; touches no other data. Exit 1 on any failure, one line each."""
    if stage is not None and not stage.strip():
        raise ToolError("--stage is empty; e.g. --stage prod")
    name = stage.strip() if stage else ("prod" if prod else "local")
    target = resolve(prod=prod)
    where = "AWS" if prod else target.endpoint_url
    stack_name = f"{STACK_PREFIX}{name}"

    guard = contextlib.nullcontext() if prod else _local_endpoint(str(target.endpoint_url))
    with guard:
        click.echo(f"smoke: stack {stack_name} on {where} ({target.region})")
        report = Smoke(clients(target), stack_name, timeout_s=timeout, log=click.echo).run()
    summary = (
        f"smoke: {len(report.failures)} failure(s), {len(report.warnings)} warning(s), "
        f"{len(report.passed)} check(s) passed"
    )
    click.echo(summary)
    if report.exit_code:
        raise SystemExit(report.exit_code)
