"""Synthesizes the working tree and a git ref side by side, each in a process of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from review.errors import ReviewError

ROOT = Path(__file__).resolve().parent.parent
SYNTH_SCRIPT = Path(__file__).resolve().parent / "synth_tree.py"
# Synth makes no AWS calls; these make sure nothing could reach an account by accident.
OFFLINE_ENV: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "review-dummy",
    "AWS_SECRET_ACCESS_KEY": "review-dummy",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}
_DROPPED_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")

Templates = dict[str, dict[str, Any]]


def resolve_commit(ref: str, repo: Path = ROOT) -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise ReviewError(f"BASE={ref} is not a commit in this repository (try BASE=origin/main)")
    return found.stdout.strip()


@contextmanager
def worktree_at(commit: str, repo: Path = ROOT) -> Iterator[Path]:
    """A temporary, detached `git worktree` of `commit`, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="make-diff-"))
    tree = parent / "base"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(tree), commit],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)],
            cwd=repo,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(parent, ignore_errors=True)


def synth_process(tree: Path, outdir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV} | dict(OFFLINE_ENV)
    node_bin = ROOT / "node_modules" / ".bin"
    env["PATH"] = f"{node_bin}{os.pathsep}{env.get('PATH', '')}"  # jsii on the pinned Node 22
    return subprocess.Popen(
        [sys.executable, str(SYNTH_SCRIPT), str(tree), str(outdir)],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_templates(outdir: Path) -> Templates:
    stages: dict[str, str] = json.loads((outdir / "stages.json").read_text())
    return {stage: json.loads((outdir / name).read_text()) for stage, name in stages.items()}


def synth_trees(trees: Mapping[str, Path], workdir: Path) -> dict[str, Templates]:
    """Every stage of each tree ({label: path}), the trees synthesized concurrently."""
    running = {label: synth_process(tree, workdir / label) for label, tree in trees.items()}
    results: dict[str, Templates] = {}
    for label, process in running.items():
        _, stderr = process.communicate()
        if process.returncode != 0:
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            raise ReviewError(f"synth of {label} ({trees[label]}) failed:\n{tail}")
        results[label] = read_templates(workdir / label)
    return results
