"""Authorization of the deployed role's calls on the local endpoint, as AWS applies it.

    credentials.py  the role's session credentials (AssumeRole on the local endpoint)
    requests.py     an HTTP request -> the call and the checks IAM makes for it (pure)
    dynamodb.py     DynamoDB's actions, resource ARNs and condition keys (pure)
    deployed.py     the role's policies, table keys and the VPC's gateway endpoint, from moto
    engine.py       the policy engine: one Node process running @cloud-copilot/iam-simulate
    authorizer.py   the WSGI middleware, AWS's AccessDenied answers and the audit

Entry points: `install(app)` (the server), `audit_summary()` (the demo's last line),
`audit_counts(endpoint)` (the same counters over HTTP, for tests in another process),
`function_credentials` / `function_clients` / `mapping_clients` (the worker and the pump).
"""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

from local.authz.authorizer import AUDIT_PATH, Audit, Authorizer, AuthorizingApp
from local.authz.credentials import (
    assume_role_credentials,
    function_clients,
    function_credentials,
    mapping_clients,
    mapping_credentials,
)
from local.authz.deployed import DeployedState
from local.authz.engine import EngineUnavailable, PolicyEngine

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "EngineUnavailable",
    "Running",
    "assume_role_credentials",
    "audit_counts",
    "audit_summary",
    "function_clients",
    "function_credentials",
    "mapping_clients",
    "mapping_credentials",
    "start",
]

# The audit of the endpoint running in this process (one per process, like the endpoint).
AUDIT = Audit()


class Running:
    """The engine started with an endpoint; `wrap` puts authorization in front of moto."""

    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self.authorizer = Authorizer(engine, DeployedState(), AUDIT)

    def wrap(self, app: WSGIApplication) -> AuthorizingApp:
        return AuthorizingApp(app, self.authorizer)

    def stop(self) -> None:
        self.engine.close()


def start() -> Running:
    """Start the policy engine (EngineUnavailable, one line, if it cannot) and reset the audit."""
    engine = PolicyEngine.start()
    AUDIT.reset()
    return Running(engine)


def audit_summary() -> str:
    """One line: calls authorized, calls denied, and the first denial."""
    return AUDIT.summary()


def audit_counts(endpoint: str) -> dict[str, Any]:
    """The audit of the endpoint at `endpoint`, which may run in another process:
    {"authorized": N, "denied": N, "first_denial": str | None}."""
    with urllib.request.urlopen(endpoint + AUDIT_PATH, timeout=10) as response:  # noqa: S310
        counts: dict[str, Any] = json.loads(response.read())
    return counts
