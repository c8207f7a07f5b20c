"""The context overrides nothing a deploy could forget: `-c table_name` and `-c alarm_email`
are refused in one clear line."""

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


@pytest.mark.parametrize("name", ["cruddur-messages-alice", "ab", ""])
def test_table_name_from_the_context_is_refused(name: str) -> None:
    """A name every deploy must repeat replaces the table on the deploy that forgets it: the
    name is committed in stacks/settings.py, and the context key is refused, naming the key."""
    with pytest.raises(InvalidSettingsError, match=r"^-c table_name is not read") as raised:
        build_app("dev", context={**cdk_json_context(), "table_name": name})
    assert "table.table_name of stage 'dev' in stacks/settings.py" in str(raised.value)


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
    [line] = result.stderr.splitlines()
    assert line.startswith("error: -c table_name is not read: ")
    # The CLI creates the output directory itself; the app writes nothing into it.
    assert list(tmp_path.rglob("*.json")) == []
