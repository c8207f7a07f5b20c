"""Builds the CDK App of one stage; `cdk_app.main()` (the CLI's entry) and the tests share it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks

from stacks.context import apply_context
from stacks.messaging_stack import MessagingStack, stack_name
from stacks.settings import DEFAULT_STAGE, STAGES, StageSettings, UnknownStageError, stage_settings

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
    a `-c table_name` or `-c alarm_email` (refused: stacks/context.py) InvalidSettingsError.
    """
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    settings = stack_settings(app, stage_name)
    stack = MessagingStack(app, stack_name(settings.name), settings=settings, env=env)
    add_nag_checks(app)
    return app, stack


def stack_settings(app: cdk.App, stage_name: str | None = None) -> StageSettings:
    """The settings of the stage `build_app` picks, with the app's context overrides applied."""
    name = stage_name if stage_name is not None else app.node.try_get_context(STAGE_CONTEXT_KEY)
    if name is None:
        name = DEFAULT_STAGE
    if not str(name).strip():
        valid = ", ".join(sorted(STAGES))
        raise UnknownStageError(f"the stage is empty (-c stage=); valid stages: {valid}")
    return apply_context(stage_settings(str(name)), app.node.try_get_context)


def add_nag_checks(app: cdk.App) -> tuple[NagPack, ...]:
    """cdk-nag's AwsSolutions and Serverless packs as validation plugins: every synth checks the
    stack and fails on any finding not acknowledged with a reason."""
    checks = (AwsSolutionsChecks(app), ServerlessChecks(app))
    cdk.Validations.of(app).add_plugins(*checks)
    return checks
