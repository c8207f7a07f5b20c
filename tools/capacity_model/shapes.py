"""The sizes of the items the system writes, built by the code that writes them.

`Shape` says how long a message is and how long the names are; the items are then made by
`cruddur_messages.items` and `cruddur_messages.guards` (the same builders the store and the
processor use), serialized as on the wire, and sized by `tools.item_sizes`, DynamoDB's documented
rules. `preview=False` builds the rows as they were before the preview (the whole text on every
GRP# row and index entry): the model's "before" of the cheaper rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from boto3.dynamodb.types import TypeSerializer

from cruddur_messages import guards, items, schema
from cruddur_messages.models import Message, MessageGroup, User
from tools.item_sizes import item_size

# One character of each UTF-8 length, for messages of N-byte characters.
_CHARACTERS: Final = {1: "x", 2: "\u00e9", 3: "\u20ac", 4: "\U0001f600"}
_SERIALIZER: Final = TypeSerializer()
# Fixed, canonical values: keys and timestamps have one size whatever their value.
_GROUP: Final = "6f1c1b9e-0d5c-4b4e-9d55-1d2a3b4c5d6e"
_USERS: Final = ("3c2e4d29-4a8a-4c45-9b1f-1d0b2a3b4c5d", "9f4a7a36-2f41-4b4f-8c4c-0a0d6c3c2b1a")
_AT: Final = "2026-01-01T00:00:00.000000+00:00"


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _SERIALIZER.serialize(value) for name, value in item.items()}


@dataclass(frozen=True, kw_only=True)
class Shape:
    """What decides the items' sizes: the message and the participants' names."""

    message_chars: int = 80
    bytes_per_char: int = 1
    display_name_chars: int = 16
    handle_chars: int = 10
    preview: bool = True

    def __post_init__(self) -> None:
        if self.bytes_per_char not in _CHARACTERS:
            raise ValueError(f"bytes per character must be 1-4, got {self.bytes_per_char}")
        for name in ("message_chars", "display_name_chars", "handle_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1")

    @cached_property
    def _users(self) -> tuple[User, User]:
        owner, other = (
            User(
                uuid=uuid,
                display_name="N" * self.display_name_chars,
                handle="h" * self.handle_chars,
            )
            for uuid in _USERS
        )
        return owner, other

    @cached_property
    def text(self) -> str:
        return _CHARACTERS[self.bytes_per_char] * self.message_chars

    @cached_property
    def _message(self) -> Message:
        sender = self._users[0]
        return Message(
            message_uuid=_USERS[1], group_uuid=_GROUP, created_at=_AT, text=self.text, sender=sender
        )

    @cached_property
    def message_item(self) -> dict[str, Any]:
        return _wire(items.message_item(self._message))

    @cached_property
    def row_item(self) -> dict[str, Any]:
        """A participant's GRP# row with this message as its last one."""
        owner, other = self._users
        last = items.message_preview(self.text) if self.preview else self.text
        row = MessageGroup(
            group_uuid=_GROUP,
            owner_uuid=owner.uuid,
            last_message_at=_AT,
            last_message=last,
            other_user=other,
        )
        return _wire(items.group_item(row))

    @cached_property
    def message_guard_item(self) -> dict[str, Any]:
        """The guard C and D write with a message, keyed by its message_uuid."""
        return _wire(guards.message_guard(self._message))

    @cached_property
    def pair_guard_item(self) -> dict[str, Any]:
        """The guard D writes per pair of users, pointing to their conversation."""
        return _wire(guards.pair_guard(*_USERS, _GROUP))

    @property
    def message_bytes(self) -> int:
        return item_size(self.message_item)

    @property
    def message_guard_bytes(self) -> int:
        return item_size(self.message_guard_item)

    @property
    def pair_guard_bytes(self) -> int:
        return item_size(self.pair_guard_item)

    @property
    def row_bytes(self) -> int:
        return item_size(self.row_item)

    @property
    def index_entry_bytes(self) -> int:
        """The row's entry in the GSI: the index and table keys plus the projected attributes
        ("Provisioned throughput considerations for Global Secondary Indexes")."""
        kept = {
            schema.PARTITION_KEY,
            schema.SORT_KEY,
            schema.GSI_PARTITION_KEY,
            *schema.GSI_NON_KEY_ATTRIBUTES,
        }
        return item_size({k: v for k, v in self.row_item.items() if k in kept})
