"""The GitHub Actions workflow and .ci/run call the targets a contributor runs, and every action
is pinned to a full commit SHA (a tag can be moved; a SHA cannot)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import yaml

from review.trees import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def steps() -> list[dict[str, Any]]:
    return [step for job in load()["jobs"].values() for step in job["steps"]]


def test_it_runs_on_push_and_pull_request() -> None:
    # YAML 1.1 reads the key `on` as True.
    assert set(load()[True]) == {"push", "pull_request"}


def test_it_runs_lint_then_test_and_diffs_pull_requests_into_the_summary() -> None:
    runs = [step.get("run", "") for step in steps()]
    assert runs.index("make lint") < runs.index("make test")
    (diff,) = [step for step in steps() if "make diff" in step.get("run", "")]
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert "make diff BASE=${{ github.event.pull_request.base.sha }}" in diff["run"]
    assert 'tee -a "$GITHUB_STEP_SUMMARY"' in diff["run"]
    assert "pipefail" in diff["run"]  # the guard's exit status is not lost in the pipe
    (checkout,) = [step for step in steps() if step.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be in the clone


def test_every_action_is_pinned_to_a_full_commit_sha() -> None:
    uses = [step["uses"] for step in steps() if "uses" in step]
    assert uses, "the workflow uses no action: the test would prove nothing"
    assert [u for u in uses if not PINNED.match(u)] == []


def test_the_pin_check_rejects_tags_and_short_shas() -> None:
    assert not PINNED.match("actions/checkout@v4")
    assert not PINNED.match("actions/checkout@3d3c42e")
    assert PINNED.match("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1")


def test_caches_are_keyed_on_the_lock_files() -> None:
    caches = [step for step in steps() if step.get("uses", "").startswith("actions/cache@")]
    keys = [step["with"]["key"] for step in caches]
    assert any("hashFiles('requirements*.txt'" in key for key in keys)
    assert any("hashFiles('package-lock.json')" in key for key in keys)


def test_ci_run_lints_then_tests() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert script.index("make lint") < script.index("make test")


def test_make_help_lists_every_phony_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    (phony,) = re.findall(r"^\.PHONY: (.+)$", makefile, flags=re.MULTILINE)
    listed = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    shown = {line.split()[1] for line in listed.splitlines() if line.strip().startswith("make ")}
    assert set(phony.split()) == shown
    assert {"diff", "test-e2e"} <= shown
