"""The tool tests' two ways to run a bin/ddb command: in-process through the one click CLI
behind the scripts (most tests), or the bin/ddb executable itself (a few smoke tests)."""

from __future__ import annotations

import os
import subprocess
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

from local import cloud
from tools.cli import cli

BIN = Path(__file__).resolve().parents[2] / "bin" / "ddb"


@dataclass(frozen=True)
class Ran:
    """A command run in-process: its exit code and what it wrote."""

    returncode: int
    stdout: str
    stderr: str
    output: str = ""  # stdout and stderr interleaved, as a terminal shows them


# What points the tools somewhere: a developer's own settings must not reach a test's run.
_TOOL_VARIABLES = ("AWS_", "DDB_", "CONNECTION_URL", "PROD_CONNECTION_URL")


def tool_env(endpoint: str, **extra: str) -> dict[str, str]:
    """This process's environment without AWS_*, DDB_* or CONNECTION_URL variables, pointed at
    `endpoint` with the local cloud's dummy keys (what a person's shell gives the scripts), plus
    `extra`."""
    own = {k: v for k, v in os.environ.items() if not k.startswith(_TOOL_VARIABLES)}
    # Wide enough that rich never wraps a message inside a table cell.
    return cloud.environment(endpoint, base=own) | {"COLUMNS": "400", **extra}


def run(
    command: str,
    *args: str,
    env: Mapping[str, str],
    stdin: str | None = None,
    tool: click.Group = cli,
    prog_name: str = "ddb",
) -> Ran:
    """`bin/ddb/<command> args` in-process: the CLI under `env` as its whole environment (TZ
    applied), stdin from `stdin`; an exception click did not turn into an exit code shows in
    stderr as the traceback a person would see. `tool`: another of the CLIs (bin/cognito,
    bin/db), named `prog_name`."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    try:
        result = CliRunner().invoke(
            tool,
            [command.rsplit("/", maxsplit=1)[-1], *args],
            input=stdin or "",
            prog_name=prog_name,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        time.tzset()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Ran(result.exit_code, result.stdout, stderr, result.output)


def run_script(
    command: str, *args: str, env: Mapping[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """The bin/ddb executable itself, as a person runs it."""
    return subprocess.run(
        [str(BIN / command), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_error_line(result: Ran | subprocess.CompletedProcess[str]) -> str:
    """The one `Error:` line of stderr; there must be exactly one, and no traceback."""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]
