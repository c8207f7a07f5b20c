"""bin/cognito/*: the course's Cognito scripts over the user pool (tools/directory/cognito.py).

python -m tools.commands.cognito list-users [--json] [--prod] [--user-pool-id ID]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from tools.connection import prod_option
from tools.directory import cognito
from tools.output import echo_json, plural, render_table, stdout

F = TypeVar("F", bound=Callable[..., Any])


def user_pool_option(func: F) -> F:
    return click.option(
        "--user-pool-id",
        "pool_id",
        metavar="ID",
        default=None,
        help=f"The user pool [default: ${cognito.POOL_ID_ENV}, else the local cloud's pool].",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The course's Cognito scripts, on the local cloud's user pool by default (AWS with --prod;
    the pool is $AWS_COGNITO_USER_POOL_ID, else the local cloud's)."""


@cli.command("list-users")
@click.option("--json", "as_json", is_flag=True, help="Print the {handle: sub} map as JSON.")
@user_pool_option
@prod_option
def list_users(as_json: bool, pool_id: str | None, prod: bool) -> None:
    """Print every user of the pool as handle (preferred_username) and sub, every page read."""
    pool = cognito.connect(prod=prod, pool_id=pool_id)
    subs: dict[str, Any] = cognito.handles(pool)
    if as_json:
        echo_json(subs)
        return
    stdout().print(
        render_table(
            f"{plural(len(subs), 'user')} in {pool.pool_id}",
            ("handle", "sub"),
            ((f"@{handle}", sub) for handle, sub in sorted(subs.items())),
        )
    )


def main() -> None:
    cli(prog_name="cognito")


if __name__ == "__main__":
    main()
