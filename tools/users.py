"""Who the seed's handles are, and how list-conversations resolves a handle: the users file, or
the course's Postgres `users` table.

The message table stores only the *other* participant's identity on a group row, so handles
resolve through a directory: tools/data/users.json by default, the table at CONNECTION_URL when it
is set (or with `--users postgres`; tools/directory/postgres.py). Either way the same validation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import click

from cruddur_messages.models import HANDLE_PATTERN, User
from tools.errors import ToolError

DEFAULT_USERS_FILE: Final = Path(__file__).parent / "data" / "users.json"
# The word `--users` takes for the course's users table instead of a file.
POSTGRES: Final = "postgres"
# The course's variable for its Postgres (local, or RDS): `postgresql://user:password@host/db`.
CONNECTION_URL_ENV: Final = "CONNECTION_URL"
REQUIRED_KEYS: Final = ("uuid", "display_name", "handle")
# The local user pool and the local Postgres sign users in by email (as the course's pool does).
OPTIONAL_KEYS: Final = ("email",)


def normalize_handle(handle: str) -> str:
    """A handle as stored: without the leading `@` people often type."""
    return handle.strip().removeprefix("@")


@dataclass(frozen=True)
class PostgresUsers:
    """The users come from the course's `public.users` table (CONNECTION_URL, else `make db`)."""


Source = Path | PostgresUsers


@dataclass(frozen=True)
class Directory:
    """The users of one source (a users file, or the users table), by handle and by uuid."""

    source: str
    by_handle: Mapping[str, User]
    # handle -> email, for the users whose entry has one (the local user pool needs them).
    emails: Mapping[str, str]

    def __iter__(self) -> Iterator[User]:
        return iter(self.by_handle.values())

    def by_uuid(self, user_uuid: str) -> User | None:
        return next((user for user in self if user.uuid == user_uuid), None)

    def lookup(self, handle: str) -> User:
        """The user with this handle (`@` optional); ToolError naming the known handles."""
        user = self.by_handle.get(normalize_handle(handle))
        if user is None:
            known = ", ".join(f"@{name}" for name in self.by_handle)
            raise ToolError(
                f"unknown user @{normalize_handle(handle)}: not in {self.source} ({known})"
            )
        return user


def load(path: Path = DEFAULT_USERS_FILE) -> Directory:
    """Read and validate a users file: `{"users": [{"uuid", "display_name", "handle"}, ...]}`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ToolError(f"{path}: line {line}: not UTF-8 text") from None
    except OSError as exc:
        raise ToolError(f"cannot read users file {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ToolError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    entries = document.get("users") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ToolError(f'{path}: expected an object with a non-empty "users" list')
    return from_entries(str(path), entries)


def from_entries(source: str, entries: Sequence[Any]) -> Directory:
    """The directory of these entries (a users file's, or the users table's rows), validated:
    the keys, each user's fields, no handle or uuid twice. ToolError naming `source` and the
    entry otherwise."""
    by_handle: dict[str, User] = {}
    emails: dict[str, str] = {}
    seen_uuids: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        user = _user(source, number, entry)
        if user.handle in by_handle or user.uuid in seen_uuids:
            raise ToolError(f"{source}: user #{number} (@{user.handle}) repeats a handle or uuid")
        by_handle[user.handle] = user
        seen_uuids.add(user.uuid)
        if entry.get("email") is not None:
            emails[user.handle] = entry["email"]
    return Directory(source=source, by_handle=by_handle, emails=emails)


def _user(source: str, number: int, entry: Any) -> User:
    fields = REQUIRED_KEYS
    if (
        not isinstance(entry, dict)
        or not set(fields) <= set(entry)
        or not set(entry) <= {*fields, *OPTIONAL_KEYS}
    ):
        raise ToolError(
            f"{source}: user #{number} must have exactly the keys {', '.join(fields)} "
            f"(and optionally {', '.join(OPTIONAL_KEYS)})"
        )
    if not isinstance(entry["handle"], str) or not HANDLE_PATTERN.fullmatch(entry["handle"]):
        raise ToolError(
            f"{source}: user #{number}: handle must be letters, digits or _ (no leading @)"
        )
    email = entry.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email.strip("@")):
        raise ToolError(f"{source}: user #{number}: email must be an address like a@example.com")
    try:
        return User(uuid=entry["uuid"], display_name=entry["display_name"], handle=entry["handle"])
    except ValueError as exc:
        raise ToolError(f"{source}: user #{number}: {exc}") from None


def load_source(source: Source, *, prod: bool) -> Directory:
    """The directory of a `--users` source: a users file, or the users table."""
    if isinstance(source, Path):
        return load(source)
    from tools.directory import postgres as users_table  # psycopg only where a command needs it

    return users_table.load_directory(prod=prod)


def _users_source(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Source:
    if value is None:
        # The course's convention: CONNECTION_URL set means the users live in that Postgres.
        if os.environ.get(CONNECTION_URL_ENV, "").strip():
            return PostgresUsers()
        return DEFAULT_USERS_FILE
    if value.strip() == POSTGRES:
        return PostgresUsers()
    return Path(value)


# The --users option of every command that resolves people (seed, list-conversations).
users_option = click.option(
    "--users",
    "users_source",
    metavar="FILE|postgres",
    default=None,
    callback=_users_source,
    help=(
        "Where handles resolve: a users file, or `postgres` for the users table at "
        "CONNECTION_URL (else the local `make db`) [default: postgres if CONNECTION_URL is set, "
        "else tools/data/users.json]."
    ),
)
