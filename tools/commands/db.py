"""bin/db/*: the course's Postgres scripts over the users table (tools/directory/postgres.py).

    python -m tools.commands.db update-cognito-user-ids [--json] [--prod] [--user-pool-id ID]

The course's name, update_cognito_user_ids, is the same command (bin/db/ has both scripts).
"""

from __future__ import annotations

import click

from tools.commands.cognito import user_pool_option
from tools.connection import prod_option
from tools.directory import cognito, postgres
from tools.output import echo_json, plural

COURSE_NAMES = {"update-cognito-user-ids": "update_cognito_user_ids"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The course's Postgres scripts, on $CONNECTION_URL (else the local `make db`)."""


@click.command("update-cognito-user-ids")
@click.option("--json", "as_json", is_flag=True, help="Print what was updated as JSON.")
@user_pool_option
@prod_option
def update_cognito_user_ids(as_json: bool, pool_id: str | None, prod: bool) -> None:
    """Set each user's cognito_user_id to the sub of the pool's user with their handle.

    Every page of the pool is read first; then, in one transaction, the users table must hold
    exactly the pool's handles, and the rows whose id differs are updated: all or none. A second
    run changes nothing.
    """
    # The database is resolved first: a missing CONNECTION_URL needs no request to the pool.
    db = postgres.resolve(prod=prod)
    pool = cognito.connect(prod=prod, pool_id=pool_id)
    subs = cognito.handles(pool)
    plan = postgres.update_cognito_user_ids(db, subs, pool=pool.pool_id)
    if as_json:
        echo_json({"updated": dict(plan.updates), "unchanged": list(plan.unchanged)})
        return
    click.echo(
        f"{postgres.TABLE} in {db.name}: updated {plural(len(plan.updates), 'user')}, "
        f"{len(plan.unchanged)} already set, from user pool {pool.pool_id}"
    )


cli.add_command(update_cognito_user_ids)
for name, course_name in COURSE_NAMES.items():
    cli.add_command(cli.commands[name], course_name)


def main() -> None:
    cli(prog_name="db")


if __name__ == "__main__":
    main()
