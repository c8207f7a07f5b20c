"""docs/infrastructure.md and README.md stay true to the code: settings table and cdk-nag
acknowledgements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from stage_synth import ROOT, Synthesized

from stacks.nag import acknowledgements
from stacks.settings import render_settings_table

DOCS = (ROOT / "docs" / "infrastructure.md", ROOT / "README.md")


@pytest.fixture(params=DOCS, ids=lambda path: path.name)
def doc(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_settings_table_matches_the_dataclasses(doc: Path) -> None:
    """The table between the stage-settings markers is what render_settings_table() prints."""
    text = doc.read_text()
    match = re.search(
        r"<!-- stage-settings:begin -->\n(.*?)<!-- stage-settings:end -->", text, re.DOTALL
    )
    assert match, "stage-settings markers missing"
    assert match.group(1) == render_settings_table()


def test_every_acknowledgement_is_documented(doc: Path, stage: Synthesized) -> None:
    """Each acknowledged cdk-nag rule appears in the doc's table with its construct."""
    rows = doc.read_text().splitlines()
    for ack in acknowledgements(stage.stack):
        rule = ack.rule.split("::", 1)[1]
        construct = ack.path.split("/", 1)[1]
        for address in stage.settings.alarms.emails:  # one subscription per address
            construct = construct.replace(address, "<address>")
        assert any(f"`{rule}`" in row and f"`{construct}`" in row for row in rows), ack
