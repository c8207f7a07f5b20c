#!/usr/bin/env python3
"""The CDK app: `cdk synth -c stage=NAME` (dev, prod or local; default dev).

cdk-nag's AwsSolutions and Serverless packs run as validation plugins on every synth: a finding
that is not acknowledged (with its reason, next to the resource) fails the synth.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from stacks.messaging_stack import MessagingStack, stack_name
from stacks.settings import DEFAULT_STAGE, stage_settings

STAGE_CONTEXT_KEY = "stage"


def build_app(
    stage_name: str | None = None,
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    env: cdk.Environment | None = None,
) -> tuple[cdk.App, MessagingStack]:
    """Build the App and the stage's stack. The stage is `stage_name`, else the `stage` context
    value (`-c stage=NAME`), else dev. Unknown names raise UnknownStageError."""
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    name = stage_name or app.node.try_get_context(STAGE_CONTEXT_KEY) or DEFAULT_STAGE
    settings = stage_settings(str(name))
    stack = MessagingStack(app, stack_name(settings.name), settings=settings, env=env)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app, stack


def main() -> None:
    # The CLI sets these from the profile; unset, the stack stays environment-agnostic.
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    app, _ = build_app(env=env)
    app.synth()


if __name__ == "__main__":
    main()
