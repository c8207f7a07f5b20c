"""A JSON snapshot of every stage's template: it changes only when the infrastructure does.

Asset hashes (the function's S3 key) are matched by type, not value, so a code change in
lambda_src does not touch the snapshot. Update after an intended change with
`.venv/bin/pytest tests/infra/test_snapshot.py --snapshot-update` and review the diff.
"""

from __future__ import annotations

import pytest
from stage_synth import Synthesized
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.matchers import path_type

VOLATILE = path_type(
    {r"^Resources\..*\.Properties\.Code\.S3Key$": (str,), r".*aws:asset:.*": (str,)},
    regex=True,
)


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_template_matches_snapshot(stage: Synthesized, snapshot_json: SnapshotAssertion) -> None:
    """The stage's template equals its reviewed snapshot, asset hashes aside."""
    assert dict(stage.template_json) == snapshot_json(matcher=VOLATILE)
