"""The deployed role and the deployed VPC's gateway endpoint, enforced on the local endpoint: the
`local` stage as `cdk deploy` created it, called with the execution role's sessions."""

from __future__ import annotations

import ast
import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cruddur_messages import schema
from local import authz, cloud, deploy


@pytest.fixture(scope="module")
def function_ddb(endpoint: str, deployment: deploy.Deployment) -> Any:
    return authz.function_clients(cloud.developer(endpoint), deployment.function_name)("dynamodb")


def _group_row(owner: str, group: str) -> dict[str, Any]:
    return {
        schema.PARTITION_KEY: {"S": f"{schema.GROUP_PREFIX}{owner}"},
        schema.SORT_KEY: {"S": "2024-01-01T00:00:00.000000+00:00"},
        schema.GSI_PARTITION_KEY: {"S": group},
    }


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in (schema.PARTITION_KEY, schema.SORT_KEY)}


def test_the_deployed_policy_allows_the_processors_calls(
    function_ddb: Any, deployment: deploy.Deployment
) -> None:
    group = str(uuid.uuid4())
    row = _group_row(str(uuid.uuid4()), group)
    function_ddb.put_item(TableName=deployment.table_name, Item=row)
    found = function_ddb.query(
        TableName=deployment.table_name,
        IndexName=schema.GSI_NAME,
        KeyConditionExpression="#g = :g",
        ExpressionAttributeNames={"#g": schema.GSI_PARTITION_KEY},
        ExpressionAttributeValues={":g": {"S": group}},
    )["Items"]
    assert len(found) == 1
    function_ddb.delete_item(TableName=deployment.table_name, Key=_key(row))


def test_the_deployed_leading_keys_condition_denies_a_message_write(
    function_ddb: Any, deployment: deploy.Deployment
) -> None:
    item = {
        schema.PARTITION_KEY: {"S": f"{schema.MESSAGE_PREFIX}{uuid.uuid4()}"},
        schema.SORT_KEY: {"S": "1"},
    }
    with pytest.raises(ClientError) as error:
        function_ddb.put_item(TableName=deployment.table_name, Item=item)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    message = error.value.response["Error"]["Message"]
    session = deployment.function_name[:64]  # STS's limit on a session name
    assert f"/{session} is not authorized to perform: dynamodb:PutItem" in message
    assert message.endswith("because no identity-based policy allows the dynamodb:PutItem action")


@pytest.fixture
def endpoint_admitting_only_query(endpoint: str) -> Iterator[None]:
    """The deployed gateway endpoint's policy narrowed to Query, restored afterwards."""
    ec2 = cloud.developer(endpoint)("ec2")
    (gateway,) = [
        e
        for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
        if e["ServiceName"].endswith(".dynamodb")
    ]
    # moto keeps the template's document as a dict and describes it as Python's repr of it.
    deployed = ast.literal_eval(gateway["PolicyDocument"])
    narrowed = copy.deepcopy(deployed)
    for statement in narrowed["Statement"]:
        statement["Action"] = ["dynamodb:Query"]
    ec2.modify_vpc_endpoint(
        VpcEndpointId=gateway["VpcEndpointId"], PolicyDocument=json.dumps(narrowed)
    )
    try:
        yield
    finally:
        ec2.modify_vpc_endpoint(
            VpcEndpointId=gateway["VpcEndpointId"], PolicyDocument=json.dumps(deployed)
        )


@pytest.mark.usefixtures("endpoint_admitting_only_query")
def test_the_functions_calls_pass_the_deployed_vpcs_gateway_endpoint(
    function_ddb: Any, deployment: deploy.Deployment
) -> None:
    """Found through the deployed chain: function VpcConfig -> subnets -> route tables -> the
    DynamoDB gateway endpoint on them."""
    row = _group_row(str(uuid.uuid4()), str(uuid.uuid4()))
    with pytest.raises(ClientError) as error:
        function_ddb.put_item(TableName=deployment.table_name, Item=row)
    assert error.value.response["Error"]["Message"].endswith(
        "because no VPC endpoint policy allows the dynamodb:PutItem action"
    )


def test_the_mappings_session_reads_the_stream_and_writes_to_the_failure_bucket(
    endpoint: str, deployment: deploy.Deployment
) -> None:
    """Each of the session's five calls is evaluated against the role, and allowed."""
    mapping = authz.mapping_clients(cloud.developer(endpoint), deployment.function_name)
    streams = mapping("dynamodbstreams")
    before = authz.audit_counts(endpoint)
    (stream,) = [
        s for s in streams.list_streams()["Streams"] if s["TableName"] == deployment.table_name
    ]
    shard = streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    streams.get_records(ShardIterator=iterator, Limit=1)
    assert deployment.failure_bucket is not None
    s3 = mapping("s3")
    key = f"probe/{uuid.uuid4()}"
    s3.put_object(Bucket=deployment.failure_bucket, Key=key, Body=b"{}")
    after = authz.audit_counts(endpoint)
    # Not a real failure record: take it back out with the development credentials.
    cloud.developer(endpoint)("s3").delete_object(Bucket=deployment.failure_bucket, Key=key)
    # At least: a worker's log lines may be shipped, by the same role, meanwhile.
    assert after["authorized"] - before["authorized"] >= 5
    assert after["denied"] == before["denied"]


def test_the_roles_log_permissions_cover_the_functions_log_streams(
    endpoint: str, deployment: deploy.Deployment
) -> None:
    """The deployed grant is the log group's CloudFormation ARN (`...:log-group:NAME:*` in AWS):
    the function's log streams are under it, and no other group's are."""
    resources = cloud.developer(endpoint)("cloudformation").list_stack_resources(
        StackName=deployment.stack_name
    )["StackResourceSummaries"]
    (group,) = [
        r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Logs::LogGroup"
    ]
    logs = authz.mapping_clients(cloud.developer(endpoint), deployment.function_name)("logs")
    stream = f"2024/01/01/[$LATEST]{uuid.uuid4().hex}"
    before = authz.audit_counts(endpoint)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": 1_700_000_000_000, "message": "probe"}],
    )
    allowed = authz.audit_counts(endpoint)
    assert allowed["authorized"] - before["authorized"] >= 2  # (and log shipping, meanwhile)
    assert allowed["denied"] == before["denied"]

    other_group = f"/aws/lambda/not-{deployment.function_name}"
    cloud.developer(endpoint)("logs").create_log_group(logGroupName=other_group)
    with pytest.raises(ClientError) as error:
        logs.create_log_stream(logGroupName=other_group, logStreamName=stream)
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert authz.audit_counts(endpoint)["denied"] == allowed["denied"] + 1
