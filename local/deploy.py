"""Deploy the `local` stage into the local cloud with the real CDK CLI, as production is deployed.

    python -m local.deploy [--port 8000]

`cdk bootstrap aws://<account>/us-east-1` then `cdk deploy -c stage=local`, both with
AWS_ENDPOINT_URL pointing at the endpoint and dummy credentials. The account is whatever the
endpoint's STS says (moto's default), never one written in this repository. Both commands are
idempotent: deploying again into the same endpoint reports "no changes", and a changed function
code is hot-swapped (moto cannot update a stack; see docs/local-cloud.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from local import cloud
from local.alarms.install import install_stack_alarms

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
STAGE: Final = "local"
BOOTSTRAP_STACK: Final = "CDKToolkit"
# Its own assembly directory, so a deploy never races `make synth` over cdk.out/ (the CLI
# locks it), nor a local cloud on another port over its own.
DEFAULT_OUTPUT_PREFIX: Final = "cdk.out.local"
_TAIL_LINES: Final = 40


class DeployError(RuntimeError):
    """A CDK command failed; the message carries the end of its output."""


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """Physical names of what the local stage deployed, read back from CloudFormation."""

    stack_name: str
    table_name: str
    function_name: str
    failure_bucket: str | None  # the mapping's S3 on-failure destination


def cdk_executable(project_root: Path = PROJECT_ROOT) -> str:
    """The project's pinned CDK CLI (node_modules/.bin/cdk), not whatever is on PATH."""
    local_cli = project_root / "node_modules" / ".bin" / "cdk"
    if local_cli.exists():
        return str(local_cli)
    raise DeployError(f"the CDK CLI is not installed at {local_cli}: run `make setup` first")


def default_output(endpoint: str, project_root: Path = PROJECT_ROOT) -> Path:
    """cdk.out.local-<port>: one assembly (and one CLI lock) per local cloud."""
    port = urlsplit(endpoint).port or cloud.DEFAULT_PORT
    return project_root / f"{DEFAULT_OUTPUT_PREFIX}-{port}"


def bootstrap_output(output_dir: Path) -> Path:
    """Where `cdk bootstrap` writes and runs, beside the app's assembly: the CLI locks its output
    directory even to bootstrap, so bootstrap and synth each get their own."""
    return output_dir.resolve().with_name(output_dir.name + "-bootstrap")


# The process groups of the CLI commands under way (bootstrap and synth run in parallel).
_RUNNING: set[int] = set()


def _kill_running() -> None:
    for group in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def _run(command: Sequence[str], env: Mapping[str, str], cwd: Path) -> str:
    # The CLI runs the app (python, and jsii's node under it) in a process group of its own, all
    # killed if this process is stopped mid-deploy: killing the CLI alone would leave the app.
    with subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        _RUNNING.add(process.pid)
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            _kill_running()
            process.wait()
            raise
        finally:
            _RUNNING.discard(process.pid)
    output = stdout + stderr
    if process.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-_TAIL_LINES:])
        raise DeployError(f"`{' '.join(command[1:3])}` failed (exit {process.returncode}):\n{tail}")
    return output


def _cli_environment(endpoint: str, project_root: Path) -> dict[str, str]:
    env = cloud.environment(endpoint)
    # Node 22 from node_modules runs the CLI and jsii under the Python CDK.
    node_bin = str(project_root / "node_modules" / ".bin")
    env["PATH"] = node_bin + ":" + env.get("PATH", "")
    env.update({"CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "true"})
    return env


def deploy(
    endpoint: str,
    *,
    project_root: Path = PROJECT_ROOT,
    output_dir: Path | None = None,
    log: Any = print,
) -> Deployment:
    """Bootstrap the endpoint's account and deploy the local stage; return what was deployed."""
    output_dir = output_dir or default_output(endpoint, project_root)
    cdk = cdk_executable(project_root)
    env = _cli_environment(endpoint, project_root)
    account = cloud.account_id(endpoint)
    started = time.monotonic()
    common = ["--no-notices", "--no-color"]
    bootstrap_dir = bootstrap_output(output_dir)
    bootstrap = [
        cdk,
        "bootstrap",
        f"aws://{account}/{cloud.REGION}",
        "--output",
        str(bootstrap_dir),
        *common,
    ]
    synth = [cdk, "synth", "--quiet", "-c", f"stage={STAGE}", "--output", str(output_dir), *common]
    # Bootstrapping talks only to the endpoint and synthesizing only to the app: run both at
    # once, then deploy the assembly already synthesized. Bootstrap runs outside the project:
    # beside cdk.json the CLI synthesizes the whole app first (5 s alone, and twice that
    # competing with the real synth), although the environment is given and the app sets no
    # bootstrap qualifier.
    shutil.rmtree(output_dir, ignore_errors=True)
    bootstrap_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(_run, bootstrap, env, bootstrap_dir),
            pool.submit(_run, synth, env, project_root),
        ]
        try:
            for job in jobs:
                job.result()
        except BaseException:  # stopped (KeyboardInterrupt) or failed: the other need not end
            _kill_running()
            raise
    log(f"bootstrapped aws://{account}/{cloud.REGION} and synthesized stage={STAGE}")
    command = [cdk, "deploy", "--all", "--app", str(output_dir), "--require-approval", "never"]
    if _application_stacks(endpoint):
        # moto cannot update a stack (UpdateStack and update change sets fail), so a redeploy
        # hot-swaps what changed in the function's code and leaves the stack as it is; an
        # unchanged app is a plain no-op.
        command.append("--hotswap")
    output = _run([*command, *common], env, project_root)
    if "non-hotswappable" in output.lower():
        log(
            "warning: infrastructure changes were not applied (the local cloud cannot update a "
            "stack): restart it to deploy them"
        )
    deployment = describe(endpoint)
    alarms = install_stack_alarms(cloud.developer(endpoint), deployment.stack_name)
    log(
        f"deployed {deployment.stack_name} in {time.monotonic() - started:.1f}s "
        f"({len(alarms)} alarms)"
    )
    return deployment


def _stack_resources(cfn: Any, stack_name: str) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {}
    paginator = cfn.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            by_type.setdefault(summary.get("ResourceType", ""), []).append(
                summary.get("PhysicalResourceId", "")
            )
    return by_type


def _application_stacks(endpoint: str) -> list[dict[str, Any]]:
    cfn = cloud.developer(endpoint)("cloudformation")
    return [
        stack
        for stack in cfn.describe_stacks()["Stacks"]
        if stack["StackName"] != BOOTSTRAP_STACK and stack["StackStatus"].endswith("_COMPLETE")
    ]


def describe(endpoint: str) -> Deployment:
    """The deployed stack's table, function and failure bucket, from its stack resources and the
    function's event source mapping (its on-failure destination).

    Stack outputs would be the usual way, but moto does not return them for a stack created
    through a change set (see docs/local-cloud.md); resources are what it reliably reports.
    """
    cfn = cloud.developer(endpoint)("cloudformation")
    stacks = _application_stacks(endpoint)
    if len(stacks) != 1:
        names = ", ".join(stack["StackName"] for stack in stacks) or "none"
        raise DeployError(f"expected one deployed application stack, found: {names}")
    name = stacks[0]["StackName"]
    resources = _stack_resources(cfn, name)

    def only(resource_type: str) -> str:
        found = resources.get(resource_type, [])
        if len(found) != 1:
            raise DeployError(f"stack {name} has {len(found)} {resource_type}, expected one")
        return found[0]

    function_name = only("AWS::Lambda::Function")
    return Deployment(
        stack_name=name,
        table_name=only("AWS::DynamoDB::Table"),
        function_name=function_name,
        failure_bucket=_failure_bucket(endpoint, function_name),
    )


def _failure_bucket(endpoint: str, function_name: str) -> str | None:
    """The bucket of the function's mapping's S3 on-failure destination (arn:aws:s3:::NAME)."""
    mappings = cloud.developer(endpoint)("lambda").list_event_source_mappings(
        FunctionName=function_name
    )["EventSourceMappings"]
    for mapping in mappings:
        arn = str(mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination", ""))
        if arn.startswith("arn:") and arn.split(":")[2] == "s3":
            return arn.rsplit(":", 1)[-1]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=str(cloud.DEFAULT_PORT))
    args = parser.parse_args(argv)
    try:
        port = cloud.parse_port(args.port)
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")
    endpoint = cloud.endpoint_url(port)
    try:
        deployment = deploy(endpoint)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # e.g. nothing listening: one line, not a traceback
        print(f"error: cannot deploy to {endpoint}: {error}", file=sys.stderr)
        return 1
    print(f"table {deployment.table_name}, function {deployment.function_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
