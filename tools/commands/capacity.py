"""capacity: what a traffic profile needs of the table and its index, what it costs, and whether
a stage's settings hold it (the capacity model, tools/capacity_model; no request is made)."""

from __future__ import annotations

import click

from tools.capacity_model.plan import Plan, TrafficProfile
from tools.capacity_model.report import document, lines
from tools.errors import ToolError
from tools.output import echo_json

_RATE = click.FloatRange(0, 1e7)


@click.command("capacity")
@click.option("--messages-per-second", type=_RATE, default=1.0, show_default=True)
@click.option(
    "--new-conversations",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of messages that start a conversation (pattern D).",
)
@click.option(
    "--per-conversation-per-batch",
    type=click.FloatRange(1, 10_000),
    default=1.0,
    show_default=True,
    help="Messages of one conversation in one batch window: the processor moves the rows once.",
)
@click.option("--message-chars", type=click.IntRange(1, 1024), default=80, show_default=True)
@click.option("--bytes-per-char", type=click.IntRange(1, 4), default=1, show_default=True)
@click.option("--a-reads", type=_RATE, default=0.0, show_default=True, help="Pattern A pages/s.")
@click.option("--a-page", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--b-reads", type=_RATE, default=0.0, show_default=True, help="Pattern B pages/s.")
@click.option("--b-page", type=click.IntRange(1, 100), default=20, show_default=True)
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
    messages_per_second: float,
    new_conversations: float,
    per_conversation_per_batch: float,
    message_chars: int,
    bytes_per_char: int,
    a_reads: float,
    a_page: int,
    b_reads: float,
    b_page: int,
    target: int | None,
    stage_name: str | None,
    overload: float | None,
    as_json: bool,
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
    profile = TrafficProfile(
        messages_per_second=messages_per_second,
        new_conversation_share=new_conversations,
        messages_per_conversation_per_batch=per_conversation_per_batch,
        message_chars=message_chars,
        bytes_per_char=bytes_per_char,
        a_reads_per_second=a_reads,
        a_page=a_page,
        b_reads_per_second=b_reads,
        b_page=b_page,
    )
    result = document(Plan(profile, target_percent=target), stage, overload)
    if as_json:
        echo_json(result)
        return
    for line in lines(result):
        click.echo(line)
