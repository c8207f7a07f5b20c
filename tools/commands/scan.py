"""scan: every item of the table, page after page, grouped by kind."""

from __future__ import annotations

from typing import Any

import click

from cruddur_messages import items, schema
from tools import users
from tools.capacity import CapacityMeter
from tools.connection import connect, prod_option, table_option
from tools.output import (
    echo_json,
    local_time,
    plain_item,
    plural,
    render_table,
    stdout,
    to_json,
)

Item = dict[str, Any]


def classify(item: Item) -> str:
    """`messages`, `group_rows`, `guards` (the store's idempotency items) or `other` (anything
    the item builders do not recognise)."""
    pk = item.get(schema.PARTITION_KEY)
    if isinstance(pk, str) and schema.is_guard_pk(pk):
        return "guards"
    for kind, parse in (
        ("messages", items.message_from_item),
        ("group_rows", items.group_from_item),
    ):
        try:
            parse(item)
        except ValueError:
            continue
        return kind
    return "other"


def _sort_key(item: Item) -> tuple[str, str]:
    return (str(item.get(schema.PARTITION_KEY, "")), str(item.get(schema.SORT_KEY, "")))


@click.command("scan")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="Stop after N items [default: the whole table].",
)
@click.option(
    "--page-size",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="Items per Scan request [default: DynamoDB's 1 MB pages]; smaller spreads the reads.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON, grouped by kind.")
@table_option
@prod_option
def scan(
    limit: int | None, page_size: int | None, as_json: bool, table: str | None, prod: bool
) -> None:
    """Print every item of the table (all pages), grouped: messages, group rows, other (guards
    are counted)."""
    connection = connect(prod=prod, table=table)
    meter = CapacityMeter()
    meter.attach(connection.client, ("Scan",))
    # With --limit, pages no larger than it: the scan stops reading (and billing) where it stops.
    pagination: dict[str, int] = {}
    if limit is not None:
        pagination = {"MaxItems": limit, "PageSize": min(limit, page_size or limit)}
    elif page_size is not None:
        pagination = {"PageSize": page_size}
    pages = connection.client.get_paginator("scan").paginate(
        TableName=connection.target.table, PaginationConfig=pagination
    )
    grouped: dict[str, list[Item]] = {"messages": [], "group_rows": [], "other": [], "guards": []}
    for page in pages:
        for raw in page.get("Items", []):
            item = plain_item(raw)
            grouped[classify(item)].append(item)
    # The paginator keeps a resume token only when it stopped at MaxItems with items left.
    truncated = pages.resume_token is not None
    for kinds in grouped.values():
        kinds.sort(key=_sort_key)
    count = sum(map(len, grouped.values()))

    if as_json:
        echo_json(
            {"table": connection.target.table, "count": count, "truncated": truncated, **grouped}
        )
    else:
        _print_tables(grouped)
    summary = (
        f"{plural(count, 'item')} ({plural(len(grouped['messages']), 'message')}, "
        f"{plural(len(grouped['group_rows']), 'group row')}, {len(grouped['other'])} other, "
        f"{plural(len(grouped['guards']), 'guard')}) "
        f"in {plural(meter.requests, 'page')}"
    )
    if truncated:
        summary += f"; stopped at --limit {limit}, more items remain"
    click.echo(summary, err=True)
    click.echo(meter.summary(), err=True)


def _print_tables(grouped: dict[str, list[Item]]) -> None:
    console = stdout()
    directory = users.load()
    messages = [items.message_from_item(item) for item in grouped["messages"]]
    rows = [items.group_from_item(item) for item in grouped["group_rows"]]
    if messages:
        console.print(
            render_table(
                "messages (MSG#)",
                ("conversation", "time", "from", "message"),
                (
                    (m.group_uuid, local_time(m.created_at), f"@{m.sender.handle}", m.text)
                    for m in messages
                ),
            )
        )
    if rows:

        def owner(user_uuid: str) -> str:
            known = directory.by_uuid(user_uuid)
            return f"@{known.handle}" if known else user_uuid

        console.print(
            render_table(
                "group rows (GRP#)",
                ("conversation", "owner", "with", "last message at", "last message"),
                (
                    (
                        g.group_uuid,
                        owner(g.owner_uuid),
                        f"@{g.other_user.handle}",
                        local_time(g.last_message_at),
                        g.last_message,
                    )
                    for g in rows
                ),
            )
        )
    if grouped["other"]:
        console.print(
            render_table(
                "other items",
                (schema.PARTITION_KEY, schema.SORT_KEY, "attributes"),
                (
                    (
                        str(item.get(schema.PARTITION_KEY, "")),
                        str(item.get(schema.SORT_KEY, "")),
                        to_json(
                            {
                                k: v
                                for k, v in item.items()
                                if k not in (schema.PARTITION_KEY, schema.SORT_KEY)
                            }
                        ),
                    )
                    for item in grouped["other"]
                ),
            )
        )
    if not any(grouped.values()):
        console.print("the table is empty")
