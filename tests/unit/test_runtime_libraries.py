"""The runtime-libraries directory belongs to one virtualenv: a second checkout gets its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.runtime import libraries as runtime_libraries


def _site_packages(root: Path) -> Path:
    packages = root / "site-packages"
    for name in ("boto3", "botocore", "awslambdaric"):
        (packages / name).mkdir(parents=True)
    return packages


def test_two_virtualenvs_never_share_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _site_packages(tmp_path / "a"), _site_packages(tmp_path / "b")
    cache = tmp_path / "cache"

    def links_into(packages: Path) -> Path:
        monkeypatch.setattr(
            runtime_libraries,
            "top_level_paths",
            lambda name: {packages / "boto3", packages / "botocore", packages / "awslambdaric"},
        )
        return runtime_libraries.runtime_directory(cache)

    made_for_first = links_into(first)
    made_for_second = links_into(second)

    assert made_for_first != made_for_second
    assert (made_for_second / "boto3").resolve() == second / "boto3"
    # The first checkout's own directory is reused, not rebuilt.
    assert links_into(first) == made_for_first
