"""Session credentials of a deployed role, obtained as Lambda obtains them: an AssumeRole on the
local endpoint (signed with the local development credentials), which records the new access key
against the role so that every request signed with it is authorized against the role.

    function_credentials(endpoint, function_name)   the function's own calls (the worker)
    mapping_credentials(endpoint, function_name)    the event source mapping's calls (the pump)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import boto3

from local import cloud

# The function's execution environment runs as a session named after the function; the local
# endpoint takes a session of the function's role with that name to be inside the function's VPC.
# The mapping's poller reads the stream and delivers failures from Lambda's own network.
MAPPING_SESSION_NAME: Final = "lambda-event-source-mapping"
SESSION_NAME_MAX: Final = 64  # STS's limit on RoleSessionName


def assume_role_credentials(endpoint: str, role_arn: str, session_name: str) -> Mapping[str, str]:
    """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN of a new session."""
    sts = cloud.client("sts", endpoint)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def _role_of(endpoint: str, function_name: str) -> str:
    configuration = cloud.client("lambda", endpoint).get_function_configuration(
        FunctionName=function_name
    )
    return str(configuration["Role"])


def function_credentials(endpoint: str, function_name: str) -> Mapping[str, str]:
    """The execution role's session for the function's code: its DynamoDB calls also pass the
    gateway endpoint policy of the function's VPC. Put these three variables in the worker's
    environment in place of the development credentials."""
    configuration = cloud.client("lambda", endpoint).get_function_configuration(
        FunctionName=function_name
    )
    # The session is named after the function (cut to STS's 64 characters), which is how the
    # endpoint knows the session runs inside the function's VPC (see deployed.py).
    name = str(configuration["FunctionName"])[:SESSION_NAME_MAX]
    return assume_role_credentials(endpoint, str(configuration["Role"]), name)


def mapping_credentials(endpoint: str, function_name: str) -> Mapping[str, str]:
    """The execution role's session for the event source mapping's own calls: reading the
    stream and delivering failure records (outside the VPC, as Lambda's pollers are)."""
    return assume_role_credentials(
        endpoint, _role_of(endpoint, function_name), MAPPING_SESSION_NAME
    )


def role_client(service: str, endpoint: str, credentials: Mapping[str, str]) -> Any:
    """A boto3 client for `service` on the local endpoint, signed with a role's session."""
    session: Any = boto3.session.Session(
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
        region_name=cloud.REGION,
    )
    return session.client(service, endpoint_url=endpoint)
