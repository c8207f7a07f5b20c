"""Helpers of the user directory's tests: the two CLIs in-process, and reads and writes of the
test's own (not the tools') Postgres connection and Cognito client."""

from __future__ import annotations

from typing import Any

import psycopg
from ddb_cli import Ran, run

from tools.commands import cognito as cognito_commands
from tools.commands import db as db_commands


def cognito(command: str, *args: str, env: dict[str, str]) -> Ran:
    return run(command, *args, env=env, tool=cognito_commands.cli, prog_name="cognito")


def db(command: str, *args: str, env: dict[str, str]) -> Ran:
    return run(command, *args, env=env, tool=db_commands.cli, prog_name="db")


def rows(url: str) -> dict[str, str]:
    """handle -> cognito_user_id of every row, read with the test's own connection."""
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT handle, cognito_user_id FROM public.users").fetchall()
    return dict(found)


def execute(url: str, statement: str, *params: Any) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, params or None)  # type: ignore[arg-type]


def add_pool_user(client: Any, pool: str, handle: str) -> str:
    """A user signed up with this handle; their sub."""
    email = f"{handle}@example.com"
    client.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "preferred_username", "Value": handle},
        ],
        MessageAction="SUPPRESS",
    )
    user = client.admin_get_user(UserPoolId=pool, Username=email)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
