"""Authorization of every request signed with a session of a deployed function's execution role,
before moto serves it.

The request context (aws:* keys) is what AWS puts there for these calls (IAM User Guide, "AWS
global condition context keys"):
- aws:PrincipalArn is the role's ARN (not the session's), aws:PrincipalAccount its account,
  aws:PrincipalType "AssumedRole"; aws:userid and aws:PrincipalTag are not set.
- aws:SourceVpce and aws:SourceVpc only when the call goes through a gateway endpoint: a DynamoDB
  table call (not Streams: DynamoDB Streams has no gateway endpoints) from a function's session.
- aws:SecureTransport is "true": AWS's SDKs reach AWS over TLS only, and the plain-HTTP local
  endpoint stands in for that HTTPS endpoint. "false" would make every `Bool
  aws:SecureTransport false` deny fire on traffic that in AWS is always TLS.
Requests signed with any other key (the local development credentials: tools, tests; the
sessions cdk deploy assumes from them) are served as before, unevaluated.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from local.authz.deployed import DeployedState, GatewayEndpoint, Session
from local.authz.dynamodb import Check, UnsupportedRequest
from local.authz.engine import Decision, PolicyEngine, endpoint_policy_for_engine
from local.authz.requests import Call, describe, signer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_TIMINGS_KEPT: Final = 10_000


@dataclass
class Audit:
    """Calls authorized and denied since the endpoint started, with the first denial."""

    authorized: int = 0
    denied: int = 0
    first_denial: str | None = None
    seconds: list[float] = field(default_factory=list)  # authorization time per evaluated call
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, denial: str | None, elapsed_s: float) -> None:
        with self._lock:
            if denial is None:
                self.authorized += 1
            else:
                self.denied += 1
                self.first_denial = self.first_denial or denial
            if len(self.seconds) < _TIMINGS_KEPT:
                self.seconds.append(elapsed_s)

    def reset(self) -> None:
        with self._lock:
            self.authorized, self.denied, self.first_denial = 0, 0, None
            self.seconds.clear()

    def counts(self) -> dict[str, Any]:
        with self._lock:
            return {
                "authorized": self.authorized,
                "denied": self.denied,
                "first_denial": self.first_denial,
            }

    def summary(self) -> str:
        line = f"authorization: {self.authorized} calls authorized, {self.denied} denied"
        return f"{line} (first: {self.first_denial})" if self.first_denial else line


def denial_message(session: Session, check: Check, decision: Decision) -> str:
    """AWS's wording (IAM User Guide, "Troubleshooting access denied error messages"): explicit
    denies first, then the policy type that allows nothing; the endpoint policy before the
    identity policies when both deny the same way."""
    head = (
        f"User: {session.arn} is not authorized to perform: {check.action} "
        f"on resource: {check.resource}"
    )
    if decision.error is not None:
        return f"{head} because the local policy engine could not evaluate it: {decision.error}"
    if decision.endpoint == "ExplicitlyDenied":
        return f"{head} with an explicit deny in a VPC endpoint policy"
    if decision.identity == "ExplicitlyDenied":
        return f"{head} with an explicit deny in an identity-based policy"
    if decision.endpoint is not None and decision.endpoint != "Allowed":
        return f"{head} because no VPC endpoint policy allows the {check.action} action"
    return f"{head} because no identity-based policy allows the {check.action} action"


class Authorizer:
    """Decides one request: None to serve it, or AWS's denial message."""

    def __init__(self, engine: PolicyEngine, state: DeployedState, audit: Audit) -> None:
        self.engine = engine
        self.state = state
        self.audit = audit

    def simulation(
        self, session: Session, check: Check, endpoint: GatewayEndpoint | None
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        context: dict[str, Any] = {
            "aws:PrincipalArn": session.role_arn,
            "aws:PrincipalAccount": session.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:SecureTransport": "true",
            "aws:CurrentTime": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "aws:EpochTime": str(int(now.timestamp())),
            **check.context,
        }
        if endpoint is not None:
            context["aws:SourceVpce"] = endpoint.endpoint_id
            context["aws:SourceVpc"] = endpoint.vpc_id
        simulation: dict[str, Any] = {
            "request": {
                "principal": session.arn,
                "action": check.action,
                "resource": {"resource": check.resource, "accountId": session.account},
                "contextVariables": context,
            },
            "identityPolicies": self.state.identity_policies(session),
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if endpoint is not None:
            simulation["vpcEndpointPolicies"] = [
                {
                    "name": endpoint.endpoint_id,
                    "policy": endpoint_policy_for_engine(endpoint.policy),
                }
            ]
        return simulation

    def decide(
        self, session: Session, call: Call, region: str, checks: Sequence[Check]
    ) -> str | None:
        # Only DynamoDB's table API has gateway endpoints; Streams, S3 here, SQS and Logs do not.
        through_gateway = call.service == "dynamodb"
        endpoint = (
            self.state.dynamodb_gateway_endpoint(session, region) if through_gateway else None
        )
        for check in checks:
            decision = self.engine.evaluate(self.simulation(session, check, endpoint))
            if not decision.allowed:
                return denial_message(session, check, decision)
        return None


AUDIT_PATH: Final = "/_local/authz/audit"


class AuthorizingApp:
    """WSGI middleware: evaluates role-signed requests, answers a denial as the service would.
    GET AUDIT_PATH answers the audit's counters as JSON (for a process that did not start the
    endpoint: the e2e tests)."""

    def __init__(self, app: WSGIApplication, authorizer: Authorizer) -> None:
        self._app = app
        self._authorizer = authorizer

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("PATH_INFO") == AUDIT_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(self._authorizer.audit.counts()).encode()]
        query = str(environ.get("QUERY_STRING", ""))
        signed = signer(headers, query)
        state = self._authorizer.state
        session = state.session(signed.access_key) if signed else None
        if signed is None or session is None:
            return self._app(environ, start_response)
        started = time.perf_counter()
        body = b""
        if signed.service != "s3":  # S3 bodies are objects; the checks need only method and path
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        try:
            call, checks = describe(
                signed,
                method=str(environ["REQUEST_METHOD"]),
                host=headers.get("host", ""),
                path=str(environ.get("PATH_INFO", "")),
                query=query,
                headers=headers,
                body=body,
                account=session.account,
                key_of=lambda table, index: state.partition_key(
                    session.account, signed.region, table, index
                ),
            )
            denial = self._authorizer.decide(session, call, signed.region, checks)
        except UnsupportedRequest as error:
            call = Call(signed.service, str(error), "json")
            denial = (
                f"User: {session.arn} is not authorized to perform: {error} because the local "
                "cloud does not model this call's authorization (local/authz): it refuses "
                "what it cannot evaluate"
            )
        self._authorizer.audit.record(denial, time.perf_counter() - started)
        if denial is None:
            return self._app(environ, start_response)
        return _deny(call, denial, start_response)


def _deny(call: Call, message: str, start_response: StartResponse) -> list[bytes]:
    """AccessDenied as each protocol writes it: JSON services answer 400 with
    com.amazon.coral.service#AccessDeniedException; S3 and SQS's query protocol answer 403 XML."""
    request_id = str(uuid.uuid4())
    if call.protocol == "json":
        body = json.dumps(
            {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message}
        ).encode()
        headers = [
            ("Content-Type", f"application/x-amz-json-{call.json_version}"),
            ("x-amzn-RequestId", request_id),
        ]
        if call.service == "sqs":
            headers.append(("x-amzn-query-error", "AccessDenied;Sender"))
        start_response("400 Bad Request" if call.service != "sqs" else "403 Forbidden", headers)
        return [body]
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    error = f"<Code>AccessDenied</Code><Message>{escaped}</Message>"
    if call.protocol == "query":
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        xml = f"<Error>{error}<RequestId>{request_id}</RequestId></Error>"
    start_response(
        "403 Forbidden", [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    )
    return [f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}'.encode()]
