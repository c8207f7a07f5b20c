"""The users file: who the seed's handles are, and how list-conversations resolves a handle.

The message table stores only the *other* participant's identity on a group row, and there is no
users table here (the course kept users in Postgres), so handles resolve through this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import click

from cruddur_messages.models import HANDLE_PATTERN, User
from tools.errors import ToolError

DEFAULT_USERS_FILE: Final = Path(__file__).parent / "data" / "users.json"


def normalize_handle(handle: str) -> str:
    """A handle as stored: without the leading `@` people often type."""
    return handle.strip().removeprefix("@")


@dataclass(frozen=True)
class Directory:
    """The users of one users file, by handle and by uuid."""

    path: Path
    by_handle: Mapping[str, User]

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
                f"unknown user @{normalize_handle(handle)}: not in {self.path} ({known})"
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
    by_handle: dict[str, User] = {}
    seen_uuids: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        user = _user(path, number, entry)
        if user.handle in by_handle or user.uuid in seen_uuids:
            raise ToolError(f"{path}: user #{number} (@{user.handle}) repeats a handle or uuid")
        by_handle[user.handle] = user
        seen_uuids.add(user.uuid)
    return Directory(path=path, by_handle=by_handle)


def _user(path: Path, number: int, entry: Any) -> User:
    fields = ("uuid", "display_name", "handle")
    if not isinstance(entry, dict) or set(entry) != set(fields):
        raise ToolError(f"{path}: user #{number} must have exactly the keys {', '.join(fields)}")
    if not isinstance(entry["handle"], str) or not HANDLE_PATTERN.fullmatch(entry["handle"]):
        raise ToolError(
            f"{path}: user #{number}: handle must be letters, digits or _ (no leading @)"
        )
    try:
        return User(uuid=entry["uuid"], display_name=entry["display_name"], handle=entry["handle"])
    except ValueError as exc:
        raise ToolError(f"{path}: user #{number}: {exc}") from None


# The --users option of every command that resolves people (seed, list-conversations).
users_option = click.option(
    "--users",
    "users_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_USERS_FILE,
    help="Users file that resolves handles [default: tools/data/users.json].",
)
