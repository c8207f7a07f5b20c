"""The function a pump delivers to, in its own execution environment (local/runtime/worker.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from cruddur_messages import schema
from local.cloud import Clients
from local.pump.mapping import TABLE_MODE_FUNCTION_NAME, MappingSettings
from local.runtime import function as function_code
from local.runtime.function import FunctionConfig
from local.runtime.worker import Credentials, ExecutionEnvironment

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
# `--table` mode runs the working tree's package as the stack deploys it
# (stacks/stream_processor.py).
TABLE_MODE_HANDLER: Final = "stream_processor.handler.handler"
_LAMBDA_SRC: Final = PROJECT_ROOT / "lambda_src"
_TABLE_MODE_TIMEOUT_S: Final = 30
_TABLE_MODE_MEMORY_MB: Final = 256
# Extracted code versions kept in the cache: the current one and a few before it.
_KEEP_VERSIONS: Final = 3


def deployed_function(
    developer: Clients,
    mapping: MappingSettings,
    state_dir: Path,
    *,
    credentials: Credentials,
    logs_client: Any,
    echo: Callable[[str], None] = print,
) -> ExecutionEnvironment:
    """The mapped function as deployed (its package fetched by the developer, found by
    CodeSha256), its logs to its group. `credentials`: the worker's (a callable is asked at each
    cold start); `logs_client`: what ships its log lines (the mapping's role, in a deployment)."""
    cache = state_dir / "functions"
    config, task_root = function_code.fetch(developer, mapping.function_arn, cache)
    _prune(cache, keep=task_root)
    return ExecutionEnvironment(
        config,
        task_root,
        endpoint=developer.endpoint,
        credentials=credentials,
        logs_client=logs_client,
        create_log_group=False,  # the stack's own (and its role may not create groups)
        echo=echo,
    )


def working_tree_function(
    developer: Clients, mapping: MappingSettings, *, echo: Callable[[str], None] = print
) -> ExecutionEnvironment:
    """The working tree's stream processor for `--table` mode (no Lambda, Logs or IAM there:
    it runs as the developer)."""
    config = FunctionConfig(
        name=TABLE_MODE_FUNCTION_NAME,
        arn=mapping.function_arn,
        handler=TABLE_MODE_HANDLER,
        environment={
            schema.TABLE_NAME_ENV: mapping.table_name,
            schema.GSI_NAME_ENV: schema.GSI_NAME,
        },
        timeout_s=_TABLE_MODE_TIMEOUT_S,
        memory_mb=_TABLE_MODE_MEMORY_MB,
        code_sha256="working-tree",
        log_format="JSON",
        log_level="INFO",
        log_group=f"/aws/lambda/{TABLE_MODE_FUNCTION_NAME}",
    )
    return ExecutionEnvironment(
        config,
        _LAMBDA_SRC,
        endpoint=developer.endpoint,
        credentials=developer.credentials,
        echo=echo,
    )


def _prune(cache: Path, *, keep: Path) -> None:
    """Remove all but the newest extracted versions, so the cache stays bounded."""
    versions = sorted(
        (entry for entry in cache.iterdir() if entry.is_dir() and entry != keep),
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    for stale in versions[_KEEP_VERSIONS - 1 :]:
        for path in sorted(stale.rglob("*"), reverse=True):
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        stale.rmdir()
