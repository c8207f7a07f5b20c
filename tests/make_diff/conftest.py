"""Every stage of the working tree's templates, synthesized once per session (tests/conftest.py);
tests edit copies of them instead of checking out git worktrees. test_make_diff_end_to_end runs
the synth `make diff` runs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from stage_templates import Templates


@pytest.fixture(scope="session")
def synthesized(synthesized_stages: dict[str, Any]) -> Templates:
    return {name: dict(stage.template_json) for name, stage in synthesized_stages.items()}


@pytest.fixture
def templates(synthesized: Templates) -> Callable[[], Templates]:
    """A fresh deep copy of every stage's template per call, free to edit."""
    return lambda: copy.deepcopy(synthesized)
