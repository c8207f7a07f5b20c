"""The deployed function's code, fetched from the local cloud and run in this process.

The pump must run what `cdk deploy` uploaded, not the working tree: a stale deploy should behave
stale, exactly as in AWS. So the package is found by the function's CodeSha256 among the
bootstrap bucket's assets (the zip whose SHA-256 Lambda recorded), extracted to a cache
directory, and imported with that directory first on sys.path. The working tree's copies of the
same packages (installed in editable mode) are swapped out of sys.modules for each invocation
and swapped back afterwards, and the function's configured environment is set only while its
code runs.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import io
import os
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from local import cloud

Handler = Callable[[dict[str, Any], Any], Any]

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

    @classmethod
    def from_api(cls, configuration: Mapping[str, Any]) -> FunctionConfig:
        return cls(
            name=configuration["FunctionName"],
            arn=configuration["FunctionArn"],
            handler=configuration["Handler"],
            environment=dict(configuration.get("Environment", {}).get("Variables", {})),
            timeout_s=int(configuration.get("Timeout", 3)),
            memory_mb=int(configuration.get("MemorySize", 128)),
            code_sha256=configuration["CodeSha256"],
        )


@dataclass
class LambdaContext:
    """The attributes of Lambda's Python context object that handlers commonly read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local-pump"
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed_ms = (time.monotonic() - self._started) * 1000
        return max(0, int(self.timeout_s * 1000 - elapsed_ms))


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _asset_buckets(endpoint: str) -> list[str]:
    """The bootstrap stack's buckets first (where CDK puts assets), then every other bucket."""
    cfn = cloud.client("cloudformation", endpoint)
    s3 = cloud.client("s3", endpoint)
    try:
        resources = cfn.list_stack_resources(StackName=_BOOTSTRAP_STACK)["StackResourceSummaries"]
        staging = [
            r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::S3::Bucket"
        ]
    except cfn.exceptions.ClientError:
        staging = []
    others = [b["Name"] for b in s3.list_buckets().get("Buckets", []) if b["Name"] not in staging]
    return staging + others


def download_package(endpoint: str, config: FunctionConfig) -> bytes:
    """The zip the deploy uploaded: the asset whose SHA-256 is the function's CodeSha256.

    (GetFunction's Code.Location is a presigned URL of Lambda's own bucket in AWS; moto returns a
    placeholder that it does not serve, so the asset in the bootstrap bucket is the source.)
    """
    s3 = cloud.client("s3", endpoint)
    for bucket in _asset_buckets(endpoint):
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


def _top_level_names(root: Path) -> set[str]:
    names = set()
    for entry in root.iterdir():
        if entry.is_dir() and (entry / "__init__.py").exists():
            names.add(entry.name)
        elif entry.suffix == ".py":
            names.add(entry.stem)
    return names


def _owned(name: str, top_level: set[str]) -> bool:
    return name.split(".", 1)[0] in top_level


class DeployedFunction:
    """The deployed handler as a callable `(event, context) -> response`, run in isolation."""

    def __init__(self, config: FunctionConfig, code_root: Path, endpoint: str) -> None:
        self.config = config
        self.code_root = code_root
        self._endpoint = endpoint
        self._top_level = _top_level_names(code_root)
        self._modules: dict[str, ModuleType] = {}
        module_name, _, attribute = config.handler.rpartition(".")
        if not module_name or not attribute:
            raise FunctionCodeError(f"handler must be 'module.function', got {config.handler!r}")
        with self._activated():
            try:
                module = importlib.import_module(module_name)
            except ImportError as error:
                raise FunctionCodeError(
                    f"cannot import {module_name} from the deployed package: {error}"
                ) from error
            module_file = Path(module.__file__ or "").resolve()
            if not module_file.is_relative_to(code_root.resolve()):
                raise FunctionCodeError(
                    f"{module_name} was imported from {module_file}, not {code_root}"
                )
            handler = getattr(module, attribute, None)
        if not callable(handler):
            raise FunctionCodeError(f"{config.handler} is not a callable in the deployed package")
        self._handler: Handler = handler

    @classmethod
    def fetch(cls, endpoint: str, function_name: str, cache_dir: Path) -> DeployedFunction:
        """Download, verify, extract and import the function as deployed at `endpoint`."""
        lambda_client = cloud.client("lambda", endpoint)
        configuration = lambda_client.get_function(FunctionName=function_name)["Configuration"]
        config = FunctionConfig.from_api(configuration)
        root = extract(download_package(endpoint, config), config.code_sha256, cache_dir)
        return cls(config, root, endpoint)

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.config.name,
            invoked_function_arn=self.config.arn,
            memory_limit_in_mb=self.config.memory_mb,
            timeout_s=self.config.timeout_s,
        )

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self._activated():
            return self._handler(event, context)

    def _environment(self, base: Mapping[str, str]) -> dict[str, str]:
        env = cloud.environment(self._endpoint, base=base)
        env.update(self.config.environment)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": self.config.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.config.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "_HANDLER": self.config.handler,
            }
        )
        # The endpoint wins over anything configured: the function must not reach real AWS.
        env["AWS_ENDPOINT_URL"] = self._endpoint
        return env

    @contextlib.contextmanager
    def _activated(self) -> Iterator[None]:
        """The deployed modules, sys.path entry and environment, for the duration of a call."""
        saved_environ = dict(os.environ)
        saved_path = list(sys.path)
        shadowed = {name: mod for name, mod in sys.modules.items() if _owned(name, self._top_level)}
        for name in shadowed:
            del sys.modules[name]
        sys.modules.update(self._modules)
        sys.path.insert(0, str(self.code_root))
        importlib.invalidate_caches()
        os.environ.clear()
        os.environ.update(self._environment(saved_environ))
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved_environ)
            sys.path[:] = saved_path
            self._modules = {
                name: mod for name, mod in sys.modules.items() if _owned(name, self._top_level)
            }
            for name in self._modules:
                del sys.modules[name]
            sys.modules.update(shadowed)
