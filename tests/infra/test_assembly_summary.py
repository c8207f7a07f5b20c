"""`make synth` says what it wrote: stacks.assembly over a real synthesized assembly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stage_synth import Synthesized

from stacks import assembly


def test_the_summary_names_the_template_written_and_its_size(dev: Synthesized) -> None:
    (line,) = assembly.summary(dev.outdir)
    resources = len(json.loads(dev.template_path.read_text())["Resources"])
    assert line.startswith(f"wrote {dev.template_path} ({dev.stack.artifact_id}: {resources} ")
    assert line.endswith(f"its assets beside it in {dev.outdir}/")


def test_no_assembly_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert assembly.main([str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: no cloud assembly in {tmp_path}/")
