"""The table is shared: items the tools did not write, of any shape and type, are skipped with a
count and one warning line (or listed as `other` by scan), never a traceback.

The tools run in-process (click's CliRunner) against the session's moto server over HTTP."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cruddur_messages import schema
from tools.cli import cli
from tools.users import load

ANDREW = load().lookup("andrewbrown")


def ddb(endpoint: str, *args: str) -> Result:
    result = CliRunner().invoke(
        cli, list(args), env={"AWS_ENDPOINT_URL": endpoint, "COLUMNS": "400"}
    )
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "warning" in line]


@pytest.fixture
def shared_table(moto_endpoint: str, table_name: str, dynamodb_client: Any) -> dict[str, str]:
    """The seed conversation, then items of other writers: a MSG# item whose message is a
    number, one with a binary sender handle, a GRP# row without message, an item with a binary
    attribute under a key of its own."""
    seeded = ddb(moto_endpoint, "seed", "--table", table_name)
    assert seeded.exit_code == 0, seeded.output
    match = re.search(r"conversation ([0-9a-f-]{36})", seeded.stdout)
    assert match
    group = match[1]
    message = {
        "message_uuid": {"S": "1b4e28ba-2fa1-41d2-883f-0016d3cca427"},
        "user_uuid": {"S": ANDREW.uuid},
        "user_display_name": {"S": "Andrew"},
        "user_handle": {"S": "andrewbrown"},
    }
    foreign = [
        {
            **message,
            "pk": {"S": schema.message_pk(group)},
            "sk": {"S": "2025-03-14T17:29:30.000000+00:00"},
            "message": {"N": "42"},
        },
        {
            **message,
            "pk": {"S": schema.message_pk(group)},
            "sk": {"S": "2025-03-14T17:29:40.000000+00:00"},
            "message": {"S": "binary handle"},
            "user_handle": {"B": b"\x01"},
        },
        {
            "pk": {"S": schema.group_pk(ANDREW.uuid)},
            "sk": {"S": "2025-03-14T16:00:00.000000+00:00"},
            schema.GSI_PARTITION_KEY: {"S": group},
            "user_uuid": {"S": ANDREW.uuid},
        },
        {"pk": {"S": "ADMIN#note"}, "sk": {"S": "x"}, "blob": {"B": b"\x01"}},
    ]
    for item in foreign:
        dynamodb_client.put_item(TableName=table_name, Item=item)
    return {"table": table_name, "group": group}


def test_get_conversation_skips_foreign_messages_with_one_warning(
    moto_endpoint: str, shared_table: dict[str, str]
) -> None:
    result = ddb(moto_endpoint, "get-conversation", shared_table["group"], "--json", "--table",
                 shared_table["table"])  # fmt: skip
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["items"]) == 20
    assert len(warnings(result)) == 1 and "skipped 2 items" in warnings(result)[0]


def test_list_conversations_skips_a_row_without_message(
    moto_endpoint: str, shared_table: dict[str, str]
) -> None:
    result = ddb(moto_endpoint, "list-conversations", "andrewbrown", "--table",
                 shared_table["table"])  # fmt: skip
    assert result.exit_code == 0
    assert shared_table["group"] in result.stdout
    assert len(warnings(result)) == 1 and "skipped 1 item " in warnings(result)[0]


def test_seed_again_over_foreign_items_writes_nothing_and_warns_once(
    moto_endpoint: str, shared_table: dict[str, str]
) -> None:
    result = ddb(moto_endpoint, "seed", "--table", shared_table["table"])
    assert result.exit_code == 0
    assert "wrote 0 messages, 30 already there" in result.stdout
    assert len(warnings(result)) == 1 and "skipped 3 items" in warnings(result)[0]


@pytest.mark.parametrize("as_json", [False, True])
def test_scan_lists_foreign_items_as_other(
    moto_endpoint: str, shared_table: dict[str, str], as_json: bool
) -> None:
    args = ["scan", "--table", shared_table["table"], *(["--json"] if as_json else [])]
    result = ddb(moto_endpoint, *args)
    assert result.exit_code == 0
    # The seed's 30 messages, their guards (one per message, one for the pair) and the others.
    assert "67 items (30 messages, 2 group rows, 4 other, 31 guards)" in result.stderr
    if as_json:
        other = json.loads(result.stdout)["other"]
        assert {"pk": "ADMIN#note", "sk": "x", "blob": "AQ=="} in other
