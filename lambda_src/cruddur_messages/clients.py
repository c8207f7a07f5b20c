"""The one region rule of the store, the ddb tools and the local cloud, and a client that keeps it.

A region comes from `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`: the
order of the AWS SDKs and CLI v2 (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html).
botocore alone reads only the last two, so `boto3.client("dynamodb")` with only `AWS_REGION` set
fails with NoRegionError; `dynamodb_client()` passes the region on. Lambda sets both variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

import boto3

REGION_VARIABLES: Final = ("AWS_REGION", "AWS_DEFAULT_REGION")


def configured_region(environ: Mapping[str, str] | None = None) -> str | None:
    """The region the environment names (the first non-blank of REGION_VARIABLES), else None:
    the profile's region is then botocore's own next step."""
    env = os.environ if environ is None else environ
    for variable in REGION_VARIABLES:
        if env.get(variable, "").strip():
            return env[variable].strip()
    return None


def dynamodb_client(**kwargs: Any) -> Any:
    """`boto3.client("dynamodb", **kwargs)` in the configured region (unless `region_name` is
    given); endpoint and credentials resolve as boto3 resolves them (AWS_ENDPOINT_URL, ...)."""
    kwargs.setdefault("region_name", configured_region())
    return boto3.client("dynamodb", **kwargs)
