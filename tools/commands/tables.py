"""schema-load, drop, list-tables: the table's lifecycle, from the one schema definition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import click
from botocore.exceptions import ClientError

from cruddur_messages import schema
from tools.connection import Connection, connect, prod_option, table_option
from tools.errors import ToolError
from tools.output import echo_json, plural


def _waiter_config(connection: Connection) -> dict[str, int]:
    # A local table is ACTIVE at once; AWS takes seconds to minutes, so poll it gently.
    if connection.target.prod:
        return {"Delay": 5, "MaxAttempts": 120}
    return {"Delay": 1, "MaxAttempts": 60}


def _key_types(key_schema: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {key["AttributeName"]: key["KeyType"] for key in key_schema}


def schema_differences(described: Mapping[str, Any]) -> list[str]:
    """How an existing table departs from the schema definition (keys, index, stream)."""
    expected = schema.create_table_kwargs(str(described["TableName"]))
    problems = []
    if _key_types(described.get("KeySchema", [])) != _key_types(expected["KeySchema"]):
        problems.append("its key schema")
    actual_indexes = {
        index["IndexName"]: _key_types(index["KeySchema"])
        for index in described.get("GlobalSecondaryIndexes", [])
    }
    for index in expected["GlobalSecondaryIndexes"]:
        if actual_indexes.get(index["IndexName"]) != _key_types(index["KeySchema"]):
            problems.append(f"index {index['IndexName']}")
    stream = described.get("StreamSpecification") or {}
    wanted_view = expected["StreamSpecification"]["StreamViewType"]
    if not stream.get("StreamEnabled") or stream.get("StreamViewType") != wanted_view:
        problems.append(f"its stream (want {wanted_view})")
    return problems


def describe_summary(described: Mapping[str, Any]) -> str:
    keys = ", ".join(f"{k['AttributeName']} {k['KeyType']}" for k in described["KeySchema"])
    indexes = ", ".join(i["IndexName"] for i in described.get("GlobalSecondaryIndexes", []))
    stream = (described.get("StreamSpecification") or {}).get("StreamViewType", "no stream")
    throughput = described.get("ProvisionedThroughput") or {}
    return (
        f"keys {keys}; index {indexes or 'none'}; stream {stream}; "
        f"{throughput.get('ReadCapacityUnits', '?')} RCU / "
        f"{throughput.get('WriteCapacityUnits', '?')} WCU"
    )


@click.command("schema-load")
@click.option(
    "--read-capacity", type=click.IntRange(1, 40000), default=5, show_default=True, metavar="N"
)
@click.option(
    "--write-capacity", type=click.IntRange(1, 40000), default=5, show_default=True, metavar="N"
)
@table_option
@prod_option
def schema_load(read_capacity: int, write_capacity: int, table: str | None, prod: bool) -> None:
    """Create the messages table (keys, GSI, stream, capacity) and wait until it is ACTIVE.

    An existing table that matches the schema is reported and left alone; one that does not
    match is an error.
    """
    connection = connect(prod=prod, table=table)
    client, name = connection.client, connection.target.table
    kwargs = schema.create_table_kwargs(
        name, read_capacity=read_capacity, write_capacity=write_capacity
    )
    try:
        client.create_table(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise
        described = client.describe_table(TableName=name)["Table"]
        problems = schema_differences(described)
        if problems:
            raise ToolError(
                f"table {name!r} already exists at {connection.where} but differs from the "
                f"schema definition in {', '.join(problems)}"
            ) from None
        click.echo(
            f"table {name} already exists ({described['TableStatus']}) and matches the schema; "
            "nothing to do"
        )
        return
    click.echo(f"creating table {name} ...", err=True)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=_waiter_config(connection))
    described = client.describe_table(TableName=name)["Table"]
    click.echo(f"created table {name} ({described['TableStatus']}): {describe_summary(described)}")


@click.command("drop")
@click.argument("table_name", metavar="TABLE")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--confirm-table",
    metavar="NAME",
    help="The table's name, given instead of typed (required with --prod when not interactive).",
)
@prod_option
def drop(table_name: str, yes: bool, confirm_table: str | None, prod: bool) -> None:
    """Delete TABLE and wait until it is gone.

    Asks for confirmation unless --yes. With --prod, the table's name must also be typed at the
    prompt or given with --confirm-table, even with --yes.
    """
    connection = connect(prod=prod, table=table_name)
    client = connection.client
    # Fails with "does not exist" before anyone is asked to confirm anything.
    try:
        described = client.describe_table(TableName=table_name)["Table"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        raise ToolError(
            f"table {table_name!r} does not exist at {connection.where}; nothing to drop"
        ) from None
    place = f"{table_name} ({described.get('ItemCount', '?')} items) at {connection.where}"
    try:
        if prod and confirm_table is None:
            confirm_table = click.prompt(
                f"This deletes {place}. Type the table name to confirm",
                default="",
                show_default=False,
                err=True,
            )
        confirmed = confirm_table is not None or yes
        if not confirmed:
            confirmed = click.confirm(f"Delete table {place}?", err=True)
    except click.Abort:
        # No terminal to answer on (stdin closed) or Ctrl-C at the prompt.
        raise ToolError(f"no confirmation given; table {table_name} kept") from None
    if confirm_table is not None and confirm_table != table_name:
        raise ToolError(
            f"confirmation {confirm_table!r} does not match table {table_name!r}; nothing deleted"
        )
    if not confirmed:
        raise ToolError(f"not confirmed; table {table_name} kept")
    client.delete_table(TableName=table_name)
    client.get_waiter("table_not_exists").wait(
        TableName=table_name, WaiterConfig=_waiter_config(connection)
    )
    click.echo(f"deleted table {table_name}")


@click.command("list-tables")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of names.")
@prod_option
def list_tables(as_json: bool, prod: bool) -> None:
    """List the tables at the endpoint, one name a line."""
    connection = connect(prod=prod, announce_table=False)
    names = [
        name
        for page in connection.client.get_paginator("list_tables").paginate()
        for name in page.get("TableNames", [])
    ]
    if as_json:
        echo_json({"tables": names})
    else:
        for name in names:
            click.echo(name)
    click.echo(plural(len(names), "table"), err=True)
