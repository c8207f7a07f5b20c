"""What the authorizer reads of the deployed state, straight from moto's backends in this
process (the endpoint serves one request at a time, so nothing changes while it reads).

- Which role an access key belongs to: moto's STS records every AssumeRole it answers.
- The role's identity policies: inline and attached (the default version), from moto's IAM.
- The partition key of a table or index, from moto's DynamoDB.
- The gateway endpoint a function's DynamoDB traffic goes through: the function's VpcConfig
  subnets -> their route tables (explicit association, else the VPC's main table) -> the
  `com.amazonaws.REGION.dynamodb` gateway endpoint attached to one of those route tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.dynamodb.models import dynamodb_backends
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

_PARTITION = "aws"


@dataclass(frozen=True)
class Session:
    """An assumed-role session, as IAM sees its principal."""

    access_key: str
    account: str
    role_arn: str
    session_name: str

    @property
    def arn(self) -> str:
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{self.account}:assumed-role/{role_name}/{self.session_name}"


@dataclass(frozen=True)
class GatewayEndpoint:
    endpoint_id: str
    vpc_id: str
    policy: dict[str, Any]


class DeployedState:
    """Reads of moto's in-process backends; sessions are cached (an access key's role never
    changes), policies are read on every call so a changed policy applies at once."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def session(self, access_key: str) -> Session | None:
        """The session of an access key if it is a session of a deployed function's execution
        role; None for any other key: the local development credentials and the sessions the
        CDK CLI assumes from them (its bootstrap roles), which are never evaluated."""
        if access_key in self._sessions:
            return self._sessions[access_key]
        if not access_key.startswith("ASIA"):  # moto's temporary keys, like AWS's
            return None
        for account in list(sts_backends):
            assumed = sts_backends[account][_PARTITION].get_assumed_role_from_access_key(access_key)
            if assumed is not None and _is_execution_role(assumed.account_id, assumed.role_arn):
                found = Session(
                    access_key, assumed.account_id, assumed.role_arn, assumed.session_name
                )
                self._sessions[access_key] = found
                return found
        return None

    def identity_policies(self, session: Session) -> list[dict[str, Any]]:
        """The role's inline and attached policies as [{name, policy}]; [] if the role is gone."""
        iam = iam_backends[session.account][_PARTITION]
        try:
            role = iam.get_role_by_arn(session.role_arn)
        except Exception:  # moto raises its own NoSuchEntity; a deleted role grants nothing
            return []
        policies = [
            {"name": name, "policy": _document(document)}
            for name, document in role.policies.items()
        ]
        for arn, managed in role.managed_policies.items():
            default = next(v for v in managed.versions if v.is_default)
            policies.append({"name": arn, "policy": _document(default.document)})
        return policies

    def partition_key(self, account: str, region: str, table: str, index: str | None) -> str | None:
        backend = dynamodb_backends[account][region]
        found = backend.tables.get(table.rsplit("/", 1)[-1])
        if found is None:
            return None
        if index is None:
            return str(found.hash_key_attr)
        for candidate in [*found.indexes, *found.global_indexes]:
            if candidate.name == index:
                hashes = [k["AttributeName"] for k in candidate.schema if k["KeyType"] == "HASH"]
                return hashes[0] if hashes else None
        return None

    def dynamodb_gateway_endpoint(self, session: Session, region: str) -> GatewayEndpoint | None:
        """The gateway endpoint a session's DynamoDB calls pass through, if the session is a
        function's execution environment (named after the function, of the function's role)
        and that function runs in a VPC whose route tables send DynamoDB to such an endpoint."""
        functions = [
            function
            for function in lambda_backends[session.account][region]._lambdas.all()
            # Session names stop at 64 characters; function names can be longer.
            if function.function_name[:64] == session.session_name
            and function.role == session.role_arn
        ]
        if not functions:  # not a function's session: outside any VPC
            return None
        vpc_config = getattr(functions[0], "_vpc_config", None) or {}
        if not vpc_config.get("SubnetIds"):
            return None
        ec2 = ec2_backends[session.account][region]
        route_tables = _route_tables_of(ec2, list(vpc_config["SubnetIds"]))
        service = f"com.amazonaws.{region}.dynamodb"
        for endpoint in ec2.vpc_end_points.values():
            gateway = (endpoint.vpc_endpoint_type or "Gateway").lower() == "gateway"
            if (
                gateway
                and endpoint.service_name == service
                and route_tables & set(endpoint.route_table_ids)
            ):
                return GatewayEndpoint(
                    endpoint.id, endpoint.vpc_id, _document(endpoint.policy_document)
                )
        return None


def _is_execution_role(account: str, role_arn: str) -> bool:
    backends = lambda_backends[account]
    return any(
        function.role == role_arn
        for region in list(backends)
        for function in backends[region]._lambdas.all()
    )


def _route_tables_of(ec2: Any, subnet_ids: list[str]) -> set[str]:
    tables: set[str] = set()
    for subnet_id in subnet_ids:
        subnet = ec2.get_subnet(subnet_id)
        # moto records API associations on the route table, CloudFormation's apart from it.
        explicit = [
            rt.id for rt in ec2.route_tables.values() if subnet_id in rt._associations.values()
        ]
        explicit += [
            association.route_table_id
            for association in ec2.subnet_associations.values()
            if association.subnet_id == subnet_id
        ]
        main = [
            rt.id
            for rt in ec2.route_tables.values()
            if rt.vpc_id == subnet.vpc_id and rt.main_association_id is not None
        ]
        tables.update(explicit or main)
    return tables


def _document(document: str | dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(document)) if isinstance(document, str) else dict(document)
