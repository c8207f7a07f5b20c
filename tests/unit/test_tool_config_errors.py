"""Configuration mistakes are one line and a non-zero exit, found before any request (sockets
are disabled here: a tool that tried the network would fail differently)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from local import cloud, demo, deploy
from tools.cli import cli

USERS = json.loads((Path(__file__).parents[2] / "tools" / "data" / "users.json").read_text())


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.stderr.splitlines() if line]


def users_file(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "users.json"
    path.write_bytes(content)
    return str(path)


def test_a_users_file_with_non_utf8_bytes_is_one_line(tmp_path: Path) -> None:
    text = json.dumps(USERS, indent=1).encode().replace(b"Bayko", b"Bay\xffko")
    code, lines = run("list-conversations", "bayko", "--users", users_file(tmp_path, text))
    assert code == 1
    assert len(lines) == 1
    assert lines[0].endswith("not UTF-8 text") and ": line " in lines[0]


def test_a_display_name_that_is_a_number_is_reported_as_a_type_error(tmp_path: Path) -> None:
    document = json.loads(json.dumps(USERS))
    document["users"][0]["display_name"] = 42
    path = users_file(tmp_path, json.dumps(document).encode())
    code, lines = run("seed", "--users", path)
    assert code == 1
    assert lines == [f"Error: {path}: user #1: user display_name must be a string, got int"]


@pytest.mark.parametrize(
    "url", ["not-a-url", "localhost:8000", "ftp://localhost", "http://", "http://h:99999"]
)
def test_an_endpoint_that_is_not_a_url_is_one_line(url: str) -> None:
    code, lines = run("scan", env={"AWS_ENDPOINT_URL": url, "AWS_ENDPOINT_URL_DYNAMODB": ""})
    assert code == 1
    assert lines == [
        f"Error: AWS_ENDPOINT_URL={url!r} is not an endpoint URL: expected http(s)://host[:port], "
        "e.g. http://localhost:8000"
    ]


@pytest.mark.parametrize(("table", "reason"), [("", "is empty"), ("a b", "not a DynamoDB name")])
def test_a_bad_table_option_is_one_line_not_the_default_table(table: str, reason: str) -> None:
    code, lines = run("scan", "--table", table)
    assert code == 1
    assert len(lines) == 1 and reason in lines[0] and "--table" in lines[0]


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_demo_refuses_a_port_out_of_range_in_one_line(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--port", port])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: --port must be a number from 1 to 65535, got {port!r}"
        if not port.isdigit()
        else f"error: --port must be a number from 1 to 65535, got {int(port)}"
    ]


def test_local_clouds_on_two_ports_share_no_assembly_state_or_log() -> None:
    first, second = "http://localhost:8000", "http://localhost:8001"
    assert deploy.default_output(first) != deploy.default_output(second)
    assert cloud.state_dir(8000) != cloud.state_dir(8001)
    assert cloud.endpoint_log(8001).parent == cloud.state_dir(8001)
    assert deploy.default_output(first).name.startswith("cdk.out.")  # what make clean removes
