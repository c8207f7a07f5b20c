"""Benchmark: what authorization adds to each role-signed request on the local endpoint.

    python -m bench.authz_bench [--calls N]

Starts its own endpoint (with the Node policy engine) on a free port, deploys with boto3 a table,
a role with the stream processor's kind of policy (Query on the index, PutItem and DeleteItem on
GRP# rows) and a function in a VPC whose route table sends DynamoDB to a gateway endpoint, then
makes the processor's calls with the function's session. Measured:
- authorization time per call inside the endpoint (request parsed, policies read from moto, one
  engine round trip per check): the added latency, median and p99;
- the client's round trip of the same calls signed with the role and with the development
  credentials (not evaluated), for scale.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from typing import Any, Final

from bench import measure
from bench.tables import markdown_table, verdict
from cruddur_messages import schema
from local import authz, cloud, server

GOAL_MEDIAN_MS: Final = 2.0
_TRUST: Final = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _deploy(endpoint: str) -> tuple[str, str]:
    """Table, role, VPC, gateway endpoint and function; returns (table, function name)."""
    account = cloud.account_id(endpoint)
    table = "authz-bench"
    cloud.developer(endpoint)("dynamodb").create_table(**schema.create_table_kwargs(table))
    table_arn = f"arn:aws:dynamodb:{cloud.REGION}:{account}:table/{table}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "dynamodb:Query",
                "Resource": f"{table_arn}/index/{schema.GSI_NAME}",
            },
            {
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": table_arn,
                "Condition": {
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{schema.GROUP_PREFIX}*"]}
                },
            },
        ],
    }
    iam = cloud.developer(endpoint)("iam")
    role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(_TRUST))["Role"]
    iam.put_role_policy(RoleName="bench", PolicyName="p", PolicyDocument=json.dumps(policy))
    ec2 = cloud.developer(endpoint)("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    route_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=route_table, SubnetId=subnet)
    endpoint_policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": [table_arn, f"{table_arn}/index/*"],
            }
        ]
    }
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{cloud.REGION}.dynamodb",
        VpcEndpointType="Gateway",
        RouteTableIds=[route_table],
        PolicyDocument=json.dumps(endpoint_policy),
    )
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    cloud.developer(endpoint)("lambda").create_function(
        FunctionName="authz-bench",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": package.getvalue()},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": []},
    )
    return table, "authz-bench"


def _processor_calls(ddb: Any, table: str, n: int) -> Callable[[int], None]:
    def call(i: int) -> None:
        row = {
            schema.PARTITION_KEY: {"S": f"{schema.GROUP_PREFIX}user-{i % 50}"},
            schema.SORT_KEY: {"S": f"2024-01-01T00:00:{i % 60:02d}"},
            schema.GSI_PARTITION_KEY: {"S": f"group-{i % 50}"},
        }
        if i % 3 == 0:
            ddb.put_item(TableName=table, Item=row)
        elif i % 3 == 1:
            ddb.query(
                TableName=table,
                IndexName=schema.GSI_NAME,
                KeyConditionExpression="#g = :g",
                ExpressionAttributeNames={"#g": schema.GSI_PARTITION_KEY},
                ExpressionAttributeValues={":g": row[schema.GSI_PARTITION_KEY]},
            )
        else:
            key = {k: row[k] for k in (schema.PARTITION_KEY, schema.SORT_KEY)}
            ddb.delete_item(TableName=table, Key=key)

    return call


def run(calls: int = 300) -> dict[str, Any]:
    port = server.free_port()
    endpoint_server = server.start(port)
    try:
        endpoint = cloud.endpoint_url(port)
        table, function = _deploy(endpoint)
        developer = cloud.developer(endpoint)
        role_call = _processor_calls(
            authz.function_clients(developer, function)("dynamodb"), table, calls
        )
        dev_call = _processor_calls(cloud.developer(endpoint)("dynamodb"), table, calls)
        role_call(0)  # warm both clients' connections
        dev_call(0)
        authz.AUDIT.reset()
        role_times = measure.timed_calls(role_call, calls)
        authorization = list(authz.AUDIT.seconds)
        denied = authz.AUDIT.denied
        dev_times = measure.timed_calls(dev_call, calls)
    finally:
        endpoint_server.stop()
    if denied:
        raise RuntimeError(
            f"{denied} of the processor's calls were denied: {authz.audit_summary()}"
        )
    added = measure.latency_ms(authorization)
    return {
        "calls": calls,
        "checks_per_call": 1,
        "authorization_ms": added,
        "round_trip_ms": {
            "role": measure.latency_ms(role_times),
            "development": measure.latency_ms(dev_times),
        },
        "goal_median_ms": GOAL_MEDIAN_MS,
        "goal_met": added["median"] <= GOAL_MEDIAN_MS,
    }


def main(argv: list[str] | None = None) -> int:
    return measure.calls_main(argv, doc=__doc__ or "", run=run, default_calls=300)


if __name__ == "__main__":
    raise SystemExit(main())


def report(part: Mapping[str, Any]) -> list[str]:
    """This part's section of bench/README.md."""
    role, dev = part["round_trip_ms"]["role"], part["round_trip_ms"]["development"]
    added = part["authorization_ms"]
    return [
        f"{part['calls']} of the stream processor's calls (PutItem, Query on the index, "
        "DeleteItem) signed with the function's role session, each authorized against the role's "
        "policy and the VPC's gateway endpoint policy by the Node policy engine "
        "(`python -m bench.authz_bench`). Added latency is the authorization time inside the "
        f"endpoint; goal: median <= {part['goal_median_ms']} ms "
        f"({verdict(added['median'] <= part['goal_median_ms'])}).",
        "",
        *markdown_table(
            ["measure", "median (ms)", "p99 (ms)"],
            [
                ["authorization, added per call", added["median"], added["p99"]],
                ["round trip, role session", role["median"], role["p99"]],
                ["round trip, development credentials (not evaluated)", dev["median"], dev["p99"]],
            ],
        ),
    ]
