"""What changed in one stage, as the report and the guard read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PropertyChange:
    name: str
    old: Any
    new: Any
    impact: str


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    old_type: str | None
    new_type: str | None
    impact: str
    properties: tuple[PropertyChange, ...] = ()
    other: tuple[PropertyChange, ...] = ()  # DeletionPolicy, DependsOn, Metadata, ...
    code_changed: bool = False

    @property
    def type(self) -> str:
        if self.old_type and self.new_type and self.old_type != self.new_type:
            return f"{self.old_type} -> {self.new_type}"
        return self.new_type or self.old_type or "?"


@dataclass(frozen=True)
class StageDiff:
    stage: str
    resources: tuple[ResourceChange, ...] = ()
    template_changes: tuple[PropertyChange, ...] = ()  # parameters, outputs, conditions
    iam_statements: tuple[tuple[str, ...], ...] = ()  # header row first, as cdk diff prints
    iam_managed_policies: tuple[tuple[str, ...], ...] = ()
    security_group_rules: tuple[tuple[str, ...], ...] = ()
    iam_broadened: bool = False
    security_group_rules_added: bool = False
    only_in: str | None = None  # "base" or "head" when a stage is new or gone

    @property
    def is_empty(self) -> bool:
        return not (
            self.resources
            or self.template_changes
            or self.iam_statements
            or self.iam_managed_policies
            or self.security_group_rules
        )
