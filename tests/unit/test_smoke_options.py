"""`bin/ddb/smoke`'s bad input: one line and exit 1, before anything is contacted (unit tests
have no sockets)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tools.cli import cli


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["--stage", " "], {}, "Error: --stage is empty; e.g. --stage prod"),
        (
            ["--prod"],
            {"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_CONFIG_FILE": "/nonexistent"},
            "Error: no AWS region configured for --prod: set AWS_REGION or a profile's region",
        ),
    ],
)
def test_bad_input_is_one_line(args: list[str], env: dict[str, str], line: str) -> None:
    result = CliRunner().invoke(cli, ["smoke", *args], env=env)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [line]
