"""Every stage of the working tree, synthesized once per session by the same process `make diff`
runs; tests edit copies of these templates instead of checking out git worktrees."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from review import trees

Templates = dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    outdir = tmp_path_factory.mktemp("review-synth")
    return trees.synth_trees({"head": trees.ROOT}, Path(outdir))["head"]


@pytest.fixture
def templates(synthesized: Templates) -> Callable[[], Templates]:
    """A fresh deep copy of every stage's template per call, free to edit."""
    return lambda: copy.deepcopy(synthesized)


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    """The one resource of a type, as (logical id, resource): tests find resources by type."""
    found = [(i, r) for i, r in template["Resources"].items() if r["Type"] == resource_type]
    assert len(found) == 1, f"expected one {resource_type}, found {[i for i, _ in found]}"
    return found[0]
