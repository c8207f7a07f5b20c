"""The options every command shares (--prod, --table) and the connection they resolve to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import click

from tools.target import Clients, Target, clients, resolve

# Where the running command's connection is kept, so the CLI's error handler can name the endpoint.
CONNECTION_META_KEY: Final = "ddb.connection"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Connection:
    """The command's target, its client factory, and its DynamoDB client (from that factory)."""

    target: Target
    clients: Clients

    @property
    def client(self) -> Any:
        return self.clients("dynamodb")

    @property
    def endpoint(self) -> str:
        return str(self.client.meta.endpoint_url)

    @property
    def where(self) -> str:
        kind = "AWS" if self.target.prod else "local"
        return f"{kind} {self.endpoint} ({self.target.region})"


def prod_option(func: F) -> F:
    return click.option(
        "--prod",
        is_flag=True,
        help="Use real AWS (normal credential chain and region), ignoring AWS_ENDPOINT_URL.",
    )(func)


def table_option(func: F) -> F:
    return click.option(
        "--table",
        "table",
        metavar="NAME",
        default=None,
        help="Table name [default: $DDB_MESSAGE_TABLE, else cruddur-messages].",
    )(func)


def connect(*, prod: bool, table: str | None = None, announce_table: bool = True) -> Connection:
    """Resolve the target, build the client, and say on stderr where this command goes."""
    target = resolve(prod=prod, table=table)
    connection = Connection(target, clients(target))
    click.get_current_context().meta[CONNECTION_META_KEY] = connection
    suffix = f", table {connection.target.table}" if announce_table else ""
    click.echo(f"ddb: {connection.where}{suffix}", err=True)
    return connection
