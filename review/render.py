"""The report: Markdown that reads on a terminal and in a pull request's job summary."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from review.changes import CODE_CHANGED
from review.model import PropertyChange, ResourceChange, StageDiff

_MARK = {"WILL_CREATE": "+", "WILL_DESTROY": "-", "WILL_ORPHAN": "-"}
# Policies and rules are shown in the IAM and security-group tables, statement by statement.
_TABLE_PROPERTIES = frozenset(
    {
        "Policies",
        "PolicyDocument",
        "AssumeRolePolicyDocument",
        "ManagedPolicyArns",
        "SecurityGroupIngress",
        "SecurityGroupEgress",
    }
)
_MAX_VALUE = 100


def _value(value: Any) -> str:
    text = "(absent)" if value is None else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _is_leaf(value: Any) -> bool:
    """Scalars, and intrinsics such as {"Ref": ...}, are compared whole."""
    if isinstance(value, dict):
        return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))
    return not isinstance(value, list)


def value_changes(path: str, old: Any, new: Any) -> Iterator[str]:
    """`path: old -> new` for each leaf that differs, so a reviewer sees the one field changed."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict) and not (_is_leaf(old) or _is_leaf(new)):
        for key in sorted(old.keys() | new.keys()):
            yield from value_changes(f"{path}.{key}", old.get(key), new.get(key))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from value_changes(f"{path}[{index}]", before, after)
    else:
        yield f"{path}: {_value(old)} -> {_value(new)}"


def _property_lines(change: PropertyChange) -> Iterator[str]:
    tag = "" if change.impact in ("WILL_UPDATE", "NO_CHANGE") else f"  [{change.impact}]"
    if change.name in _TABLE_PROPERTIES:
        yield f"{change.name}: changed, see the IAM and security-group tables{tag}"
        return
    for line in value_changes(change.name, change.old, change.new):
        yield line + tag


def resource_lines(resource: ResourceChange) -> Iterator[str]:
    mark = _MARK.get(resource.impact, "~" if resource.impact != "WILL_REPLACE" else "!")
    yield f"{mark} {resource.type} {resource.logical_id}  [{resource.impact}]"
    if resource.impact in ("WILL_CREATE", "WILL_DESTROY", "WILL_ORPHAN"):
        return
    if resource.code_changed:
        yield f"    {CODE_CHANGED}"
    for change in resource.properties:
        for line in _property_lines(change):
            yield f"    {line}"
    for change in resource.other:
        for line in value_changes(change.name, change.old, change.new):
            yield f"    {line}"


def _table(rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """cdk diff's summary rows (header first) as a Markdown table, one line per row."""
    header, *body = [[" ".join(cell.split()).replace("|", "\\|") for cell in row] for row in rows]
    yield "| " + " | ".join(cell or "change" for cell in header) + " |"
    yield "|" + "---|" * len(header)
    for row in body:
        yield "| " + " | ".join(cell or " " for cell in row) + " |"


def stage_section(diff: StageDiff) -> Iterator[str]:
    where = {"head": " (new stage)", "base": " (stage removed)"}.get(diff.only_in or "", "")
    if diff.is_empty:
        yield f"## {diff.stage}: no changes{where}"
        return
    counts = {m: sum(1 for r in diff.resources if _MARK.get(r.impact) == m) for m in "+-"}
    changed = len(diff.resources) - counts["+"] - counts["-"]
    yield (f"## {diff.stage}: {counts['+']} added, {counts['-']} removed, {changed} changed{where}")
    yield "```diff"
    for resource in diff.resources:
        yield from resource_lines(resource)
    for change in diff.template_changes:
        yield from (f"~ {line}" for line in value_changes(change.name, change.old, change.new))
    yield "```"
    if diff.iam_statements or diff.iam_managed_policies:
        yield f"IAM changes{' (permissions broadened)' if diff.iam_broadened else ''}:"
        yield ""
        for rows in (diff.iam_statements, diff.iam_managed_policies):
            if len(rows) > 1:
                yield from _table(rows)
                yield ""
    if len(diff.security_group_rules) > 1:
        added = " (rules added)" if diff.security_group_rules_added else ""
        yield f"Security group changes{added}:"
        yield ""
        yield from _table(diff.security_group_rules)
        yield ""


def report(diffs: Sequence[StageDiff], title: str) -> str:
    lines = [f"# {title}", ""]
    for diff in diffs:
        lines.extend(stage_section(diff))
        lines.append("")
    return "\n".join(lines)
