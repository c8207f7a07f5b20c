"""The stream processor's VPC: isolated subnets, no NAT, DynamoDB through a gateway endpoint."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.nag import acknowledge
from stacks.props import NetworkProps

# Item-level data-plane actions: everything an application in this VPC may do with the table.
# Control-plane calls (CreateTable, UpdateTable...) never come from inside the VPC.
ENDPOINT_ALLOWED_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)


class Network(Construct):
    """Two isolated subnets (no route to the internet) and a DynamoDB gateway endpoint whose
    policy admits only this table and its indexes."""

    def __init__(self, scope: Construct, id_: str, *, props: NetworkProps, table_arn: str) -> None:
        super().__init__(scope, id_)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=props.availability_zones,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
            # True would add a custom resource (a Lambda) to strip the default security group;
            # the local stage deploys into an emulator that cannot run custom resources, and
            # nothing here uses the default group.
            restrict_default_security_group=False,
        )
        acknowledge(
            self.vpc,
            "AwsSolutions::AwsSolutions-VPC7",
            "No flow log: the VPC has no internet or NAT route; its only traffic is the stream "
            "processor's HTTPS to DynamoDB through the gateway endpoint, which the endpoint "
            "policy confines to this table. Flow logs would record nothing else, at a cost.",
        )
        self.isolated_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.dynamodb_endpoint = self.vpc.add_gateway_endpoint(
            "DynamoDbEndpoint",
            service=ec2.GatewayVpcEndpointAwsService.DYNAMODB,
            subnets=[self.isolated_subnets],
        )
        self.dynamodb_endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="ThisTableAndItsIndexesOnly",
                principals=[iam.AnyPrincipal()],
                actions=list(ENDPOINT_ALLOWED_ACTIONS),
                resources=[table_arn, f"{table_arn}/index/*"],
                # The resources already keep every other table out; this also keeps out
                # credentials of another account. Callers' own IAM policies still apply.
                conditions={"StringEquals": {"aws:PrincipalAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
