"""The VPC: isolated subnets in two AZs, no NAT, and a DynamoDB endpoint scoped to the table."""

from __future__ import annotations

from typing import Any

from .conftest import Synthesized


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
