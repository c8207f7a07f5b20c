"""The one CLI behind `bin/ddb/*`: a click group whose every AWS failure becomes one stderr line."""

from __future__ import annotations

from typing import Any, Final

import click
from botocore.exceptions import BotoCoreError, ClientError

from cruddur_messages.store import MessageStoreError
from tools.commands.capacity import capacity
from tools.commands.patterns import get_conversation, list_conversations
from tools.commands.replay import replay_failures
from tools.commands.scan import scan
from tools.commands.seed import seed
from tools.commands.smoke import smoke
from tools.commands.tables import drop, list_tables, schema_load
from tools.connection import CONNECTION_META_KEY, Connection
from tools.errors import ToolError, translate


class DdbGroup(click.Group):
    """Translates boto3/botocore exceptions into ToolError, naming the endpoint and table."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (BotoCoreError, ClientError) as exc:
            connection: Connection | None = ctx.meta.get(CONNECTION_META_KEY)
            raise translate(
                exc,
                table=connection.target.table if connection else None,
                where=connection.where if connection else None,
                prod=connection.target.prod if connection else False,
            ) from None
        except MessageStoreError as exc:
            raise ToolError(str(exc)) from None


@click.group(cls=DdbGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The ddb tools for the Cruddur messages table.

    Every command talks to the local cloud (http://localhost:8000) by default, to
    $AWS_ENDPOINT_URL when it is set, and to real AWS with --prod. The table is
    $DDB_MESSAGE_TABLE, else cruddur-messages; --table overrides it.
    """


# The bin/ddb scripts under their folder (bin/ddb/patterns/ for the access patterns): the names
# a person types, and so the names usage lines and --help give.
PATTERN_COMMANDS: Final = frozenset({"get-conversation", "list-conversations"})


def script_path(command: str) -> str:
    folder = "bin/ddb/patterns" if command in PATTERN_COMMANDS else "bin/ddb"
    return f"{folder}/{command}"


class ScriptContext(click.Context):
    """A command's context whose usage lines name its script (`Usage: bin/ddb/scan`, `Try
    'bin/ddb/scan --help'`), not the group behind the scripts."""

    @property
    def command_path(self) -> str:
        if self.parent is not None and self.info_name is not None:
            return script_path(self.info_name)
        return super().command_path


for command in (
    schema_load,
    drop,
    list_tables,
    scan,
    seed,
    get_conversation,
    list_conversations,
    replay_failures,
    capacity,
    smoke,
):
    command.context_class = ScriptContext
    cli.add_command(command)


def main() -> None:
    cli(prog_name="python -m tools")
