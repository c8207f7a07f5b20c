"""`make diff` as a user runs it: git worktree, both synths, the engine, the report, exit code.

It runs in a temporary worktree of HEAD (sharing this checkout's .venv and node_modules), so the
result does not depend on uncommitted work here: BASE=HEAD there means no change at all.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.trees import ROOT, worktree_at


def make(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # -o: the shared .venv and node_modules are installed; do not reinstall them from this tree.
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "-o", "node_modules/.installed", *args],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def head_tree() -> Iterator[Path]:
    with worktree_at("HEAD", ROOT) as tree:
        for shared in (".venv", "node_modules"):
            (tree / shared).symlink_to(ROOT / shared)
        yield tree


def temporary_worktrees() -> set[str]:
    listed = subprocess.run(
        ["git", "worktree", "list", "--porcelain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        line
        for line in listed.splitlines()
        if line.startswith("worktree ") and "make-diff-" in line
    }


def test_make_diff_of_an_unchanged_tree_prints_no_changes_per_stage(head_tree: Path) -> None:
    before = temporary_worktrees()
    done = make(head_tree, "diff", "BASE=HEAD")
    assert done.returncode == 0, done.stderr
    for stage in ("dev", "local", "prod"):
        assert f"## {stage}: no changes" in done.stdout
    assert "Guard: no stateful resource replaced or destroyed" in done.stdout
    assert temporary_worktrees() == before  # the base's temporary worktree is gone again


def test_make_diff_with_an_unknown_base_is_one_line_and_exit_2(head_tree: Path) -> None:
    done = make(head_tree, "diff", "BASE=no-such-ref")
    assert done.returncode != 0
    assert done.stdout == ""
    first, *_ = done.stderr.splitlines()
    assert (
        first
        == "make diff: BASE=no-such-ref is not a commit in this repository (try BASE=origin/main)"
    )
    assert "Traceback" not in done.stderr
