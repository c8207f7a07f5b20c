"""Every stage of the working tree, synthesized once per session by the same process `make diff`
runs; tests edit copies of these templates instead of checking out git worktrees."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
from stage_templates import Templates

from review import trees


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    outdir = tmp_path_factory.mktemp("review-synth")
    return trees.synth_trees({"head": trees.ROOT}, Path(outdir))["head"]


@pytest.fixture
def templates(synthesized: Templates) -> Callable[[], Templates]:
    """A fresh deep copy of every stage's template per call, free to edit."""
    return lambda: copy.deepcopy(synthesized)
