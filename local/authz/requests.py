"""From an HTTP request as the endpoint receives it to the checks IAM would make. Pure.

The signer's access key and service come from the SigV4 credential scope
(`Credential=AKID/date/region/service/aws4_request`), the operation from the X-Amz-Target
header (JSON protocols), the form's Action (query protocol) or the method and path (S3).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, unquote

from local.authz.dynamodb import (
    Check,
    PartitionKeyOf,
    UnsupportedRequest,
    dynamodb_checks,
    streams_checks,
)

_CREDENTIAL: Final = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
# STS calls no policy governs: "No permissions are required to perform this operation"
# (AWS STS API Reference, GetCallerIdentity).
_UNAUTHORIZED_STS: Final = frozenset({"GetCallerIdentity"})


@dataclass(frozen=True)
class Signer:
    access_key: str
    region: str
    service: str


@dataclass(frozen=True)
class Call:
    """What the authorizer needs of one request."""

    service: str  # dynamodb (tables), dynamodbstreams, s3, sqs, logs, sts
    operation: str  # e.g. PutItem, GetRecords, SendMessage, PutObject
    protocol: str  # json, query or rest-xml: how a denial must be written back
    json_version: str = "1.0"


def signer(headers: Mapping[str, str], query: str) -> Signer | None:
    """The access key, region and service a request was signed for; None if unsigned."""
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if match is None:
        credential = parse_qs(query).get("X-Amz-Credential", [""])[0]
        match = _CREDENTIAL.search(f"Credential={credential}")
    if match is None:
        return None
    return Signer(access_key=match[1], region=match[2], service=match[3])


def _json(body: bytes) -> dict[str, Any]:
    return dict(json.loads(body or b"{}"))


def _queue_arn(queue_url: str, region: str) -> str:
    # Queue URLs end in /ACCOUNT/NAME, on AWS and on the local endpoint alike.
    account, name = queue_url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _logs_checks(operation: str, body: Mapping[str, Any], region: str, account: str) -> list[Check]:
    group = body.get("logGroupName", "")
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    if operation in ("CreateLogStream", "PutLogEvents"):
        return [Check(f"logs:{operation}", f"{group_arn}:log-stream:{body['logStreamName']}")]
    if operation in ("CreateLogGroup", "DescribeLogStreams"):
        return [Check(f"logs:{operation}", f"{group_arn}:*" if group else "*")]
    raise UnsupportedRequest(f"logs:{operation}")


def _s3_checks(
    method: str, host: str, path: str, query: str, account: str
) -> tuple[str, list[Check]]:
    """PutObject and GetObject, path-style (localhost:PORT/bucket/key) or virtual-hosted
    (bucket.localhost:PORT/key). s3:ResourceAccount is the bucket owner's account: the local
    cloud has one account, which owns every bucket."""
    hostname = host.split(":", 1)[0]
    parts = unquote(path).lstrip("/").split("/", 1)
    if hostname.endswith(".localhost"):
        bucket, key = hostname.removesuffix(".localhost"), unquote(path).lstrip("/")
    else:
        bucket, key = parts[0], parts[1] if len(parts) > 1 else ""
    operation = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "GetObject"}.get(method)
    if not bucket or not key or operation is None or query:
        raise UnsupportedRequest(f"s3 {method} {path}{'?' + query if query else ''}")
    context = {"s3:ResourceAccount": account}
    return operation, [Check(f"s3:{operation}", f"arn:aws:s3:::{bucket}/{key}", context)]


def describe(
    signed: Signer,
    *,
    method: str,
    host: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    account: str,
    key_of: PartitionKeyOf,
) -> tuple[Call, Sequence[Check]]:
    """The call and the checks IAM makes for it; UnsupportedRequest if not modelled here.
    An empty list of checks means AWS authorizes the call without a policy."""
    region, service = signed.region, signed.service
    target = headers.get("x-amz-target", "")
    prefix, _, operation = target.partition(".")
    if service == "dynamodb" and prefix.startswith("DynamoDBStreams"):
        return Call("dynamodbstreams", operation, "json"), streams_checks(operation, _json(body))
    if service == "dynamodb":
        checks = dynamodb_checks(
            operation, _json(body), region=region, account=account, key_of=key_of
        )
        return Call(service, operation, "json"), checks
    if service == "logs":
        checks = _logs_checks(operation, _json(body), region, account)
        return Call(service, operation, "json", json_version="1.1"), checks
    if service == "sqs":
        if target:
            parameters = _json(body)
        else:
            form = parse_qs(body.decode())
            operation = form.get("Action", [""])[0]
            parameters = {"QueueUrl": form.get("QueueUrl", [""])[0]}
        protocol = "json" if target else "query"
        if operation not in ("SendMessage", "SendMessageBatch"):
            raise UnsupportedRequest(f"sqs:{operation}")
        # SendMessageBatch is authorized as sqs:SendMessage (SQS has no separate action for it).
        arn = _queue_arn(parameters["QueueUrl"], region)
        return Call(service, operation, protocol), [Check("sqs:SendMessage", arn)]
    if service == "s3":
        operation, checks = _s3_checks(method, host, path, query, account)
        return Call(service, operation, "rest-xml"), checks
    if service == "sts":
        operation = parse_qs(body.decode()).get("Action", [""])[0]
        if operation in _UNAUTHORIZED_STS:
            return Call(service, operation, "query"), []
        raise UnsupportedRequest(f"sts:{operation}")
    raise UnsupportedRequest(f"{service}:{operation or method + ' ' + path}")
