"""`make diff [BASE=<git ref>]`: `python -m review --base REF`.

Synthesizes every stage at BASE (in a temporary git worktree) and in the working tree, prints
what changes per stage, and exits 1 when the guard refuses a change, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from review import guard, render, trees
from review.changes import diff_stages
from review.errors import ReviewError
from review.model import StageDiff


def run(base: str, repo: Path = trees.ROOT) -> int:
    commit = trees.resolve_commit(base, repo)
    with (
        tempfile.TemporaryDirectory(prefix="make-diff-out-") as out,
        trees.worktree_at(commit, repo) as base_tree,
    ):
        synthesized = trees.synth_trees({"base": base_tree, "head": repo}, Path(out))
    return review(diff_stages(synthesized["base"], synthesized["head"]), base, commit, repo)


def review(diffs: list[StageDiff], base: str, commit: str, repo: Path) -> int:
    """Prints the report and the guard's verdict (a refusal on stderr); the exit code. README's
    examples are this function's output (tests/make_diff/test_readme_examples.py)."""
    title = f"Infrastructure changes: {base} ({commit[:12]}) -> working tree"
    print(render.report(diffs, title))
    found = guard.findings(diffs)
    if not found:
        print("Guard: no stateful resource replaced or destroyed, no permission broadened.")
        return 0
    allowed = guard.allowed_tokens(commit, repo)
    blocked = [f for f in found if f.token not in allowed]
    print("Guard:")
    for finding in found:
        state = "REFUSED" if finding in blocked else f"allowed by {guard.TRAILER}"
        print(f"- {state}: {finding.token}: {finding.what}")
    if blocked:
        print(guard.refusal(blocked, base), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make diff", description=__doc__)
    parser.add_argument("--base", default="HEAD", help="the git ref to compare with (HEAD)")
    args = parser.parse_args(argv)
    try:
        return run(args.base)
    except ReviewError as error:
        print(f"make diff: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
