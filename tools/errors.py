"""One clear line on stderr for every failure a user can cause or meet; never a traceback."""

from __future__ import annotations

import click
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
    WaiterError,
)


class ToolError(click.ClickException):
    """A failure the user can act on; click prints `Error: <message>` on stderr and exits 1."""

    def __init__(self, message: str) -> None:
        # One line, whatever the underlying library put in its message.
        super().__init__(" ".join(message.split()))


def table_missing(table: str, where: str) -> ToolError:
    return ToolError(
        f"table {table!r} does not exist at {where}; create it with bin/ddb/schema-load"
    )


_CREDENTIAL_CODES = frozenset(
    {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}
)


def translate(exc: Exception, *, table: str | None, where: str | None, prod: bool) -> ToolError:
    """The ToolError for a boto3/botocore exception raised while talking to `where`."""
    place = where or "the endpoint"
    if isinstance(exc, ClientError):
        return _client_error(exc, table=table, place=place)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        message = (
            "no AWS credentials found for --prod: configure them (AWS_PROFILE, `aws sso login`, "
            "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        )
    elif isinstance(exc, NoRegionError):
        message = "no AWS region configured: set AWS_REGION or a profile's region"
    elif isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        hint = (
            "check the network"
            if prod
            else "is the local cloud running? (make local; for one on another port, set "
            "AWS_ENDPOINT_URL=http://localhost:PORT)"
        )
        message = f"cannot reach {place}: {hint}"
    elif isinstance(exc, ReadTimeoutError):
        message = f"{place} did not answer in time"
    elif isinstance(exc, WaiterError):
        message = f"gave up waiting at {place}: {exc}"
    elif isinstance(exc, BotoCoreError):
        message = str(exc)
    else:
        raise TypeError(f"not an AWS error: {exc!r}")
    return ToolError(message)


def _client_error(exc: ClientError, *, table: str | None, place: str) -> ToolError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    if code == "ResourceNotFoundException" and table is not None:
        return table_missing(table, place)
    if code in _CREDENTIAL_CODES:
        return ToolError(f"AWS rejected the credentials ({code}): {message}")
    if code == "AccessDeniedException":
        return ToolError(f"access denied at {place}: {message}")
    return ToolError(f"{code} at {place}: {message}" if message else f"{code} at {place}")
