"""The seed conversation file: parsed and validated whole before anything is written.

Format (docs/tools.md): header lines `key: value` (only `start`, an ISO-8601 time with an offset),
a line `---`, then one message a line as `handle: text`. `#` lines and blank lines are ignored.
The two speakers alternate; message n is sent `start + n minutes`.

Every id and time is derived from the file, so seeding twice finds the same items instead of
writing new ones: the conversation's uuid from the start time and its two participants, each
message's uuid from the conversation and the message's position.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cruddur_messages.models import User, validate_text
from cruddur_messages.timestamps import format_timestamp, parse_timestamp
from tools.errors import ToolError
from tools.users import Directory

DEFAULT_CONVERSATION_FILE: Final = Path(__file__).parent / "data" / "conversation.txt"
HEADER_END: Final = "---"
HEADER_KEYS: Final = ("start",)
MESSAGE_INTERVAL: Final = timedelta(minutes=1)
# Fixed forever: changing it would give every seeded item a new id and break idempotence.
SEED_NAMESPACE: Final = uuid.UUID("28d22f88-e9c4-4ac1-8d3b-7ada8083d1f6")


@dataclass(frozen=True, kw_only=True)
class SeedMessage:
    """One `handle: text` line, with the id and time it is written with (derived, stable)."""

    line: int
    message_uuid: str
    created_at: str
    sender: User
    recipient: User
    text: str


@dataclass(frozen=True, kw_only=True)
class SeedConversation:
    """The whole file, validated: one conversation between two users, in the order said."""

    path: Path
    start: datetime
    group_uuid: str
    participants: tuple[User, User]
    messages: tuple[SeedMessage, ...]


class _Parser:
    def __init__(self, path: Path, directory: Directory) -> None:
        self.path = path
        self.directory = directory

    def fail(self, line: int, reason: str) -> ToolError:
        return ToolError(f"{self.path}: line {line}: {reason}")

    def parse(self, text: str) -> SeedConversation:
        lines = text.splitlines()
        header: dict[str, tuple[int, str]] = {}
        body_start = None
        for number, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line == HEADER_END:
                body_start = number
                break
            key, sep, value = line.partition(":")
            key = key.strip()
            if not sep:
                raise self.fail(number, f"expected a header line 'key: value' or {HEADER_END!r}")
            if key not in HEADER_KEYS:
                raise self.fail(number, f"unknown header {key!r} (known: {', '.join(HEADER_KEYS)})")
            if key in header:
                raise self.fail(number, f"header {key!r} is given twice")
            header[key] = (number, value.strip())
        end = len(lines) + 1
        if body_start is None:
            raise self.fail(end, f"no {HEADER_END!r} line after the header")
        if "start" not in header:
            raise self.fail(body_start, "the header has no 'start: <ISO-8601 time>' line")
        start = self._start(*header["start"])
        said = self._messages(lines, body_start)
        if not said:
            raise self.fail(end, "the conversation has no messages")
        speakers = list(dict.fromkeys(user for _, user, _ in said))
        if len(speakers) != 2:
            raise self.fail(end, "a seed conversation needs two people; only one speaks")
        first, second = speakers
        group_uuid = str(uuid.uuid5(SEED_NAMESPACE, f"group|{start}|{first.uuid}|{second.uuid}"))
        messages = tuple(
            SeedMessage(
                line=number,
                message_uuid=str(uuid.uuid5(SEED_NAMESPACE, f"message|{group_uuid}|{index}")),
                created_at=format_timestamp(start + index * MESSAGE_INTERVAL),
                sender=sender,
                recipient=second if sender == first else first,
                text=message,
            )
            for index, (number, sender, message) in enumerate(said)
        )
        return SeedConversation(
            path=self.path,
            start=start,
            group_uuid=group_uuid,
            participants=(first, second),
            messages=messages,
        )

    def _start(self, number: int, value: str) -> datetime:
        try:
            start: datetime = parse_timestamp(value)
        except ValueError as exc:
            raise self.fail(number, f"start: {exc}") from None
        return start

    def _messages(self, lines: list[str], body_start: int) -> list[tuple[int, User, str]]:
        said: list[tuple[int, User, str]] = []
        speakers: list[User] = []
        for number, raw in enumerate(lines[body_start:], start=body_start + 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            handle, sep, message = line.partition(":")
            if not sep or not handle.strip():
                raise self.fail(number, "expected a message line 'handle: text'")
            try:
                sender = self.directory.lookup(handle)
                message = validate_text(message.strip())
            except ToolError as exc:
                raise self.fail(number, exc.message) from None
            except ValueError as exc:
                raise self.fail(number, str(exc)) from None
            if said and said[-1][1] == sender:
                raise self.fail(
                    number, f"@{sender.handle} speaks twice in a row; the speakers alternate"
                )
            if sender not in speakers:
                if len(speakers) == 2:
                    raise self.fail(
                        number,
                        f"@{sender.handle} would be a third person; a seed conversation is "
                        f"between @{speakers[0].handle} and @{speakers[1].handle}",
                    )
                speakers.append(sender)
            said.append((number, sender, message))
        return said


def load(path: Path, directory: Directory) -> SeedConversation:
    """The whole conversation, validated; ToolError naming the file, line and reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ToolError(f"{path}: line {line}: not UTF-8 text") from None
    except OSError as exc:
        raise ToolError(f"cannot read seed file {path}: {exc.strerror or exc}") from None
    return _Parser(path, directory).parse(text)
