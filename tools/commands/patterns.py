"""get-conversation (pattern A) and list-conversations (pattern B), for people to read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from cruddur_messages import items, schema
from cruddur_messages.models import Message, MessageGroup, Page
from cruddur_messages.store import MAX_PAGE_SIZE, MessageStore
from tools import users
from tools.capacity import CapacityMeter
from tools.connection import Connection, connect, prod_option, table_option
from tools.errors import ToolError
from tools.output import echo_json, local_time, render_table, stdout, warn_skipped

T = TypeVar("T")
MAX_LIMIT = 1000


def _collect(fetch: Callable[[int, str | None], Page[T]], limit: int, kind: str) -> list[T]:
    """Up to `limit` items, following the store's cursors page by page; one warning line for
    the items the store left out (not `kind`: another writer's, or malformed)."""
    found: list[T] = []
    skipped = 0
    cursor = None
    while len(found) < limit:
        page = fetch(min(MAX_PAGE_SIZE, limit - len(found)), cursor)
        found.extend(page.items)
        skipped += page.skipped
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    warn_skipped(skipped, kind)
    return found


def _metered_store(
    *, prod: bool, table: str | None
) -> tuple[Connection, MessageStore, CapacityMeter]:
    """The target's store, its table checked first (a clear error if it is missing), with a
    meter of the read capacity its queries consume."""
    connection = connect(prod=prod, table=table)
    connection.client.describe_table(TableName=connection.target.table)
    meter = CapacityMeter()
    meter.attach(connection.client, ("Query",))
    return connection, MessageStore(connection.client, table_name=connection.target.table), meter


def _uuid_argument(value: str, field: str) -> str:
    try:
        canonical: str = schema.validate_uuid(value.strip(), field=field)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return canonical


limit_option = click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=20,
    show_default=True,
    metavar="N",
    help="How many of the newest items to read.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")


def _echo_items(
    key: str, value: str, found: Iterable[dict[str, Any]], meter: CapacityMeter
) -> None:
    """--json: whose items these are, the items as stored, and what reading them cost."""
    echo_json({key: value, "items": list(found), "consumed_capacity": meter.as_dict()})


@click.command("get-conversation")
@click.argument("group_uuid", metavar="GROUP_UUID")
@limit_option
@json_option
@table_option
@prod_option
def get_conversation(
    group_uuid: str, limit: int, as_json: bool, table: str | None, prod: bool
) -> None:
    """Print a conversation's newest messages (pattern A), oldest to newest as a chat reads."""
    group_uuid = _uuid_argument(group_uuid, "GROUP_UUID")
    connection, store, meter = _metered_store(prod=prod, table=table)

    def fetch(page_size: int, cursor: str | None) -> Page[Message]:
        return store.list_messages(group_uuid, limit=page_size, before=cursor)

    messages: list[Message] = _collect(fetch, limit, "messages")
    messages.reverse()
    if not messages:
        raise ToolError(
            f"no conversation {group_uuid} in table {connection.target.table} at {connection.where}"
        )
    if as_json:
        _echo_items("group_uuid", group_uuid, map(items.message_item, messages), meter)
        return
    console = stdout()
    console.print(
        render_table(
            f"conversation {group_uuid}",
            ("time", "from", "message"),
            ((local_time(m.created_at), f"@{m.sender.handle}", m.text) for m in messages),
        )
    )
    console.print(meter.summary(), markup=False, soft_wrap=True)  # a line the terminal wraps


@click.command("list-conversations")
@click.argument("user", metavar="HANDLE_OR_UUID")
@users.users_option
@limit_option
@json_option
@table_option
@prod_option
def list_conversations(
    user: str,
    *,
    users_source: users.Source,
    limit: int,
    as_json: bool,
    table: str | None,
    prod: bool,
) -> None:
    """Print a user's conversations, newest first (pattern B).

    HANDLE_OR_UUID is a user uuid, or a handle (with or without @) looked up in the users file:
    group rows hold the other participant's identity, not the owner's.
    """
    directory = users.load_source(users_source, prod=prod)
    try:
        user_uuid = schema.validate_uuid(user.strip(), field="user")
        known = directory.by_uuid(user_uuid)
    except ValueError:
        known = directory.lookup(user)
        user_uuid = known.uuid
    connection, store, meter = _metered_store(prod=prod, table=table)

    def fetch(page_size: int, cursor: str | None) -> Page[MessageGroup]:
        return store.list_message_groups(user_uuid, limit=page_size, cursor=cursor)

    groups: list[MessageGroup] = _collect(fetch, limit, "group rows")
    who = f"@{known.handle}" if known else user_uuid
    if not groups and known is None:
        raise ToolError(
            f"unknown user {user_uuid}: not in {directory.source} and no conversations in "
            f"table {connection.target.table}"
        )
    if as_json:
        _echo_items("user_uuid", user_uuid, map(items.group_item, groups), meter)
        return
    console = stdout()
    if groups:
        console.print(
            render_table(
                f"conversations of {who}",
                ("conversation", "last message at", "with", "last message"),
                (
                    (
                        g.group_uuid,
                        local_time(g.last_message_at),
                        f"@{g.other_user.handle}",
                        g.last_message,
                    )
                    for g in groups
                ),
            )
        )
    else:
        console.print(f"{who} has no conversations", markup=False)
    console.print(meter.summary(), markup=False, soft_wrap=True)  # a line the terminal wraps
