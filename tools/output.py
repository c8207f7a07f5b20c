"""Rendering shared by the commands: local times, rich tables on stdout, JSON that always parses."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import click
from boto3.dynamodb.types import Binary, TypeDeserializer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cruddur_messages.timestamps import parse_timestamp

_DESERIALIZER = TypeDeserializer()
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S %Z"


# Rich's width for output that is not a terminal and was given no COLUMNS: wider than any row, so
# a piped or redirected table never wraps a cell or folds a uuid, and every value can be copied.
PIPED_WIDTH: Final = 100_000


def stdout() -> Console:
    # highlight off: rich would otherwise colour numbers and UUIDs inside people's messages.
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=PIPED_WIDTH)
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def local_time(timestamp: str) -> str:
    """A stored UTC timestamp in the local zone (TZ honoured); unparsable values shown as stored."""
    try:
        return str(parse_timestamp(timestamp).astimezone().strftime(LOCAL_TIME_FORMAT))
    except ValueError:
        return timestamp


def plain_item(wire_item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level client item ({"S": ...} values) as plain Python values."""
    return {key: _DESERIALIZER.deserialize(value) for key, value in wire_item.items()}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Binary):
        value = bytes(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(document: Any) -> str:
    return json.dumps(document, default=_json_default, ensure_ascii=False, indent=2)


def echo_json(document: Any) -> None:
    click.echo(to_json(document))


def render_table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[str]]) -> Table:
    """A rich table whose cells are literal text (message text may contain [markup]).

    Every column may wrap, and a long id folds rather than being cut: in a narrow terminal the
    text column would otherwise be squeezed to nothing and ids truncated. Where the terminal is
    wide enough, rich keeps each cell on one line; piped (stdout()), it always does.
    """
    grid = Table(title=title, title_justify="left")
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))
    return grid


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def warn_skipped(count: int, kind: str) -> None:
    """One stderr line for items read but left out: the table is shared with other writers."""
    if count:
        click.echo(
            f"ddb: warning: skipped {plural(count, 'item')} that are not {kind} this store "
            "writes (another writer's, or malformed); bin/ddb/scan lists them under other",
            err=True,
        )
