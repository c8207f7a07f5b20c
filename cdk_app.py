#!/usr/bin/env python3
"""The CDK app: `cdk synth -c stage=NAME` (dev, prod or local; default dev).

cdk-nag's AwsSolutions and Serverless packs run on every synth: a finding that is not
acknowledged (with its reason, next to the resource) fails the synth.
"""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk

from stacks.app import build_app
from stacks.settings import InvalidSettingsError, UnknownStageError

__all__ = ["build_app", "main"]


def main() -> None:
    # The CLI sets these from the profile; unset, the stack stays environment-agnostic.
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    try:
        app, _ = build_app(env=env)
    except (UnknownStageError, InvalidSettingsError) as error:
        # One line for the person who typed the stage; the CLI then says the app exited 1.
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    app.synth()


if __name__ == "__main__":
    main()
