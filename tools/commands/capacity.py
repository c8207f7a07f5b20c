"""capacity: what a traffic profile needs of the table and its index, what it costs, and whether
a stage's settings hold it (the capacity model, tools/capacity_model; no request is made)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import click

from tools.capacity_model.plan import Plan, TrafficProfile
from tools.capacity_model.report import document, lines
from tools.errors import ToolError
from tools.output import echo_json

_RATE = click.FloatRange(0, 1e7)
_PAGE = click.IntRange(1, 100)
# One option per field of TrafficProfile, in --help's order: (flag, field, type, help). The
# defaults are the profile's own, so the command and the model cannot disagree on them.
_PROFILE_OPTIONS: Final[tuple[tuple[str, str, click.ParamType[Any], str | None], ...]] = (
    ("--messages-per-second", "messages_per_second", _RATE, None),
    (
        "--new-conversations",
        "new_conversation_share",
        click.FloatRange(0, 1),
        "Share of messages that start a conversation (pattern D).",
    ),
    (
        "--per-conversation-per-batch",
        "messages_per_conversation_per_batch",
        click.FloatRange(1, 10_000),
        "Messages of one conversation in one batch window: the processor moves the rows once.",
    ),
    ("--message-chars", "message_chars", click.IntRange(1, 1024), None),
    ("--bytes-per-char", "bytes_per_char", click.IntRange(1, 4), None),
    ("--a-reads", "a_reads_per_second", _RATE, "Pattern A pages/s."),
    ("--a-page", "a_page", _PAGE, None),
    ("--b-reads", "b_reads_per_second", _RATE, "Pattern B pages/s."),
    ("--b-page", "b_page", _PAGE, None),
)


def _profile_options(command: Callable[..., None]) -> Callable[..., None]:
    defaults = TrafficProfile()
    for flag, field, kind, help_text in reversed(_PROFILE_OPTIONS):
        option = click.option(
            flag, field, type=kind, default=getattr(defaults, field), show_default=True,
            help=help_text,
        )  # fmt: skip
        command = option(command)
    return command


@click.command("capacity")
@_profile_options
@click.option(
    "--target",
    type=click.IntRange(20, 90),
    default=None,
    help="Target utilization % [default: the stage's, else 70].",
)
@click.option("--stage", "stage_name", metavar="NAME", help="Compare with this stage's settings.")
@click.option(
    "--overload",
    type=_RATE,
    default=None,
    help="msg/s whose burst time to show [default: twice what the stage sustains].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def capacity(
    *,
    target: int | None,
    stage_name: str | None,
    overload: float | None,
    as_json: bool,
    **profile_fields: Any,
) -> None:
    """Units, provisioned capacity, partitions and monthly cost of a traffic profile.

    Counted by DynamoDB's rules from the items the code writes; prices are us-east-1's list
    prices (tools/capacity_model/prices.py). With --stage, says what the stage sustains, how
    long its burst absorbs an overload, and whether it holds the profile.
    """
    stage = None
    if stage_name is not None:
        # Only here: the settings import aws_cdk, which starts a Node.js process.
        from stacks.settings import UnknownStageError, stage_settings

        try:
            stage = stage_settings(stage_name)
        except UnknownStageError as exc:
            raise ToolError(str(exc)) from None
    if target is None:
        scaling = stage.table.autoscaling if stage is not None else None
        target = scaling.target_utilization_percent if scaling is not None else 70
    profile = TrafficProfile(**profile_fields)
    result = document(Plan(profile, target_percent=target), stage, overload)
    if as_json:
        echo_json(result)
        return
    for line in lines(result):
        click.echo(line)
