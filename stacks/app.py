"""Builds the CDK App of one stage; `cdk_app.main()` (the CLI's entry) and the tests share it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from stacks.context import apply_context
from stacks.messaging_stack import MessagingStack, stack_name
from stacks.settings import DEFAULT_STAGE, STAGES, UnknownStageError, stage_settings

STAGE_CONTEXT_KEY: Final = "stage"


def build_app(
    stage_name: str | None = None,
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    env: cdk.Environment | None = None,
) -> tuple[cdk.App, MessagingStack]:
    """The App and its one stack. The stage is `stage_name`, else the `stage` context value
    (`cdk synth -c stage=NAME`), else dev; an unknown or empty name raises UnknownStageError
    (an empty `-c stage=`, from `make synth STAGE=`, is a mistake, never a request for dev), an
    invalid `-c table_name` or `-c alarm_email` InvalidSettingsError.

    cdk-nag's AwsSolutions and Serverless packs are registered as validation plugins, so every
    synth checks the stack and fails on any finding not acknowledged with a reason.
    """
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    name = stage_name if stage_name is not None else app.node.try_get_context(STAGE_CONTEXT_KEY)
    if name is None:
        name = DEFAULT_STAGE
    if not str(name).strip():
        valid = ", ".join(sorted(STAGES))
        raise UnknownStageError(f"the stage is empty (-c stage=); valid stages: {valid}")
    settings = apply_context(stage_settings(str(name)), app.node.try_get_context)
    stack = MessagingStack(app, stack_name(settings.name), settings=settings, env=env)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app, stack
