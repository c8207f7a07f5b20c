"""Every example of the ddb tools' output in docs/tools.md is what the tools print: each `$`
transcript is run as written (in-process, against a local endpoint of this module's own, whose
port stands in for the doc's 8000) and compared line by line, as are the error lines of the
errors table. A documented line ending in `...` is abridged: the output's line starts with the
rest of it."""

from __future__ import annotations

import re
import shlex
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ddb_cli import run, tool_env

from local import cloud, server

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "tools.md"
DOC_ENDPOINT = cloud.endpoint_url()


def doc_blocks() -> list[str]:
    return re.findall(r"^```\n(.*?)^```$", DOC.read_text(), re.MULTILINE | re.DOTALL)


def transcripts() -> list[tuple[str, list[str]]]:
    """(command line, the lines it printed) of every `$` line of the doc's plain blocks."""
    found: list[tuple[str, list[str]]] = []
    for block in doc_blocks():
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found and block.startswith("$ "):
                found[-1][1].append(line)
    return found


def matches(documented: list[str], printed: list[str]) -> bool:
    printed = [line.rstrip() for line in printed]  # rich pads a table's title to its width
    if len(documented) != len(printed):
        return False
    return all(
        line == out or (line.endswith("...") and out.startswith(line.removesuffix("...")))
        for line, out in zip(documented, printed, strict=True)
    )


@pytest.fixture
def endpoint(endpoint_log: Path) -> Iterator[str]:
    """An endpoint of each test's own: the doc's commands use the default table name."""
    port = server.free_port()
    started = server.start(port, log_file=endpoint_log)
    try:
        yield cloud.endpoint_url(port)
    finally:
        started.stop()


def ran(command_line: str, endpoint: str, **extra: str) -> tuple[int, list[str]]:
    """A doc's command line (`[VAR=value ...] bin/ddb/... args`) and what it printed, the
    endpoint written as the doc writes it."""
    words = shlex.split(command_line)
    assignments = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        assignments[name] = value
    script, *args = words
    env = tool_env(endpoint, **extra, **assignments)
    result = run(script.removeprefix("bin/ddb/"), *args, env=env)
    return result.returncode, result.output.replace(endpoint, DOC_ENDPOINT).splitlines()


def test_every_transcript_is_what_the_command_prints(endpoint: str) -> None:
    """In the doc's order: schema-load twice, seed twice, get-conversation of the seed."""
    found = transcripts()
    assert [c.split()[0] for c, _ in found][:2] == ["bin/ddb/schema-load"] * 2
    for command_line, documented in found:
        # The table's width in the doc is the terminal's it was printed on.
        width = max((len(line) for line in documented), default=80)
        code, printed = ran(command_line, endpoint, COLUMNS=str(width))
        assert code == 0, printed
        assert matches(documented, printed), (command_line, printed)


def test_the_scan_summary_and_the_first_stderr_line(endpoint: str) -> None:
    """The stderr lines the doc quotes of `scan --limit 3` on the seed."""
    for command_line in ("bin/ddb/schema-load", "bin/ddb/seed"):
        assert ran(command_line, endpoint)[0] == 0
    (announce,) = (b for b in doc_blocks() if b.startswith("ddb: local"))
    (summary,) = (b for b in doc_blocks() if "in 1 page; stopped at --limit 3" in b)
    code, printed = ran("bin/ddb/scan --limit 3", endpoint)
    assert code == 0
    assert printed[0] == announce.splitlines()[0]
    assert matches(summary.splitlines(), printed[-2:]), printed


def error_rows() -> dict[str, str]:
    """The errors table: situation -> the documented `Error: ...` line."""
    rows = re.findall(r"^\| (.+?) \| `(Error: .+?)`", DOC.read_text(), re.MULTILINE)
    return dict(rows)


def closed_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return cloud.endpoint_url(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("situation", "command_line", "extra"),
    [
        ("table missing", "bin/ddb/scan --table nope", {}),
        ("`drop` of a missing table", "bin/ddb/drop nope --yes", {}),
        ("endpoint down", "bin/ddb/list-tables", {"down": "1"}),
        ("unknown user", "bin/ddb/patterns/list-conversations nobody", {}),
        ("endpoint not a URL", "bin/ddb/list-tables", {"AWS_ENDPOINT_URL": "not-a-url"}),
        ("bad table name", "bin/ddb/scan --table ''", {}),
        (
            "`--prod`, no region",
            "bin/ddb/list-tables --prod",
            {"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CONFIG_FILE": "/nonexistent"},
        ),
    ],
)
def test_the_errors_table_quotes_the_real_lines(
    endpoint: str, situation: str, command_line: str, extra: dict[str, Any]
) -> None:
    documented = error_rows()[situation]
    target = closed_endpoint() if extra.pop("down", None) else endpoint
    code, printed = ran(command_line, target, **extra)
    assert code == 1
    # The users file is named by its path on this machine; the doc's, from the repository.
    printed = [line.replace(f"{REPO}/", "") for line in printed]
    assert documented in printed, (documented, printed)


def test_the_skipped_items_warning(endpoint: str) -> None:
    """Two items in the seed conversation that the store did not write (a number as the text)."""
    for command_line in ("bin/ddb/schema-load", "bin/ddb/seed"):
        assert ran(command_line, endpoint)[0] == 0
    (warning,) = (b for b in doc_blocks() if b.startswith("ddb: warning: skipped"))
    group = "c50900bd-5420-52f2-a341-888bb1854e85"  # the seed's conversation (transcripts above)
    client = cloud.developer(endpoint)("dynamodb")
    for sort_key in ("2025-03-14T18:00:00.000000+00:00", "2025-03-14T18:01:00.000000+00:00"):
        item = {"pk": {"S": f"MSG#{group}"}, "sk": {"S": sort_key}, "message": {"N": "7"}}
        client.put_item(TableName="cruddur-messages", Item=item)
    code, printed = ran(f"bin/ddb/patterns/get-conversation {group}", endpoint)
    assert code == 0
    assert warning.splitlines()[0] in printed
