"""The project's generic top-level package names resolve to this checkout, not to a dependency
that happens to ship a package of the same name (README, Development)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["tools", "local", "bench", "review", "stacks"])
def test_package_is_this_checkouts(name: str) -> None:
    module = importlib.import_module(name)
    assert Path(module.__file__ or "").resolve().is_relative_to(ROOT), module.__file__
