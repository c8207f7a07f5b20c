"""Every stage synthesized in this process, with the context cdk.json gives the CLI, into a
temporary cloud assembly (templates, assets and cdk-nag's validation report). The session fixture
`synthesized_stages` (tests/conftest.py) builds them once, for the template tests (tests/infra)
and the diff guard's tests (tests/make_diff)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_NODE_BIN = ROOT / "node_modules" / ".bin"
# jsii runs the CDK on the first Node on PATH: use the project's pinned Node 22, as `make` does.
if _NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from stacks import context  # noqa: E402
from stacks.app import build_app  # noqa: E402
from stacks.messaging_stack import MessagingStack  # noqa: E402
from stacks.settings import STAGES, StageSettings  # noqa: E402


def cdk_json_context() -> dict[str, Any]:
    """The context the CLI hands this checkout's app from cdk.json."""
    return context.cdk_json_context(ROOT)


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


def synthesize_every_stage(outdirs: Path) -> dict[str, Synthesized]:
    """Every stage of the working tree, each into its own directory under `outdirs`."""
    results: dict[str, Synthesized] = {}
    for name, settings in STAGES.items():
        outdir = outdirs / f"cdk.out.{name}"
        app, stack = build_app(name, context=cdk_json_context(), outdir=str(outdir))
        assembly = app.synth()
        template = assembly.get_stack_artifact(stack.artifact_id).template
        results[name] = Synthesized(settings, app, stack, outdir, template)
    return results
