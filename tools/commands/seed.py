"""seed: the project's seed conversation, written through the message store (pattern D, then C)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cruddur_messages.store import MAX_PAGE_SIZE, ConversationExistsError, MessageStore
from tools import seedfile, users
from tools.connection import connect, prod_option, table_option
from tools.errors import ToolError
from tools.output import plural, stderr, warn_skipped


def _existing_message_uuids(store: MessageStore, group_uuid: str) -> tuple[set[str], int]:
    """The conversation's message ids, and how many of its items are not messages."""
    found: set[str] = set()
    skipped = 0
    cursor = None
    while True:
        page = store.list_messages(group_uuid, limit=MAX_PAGE_SIZE, before=cursor)
        found.update(message.message_uuid for message in page.items)
        skipped += page.skipped
        if page.next_cursor is None:
            return found, skipped
        cursor = page.next_cursor


@click.command("seed")
@click.option(
    "--conversation",
    "conversation_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=seedfile.DEFAULT_CONVERSATION_FILE,
    help="Seed conversation file [default: tools/data/conversation.txt].",
)
@users.users_option
@table_option
@prod_option
def seed(
    conversation_file: Path, users_source: users.Source, table: str | None, prod: bool
) -> None:
    """Write the seed conversation between two users, one message a minute.

    The first message starts the conversation (pattern D: both group rows and the message in one
    transaction); the rest are added to it (pattern C). Ids and times come from the file, so a
    second run finds every message already there and writes nothing. The two users come from
    the users file, or from the course's users table (--users postgres, or CONNECTION_URL set).
    """
    # The whole file is validated before the first request: a bad line writes nothing.
    conversation = seedfile.load(conversation_file, users.load_source(users_source, prod=prod))
    connection = connect(prod=prod, table=table)
    name = connection.target.table
    connection.client.describe_table(TableName=name)
    store = MessageStore(connection.client, table_name=name)

    group_uuid = conversation.group_uuid
    existing, skipped = _existing_message_uuids(store, group_uuid)
    rows = store.message_group_rows(group_uuid)
    warn_skipped(skipped + rows.skipped, "messages or group rows")
    has_rows = bool(rows.items)
    if existing and not has_rows:
        raise ToolError(
            f"conversation {group_uuid} has messages but no group rows in {name}; "
            "drop the table or delete its MSG# items before seeding again"
        )
    todo = [m for m in conversation.messages if m.message_uuid not in existing]
    first, second = conversation.participants

    console = stderr()
    # The bar is for watching in a terminal; the summary line below is what stays (and is logged).
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not todo or not console.is_terminal,
    ) as progress:
        task = progress.add_task("seeding messages", total=len(todo))
        for message in todo:
            # The file's ids and times, so a second run finds these very messages.
            if not has_rows:
                try:
                    store.create_message_group(
                        message.sender,
                        message.recipient,
                        message.text,
                        group_uuid=group_uuid,
                        message_uuid=message.message_uuid,
                        created_at=message.created_at,
                    )
                except ConversationExistsError as error:
                    # One conversation per pair: theirs was started by something else than this
                    # file, and the seed writes only its own (nothing was written).
                    raise ToolError(
                        f"@{first.handle} and @{second.handle} already have a conversation, "
                        f"{error.group_uuid}, not the seed's {group_uuid}; nothing was written. "
                        f"Read it with bin/ddb/patterns/get-conversation {error.group_uuid}, or "
                        "drop the table (bin/ddb/drop) to seed from scratch"
                    ) from None
                has_rows = True
            else:
                store.create_message(
                    group_uuid,
                    message.sender,
                    message.text,
                    message_uuid=message.message_uuid,
                    created_at=message.created_at,
                )
            progress.advance(task)

    click.echo(
        f"conversation {group_uuid} between @{first.handle} and @{second.handle}: "
        f"wrote {plural(len(todo), 'message')}, "
        f"{len(conversation.messages) - len(todo)} already there"
    )
    click.echo(f"read it with: bin/ddb/patterns/get-conversation {group_uuid}", err=True)
