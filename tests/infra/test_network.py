"""The VPC: isolated subnets in two AZs, no NAT, and a DynamoDB endpoint scoped to the table."""

from __future__ import annotations

import fnmatch
from typing import Any

from aws_cdk.assertions import Match
from stage_synth import Synthesized


def _ref_id(value: dict[str, Any]) -> str:
    return str(value.get("Ref") or value["Fn::GetAtt"][0])


def test_two_isolated_subnets_in_two_azs(stage: Synthesized) -> None:
    """Two subnets, one per AZ, none mapping public IPs."""
    subnets = stage.resources("AWS::EC2::Subnet").values()
    azs = [subnet["Properties"]["AvailabilityZone"] for subnet in subnets]
    assert len(azs) == 2
    assert azs[0] != azs[1]
    assert not any(subnet["Properties"].get("MapPublicIpOnLaunch") for subnet in subnets)


def test_no_route_to_the_internet(stage: Synthesized) -> None:
    """No NAT gateway, internet gateway or route: the subnets are isolated."""
    for resource_type in (
        "AWS::EC2::NatGateway",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::Route",
    ):
        assert stage.resources(resource_type) == {}, resource_type


def test_dynamodb_gateway_endpoint_serves_both_subnets(stage: Synthesized) -> None:
    """A gateway endpoint for DynamoDB on the route tables of the isolated subnets."""
    _, endpoint = stage.only("AWS::EC2::VPCEndpoint")
    props = endpoint["Properties"]
    assert props["VpcEndpointType"] == "Gateway"
    assert props["ServiceName"]["Fn::Join"][1][-1] == ".dynamodb"
    route_tables = {_ref_id(ref) for ref in props["RouteTableIds"]}
    assert route_tables == set(stage.resources("AWS::EC2::RouteTable"))


def test_endpoint_policy_allows_only_this_table_and_its_indexes(stage: Synthesized) -> None:
    """Every endpoint policy statement is limited to the table's ARN and its index ARNs."""
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    _, endpoint = stage.only("AWS::EC2::VPCEndpoint")
    statements = endpoint["Properties"]["PolicyDocument"]["Statement"]
    assert statements
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] == [
            table_arn,
            {"Fn::Join": ["", [table_arn, "/index/*"]]},
        ]
        assert all(action.startswith("dynamodb:") for action in statement["Action"])
        assert "dynamodb:*" not in statement["Action"]


def test_function_runs_in_the_isolated_subnets_with_its_own_security_group(
    stage: Synthesized,
) -> None:
    """The function's VPC config uses both isolated subnets and a security group of its own."""
    _, function = stage.only("AWS::Lambda::Function")
    vpc_config = function["Properties"]["VpcConfig"]
    assert {_ref_id(ref) for ref in vpc_config["SubnetIds"]} == set(
        stage.resources("AWS::EC2::Subnet")
    )
    (group_ref,) = vpc_config["SecurityGroupIds"]
    group_id, _ = stage.only("AWS::EC2::SecurityGroup")
    assert _ref_id(group_ref) == group_id


def test_security_group_allows_https_egress_only(stage: Synthesized) -> None:
    """No ingress, and the only egress is HTTPS (to DynamoDB via the endpoint)."""
    _, group = stage.only("AWS::EC2::SecurityGroup")
    props = group["Properties"]
    assert "SecurityGroupIngress" not in props
    (egress,) = props["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)


# A concrete table ARN: the template's Fn::GetAtt and Fn::Join are resolved against it so that
# the endpoint policy's patterns can be matched like IAM matches them.
_TABLE_ARN = "arn:aws:dynamodb:eu-west-1:111111111111:table/cruddur-messages"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _concrete_arn(value: Any, table_id: str) -> str:
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    if value == table_arn:
        return _TABLE_ARN
    separator, parts = value["Fn::Join"]
    resolved = [_TABLE_ARN if part == table_arn else part for part in parts]
    assert separator == "" and all(isinstance(part, str) for part in resolved), value
    return "".join(resolved)


def test_endpoint_policy_admits_every_table_call_of_the_function(stage: Synthesized) -> None:
    """Each DynamoDB action the role grants on the table or its index is allowed by the
    endpoint policy on that same resource: the endpoint never blocks the function. (Stream
    reads are made by the Lambda service, not through the VPC.)"""
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    _, endpoint = stage.only("AWS::EC2::VPCEndpoint")
    _, role = stage.only("AWS::IAM::Role")
    allowed = [
        (
            set(_as_list(statement["Action"])),
            [_concrete_arn(resource, table_id) for resource in _as_list(statement["Resource"])],
        )
        for statement in endpoint["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    stream_arn = {"Fn::GetAtt": [table_id, "StreamArn"]}
    calls = [
        (action, _concrete_arn(resource, table_id))
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Resource"] not in ("*", stream_arn)
        for action in _as_list(statement["Action"])
        if action.startswith("dynamodb:")
        for resource in _as_list(statement["Resource"])
    ]
    assert {action for action, _ in calls} == {
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    }
    for action, resource in calls:
        assert any(
            action in actions and any(fnmatch.fnmatchcase(resource, p) for p in patterns)
            for actions, patterns in allowed
        ), (action, resource)


def test_endpoint_admits_only_this_accounts_principals(stage: Synthesized) -> None:
    """Credentials of another account cannot use the endpoint, even against this table."""
    stage.template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Condition": {
                                "StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    )
                ]
            }
        },
    )
