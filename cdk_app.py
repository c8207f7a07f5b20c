#!/usr/bin/env python3
"""The CDK app: `cdk synth -c stage=NAME` (dev, prod or local; default dev). Everything else
comes from the committed settings (stacks/settings.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

from stacks.app import build_app
from stacks.props import InvalidSettingsError
from stacks.settings import UnknownStageError


def main(context: Mapping[str, Any] | None = None) -> int:
    """Exit code 2 and one line for a bad stage or option. The CLI passes `-c` values in
    CDK_CONTEXT_JSON, which the jsii runtime reads once, when it starts: a caller in a process
    whose runtime has started already passes them as `context`."""
    # The CLI sets these from the profile; unset, the stack stays environment-agnostic.
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    try:
        app, _ = build_app(context=context, env=env)
    except (UnknownStageError, InvalidSettingsError) as error:  # one line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
