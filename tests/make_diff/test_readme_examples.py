"""README's two `make diff` examples are what `make diff` prints for the scratch edits they
describe: the stages re-synthesized with the edit (so every consequence shows, such as the
capacity alarm's threshold), diffed by the real engine, printed by review's own output."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from stage_synth import cdk_json_context
from stage_templates import Templates

from review import __main__ as make_diff
from review.changes import diff_stages
from stacks.messaging_stack import MessagingStack, stack_name
from stacks.settings import DEV, LOCAL, PROD, StageSettings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The commit a README example names, whichever it was when the example was written.
TITLE_COMMIT = re.compile(r"(# Infrastructure changes: HEAD )\([0-9a-f]{12}\)")


def readme_examples() -> list[str]:
    blocks = re.findall(r"^````text\n(.*?)^````$", README.read_text(), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2, "README's two make diff examples"
    return blocks


def synthesize(settings: StageSettings, outdir: Path) -> dict[str, Any]:
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir))
    stack = MessagingStack(app, stack_name(settings.name), settings=settings)
    template: dict[str, Any] = app.synth().get_stack_artifact(stack.artifact_id).template
    return template


def printed(
    head: Templates, base: Templates, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """What make diff prints (stdout, then stderr) for these templates, against HEAD."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    code = make_diff.review(diff_stages(base, head), "HEAD", commit, ROOT)
    out = capsys.readouterr()
    return code, TITLE_COMMIT.sub(r"\1(COMMIT)", out.out + out.err)


def test_the_capacity_example(
    synthesized: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dev's read_capacity 5 -> 10, which local inherits."""

    def raised(stage: StageSettings) -> StageSettings:
        return dataclasses.replace(stage, table=dataclasses.replace(stage.table, read_capacity=10))

    assert (DEV.table.read_capacity, LOCAL.table.read_capacity) == (5, 5)
    head = {
        **synthesized,
        "dev": synthesize(raised(DEV), tmp_path / "dev"),
        "local": synthesize(raised(LOCAL), tmp_path / "local"),
    }
    code, text = printed(head, synthesized, capsys)
    assert code == 0
    assert text == TITLE_COMMIT.sub(r"\1(COMMIT)", readme_examples()[0])


def test_the_renamed_table_example(
    synthesized: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """prod's table_name setting changed, refused; the example leaves out the title and the dev
    and local sections (`no changes`)."""
    renamed = dataclasses.replace(
        PROD, table=dataclasses.replace(PROD.table, table_name="cruddur-messages-v2")
    )
    prod = synthesize(renamed, tmp_path / "prod")
    code, text = printed({**synthesized, "prod": prod}, synthesized, capsys)
    assert code == 1
    assert "## dev: no changes" in text and "## local: no changes" in text
    assert text[text.index("## prod:") :] == readme_examples()[1]
