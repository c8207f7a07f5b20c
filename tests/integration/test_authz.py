"""Authorization on the real local endpoint with the real policy engine (a Node process): a role,
its policies, a function in a VPC whose route table sends DynamoDB to a gateway endpoint, all
created over HTTP with the development credentials, then calls signed with the role's session.

The policy below has the shape of the stream processor's (stacks/stream_processor.py); the
deployed one itself is exercised in tests/e2e/test_authz_deployed.py.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cruddur_messages import schema
from local import authz, cloud
from local.authz.engine import SCRIPT, EngineUnavailable, PolicyEngine

REGION = cloud.REGION
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class World:
    endpoint: str
    account: str
    table: str
    table_arn: str
    function: str
    role: str
    endpoint_id: str
    bucket: str

    def client(self, service: str, credentials: Mapping[str, str]) -> Any:
        return cloud.Clients(self.endpoint, credentials, identity="a role's session")(service)


def processor_policy(table_arn: str, *, write_actions: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "QueryTheGroupIndex",
                "Effect": "Allow",
                "Action": "dynamodb:Query",
                "Resource": f"{table_arn}/index/{schema.GSI_NAME}",
            },
            {
                "Sid": "WriteGroupRowsOnly",
                "Effect": "Allow",
                "Action": write_actions,
                "Resource": table_arn,
                "Condition": {
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{schema.GROUP_PREFIX}*"]}
                },
            },
            {
                "Sid": "ReadTheTableStream",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                "Resource": f"{table_arn}/stream/*",
            },
        ],
    }


def endpoint_policy(table_arn: str, account: str, actions: list[str]) -> dict[str, Any]:
    # As the CDK writes AnyPrincipal: {"AWS": "*"}.
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": actions,
                "Resource": [table_arn, f"{table_arn}/index/*"],
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
            }
        ],
    }


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def world(moto_endpoint: str) -> Iterator[World]:
    suffix = uuid.uuid4().hex[:8]
    account = cloud.account_id(moto_endpoint)
    ddb = cloud.developer(moto_endpoint)("dynamodb")
    table = f"authz-{suffix}"
    ddb.create_table(**schema.create_table_kwargs(table))
    table_arn = f"arn:aws:dynamodb:{REGION}:{account}:table/{table}"
    iam = cloud.developer(moto_endpoint)("iam")
    role = iam.create_role(
        RoleName=f"processor-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    role_name, role_arn = role["Role"]["RoleName"], role["Role"]["Arn"]
    policy = processor_policy(table_arn, write_actions=["dynamodb:PutItem", "dynamodb:DeleteItem"])
    iam.put_role_policy(
        RoleName=role_name, PolicyName="StreamProcessor", PolicyDocument=json.dumps(policy)
    )
    ec2 = cloud.developer(moto_endpoint)("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    route_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=route_table, SubnetId=subnet)
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.dynamodb",
        VpcEndpointType="Gateway",
        RouteTableIds=[route_table],
        PolicyDocument=json.dumps(
            endpoint_policy(
                table_arn, account, ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"]
            )
        ),
    )["VpcEndpoint"]["VpcEndpointId"]
    function = f"processor-{suffix}"
    cloud.developer(moto_endpoint)("lambda").create_function(
        FunctionName=function,
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": []},
    )
    bucket = f"failures-{suffix}"
    cloud.developer(moto_endpoint)("s3").create_bucket(Bucket=bucket)
    yield World(moto_endpoint, account, table, table_arn, function, role_arn, endpoint_id, bucket)
    ddb.delete_table(TableName=table)


def _denial(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def group_row(owner: str) -> dict[str, Any]:
    return {
        schema.PARTITION_KEY: {"S": f"{schema.GROUP_PREFIX}{owner}"},
        schema.SORT_KEY: {"S": "2024-01-01T00:00:00.000000+00:00"},
        schema.GSI_PARTITION_KEY: {"S": "group-1"},
    }


def test_the_processors_calls_on_group_rows_are_allowed(world: World) -> None:
    ddb = world.client(
        "dynamodb", authz.function_credentials(cloud.developer(world.endpoint), world.function)
    )
    ddb.put_item(TableName=world.table, Item=group_row("u1"))
    rows = ddb.query(
        TableName=world.table,
        IndexName=schema.GSI_NAME,
        KeyConditionExpression="#g = :g",
        ExpressionAttributeNames={"#g": schema.GSI_PARTITION_KEY},
        ExpressionAttributeValues={":g": {"S": "group-1"}},
    )["Items"]
    assert len(rows) == 1
    key = {name: group_row("u1")[name] for name in (schema.PARTITION_KEY, schema.SORT_KEY)}
    ddb.delete_item(TableName=world.table, Key=key)


def test_a_message_item_is_denied_by_the_leading_keys_condition(world: World) -> None:
    ddb = world.client(
        "dynamodb", authz.function_credentials(cloud.developer(world.endpoint), world.function)
    )
    before = authz.AUDIT.denied
    item = {schema.PARTITION_KEY: {"S": f"{schema.MESSAGE_PREFIX}g"}, schema.SORT_KEY: {"S": "1"}}
    with pytest.raises(ClientError) as error:
        ddb.put_item(TableName=world.table, Item=item)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert _denial(error) == (
        "AccessDeniedException",
        f"User: arn:aws:sts::{world.account}:assumed-role/{world.role.rsplit('/', 1)[1]}/"
        f"{world.function} is not authorized to perform: dynamodb:PutItem on resource: "
        f"{world.table_arn} because no identity-based policy allows the dynamodb:PutItem action",
    )
    assert authz.AUDIT.denied == before + 1
    # Nothing was written: the denial comes before moto serves the request.
    scan = cloud.developer(world.endpoint)("dynamodb").scan(TableName=world.table)
    assert all(
        i[schema.PARTITION_KEY]["S"] != item[schema.PARTITION_KEY]["S"] for i in scan["Items"]
    )


def test_a_policy_without_delete_item_denies_the_delete(world: World) -> None:
    iam = cloud.developer(world.endpoint)("iam")
    role_name = world.role.rsplit("/", 1)[1]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="StreamProcessor",
        PolicyDocument=json.dumps(
            processor_policy(world.table_arn, write_actions=["dynamodb:PutItem"])
        ),
    )
    try:
        ddb = world.client(
            "dynamodb", authz.function_credentials(cloud.developer(world.endpoint), world.function)
        )
        ddb.put_item(TableName=world.table, Item=group_row("u2"))
        key = {name: group_row("u2")[name] for name in (schema.PARTITION_KEY, schema.SORT_KEY)}
        with pytest.raises(ClientError) as error:
            ddb.delete_item(TableName=world.table, Key=key)
        code, message = _denial(error)
        assert code == "AccessDeniedException"
        assert message.endswith(
            "because no identity-based policy allows the dynamodb:DeleteItem action"
        )
    finally:
        policy = processor_policy(
            world.table_arn, write_actions=["dynamodb:PutItem", "dynamodb:DeleteItem"]
        )
        iam.put_role_policy(
            RoleName=role_name, PolicyName="StreamProcessor", PolicyDocument=json.dumps(policy)
        )


def test_an_endpoint_policy_admitting_only_query_denies_the_put(world: World) -> None:
    ec2 = cloud.developer(world.endpoint)("ec2")
    only_query = endpoint_policy(world.table_arn, world.account, ["dynamodb:Query"])
    ec2.modify_vpc_endpoint(VpcEndpointId=world.endpoint_id, PolicyDocument=json.dumps(only_query))
    try:
        ddb = world.client(
            "dynamodb", authz.function_credentials(cloud.developer(world.endpoint), world.function)
        )
        with pytest.raises(ClientError) as error:
            ddb.put_item(TableName=world.table, Item=group_row("u3"))
        assert _denial(error)[1].endswith(
            "because no VPC endpoint policy allows the dynamodb:PutItem action"
        )
        # The pump's session is outside the VPC: the endpoint policy does not apply to it.
        outside = world.client(
            "dynamodb", authz.mapping_credentials(cloud.developer(world.endpoint), world.function)
        )
        outside.put_item(TableName=world.table, Item=group_row("u3"))
    finally:
        allowed = endpoint_policy(
            world.table_arn,
            world.account,
            ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"],
        )
        ec2.modify_vpc_endpoint(VpcEndpointId=world.endpoint_id, PolicyDocument=json.dumps(allowed))


def test_stream_reads_are_authorized_against_the_role(world: World) -> None:
    streams = world.client(
        "dynamodbstreams",
        authz.mapping_credentials(cloud.developer(world.endpoint), world.function),
    )
    stream_arn = cloud.developer(world.endpoint)("dynamodb").describe_table(TableName=world.table)[
        "Table"
    ]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    streams.get_records(ShardIterator=iterator)
    with pytest.raises(ClientError) as error:  # the role lacks ListStreams
        streams.list_streams()
    assert _denial(error)[0] == "AccessDeniedException"


def test_an_s3_put_without_permission_is_denied_as_s3_denies(world: World) -> None:
    s3 = world.client(
        "s3", authz.mapping_credentials(cloud.developer(world.endpoint), world.function)
    )
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket=world.bucket, Key="batch.json", Body=b"{}")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    code, message = _denial(error)
    assert code == "AccessDenied"
    assert f"s3:PutObject on resource: arn:aws:s3:::{world.bucket}/batch.json" in message


def test_a_call_the_authorizer_does_not_model_is_refused(world: World) -> None:
    ddb = world.client(
        "dynamodb", authz.function_credentials(cloud.developer(world.endpoint), world.function)
    )
    with pytest.raises(ClientError) as error:
        ddb.create_table(**schema.create_table_kwargs(f"never-{uuid.uuid4().hex[:8]}"))
    code, message = _denial(error)
    assert code == "AccessDeniedException"
    assert "dynamodb:CreateTable" in message and "does not model" in message


def test_development_credentials_are_not_evaluated(world: World) -> None:
    before = (authz.AUDIT.authorized, authz.AUDIT.denied)
    item = {schema.PARTITION_KEY: {"S": f"{schema.MESSAGE_PREFIX}dev"}, schema.SORT_KEY: {"S": "1"}}
    cloud.developer(world.endpoint)("dynamodb").put_item(TableName=world.table, Item=item)
    assert (authz.AUDIT.authorized, authz.AUDIT.denied) == before


def test_sessions_of_roles_no_function_runs_as_are_not_evaluated(world: World) -> None:
    """As the CDK CLI's sessions of its bootstrap roles: assumed from the development
    credentials, for tooling, not for a deployed function."""
    iam = cloud.developer(world.endpoint)("iam")
    tooling = iam.create_role(
        RoleName=f"tooling-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    before = (authz.AUDIT.authorized, authz.AUDIT.denied)
    credentials = authz.assume_role_credentials(
        cloud.developer(world.endpoint), tooling, "aws-cdk-tooling"
    )
    world.client("dynamodb", credentials).describe_table(TableName=world.table)
    assert (authz.AUDIT.authorized, authz.AUDIT.denied) == before


def test_the_audit_is_one_line_with_the_first_denial(world: World) -> None:
    summary = authz.audit_summary()
    assert summary.startswith("authorization: ")
    assert "\n" not in summary
    assert "(first: User: " in summary  # the tests above were denied at least once


def test_an_engine_that_cannot_start_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"run `make setup`") as missing:
        PolicyEngine.start(node=tmp_path / "node")
    assert "\n" not in str(missing.value)


def test_an_engine_without_its_package_says_what_to_run(tmp_path: Path) -> None:
    # The script run from a directory with no node_modules: the package cannot be found.
    script = tmp_path / "engine.mjs"
    script.write_text(SCRIPT.read_text())
    with pytest.raises(EngineUnavailable, match=r"Cannot find package .* run `make setup`"):
        PolicyEngine.start(script=script)


def test_an_engine_on_the_wrong_node_says_what_to_run() -> None:
    system_node = Path("/usr/bin/node")
    if not system_node.exists():
        pytest.skip("no system Node to stand in for a wrong version")
    try:
        engine = PolicyEngine.start(node=system_node)
    except EngineUnavailable as error:
        assert "run `make setup`" in str(error)
    else:  # the system Node happens to be a 22
        engine.close()
        pytest.skip("the system Node is version 22")
