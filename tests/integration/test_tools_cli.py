"""The bin/ddb tools against the session's moto server over real HTTP.

The tests run the one click CLI behind the scripts in-process (click's CliRunner, with the
environment a person's shell would give the script) and check what it prints and how it exits.
Two smoke tests run bin/ddb executables themselves as subprocesses (one at each depth of
bin/ddb, one of them answering the real prompt on stdin), and every other script is checked to
be the same wrapper for its own command. Reads that check the tools' effects go through the
test's own boto3 client.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ddb_cli import BIN, one_error_line, run, run_script, tool_env

from cruddur_messages import schema
from cruddur_messages.store import MessageStore
from tools import users
from tools.cli import cli, script_path

REPO = Path(__file__).resolve().parents[2]
SEED_FILE = REPO / "tools" / "data" / "conversation.txt"
USERS_FILE = REPO / "tools" / "data" / "users.json"
# Every bin/ddb script, as a path under bin/ddb.
SCRIPTS = sorted(path.relative_to(BIN).as_posix() for path in BIN.rglob("*") if path.is_file())
# A conversation line of the seed file: "handle: text" after the header's "---".
SEED_LINE = re.compile(r"^(\w+):\s*(\S.*)$")


def seed_lines() -> list[tuple[str, str]]:
    """(handle, text) of every message in the seed file, read independently of the tools."""
    body = SEED_FILE.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    return [
        (match[1], match[2])
        for line in body.splitlines()
        if (match := SEED_LINE.match(line.strip())) and not line.startswith("#")
    ]


def seed_start() -> datetime:
    match = re.search(r"^start:\s*(\S+)\s*$", SEED_FILE.read_text(encoding="utf-8"), re.M)
    assert match
    return datetime.fromisoformat(match[1])


def users_by_handle() -> dict[str, dict[str, str]]:
    return {u["handle"]: u for u in json.loads(USERS_FILE.read_text())["users"]}


@pytest.fixture(scope="module")
def base_env(moto_endpoint: str) -> dict[str, str]:
    return tool_env(moto_endpoint, TZ="UTC")


def fresh_name() -> str:
    return f"tools-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def env_for(base_env: dict[str, str], dynamodb_client: Any) -> Iterator[dict[str, str]]:
    """The environment with DDB_MESSAGE_TABLE naming a table no one has created yet."""
    name = fresh_name()
    yield {**base_env, "DDB_MESSAGE_TABLE": name}
    if name in dynamodb_client.list_tables()["TableNames"]:
        dynamodb_client.delete_table(TableName=name)


@pytest.fixture
def empty_table(env_for: dict[str, str]) -> dict[str, str]:
    """An environment whose table exists (made by schema-load) and is empty."""
    assert run("schema-load", env=env_for).returncode == 0
    return env_for


@pytest.fixture(scope="module")
def seeded(base_env: dict[str, str], dynamodb_client: Any) -> Iterator[dict[str, Any]]:
    """One table for the read-only tests: schema-load, then seed; the seed's conversation id."""
    env = {**base_env, "DDB_MESSAGE_TABLE": fresh_name()}
    assert run("schema-load", env=env).returncode == 0
    result = run("seed", env=env)
    assert result.returncode == 0, result.stderr
    group = re.search(r"conversation ([0-9a-f-]{36})", result.stdout)
    assert group, result.stdout
    yield {"env": env, "group": group[1], "first_seed_output": result.stdout}
    dynamodb_client.delete_table(TableName=env["DDB_MESSAGE_TABLE"])


def scan_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run("scan", "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# -- every command ------------------------------------------------------------------------------


def test_every_command_has_help(base_env: dict[str, str]) -> None:
    """Each bin/ddb command answers --help with its usage, without needing an endpoint."""
    for script in SCRIPTS:
        result = run(script, "--help", env={**base_env, "AWS_ENDPOINT_URL": "http://nowhere:1"})
        assert result.returncode == 0, (script, result.stderr)
        assert f"Usage: bin/ddb/{script} " in result.stdout


def test_a_usage_error_names_the_script_the_user_typed(base_env: dict[str, str]) -> None:
    """Usage errors say `bin/ddb/...`, the command that exists, never the group behind them."""
    for script in ("scan", "patterns/list-conversations"):
        result = run(script, "--no-such-option", env=base_env)
        assert result.returncode == 2
        assert f"Usage: bin/ddb/{script} [OPTIONS]" in result.stderr
        assert f"Try 'bin/ddb/{script} --help' for help." in result.stderr


def test_every_script_is_the_wrapper_of_its_own_command() -> None:
    """Each bin/ddb script runs the code of bin/ddb/drop (run by a smoke test below), with its
    own command and the way up to the repository from its own folder; every command of the CLI
    has one."""
    assert sorted(script.split("/")[-1] for script in SCRIPTS) == sorted(cli.commands)
    assert sorted(f"bin/ddb/{script}" for script in SCRIPTS) == sorted(
        map(script_path, cli.commands)
    )
    template = _code((BIN / "drop").read_text())
    for script in SCRIPTS:
        command, up = script.split("/")[-1], "/.." * (script.count("/") + 2)
        expected = template.replace('/../.." && pwd', f'{up}" && pwd').replace(
            "-m tools drop ", f"-m tools {command} "
        )
        assert _code((BIN / script).read_text()) == expected, script
        assert os.access(BIN / script, os.X_OK), script


def _code(script: str) -> str:
    """A shell script without its comment lines (the shebang stays)."""
    return "\n".join(line for line in script.splitlines() if not line.startswith("# "))


def test_command_names_endpoint_and_table_on_stderr(
    seeded: dict[str, Any], moto_endpoint: str
) -> None:
    """A command's first stderr line says which endpoint and which table it uses (the script
    itself, from a folder under bin/ddb)."""
    result = run_script(
        "patterns/get-conversation", seeded["group"], "--limit", "1", env=seeded["env"]
    )
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert moto_endpoint in first
    assert f"table {seeded['env']['DDB_MESSAGE_TABLE']}" in first
    assert seed_lines()[-1][1] in result.stdout


# -- schema-load, list-tables, drop -------------------------------------------------------------


def test_schema_load_creates_the_schema_table(
    env_for: dict[str, str], dynamodb_client: Any
) -> None:
    """schema-load creates the table with the schema's keys, GSI, stream and chosen capacity."""
    name = env_for["DDB_MESSAGE_TABLE"]
    result = run("schema-load", "--read-capacity", "7", "--write-capacity", "3", env=env_for)
    assert result.returncode == 0, result.stderr
    table = dynamodb_client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == [schema.GSI_NAME]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 3


def test_schema_load_reports_an_existing_table(empty_table: dict[str, str]) -> None:
    """Loading the schema again says the table exists and exits 0, without a trace."""
    result = run("schema-load", env=empty_table)
    assert result.returncode == 0
    assert "already exists" in result.stdout
    assert "Traceback" not in result.stderr


def test_schema_load_refuses_a_table_with_another_schema(
    env_for: dict[str, str], dynamodb_client: Any
) -> None:
    """An existing table whose keys differ from the schema definition is an error."""
    name = env_for["DDB_MESSAGE_TABLE"]
    dynamodb_client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    result = run("schema-load", env=env_for)
    assert result.returncode == 1
    assert "differs from the schema definition" in one_error_line(result)


def test_list_tables_json_lists_the_table(empty_table: dict[str, str]) -> None:
    """list-tables --json is a parseable object whose tables include the one just created."""
    result = run("list-tables", "--json", env=empty_table)
    assert result.returncode == 0, result.stderr
    assert empty_table["DDB_MESSAGE_TABLE"] in json.loads(result.stdout)["tables"]


def test_drop_keeps_the_table_when_not_confirmed(
    empty_table: dict[str, str], dynamodb_client: Any
) -> None:
    """drop asks first; answering no (or nothing) leaves the table in place and exits non-zero
    (the script itself, its answer on a real stdin)."""
    name = empty_table["DDB_MESSAGE_TABLE"]
    result = run_script("drop", name, env=empty_table, stdin="n\n")
    assert result.returncode != 0
    assert "Delete table" in result.stderr
    assert name in dynamodb_client.list_tables()["TableNames"]


def test_drop_yes_deletes_the_table(empty_table: dict[str, str], dynamodb_client: Any) -> None:
    """drop --yes deletes without asking and waits until the table is gone."""
    name = empty_table["DDB_MESSAGE_TABLE"]
    result = run("drop", name, "--yes", env=empty_table)
    assert result.returncode == 0, result.stderr
    assert "Delete table" not in result.stderr
    assert name not in dynamodb_client.list_tables()["TableNames"]


def test_drop_refuses_a_mismatched_confirmation(
    empty_table: dict[str, str], dynamodb_client: Any
) -> None:
    """A --confirm-table name that is not the table's deletes nothing."""
    name = empty_table["DDB_MESSAGE_TABLE"]
    result = run("drop", name, "--confirm-table", name + "-typo", env=empty_table)
    assert result.returncode == 1
    assert "does not match" in one_error_line(result)
    assert name in dynamodb_client.list_tables()["TableNames"]


def test_drop_accepts_the_name_given_as_confirmation(
    empty_table: dict[str, str], dynamodb_client: Any
) -> None:
    """--confirm-table with the table's own name is the confirmation: no prompt, table deleted."""
    name = empty_table["DDB_MESSAGE_TABLE"]
    result = run("drop", name, "--confirm-table", name, env=empty_table)
    assert result.returncode == 0, result.stderr
    assert "Delete table" not in result.stderr
    assert name not in dynamodb_client.list_tables()["TableNames"]


# -- bad input and unreachable targets ----------------------------------------------------------


@pytest.mark.parametrize(
    "command, args",
    [
        ("scan", ()),
        ("seed", ()),
        ("patterns/get-conversation", (str(uuid.uuid4()),)),
        ("patterns/list-conversations", ("bayko",)),
        ("drop", ("--yes",)),
    ],
)
def test_missing_table_is_one_clear_error(
    env_for: dict[str, str], command: str, args: tuple[str, ...]
) -> None:
    """Every command on a table that does not exist exits 1 with one line naming the table."""
    if command == "drop":
        args = (env_for["DDB_MESSAGE_TABLE"], *args)
    result = run(command, *args, env=env_for)
    assert result.returncode == 1
    line = one_error_line(result)
    assert f"table '{env_for['DDB_MESSAGE_TABLE']}' does not exist" in line
    # Advice to create the table fits every command but the one that deletes it.
    advice = "nothing to drop" if command == "drop" else "create it with bin/ddb/schema-load"
    assert line.endswith(advice)


def test_unreachable_endpoint_fails_fast(base_env: dict[str, str]) -> None:
    """A closed port is one 'cannot reach' line and a non-zero exit, not a minute of retries."""
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        closed = f"http://localhost:{sock.getsockname()[1]}"
    env = {**base_env, "AWS_ENDPOINT_URL": closed}
    result = run("list-tables", env=env)
    assert result.returncode == 1
    line = one_error_line(result)
    assert f"cannot reach local {closed}" in line
    assert "set AWS_ENDPOINT_URL=http://localhost:PORT" in line  # a cloud on another port


def test_prod_without_credentials_is_one_clear_error(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    """--prod ignores AWS_ENDPOINT_URL, and with no credentials anywhere says so in one line."""
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {
        k: v
        for k, v in base_env.items()
        if k not in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    }
    env.update(
        {
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    result = run("list-tables", "--prod", env=env)
    assert result.returncode == 1
    assert "amazonaws.com" in result.stderr.splitlines()[0]
    assert "no AWS credentials found for --prod" in one_error_line(result)


# -- seed ---------------------------------------------------------------------------------------


def test_seed_writes_the_conversation_through_the_store(seeded: dict[str, Any]) -> None:
    """One message per seed line, a group row for each of the two people, nothing else."""
    document = scan_json(seeded["env"])
    assert [m["message"] for m in sorted(document["messages"], key=lambda m: m["sk"])] == [
        text for _, text in seed_lines()
    ]
    assert len(document["group_rows"]) == 2
    assert document["other"] == []
    assert len(document["guards"]) == len(seed_lines()) + 1  # one per message, one per pair


def test_seed_alternates_speakers_one_minute_apart(seeded: dict[str, Any]) -> None:
    """The seeded messages are one minute apart, in the file's order, by the file's speakers."""
    messages = sorted(scan_json(seeded["env"])["messages"], key=lambda m: m["sk"])
    assert [m["user_handle"] for m in messages] == [handle for handle, _ in seed_lines()]
    times = [datetime.fromisoformat(m["sk"]) for m in messages]
    assert {b - a for a, b in itertools.pairwise(times)} == {timedelta(minutes=1)}


def test_seed_twice_writes_nothing_new(seeded: dict[str, Any]) -> None:
    """A second seed finds every message, reports it, and leaves the table's items unchanged."""
    before = scan_json(seeded["env"])
    result = run("seed", env=seeded["env"])
    assert result.returncode == 0, result.stderr
    assert f"wrote 0 messages, {len(seed_lines())} already there" in result.stdout
    assert scan_json(seeded["env"]) == before


def test_seed_into_a_pair_that_has_another_conversation_says_which_and_writes_nothing(
    empty_table: dict[str, str], dynamodb_client: Any
) -> None:
    """One conversation per pair: when the app already started Andrew and Bayko's, the seed
    cannot start its own beside it; it names theirs and leaves the table as it was."""
    people = users.load()
    store = MessageStore(dynamodb_client, table_name=empty_table["DDB_MESSAGE_TABLE"])
    theirs, _ = store.create_message_group(
        people.lookup("bayko"), people.lookup("andrewbrown"), "started in the app"
    )
    before = scan_json(empty_table)
    result = run("seed", env=empty_table)
    assert result.returncode == 1
    line = one_error_line(result)
    assert f"already have a conversation, {theirs.group_uuid}, not the seed's" in line
    assert f"get-conversation {theirs.group_uuid}" in line and "nothing was written" in line
    assert scan_json(empty_table) == before


@pytest.mark.parametrize(
    "body, line, reason",
    [
        ("andrewbrown: hi\nnobody: hello\n", 6, "unknown user @nobody"),
        ("andrewbrown: hi\nandrewbrown: again\n", 6, "speaks twice in a row"),
        ("andrewbrown: hi\nbayko:   \n", 6, "message text is empty"),
        ("andrewbrown: hi\nbayko hello\n", 6, "expected a message line"),
        ("andrewbrown: hi\nbayko: yo\nlondo: me too\n", 7, "third person"),
    ],
)
def test_malformed_seed_file_names_the_line_and_writes_nothing(
    empty_table: dict[str, str], tmp_path: Path, body: str, line: int, reason: str
) -> None:
    """A bad seed line is one error naming the file, the line and why; the table stays empty."""
    seed_file = tmp_path / "bad.txt"
    seed_file.write_text(f"# a bad seed\nstart: 2025-01-01T00:00:00+00:00\n\n---\n{body}")
    result = run("seed", "--conversation", str(seed_file), env=empty_table)
    assert result.returncode == 1
    error = one_error_line(result)
    assert f"{seed_file}: line {line}: " in error
    assert reason in error
    assert scan_json(empty_table)["count"] == 0


def test_seed_file_without_start_header_is_refused(
    empty_table: dict[str, str], tmp_path: Path
) -> None:
    """The header must give the start time the message times and ids derive from."""
    seed_file = tmp_path / "nostart.txt"
    seed_file.write_text("---\nandrewbrown: hi\nbayko: hello\n")
    result = run("seed", "--conversation", str(seed_file), env=empty_table)
    assert result.returncode == 1
    assert "line 1: the header has no 'start:" in one_error_line(result)


# -- get-conversation (pattern A) ---------------------------------------------------------------


def test_get_conversation_reads_oldest_to_newest_in_local_time(seeded: dict[str, Any]) -> None:
    """Messages print in chat order with sender handles, times converted to TZ."""
    env = {**seeded["env"], "TZ": "Asia/Kolkata"}
    result = run("patterns/get-conversation", seeded["group"], "--limit", "3", env=env)
    assert result.returncode == 0, result.stderr
    last_three = seed_lines()[-3:]
    positions = [result.stdout.index(text) for _, text in last_three]
    assert positions == sorted(positions)
    for handle, _ in last_three:
        assert f"@{handle}" in result.stdout
    last = seed_start() + timedelta(minutes=len(seed_lines()) - 1)
    assert last.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M:%S IST") in (
        result.stdout
    )
    assert "consumed capacity:" in result.stdout


def test_get_conversation_json_is_the_items_with_capacity(seeded: dict[str, Any]) -> None:
    """--json prints the message items oldest first, and the query's consumed capacity."""
    result = run("patterns/get-conversation", seeded["group"], "--json", env=seeded["env"])
    document = json.loads(result.stdout)
    keys = [item["sk"] for item in document["items"]]
    assert len(keys) == 20
    assert keys == sorted(keys)
    assert document["items"][-1]["message"] == seed_lines()[-1][1]
    capacity = document["consumed_capacity"]
    assert capacity["requests"] >= 1
    assert capacity["estimated_rcu"] >= 0.5
    # The local endpoint meters by the same rules as the estimate (local/capacity).
    assert capacity["reported_rcu"] == capacity["estimated_rcu"]


def test_get_conversation_unknown_group_is_an_error(seeded: dict[str, Any]) -> None:
    """A well-formed id with no messages exits 1; a malformed one is a usage error (2)."""
    unknown = str(uuid.uuid4())
    result = run("patterns/get-conversation", unknown, env=seeded["env"])
    assert result.returncode == 1
    assert f"no conversation {unknown}" in one_error_line(result)
    malformed = run("patterns/get-conversation", "not-a-uuid", env=seeded["env"])
    assert malformed.returncode == 2
    assert "not a valid UUID" in malformed.stderr


# -- list-conversations (pattern B) -------------------------------------------------------------


def test_list_conversations_by_handle_shows_the_other_person(seeded: dict[str, Any]) -> None:
    """@bayko's list shows the conversation with @andrewbrown and the capacity of the query."""
    result = run("patterns/list-conversations", "@bayko", env=seeded["env"])
    assert result.returncode == 0, result.stderr
    assert seeded["group"] in result.stdout
    assert "@andrewbrown" in result.stdout
    assert "consumed capacity:" in result.stdout


def test_list_conversations_is_readable_in_an_80_column_terminal(seeded: dict[str, Any]) -> None:
    """At 80 columns no line of the table is wider, the group id is whole (folded in its cell,
    not cut) and every word of the last message is there (not squeezed out of its column). The
    capacity sentence after it is one line, which the terminal wraps (never split by rich)."""
    env = {**seeded["env"], "COLUMNS": "80"}
    listed = json.loads(run("patterns/list-conversations", "@bayko", "--json", env=env).stdout)
    result = run("patterns/list-conversations", "@bayko", env=env)
    assert result.returncode == 0, result.stderr
    *table, summary = result.stdout.splitlines()
    assert max(len(line) for line in table) <= 80
    assert summary.startswith("consumed capacity: ") and summary.endswith(")")
    first_column = "".join(
        line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")
    )
    assert first_column == seeded["group"]
    for word in listed["items"][0]["message"].split():
        assert word in result.stdout, word


def test_list_conversations_by_uuid_matches_by_handle(seeded: dict[str, Any]) -> None:
    """A user's uuid and their handle list the same items (--json)."""
    uuid_of_brown = users_by_handle()["andrewbrown"]["uuid"]
    by_uuid = run("patterns/list-conversations", uuid_of_brown, "--json", env=seeded["env"])
    by_handle = run("patterns/list-conversations", "andrewbrown", "--json", env=seeded["env"])
    items = json.loads(by_uuid.stdout)["items"]
    assert items == json.loads(by_handle.stdout)["items"]
    assert [(i["message_group_uuid"], i["user_handle"]) for i in items] == [
        (seeded["group"], "bayko")
    ]


def test_list_conversations_unknown_user_is_an_error(seeded: dict[str, Any]) -> None:
    """A handle missing from the users file, or a uuid with no rows and no entry, exits 1."""
    by_handle = run("patterns/list-conversations", "@nobody", env=seeded["env"])
    assert by_handle.returncode == 1
    assert "unknown user @nobody" in one_error_line(by_handle)
    by_uuid = run("patterns/list-conversations", str(uuid.uuid4()), env=seeded["env"])
    assert by_uuid.returncode == 1
    assert "unknown user" in one_error_line(by_uuid)


# -- scan ---------------------------------------------------------------------------------------


def test_scan_paginates_through_the_whole_table(seeded: dict[str, Any]) -> None:
    """With 5-item pages, scan still returns every item, over as many requests as it takes."""
    expected = 2 * len(seed_lines()) + 2 + 1  # messages and their guards, 2 rows, the pair's guard
    result = run("scan", "--json", "--page-size", "5", env=seeded["env"])
    assert json.loads(result.stdout)["count"] == expected
    pages = re.search(r"in (\d+) pages", result.stderr)
    assert pages
    assert int(pages[1]) >= -(-expected // 5)


def test_scan_limit_stops_early_and_says_so(seeded: dict[str, Any]) -> None:
    """--limit N returns N items and reports that more remain."""
    document = scan_json(seeded["env"], "--limit", "3")
    assert document["count"] == 3
    assert document["truncated"] is True
    # docs/tools.md's example: the local endpoint reports the estimate's figure.
    stderr = run("scan", "--limit", "3", env=seeded["env"]).stderr
    assert (
        "consumed capacity: 0.5 RCU reported by the endpoint; estimated from item sizes: "
        + ("0.5 RCU")
        in stderr
    )


def test_scan_groups_items_by_kind(empty_table: dict[str, str], dynamodb_client: Any) -> None:
    """Messages, group rows and anything else appear under their own headings."""
    name = empty_table["DDB_MESSAGE_TABLE"]
    assert run("seed", env=empty_table).returncode == 0
    dynamodb_client.put_item(
        TableName=name, Item={"pk": {"S": "NOTE#1"}, "sk": {"S": "x"}, "n": {"N": "1.5"}}
    )
    result = run("scan", env=empty_table)
    assert result.returncode == 0, result.stderr
    headings = ["messages (MSG#)", "group rows (GRP#)", "other items"]
    positions = [result.stdout.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "NOTE#1" in result.stdout.split("other items")[1]
    assert json.loads(run("scan", "--json", env=empty_table).stdout)["other"] == [
        {"pk": "NOTE#1", "sk": "x", "n": 1.5}
    ]


def test_piped_tables_never_break_a_value(seeded: dict[str, Any]) -> None:
    """Not a terminal and no COLUMNS (a pipe, a file): one line per row, every uuid and message
    whole, so any value can be copied. At a terminal's 80 columns the same table folds them."""
    piped = {k: v for k, v in seeded["env"].items() if k != "COLUMNS"}
    wanted = [text for _, text in seed_lines()] + [seeded["group"]]

    def broken(env: dict[str, str]) -> list[str]:
        result = run("scan", env=env)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        return [value for value in wanted if not any(value in line for line in lines)]

    assert broken(piped) == []
    assert broken({**piped, "COLUMNS": "80"}) != []  # the check above can fail
