"""bin/cognito and bin/db: each script is bin/ddb/drop's wrapper, for its own CLI and command,
and every command of those CLIs (the course's names included) has its script."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from ddb_cli import run, tool_env

from tools.commands import cognito, db

BIN = Path(__file__).resolve().parents[3] / "bin"
CLIS: dict[str, tuple[str, click.Group]] = {
    "cognito": ("tools.commands.cognito", cognito.cli),
    "db": ("tools.commands.db", db.cli),
}


def _code(script: str) -> str:
    return "\n".join(line for line in script.splitlines() if not line.startswith("# "))


@pytest.mark.parametrize("folder", sorted(CLIS))
def test_every_script_is_the_wrapper_of_its_own_command(folder: str) -> None:
    module, group = CLIS[folder]
    scripts = sorted(path.name for path in (BIN / folder).iterdir())
    assert scripts == sorted(group.commands)
    template = _code((BIN / "ddb" / "drop").read_text())
    for script in scripts:
        expected = template.replace("-m tools drop ", f"-m {module} {script} ")
        assert _code((BIN / folder / script).read_text()) == expected, script
        assert os.access(BIN / folder / script, os.X_OK), script


@pytest.mark.parametrize("folder", sorted(CLIS))
def test_every_command_has_help_without_an_endpoint(folder: str) -> None:
    _, group = CLIS[folder]
    env = tool_env("http://nowhere:1")
    for name in group.commands:
        result = run(name, "--help", env=env, tool=group, prog_name=folder)
        assert result.returncode == 0, (name, result.stderr)
        assert f"Usage: {folder} {name}" in result.stdout
