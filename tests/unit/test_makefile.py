"""The Makefile's PORT and clean: what `make` would run, and what clean says it removes."""

from __future__ import annotations

import shutil
import subprocess
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
    assert f"-m local.demo {extra}--port '8123'" in dry
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
