"""The changes between two templates of each stage, as data: the diff engine's answer, with a
function's new code folded into one line instead of two asset hashes."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from review.errors import ReviewError
from review.model import PropertyChange, ResourceChange, StageDiff

ROOT = Path(__file__).resolve().parent.parent
DIFF_SCRIPT = Path(__file__).resolve().parent / "diff_templates.js"
NODE = ROOT / "node_modules" / ".bin" / "node"
CODE_CHANGED = "function code changed"
_CODE_PLACEHOLDER = "<function code>"


def fold_function_code(template: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy with each function's asset key replaced by a placeholder, and the keys by id."""
    folded = copy.deepcopy(dict(template))
    keys: dict[str, str] = {}
    for logical_id, resource in folded.get("Resources", {}).items():
        code = resource.get("Properties", {}).get("Code", {})
        if resource.get("Type") == "AWS::Lambda::Function" and isinstance(code.get("S3Key"), str):
            keys[logical_id] = code["S3Key"]
            code["S3Key"] = _CODE_PLACEHOLDER
            metadata = resource.get("Metadata", {})
            for key in [k for k in metadata if k.startswith("aws:asset:")]:
                del metadata[key]
    return folded, keys


def run_engine(pairs: Mapping[str, tuple[Any, Any]]) -> dict[str, Any]:
    """The Node diff engine over every stage at once: {stage: (old, new)} -> its JSON answer."""
    payload = json.dumps({stage: {"old": old, "new": new} for stage, (old, new) in pairs.items()})
    done = subprocess.run(
        [str(NODE), str(DIFF_SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        env=os.environ | {"FORCE_COLOR": "0"},
        check=False,
    )
    if done.returncode != 0:
        raise ReviewError(f"the diff engine failed (run `make setup`?): {done.stderr.strip()}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _changes(
    entries: list[dict[str, Any]], default_impact: str = "WILL_UPDATE"
) -> tuple[PropertyChange, ...]:
    return tuple(
        PropertyChange(e["name"], e["old"], e["new"], e.get("impact", default_impact))
        for e in entries
    )


def diff_stages(
    base: Mapping[str, Mapping[str, Any]], head: Mapping[str, Mapping[str, Any]]
) -> list[StageDiff]:
    """One StageDiff per stage of either side, in stage order."""
    stages = sorted(set(base) | set(head))
    old = {stage: fold_function_code(base.get(stage, {})) for stage in stages}
    new = {stage: fold_function_code(head.get(stage, {})) for stage in stages}
    answer = run_engine({stage: (old[stage][0], new[stage][0]) for stage in stages})
    diffs = []
    for stage in stages:
        old_keys, new_keys = old[stage][1], new[stage][1]
        code_changed = {i for i in old_keys.keys() & new_keys.keys() if old_keys[i] != new_keys[i]}
        only_in = None if stage in base and stage in head else ("base" if stage in base else "head")
        diffs.append(_stage_diff(stage, answer[stage], code_changed, only_in))
    return diffs


def _stage_diff(
    stage: str, raw: dict[str, Any], code_changed: set[str], only_in: str | None
) -> StageDiff:
    resources = {
        r["logicalId"]: ResourceChange(
            r["logicalId"],
            r["oldType"],
            r["newType"],
            r["impact"],
            _changes(r["properties"]),
            _changes(r["other"]),
            code_changed=r["logicalId"] in code_changed,
        )
        for r in raw["resources"]
    }
    for logical_id in code_changed - resources.keys():
        kind = "AWS::Lambda::Function"
        resources[logical_id] = ResourceChange(
            logical_id, kind, kind, "WILL_UPDATE", code_changed=True
        )
    template_changes = [
        PropertyChange(
            f"{section[:-1].capitalize()} {change['name']}",
            change["old"],
            change["new"],
            "WILL_UPDATE",
        )
        for section in ("parameters", "outputs", "conditions")
        for change in raw[section]
    ]
    return StageDiff(
        stage=stage,
        resources=tuple(resources[i] for i in sorted(resources)),
        template_changes=tuple(template_changes),
        iam_statements=tuple(tuple(row) for row in raw["iam"]["statements"]),
        iam_managed_policies=tuple(tuple(row) for row in raw["iam"]["managedPolicies"]),
        security_group_rules=tuple(tuple(row) for row in raw["securityGroups"]["rules"]),
        iam_broadened=raw["iam"]["broadened"],
        security_group_rules_added=raw["securityGroups"]["rulesAdded"],
        only_in=only_in,
    )
