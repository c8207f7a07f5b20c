"""The deployed function: its configuration and its code package, fetched from the local cloud.

The local cloud must run what `cdk deploy` uploaded, not the working tree: a stale deploy should
behave stale, exactly as in AWS. So the package is found by the function's CodeSha256 among the
bootstrap bucket's assets (the zip whose SHA-256 Lambda recorded) and extracted once per code
version into a cache directory, the task root of the worker that runs it (local/runtime/worker.py).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from local.cloud import Clients

_BOOTSTRAP_STACK: Final = "CDKToolkit"
_COMPLETE_MARKER: Final = ".extracted"


class FunctionCodeError(RuntimeError):
    """The deployed package could not be found, verified or imported."""


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    """What Lambda knows about the function and the pump needs to run it."""

    name: str
    arn: str
    handler: str
    environment: Mapping[str, str]
    timeout_s: int
    memory_mb: int
    code_sha256: str
    runtime: str = "python3.14"
    log_format: str = "Text"
    log_level: str | None = None
    log_group: str = ""
    system_log_level: str = "INFO"

    @classmethod
    def from_api(cls, configuration: Mapping[str, Any]) -> FunctionConfig:
        logging = configuration.get("LoggingConfig") or {}
        return cls(
            name=configuration["FunctionName"],
            arn=configuration["FunctionArn"],
            handler=configuration["Handler"],
            environment=dict(configuration.get("Environment", {}).get("Variables", {})),
            timeout_s=int(configuration.get("Timeout", 3)),
            memory_mb=int(configuration.get("MemorySize", 128)),
            code_sha256=configuration["CodeSha256"],
            runtime=configuration.get("Runtime") or "python3.14",
            log_format=logging.get("LogFormat") or "Text",
            # Lambda sets the level variable only with the JSON format (it filters JSON lines).
            log_level=logging.get("ApplicationLogLevel")
            if logging.get("LogFormat") == "JSON"
            else None,
            log_group=logging.get("LogGroup") or f"/aws/lambda/{configuration['FunctionName']}",
            system_log_level=logging.get("SystemLogLevel") or "INFO",
        )


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _asset_buckets(developer: Clients) -> list[str]:
    """The bootstrap stack's buckets first (where CDK puts assets), then every other bucket."""
    cfn = developer("cloudformation")
    s3 = developer("s3")
    try:
        resources = cfn.list_stack_resources(StackName=_BOOTSTRAP_STACK)["StackResourceSummaries"]
        staging = [
            r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::S3::Bucket"
        ]
    except cfn.exceptions.ClientError:
        staging = []
    others = [b["Name"] for b in s3.list_buckets().get("Buckets", []) if b["Name"] not in staging]
    return staging + others


def download_package(developer: Clients, config: FunctionConfig) -> bytes:
    """The zip the deploy uploaded: the asset whose SHA-256 is the function's CodeSha256.

    (GetFunction's Code.Location is a presigned URL of Lambda's own bucket in AWS; moto returns a
    placeholder that it does not serve, so the asset in the bootstrap bucket is the source.)
    """
    s3 = developer("s3")
    for bucket in _asset_buckets(developer):
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith(".zip"):
                    continue
                data: bytes = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                if _sha256_b64(data) == config.code_sha256:
                    return data
    raise FunctionCodeError(
        f"no uploaded package matches {config.name}'s CodeSha256 {config.code_sha256}: "
        "was it deployed into this endpoint?"
    )


def extract(package: bytes, code_sha256: str, cache_dir: Path) -> Path:
    """Unzip once per code version into cache_dir/<sha>; later calls reuse the directory."""
    digest = base64.b64decode(code_sha256).hex()
    root = cache_dir / digest
    if (root / _COMPLETE_MARKER).exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for member in archive.namelist():
            target = (root / member).resolve()
            if not target.is_relative_to(root.resolve()):
                raise FunctionCodeError(f"package member escapes its directory: {member!r}")
        archive.extractall(root)
    (root / _COMPLETE_MARKER).touch()
    return root


def _deployed_logging_config(developer: Clients, function_name: str) -> dict[str, Any]:
    """The function's LoggingConfig as its stack deployed it (moto's Lambda API drops it), with
    its log group's Ref resolved; {} when no stack made the function."""
    cfn = developer("cloudformation")
    for stack in cfn.list_stacks().get("StackSummaries", []):
        if stack["StackStatus"].startswith("DELETE"):
            continue
        name = stack["StackName"]
        resources = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
        logical = [k for k, v in physical.items() if v == function_name]
        if not logical:
            continue
        body = cfn.get_template(StackName=name)["TemplateBody"]
        template = json.loads(body) if isinstance(body, str) else body
        resource = template.get("Resources", {}).get(logical[0], {})
        logging = dict(resource.get("Properties", {}).get("LoggingConfig") or {})
        group = logging.get("LogGroup")
        if isinstance(group, Mapping):
            logging["LogGroup"] = physical.get(str(group.get("Ref")))
        return {key: value for key, value in logging.items() if isinstance(value, str)}
    return {}


def fetch(developer: Clients, function_name: str, cache_dir: Path) -> tuple[FunctionConfig, Path]:
    """The function's configuration and its package's task root, as deployed (read by the
    developer, as Lambda's service reads its own)."""
    lambda_client = developer("lambda")
    configuration = lambda_client.get_function(FunctionName=function_name)["Configuration"]
    if "LoggingConfig" not in configuration:
        configuration = {
            **configuration,
            "LoggingConfig": _deployed_logging_config(developer, configuration["FunctionName"]),
        }
    config = FunctionConfig.from_api(configuration)
    return config, extract(download_package(developer, config), config.code_sha256, cache_dir)
