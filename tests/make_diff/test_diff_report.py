"""What a reviewer reads: property paths, one line for new function code, trailers that allow."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from stage_templates import Templates, only

from review.changes import CODE_CHANGED, diff_stages
from review.guard import TRAILER, Finding, allowed_tokens, refusal
from review.render import report, value_changes


def test_a_function_code_change_is_one_line_without_asset_hashes(
    templates: Callable[[], Templates],
) -> None:
    base, head = templates(), templates()
    function_id, function = only(head["dev"], "AWS::Lambda::Function")
    old_key = function["Properties"]["Code"]["S3Key"]
    function["Properties"]["Code"]["S3Key"] = "0" * 64 + ".zip"
    for key in [k for k in function.get("Metadata", {}) if k.startswith("aws:asset:")]:
        function["Metadata"][key] = "asset." + "0" * 64

    (diff,) = diff_stages({"dev": base["dev"]}, {"dev": head["dev"]})
    text = report([diff], "t")

    (resource,) = diff.resources
    assert (resource.logical_id, resource.code_changed, resource.properties) == (
        function_id,
        True,
        (),
    )
    assert text.count(CODE_CHANGED) == 1
    assert old_key.removesuffix(".zip") not in text
    assert "0" * 64 not in text


def test_a_capacity_change_reads_as_the_one_field_that_changed(
    templates: Callable[[], Templates],
) -> None:
    base, head = templates(), templates()
    throughput = only(head["prod"], "AWS::DynamoDB::Table")[1]["Properties"][
        "ProvisionedThroughput"
    ]
    before = throughput["WriteCapacityUnits"]
    throughput["WriteCapacityUnits"] = before + 7
    text = report(diff_stages(base, head), "t")
    assert f"ProvisionedThroughput.WriteCapacityUnits: {before} -> {before + 7}" in text
    assert "## dev: no changes" in text and "## local: no changes" in text
    assert "## prod: 0 added, 0 removed, 1 changed" in text


def test_value_changes_name_each_changed_leaf_and_keep_intrinsics_whole() -> None:
    old = {"A": {"B": 1, "C": [1, 2]}, "Ref": {"Fn::GetAtt": ["T", "Arn"]}}
    new = {"A": {"B": 2, "C": [1, 3]}, "Ref": {"Fn::GetAtt": ["U", "Arn"]}}
    assert list(value_changes("P", old, new)) == [
        "P.A.B: 1 -> 2",
        "P.A.C[1]: 2 -> 3",
        'P.Ref: {"Fn::GetAtt":["T","Arn"]} -> {"Fn::GetAtt":["U","Arn"]}',
    ]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_trailers_of_the_change_allow_exactly_the_changes_they_name(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "base")
    base = _git(tmp_path, "rev-parse", "HEAD")
    _git(
        tmp_path,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "new key schema",
        "--trailer",
        f"{TRAILER}: prod/Table7ABB320E dev/Table7ABB320E (data is migrated)",
    )
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "no trailer here: dev/iam")

    assert allowed_tokens(base, tmp_path) == {"prod/Table7ABB320E", "dev/Table7ABB320E"}
    assert allowed_tokens("HEAD", tmp_path) == set()


def test_the_refusal_says_exactly_which_trailer_allows_the_change() -> None:
    blocked = [
        Finding("prod", "Table7ABB320E", "WILL_REPLACE AWS::DynamoDB::Table (KeySchema)"),
        Finding("prod", "iam", "broadens IAM permissions"),
    ]
    message = refusal(blocked, "origin/main")
    assert f"  {TRAILER}: prod/Table7ABB320E prod/iam" in message.splitlines()
    assert message.startswith("make diff: refused 2 change(s)")
