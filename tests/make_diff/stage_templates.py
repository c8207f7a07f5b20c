"""Helpers for tests that edit copies of synthesized templates (a module of its own, so that
test files never import a `conftest` by name: several directories have one)."""

from __future__ import annotations

from typing import Any

Templates = dict[str, dict[str, Any]]


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    """The one resource of a type, as (logical id, resource): tests find resources by type."""
    found = [(i, r) for i, r in template["Resources"].items() if r["Type"] == resource_type]
    assert len(found) == 1, f"expected one {resource_type}, found {[i for i, _ in found]}"
    return found[0]
