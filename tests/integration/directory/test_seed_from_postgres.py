"""bin/ddb/seed with its users from the course's users table: the same items as from the users
file when both hold the same users, and the same validation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ddb_cli import one_error_line, run, tool_env
from directory_tools import execute

USERS_FILE = Path(__file__).resolve().parents[3] / "tools" / "data" / "users.json"


@pytest.fixture
def tables(moto_endpoint: str, dynamodb_client: Any) -> Iterator[dict[str, dict[str, str]]]:
    """Two empty message tables (made by schema-load), one per source of users."""
    made = {}
    for source in ("file", "postgres"):
        env = tool_env(moto_endpoint, TZ="UTC", DDB_MESSAGE_TABLE=f"seed-{uuid.uuid4().hex[:10]}")
        assert run("schema-load", env=env).returncode == 0
        made[source] = env
    yield made
    for env in made.values():
        dynamodb_client.delete_table(TableName=env["DDB_MESSAGE_TABLE"])


def scanned(env: dict[str, str]) -> dict[str, Any]:
    result = run("scan", "--json", env=env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    document.pop("table", None)
    document.pop("consumed_capacity", None)
    return document


def test_seed_from_postgres_writes_what_seed_from_the_file_writes(
    tables: dict[str, dict[str, str]], database_url: str
) -> None:
    from_file = run("seed", "--users", str(USERS_FILE), env=tables["file"])
    # CONNECTION_URL set: the users come from its table, as the course's seed takes them.
    from_table = run("seed", env={**tables["postgres"], "CONNECTION_URL": database_url})
    assert from_file.returncode == 0, from_file.stderr
    assert from_table.returncode == 0, from_table.stderr
    assert from_table.stdout == from_file.stdout
    items = scanned(tables["file"])
    assert items["messages"], items
    assert scanned(tables["postgres"]) == items


def test_a_row_the_file_would_refuse_is_refused_the_same_way(
    tables: dict[str, dict[str, str]], database_url: str
) -> None:
    execute(database_url, "UPDATE public.users SET handle = 'bay ko' WHERE handle = 'bayko'")
    result = run(
        "seed", "--users", "postgres", env={**tables["postgres"], "CONNECTION_URL": database_url}
    )
    assert result.returncode == 1
    assert one_error_line(result).endswith("handle must be letters, digits or _ (no leading @)")
    assert scanned(tables["postgres"])["messages"] == []


def test_users_postgres_without_any_database_is_one_line(tables: dict[str, dict[str, str]]) -> None:
    env = {**tables["postgres"], "CONNECTION_URL": "postgresql://nobody@localhost:1/none"}
    result = run("seed", "--users", "postgres", env=env)
    assert result.returncode == 1
    assert "cannot reach postgresql://nobody@localhost:1/none" in one_error_line(result)
