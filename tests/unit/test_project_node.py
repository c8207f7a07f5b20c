"""The CDK runs on the project's Node 22 whoever starts it: make puts node_modules/.bin first on
PATH, but a tool run on its own (`bin/ddb/capacity --stage dev`) used to start jsii on the
machine's Node, and an end-of-life one printed a dozen lines of warning before the answer."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT_NODE = REPO / "node_modules" / ".bin" / "node"


def _without_project_node() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JSII_NODE"}
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if "node_modules" not in part
    )
    return env


def test_importing_the_stacks_points_jsii_at_the_projects_node() -> None:
    script = "import os, stacks.settings; print(os.environ['JSII_NODE'])"
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-P", "-c", script],
        cwd=REPO,
        env=_without_project_node(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(PROJECT_NODE)
    assert result.stderr == ""


def test_a_tool_that_reads_the_settings_prints_only_its_answer() -> None:
    result = subprocess.run(
        [str(REPO / "bin" / "ddb" / "capacity"), "--stage", "dev"],
        env=_without_project_node(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("profile: ")
