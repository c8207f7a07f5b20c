"""The Makefile's PORT, clean and setup: what `make` would run, and what clean says it removes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def make(*args: str, cwd: Path = REPO) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(("target", "extra"), [("demo", ""), ("local", "--serve ")])
def test_demo_and_local_take_a_port(target: str, extra: str) -> None:
    # -o setup: treat setup as done, so make prints only the target's own command.
    dry = make("-n", target, "PORT=8123", "-o", "setup")
    assert f"-m local.demo {extra}--port '8123' --port-setting PORT=N" in dry
    assert "--port '8000'" in make("-n", target, "-o", "setup")


def test_clean_says_what_it_removes_and_removes_it(tmp_path: Path) -> None:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    for name in ("cdk.out", "cdk.out.local-8001", ".local-cloud/port-8001", ".pytest_cache"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "keep.txt").write_text("x")
    said = make("clean", cwd=tmp_path)
    assert said.startswith("clean: removing ")
    for name in ("cdk.out", "cdk.out.local-8001", ".local-cloud", ".pytest_cache"):
        assert name in said.split()
        assert not (tmp_path / name).exists()
    assert (tmp_path / "keep.txt").exists()
    assert make("clean", cwd=tmp_path) == "clean: nothing to remove\n"


def test_smoke_checks_the_local_cloud_unless_a_stage_is_named() -> None:
    local = make("-n", "smoke", "PORT=8123", "-o", "setup")
    assert "AWS_ENDPOINT_URL='http://localhost:8123'" in local and "--prod" not in local
    assert "--prod" not in make("-n", "smoke", "STAGE=local", "-o", "setup")
    prod = make("-n", "smoke", "STAGE=prod", "-o", "setup")
    assert "-m tools smoke --prod --stage 'prod'" in prod


def test_db_starts_and_stops_the_local_postgres() -> None:
    assert "-m local.postgres start" in make("-n", "db", "-o", "setup")
    assert "-m local.postgres stop" in make("-n", "db-stop", "-o", "setup")


def _install_warning_filter() -> str:
    """The PYTHONWARNINGS that `make setup` gives pip's editable install of the project."""
    recipe = make("-n", "-B", ".venv/.installed")
    line = next(line for line in recipe.splitlines() if " -e ." in line)
    match = re.match(r"PYTHONWARNINGS='([^']*)' ", line)
    assert match, line
    return match[1]


def _warnings_shown(message: str, filters: str) -> str:
    """What a process under PYTHONWARNINGS=`filters` prints for a setuptools-style warning (a
    UserWarning subclass, as setuptools.warnings.InformationOnly is)."""
    code = (
        "import warnings\n"
        "class InformationOnly(UserWarning): pass\n"
        f"warnings.warn({message!r}, InformationOnly)\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": filters}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stderr


def test_setup_silences_only_the_editable_install_notice() -> None:
    """setuptools' box for a multi-root editable install (its text as setuptools 68+ emits it) is
    not shown by `make setup`; any other warning of the build still is."""
    filters = _install_warning_filter()
    notice = (
        "Editable installation.\n!!\n\n        " + "*" * 80 + "\n        Please be careful with "
        "folders in your working directory with the same\n        name as your package as they "
        "may take precedence during imports.\n"
    )
    assert _warnings_shown(notice, "") != ""  # the check below can fail
    assert _warnings_shown(notice, filters) == ""
    assert "Installing 'x' as data is deprecated" in _warnings_shown(
        "Installing 'x' as data is deprecated", filters
    )


def test_synth_says_what_it_wrote() -> None:
    assert "-m stacks.assembly cdk.out" in make("-n", "synth", "-o", "setup")
