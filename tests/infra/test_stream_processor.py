"""The stream processor function: runtime, code asset, environment, logging and sizing."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from stage_synth import Synthesized

from cruddur_messages import schema
from stacks.stream_processor import ASSET_EXCLUDES, HANDLER, LAMBDA_SRC, RUNTIME


def _function(stage: Synthesized) -> Any:
    return stage.only("AWS::Lambda::Function")[1]["Properties"]


def _fingerprint(path: Path) -> str:
    return cdk.FileSystem.fingerprint(str(path), exclude=list(ASSET_EXCLUDES))


def test_runtime_is_the_pinned_constant(stage: Synthesized) -> None:
    """The function runs the runtime the stack pins (`RUNTIME`), whatever newer ones the
    installed aws-cdk-lib offers: a runtime change is a deliberate edit, never a dependency bump."""
    assert RUNTIME.name == "python3.14"
    assert RUNTIME.family == lambda_.RuntimeFamily.PYTHON
    assert _function(stage)["Runtime"] == RUNTIME.name


def test_architecture_is_arm64(stage: Synthesized) -> None:
    """Graviton: arm64."""
    assert _function(stage)["Architectures"] == ["arm64"]


def test_handler_points_at_a_callable_in_the_asset(stage: Synthesized) -> None:
    """The handler string names a module in lambda_src and a callable in it."""
    module_name, _, attribute = _function(stage)["Handler"].rpartition(".")
    assert (LAMBDA_SRC / Path(*module_name.split("."))).with_suffix(".py").is_file()
    assert callable(getattr(importlib.import_module(module_name), attribute))
    assert _function(stage)["Handler"] == HANDLER


def test_environment_names_table_and_index_from_the_schema(stage: Synthesized) -> None:
    """The function learns the table (by reference) and the GSI name from schema.py."""
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    assert _function(stage)["Environment"]["Variables"] == {
        schema.TABLE_NAME_ENV: {"Ref": table_id},
        schema.GSI_NAME_ENV: schema.GSI_NAME,
    }


def test_memory_and_timeout_come_from_the_stage(stage: Synthesized) -> None:
    """Memory and timeout are stage settings."""
    props = _function(stage)
    assert props["MemorySize"] == stage.settings.function.memory_mb
    assert props["Timeout"] == stage.settings.function.timeout_seconds


def test_logs_go_as_json_to_its_explicit_log_group(stage: Synthesized) -> None:
    """Native JSON logs (INFO application, WARN system) into the stack's own log group."""
    log_group_id, _ = stage.only("AWS::Logs::LogGroup")
    assert _function(stage)["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "WARN",
        "LogGroup": {"Ref": log_group_id},
    }


def test_log_group_retention_is_the_stage_setting(stage: Synthesized) -> None:
    """Retention and removal of the log group follow the stage."""
    _, log_group = stage.only("AWS::Logs::LogGroup")
    assert log_group["Properties"]["RetentionInDays"] == stage.settings.function.log_retention_days
    assert log_group["DeletionPolicy"] == ("Retain" if stage.settings.retain_data else "Delete")


def test_code_is_the_lambda_src_asset(stage: Synthesized) -> None:
    """The code's S3 key is the fingerprint of lambda_src with build by-products excluded."""
    assert _function(stage)["Code"]["S3Key"] == f"{_fingerprint(LAMBDA_SRC)}.zip"


def test_asset_hash_ignores_caches_and_tests(tmp_path: Path) -> None:
    """Caches, bytecode, egg-info and tests next to the code do not change the asset hash."""
    copy = tmp_path / "lambda_src"
    shutil.copytree(LAMBDA_SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    clean = _fingerprint(copy)
    (copy / "stream_processor" / "__pycache__").mkdir()
    (copy / "stream_processor" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0")
    (copy / "cruddur_messages.egg-info").mkdir()
    (copy / "cruddur_messages.egg-info" / "PKG-INFO").write_text("Name: x\n")
    (copy / "stream_processor" / "tests").mkdir()
    (copy / "stream_processor" / "tests" / "test_x.py").write_text("def test(): ...\n")
    (copy / ".pytest_cache").mkdir()
    assert _fingerprint(copy) == clean


def test_asset_hash_follows_the_code(tmp_path: Path) -> None:
    """A change to shipped code does change the hash (the exclusions are not too wide)."""
    copy = tmp_path / "lambda_src"
    shutil.copytree(LAMBDA_SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    before = _fingerprint(copy)
    handler = copy / "stream_processor" / "handler.py"
    handler.write_text(handler.read_text() + "\n# changed\n")
    assert _fingerprint(copy) != before


def test_asset_holds_only_runtime_packages(dev: Synthesized) -> None:
    """The staged asset has the two runtime packages and no caches, tests or CDK code."""
    key = _function(dev)["Code"]["S3Key"].removesuffix(".zip")
    staged = dev.outdir / f"asset.{key}"
    files = [path.relative_to(staged) for path in staged.rglob("*") if path.is_file()]
    assert {path.parts[0] for path in files} == {"cruddur_messages", "stream_processor"}
    assert all(path.suffix == ".py" or path.name == "py.typed" for path in files), files
    assert not any("tests" in path.parts or path.name.startswith("test_") for path in files)
