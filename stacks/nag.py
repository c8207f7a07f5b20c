"""cdk-nag acknowledgements: each one next to the resource it concerns, with its reason."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct, IConstruct

# Where CDK records Validations.of(...).acknowledge(...) in the construct tree.
ACKNOWLEDGED_RULES_METADATA = "aws:cdk:acknowledged-rules"


@dataclass(frozen=True, kw_only=True)
class Acknowledged:
    """One acknowledged cdk-nag finding on one construct."""

    path: str
    rule: str
    reason: str


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge cdk-nag finding `rule` (e.g. 'AwsSolutions::AwsSolutions-VPC7') on `scope`."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def acknowledgements(root: Construct) -> list[Acknowledged]:
    """Every acknowledgement recorded under `root`, in construct-tree order."""
    found: list[Acknowledged] = []
    for node in root.node.find_all():
        for entry in node.node.metadata:
            if entry.type != ACKNOWLEDGED_RULES_METADATA:
                continue
            for rule, reason in dict(entry.data).items():
                found.append(Acknowledged(path=node.node.path, rule=rule, reason=reason))
    return found
