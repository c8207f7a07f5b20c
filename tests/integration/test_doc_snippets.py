"""docs/message-store.md's library example runs as written: its Python block, in a fresh
interpreter whose environment is only the doc's own `export` lines, against a local endpoint (the
doc's port replaced by the test's free one, its table by a fresh one)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from cruddur_messages import schema

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "message-store.md"
USERS = REPO / "tools" / "data" / "users.json"
DOC_ENDPOINT = "http://localhost:8000"


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def exported(block: str) -> dict[str, str]:
    """The variables a bash block's `export A=x B=y  # ...` lines set."""
    variables: dict[str, str] = {}
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            variables.update(word.split("=", 1) for word in words[1:])
    return variables


def doc_environment() -> dict[str, str]:
    """The doc's exports (the block that sets AWS_ENDPOINT_URL) and nothing else of AWS's."""
    blocks = [exported(block) for block in fenced_blocks(DOC.read_text(), "bash")]
    return next(block for block in blocks if "AWS_ENDPOINT_URL" in block)


def api_example() -> str:
    return next(b for b in fenced_blocks(DOC.read_text(), "python") if "MessageStore(" in b)


def test_the_api_example_runs_as_written(
    moto_endpoint: str, table_name: str, dynamodb_client: Any, tmp_path: Path
) -> None:
    variables = doc_environment()
    assert variables["AWS_ENDPOINT_URL"] == DOC_ENDPOINT
    assert "AWS_DEFAULT_REGION" not in variables  # AWS_REGION alone must do
    env = {
        **variables,
        "AWS_ENDPOINT_URL": moto_endpoint,
        schema.TABLE_NAME_ENV: table_name,
        # Nothing of this machine's AWS set-up: no profile or config file to fall back on.
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    result = subprocess.run(
        [sys.executable, "-c", api_example()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    items = dynamodb_client.scan(TableName=table_name)["Items"]
    messages = sorted(i["message"]["S"] for i in items if i["pk"]["S"].startswith("MSG#"))
    assert messages == ["Hi Andrew", "Hi Bayko"]
    owners = sorted(i["pk"]["S"] for i in items if i["pk"]["S"].startswith("GRP#"))
    assert owners == sorted(schema.group_pk(user["uuid"]) for user in seed_users()[:2])


def seed_users() -> list[dict[str, str]]:
    users: list[dict[str, str]] = json.loads(USERS.read_text())["users"]
    return users


def test_the_api_example_uses_the_seed_users() -> None:
    """Its users are tools/data/users.json's, so the ddb tools find them by handle."""
    example = api_example()
    for user in seed_users()[:2]:
        assert f'uuid="{user["uuid"]}", display_name="{user["display_name"]}", ' in example
    assert 'uuid="..."' not in example


def test_botocore_alone_does_not_read_aws_region(tmp_path: Path) -> None:
    """Why dynamodb_client() exists: the plain boto3 client under the doc's variables has no
    region (if botocore ever reads AWS_REGION, this fails and the doc's note can go)."""
    env = {
        **doc_environment(),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    code = (
        "import boto3\n"
        "from cruddur_messages.store import dynamodb_client\n"
        "print(boto3.session.Session().region_name, dynamodb_client().meta.region_name)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["None", env["AWS_REGION"]]
