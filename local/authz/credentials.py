"""Session credentials of a deployed role, obtained as Lambda obtains them: an AssumeRole on the
local endpoint (made by the developer, as Lambda's service makes it), which records the new
access key against the role so that every request signed with it is authorized against the role.

    mapping_clients(developer, function_name)       the event source mapping's calls (the pump)
    function_credentials(developer, function_name)  the function's own calls (the worker)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from local.cloud import Clients

# The function's execution environment runs as a session named after the function; the local
# endpoint takes a session of the function's role with that name to be inside the function's VPC.
# The mapping's poller reads the stream and delivers failures from Lambda's own network.
MAPPING_SESSION_NAME: Final = "lambda-event-source-mapping"
SESSION_NAME_MAX: Final = 64  # STS's limit on RoleSessionName


def assume_role_credentials(
    developer: Clients, role_arn: str, session_name: str
) -> Mapping[str, str]:
    """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN of a new session."""
    sts = developer("sts")
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def _configuration(developer: Clients, function_name: str) -> Mapping[str, str]:
    configuration = developer("lambda").get_function_configuration(FunctionName=function_name)
    return {"name": str(configuration["FunctionName"]), "role": str(configuration["Role"])}


def function_credentials(developer: Clients, function_name: str) -> Mapping[str, str]:
    """A new session of the execution role for the function's code: its DynamoDB calls also
    pass the gateway endpoint policy of the function's VPC. Put these three variables in the
    worker's environment (a cold start asks for a new session, as Lambda's does)."""
    function = _configuration(developer, function_name)
    # The session is named after the function (cut to STS's 64 characters), which is how the
    # endpoint knows the session runs inside the function's VPC (see deployed.py).
    name = function["name"][:SESSION_NAME_MAX]
    return assume_role_credentials(developer, function["role"], name)


def function_clients(developer: Clients, function_name: str) -> Clients:
    """The function's identity as a client factory (one session): for calls made as its code."""
    return Clients(
        developer.endpoint,
        function_credentials(developer, function_name),
        identity=f"function {function_name}",
    )


def mapping_credentials(developer: Clients, function_name: str) -> Mapping[str, str]:
    """The execution role's session for the event source mapping's own calls: reading the
    stream and delivering failure records (outside the VPC, as Lambda's pollers are)."""
    role = _configuration(developer, function_name)["role"]
    return assume_role_credentials(developer, role, MAPPING_SESSION_NAME)


def mapping_clients(developer: Clients, function_name: str) -> Clients:
    """The event source mapping's identity as a client factory (one session of the role)."""
    return Clients(
        developer.endpoint,
        mapping_credentials(developer, function_name),
        identity=f"{function_name}'s event source mapping",
    )
