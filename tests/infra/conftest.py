"""Template tests: each stage is synthesized once per session (tests/stage_synth.py)."""

from __future__ import annotations

import pytest
from stage_synth import Synthesized

from stacks.settings import STAGES


@pytest.fixture(params=sorted(STAGES))
def stage(
    request: pytest.FixtureRequest, synthesized_stages: dict[str, Synthesized]
) -> Synthesized:
    """Parametrizes a test over every stage."""
    return synthesized_stages[request.param]


@pytest.fixture
def dev(synthesized_stages: dict[str, Synthesized]) -> Synthesized:
    return synthesized_stages["dev"]


@pytest.fixture
def prod(synthesized_stages: dict[str, Synthesized]) -> Synthesized:
    return synthesized_stages["prod"]


@pytest.fixture
def local(synthesized_stages: dict[str, Synthesized]) -> Synthesized:
    return synthesized_stages["local"]
