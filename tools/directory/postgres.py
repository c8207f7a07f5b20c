"""The course's `public.users` table in any Postgres: where it is, and the tools' three uses.

CONNECTION_URL (the course's variable) names the database, the course's RDS instance included;
without it, the local server of `make db` (local/postgres.py). Every failure is one ToolError
line naming the database without its password.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import psycopg
from psycopg import conninfo, errors

from local import postgres as local_postgres
from tools import users
from tools.directory.cognito_ids import CognitoIdPlan, DirectoryMismatch, plan_cognito_ids
from tools.errors import ToolError

# The table every query below names literally (the course's SQL does too).
TABLE: Final = "public.users"
# The course's backend-flask/db/schema.sql, with the built-in gen_random_uuid() (PostgreSQL 13+,
# https://www.postgresql.org/docs/16/functions-uuid.html) instead of the uuid-ossp extension.
SCHEMA: Final = """
CREATE TABLE public.users (
  uuid UUID DEFAULT gen_random_uuid() PRIMARY KEY,
  display_name text NOT NULL,
  handle text NOT NULL,
  email text NOT NULL,
  cognito_user_id text NOT NULL,
  created_at TIMESTAMP default current_timestamp NOT NULL
)
"""
# The course's seed rows hold this until update-cognito-user-ids writes the pool's subs.
MOCK_COGNITO_USER_ID: Final = "MOCK"
# A row lock held elsewhere (another update, an open psql transaction) fails this fast, whole.
LOCK_TIMEOUT: Final = "5s"


@dataclass(frozen=True)
class Database:
    """A database to connect to, and how to name it in a message (never with its password)."""

    url: str
    name: str
    local: bool


def describe(url: str) -> str:
    """`postgresql://user@host:port/db`, without the password; ToolError if it does not parse."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ToolError(
            f"{users.CONNECTION_URL_ENV} is not a Postgres URL: expected "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    user, database = parts.get("user") or "", parts.get("dbname") or ""
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):  # a Unix socket's directory
        return f"postgresql://{user}@/{database}?host={host}"
    return f"postgresql://{user}@{host}:{parts.get('port') or 5432}/{database}"


def resolve(*, prod: bool, environ: Mapping[str, str] | None = None) -> Database:
    """CONNECTION_URL if set; else (not --prod) the running `make db` server; else ToolError."""
    env = os.environ if environ is None else environ
    url = env.get(users.CONNECTION_URL_ENV, "").strip()
    if url:
        return Database(url=url, name=describe(url), local=False)
    if prod:
        raise ToolError(
            f"--prod needs {users.CONNECTION_URL_ENV}: the course's RDS database, "
            "postgresql://user:password@host:5432/cruddur"
        )
    running = local_postgres.running_url()
    if running is None:
        raise ToolError(
            f"{users.CONNECTION_URL_ENV} is not set and the local Postgres is not running: "
            "start it with `make db`"
        )
    name = f"database {local_postgres.DATABASE} of the local Postgres (make db)"
    return Database(url=running, name=name, local=True)


def _first_line(error: psycopg.Error) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@contextmanager
def _errors(db: Database) -> Iterator[None]:
    """psycopg's errors as one line each: what failed, where, and what to do."""
    try:
        yield
    except errors.UndefinedTable:
        hint = "make db loads it" if db.local else "load the course's db/schema.sql"
        raise ToolError(f"table {TABLE} does not exist in {db.name}; {hint}") from None
    except errors.UndefinedColumn as error:
        raise ToolError(
            f"{TABLE} in {db.name} is not the course's schema: {_first_line(error)}"
        ) from None
    except errors.LockNotAvailable:
        raise ToolError(
            f"{TABLE} rows are locked by another session in {db.name} (waited {LOCK_TIMEOUT}); "
            "nothing was changed"
        ) from None
    except psycopg.OperationalError as error:
        hint = "is it running? (make db)" if db.local else "check CONNECTION_URL and the network"
        raise ToolError(f"cannot reach {db.name}: {_first_line(error)}; {hint}") from None
    except psycopg.Error as error:
        raise ToolError(f"{db.name}: {_first_line(error)}") from None


@contextmanager
def connect(db: Database) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose every failure is one ToolError; it commits on success and rolls back
    on any error (psycopg's connection context)."""
    with (
        _errors(db),
        psycopg.connect(db.url, connect_timeout=3, application_name="cruddur-tools") as conn,
    ):
        yield conn


def load_directory(*, prod: bool) -> users.Directory:
    """The users table as a directory, validated as a users file is (tools/users.py). Every row
    is read: the check that no handle or uuid repeats needs them all (a seed table is small)."""
    db = resolve(prod=prod)
    with connect(db) as conn:
        rows = conn.execute(
            "SELECT uuid::text AS uuid, display_name, handle FROM public.users ORDER BY handle"
        ).fetchall()
    entries = [{"uuid": u, "display_name": name, "handle": handle} for u, name, handle in rows]
    if not entries:
        raise ToolError(f"{TABLE} in {db.name} has no users")
    return users.from_entries(f"{TABLE} in {db.name}", entries)


def update_cognito_user_ids(db: Database, subs: Mapping[str, str], *, pool: str) -> CognitoIdPlan:
    """Set each row's cognito_user_id to its handle's sub, in one transaction: every row or
    none. The rows are locked first, so two runs cannot interleave."""
    with connect(db) as conn, conn.transaction():
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (LOCK_TIMEOUT,))
        rows = conn.execute(
            "SELECT handle, cognito_user_id FROM public.users FOR UPDATE"
        ).fetchall()
        try:
            plan = plan_cognito_ids(rows, subs, table=f"{TABLE} in {db.name}", pool=pool)
        except DirectoryMismatch as error:
            raise ToolError(f"{error}; nothing was changed") from None
        with conn.cursor() as cursor:
            cursor.executemany(
                "UPDATE public.users SET cognito_user_id = %s WHERE handle = %s",
                [(sub, handle) for handle, sub in plan.updates.items()],
            )
    return plan


def load_course_schema(url: str, directory: users.Directory, *, reset: bool = False) -> bool:
    """The course's table and one seed row per user of `directory` (its uuids, so a seed from
    this table equals a seed from the file), when the table is absent or `reset`; whether it
    loaded them. Every user needs an email (the table's column is NOT NULL)."""
    missing = [user.handle for user in directory if user.handle not in directory.emails]
    if missing:
        raise ToolError(f"{directory.source}: no email for @{missing[0]} (the table needs one)")
    db = Database(url=url, name=describe(url), local=True)
    with connect(db) as conn, conn.transaction():
        exists = conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
        if exists and exists[0] is not None:
            if not reset:
                return False
            conn.execute("DROP TABLE public.users")
        conn.execute(SCHEMA)
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO public.users (uuid, display_name, handle, email, cognito_user_id) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    (
                        u.uuid,
                        u.display_name,
                        u.handle,
                        directory.emails[u.handle],
                        MOCK_COGNITO_USER_ID,
                    )
                    for u in directory
                ],
            )
    return True


def count_users(url: str) -> int:
    with connect(Database(url=url, name=describe(url), local=True)) as conn:
        row = conn.execute("SELECT count(*) FROM public.users").fetchone()
    return int(row[0]) if row else 0
