"""Template tests: each stage is synthesized once per session, with the context cdk.json gives
the CLI, into a temporary cloud assembly (templates, assets and cdk-nag's validation report)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_NODE_BIN = ROOT / "node_modules" / ".bin"
# jsii runs the CDK on the first Node on PATH: use the project's pinned Node 22, as `make` does.
if _NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from stacks.app import build_app  # noqa: E402
from stacks.messaging_stack import MessagingStack  # noqa: E402
from stacks.settings import STAGES, StageSettings  # noqa: E402


def cdk_json_context() -> dict[str, Any]:
    """The "context" block of cdk.json: feature flags and the default stage."""
    return dict(json.loads((ROOT / "cdk.json").read_text())["context"])


@dataclass(frozen=True)
class Synthesized:
    """One stage's synthesized app."""

    settings: StageSettings
    app: cdk.App
    stack: MessagingStack
    outdir: Path
    template_json: Mapping[str, Any]

    @cached_property
    def template(self) -> Template:
        """The template for aws_cdk.assertions, built once per stage (it is a jsii round trip)."""
        return Template.from_json(dict(self.template_json))

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack.artifact_id}.template.json"

    @property
    def validation_report(self) -> Mapping[str, Any]:
        report: Mapping[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report

    def resources(self, resource_type: str) -> dict[str, Any]:
        return {
            logical_id: resource
            for logical_id, resource in self.template_json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        """The single resource of a type, as (logical id, resource)."""
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))


@pytest.fixture(scope="session")
def synthesized_stages(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Synthesized]]:
    """Every stage, synthesized once for the whole session."""
    results: dict[str, Synthesized] = {}
    for name, settings in STAGES.items():
        outdir = tmp_path_factory.mktemp(f"cdk.out.{name}")
        app, stack = build_app(name, context=cdk_json_context(), outdir=str(outdir))
        assembly = app.synth()
        template = assembly.get_stack_artifact(stack.artifact_id).template
        results[name] = Synthesized(settings, app, stack, outdir, template)
    yield results


@pytest.fixture(params=sorted(STAGES))
def stage(
    request: pytest.FixtureRequest, synthesized_stages: dict[str, Synthesized]
) -> Synthesized:
    """Parametrizes a test over every stage."""
    return synthesized_stages[request.param]


@pytest.fixture
def dev(synthesized_stages: dict[str, Synthesized]) -> Synthesized:
    return synthesized_stages["dev"]


@pytest.fixture
def prod(synthesized_stages: dict[str, Synthesized]) -> Synthesized:
    return synthesized_stages["prod"]


@pytest.fixture
def local(synthesized_stages: dict[str, Synthesized]) -> Synthesized:
    return synthesized_stages["local"]
