"""Context overrides: `-c table_name=NAME`, and one clear line for a bad value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stage_synth import ROOT, cdk_json_context

from stacks.app import build_app
from stacks.props import InvalidSettingsError


def test_table_name_from_context_names_the_table(tmp_path: Path) -> None:
    """`-c table_name=NAME` replaces the stage's table name, in the table and the function."""
    context = {**cdk_json_context(), "table_name": "cruddur-messages-alice"}
    app, stack = build_app("dev", context=context, outdir=str(tmp_path))
    assert stack.settings.table.table_name == "cruddur-messages-alice"
    assert stack.resolve(stack.table.table.table_name) == {"Ref": "Table7ABB320E"}
    template = app.synth().get_stack_artifact(stack.artifact_id).template
    assert template["Resources"]["Table7ABB320E"]["Properties"]["TableName"] == (
        "cruddur-messages-alice"
    )


@pytest.mark.parametrize("name", ["ab", "x" * 256, "my table", "messages/prod", ""])
def test_invalid_table_name_from_context_names_the_option(name: str) -> None:
    """A name outside DynamoDB's rule (3-255 of A-Z a-z 0-9 _ . -) fails naming `-c table_name`."""
    with pytest.raises(InvalidSettingsError, match=r"^-c table_name must be 3-255 characters"):
        build_app("dev", context={**cdk_json_context(), "table_name": name})


def test_the_app_reports_a_bad_option_in_one_line(tmp_path: Path) -> None:
    """Run as the CDK CLI runs it, context in CDK_CONTEXT_JSON (the one run of cdk_app.py in a
    process of its own): exit 2, one line on stderr, no traceback, nothing written."""
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"stage": "dev", "table_name": "no spaces allowed"}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "cdk_app.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: -c table_name must be 3-255 characters of A-Z a-z 0-9 _ . - (DynamoDB's naming "
        "rule), got 'no spaces allowed'"
    ]
    # The CLI creates the output directory itself; the app writes nothing into it.
    assert list(tmp_path.rglob("*.json")) == []
