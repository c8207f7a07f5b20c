#!/usr/bin/env python3
"""The CDK app: `cdk synth -c stage=NAME` (dev, prod or local; default dev).

cdk-nag's AwsSolutions and Serverless packs run on every synth: a finding that is not
acknowledged (with its reason, next to the resource) fails the synth.
"""

from __future__ import annotations

import os

import aws_cdk as cdk

from stacks.app import build_app

__all__ = ["build_app", "main"]


def main() -> None:
    # The CLI sets these from the profile; unset, the stack stays environment-agnostic.
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    app, _ = build_app(env=env)
    app.synth()


if __name__ == "__main__":
    main()
