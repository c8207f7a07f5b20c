"""One construct in a bare Stack, with props chosen for what the test means: the table, the
network and the failure bucket do what their props say, whatever stage would use them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template

from stacks.context import cdk_json_context
from stacks.failure_bucket import FailureBucket
from stacks.network import ENDPOINT_ALLOWED_ACTIONS, Network
from stacks.props import AutoScaling, FailureBucketProps, NetworkProps, TableProps
from stacks.settings import DEV
from stacks.table import MessagesTable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TABLE_ARN = "arn:aws:dynamodb:us-east-1:111111111111:table/constructs-test"
SCALING = AutoScaling(
    min_read_capacity=2,
    max_read_capacity=20,
    min_write_capacity=3,
    max_write_capacity=30,
    target_utilization_percent=60,
)


def _bare_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(context=cdk_json_context(PROJECT_ROOT)), "Bare")


def _table_template(**changes: Any) -> Template:
    stack = _bare_stack()
    props: TableProps = dataclasses.replace(DEV.table, **changes)
    MessagesTable(stack, "Table", props=props, removal_policy=cdk.RemovalPolicy.RETAIN)
    return Template.from_stack(stack)


def test_a_table_without_autoscaling_has_no_scalable_targets() -> None:
    template = _table_template(autoscaling=None, read_capacity=4, write_capacity=5)

    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 5},
                    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                }
            ),
        },
    )


def test_autoscaling_bounds_the_table_and_the_index_reads_and_writes() -> None:
    template = _table_template(autoscaling=SCALING)

    targets = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    bounds = sorted(
        (
            target["Properties"]["ScalableDimension"],
            target["Properties"]["MinCapacity"],
            target["Properties"]["MaxCapacity"],
        )
        for target in targets.values()
    )
    assert bounds == [
        ("dynamodb:index:ReadCapacityUnits", 2, 20),
        ("dynamodb:index:WriteCapacityUnits", 3, 30),
        ("dynamodb:table:ReadCapacityUnits", 2, 20),
        ("dynamodb:table:WriteCapacityUnits", 3, 30),
    ]
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 4)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"TargetTrackingScalingPolicyConfiguration": Match.object_like({"TargetValue": 60})},
    )


def test_the_network_is_isolated_subnets_and_a_gateway_endpoint_for_the_given_table() -> None:
    stack = _bare_stack()
    Network(stack, "Network", props=NetworkProps(availability_zones=2), table_arn=TABLE_ARN)
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::EC2::Subnet", 2)
    for absent in ("AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"):
        template.resource_count_is(absent, 0)
    (endpoint,) = template.find_resources("AWS::EC2::VPCEndpoint").values()
    properties = endpoint["Properties"]
    assert properties["VpcEndpointType"] == "Gateway"
    (statement,) = properties["PolicyDocument"]["Statement"]
    assert statement["Resource"] == [TABLE_ARN, f"{TABLE_ARN}/index/*"]
    assert sorted(statement["Action"]) == sorted(ENDPOINT_ALLOWED_ACTIONS)


def test_the_failure_bucket_expires_records_after_its_days_and_refuses_plain_http() -> None:
    stack = _bare_stack()
    FailureBucket(
        stack,
        "Failures",
        props=FailureBucketProps(expiration_days=9),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = Template.from_stack(stack)

    template.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Delete",
            "Properties": Match.object_like(
                {
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "ExpirationInDays": 9,
                                "Id": "ExpireFailureRecords",
                                "Status": "Enabled",
                            }
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                }
            ),
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                ),
                "Version": "2012-10-17",
            }
        },
    )
