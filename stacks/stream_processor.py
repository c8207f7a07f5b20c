"""The stream processor: its function, role, log group and event source mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import aws_cdk as cdk
import jsii
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cruddur_messages import schema
from stacks.nag import acknowledge
from stacks.props import LOG_RETENTION_DAYS, EventSourceProps, FunctionProps

# The asset root holds the runtime packages only (cruddur_messages, stream_processor).
LAMBDA_SRC: Final = Path(__file__).resolve().parent.parent / "lambda_src"
HANDLER: Final = "stream_processor.handler.handler"
# Build and test by-products never ship, so the asset hash depends on the source alone and is
# the same on every machine.
ASSET_EXCLUDES: Final[tuple[str, ...]] = (
    "**/__pycache__",
    "**/*.pyc",
    "**/*.pyo",
    "**/*.egg-info",
    "**/tests",
    "**/test_*.py",
    "**/conftest.py",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/.ruff_cache",
    "**/.hypothesis",
    "**/.DS_Store",
)
RUNTIME: Final = lambda_.Runtime.PYTHON_3_14
# The actions a function in a VPC needs to manage its ENIs (what AWSLambdaVPCAccessExecutionRole
# grants). AWS requires Resource "*": the ENIs do not exist before Lambda creates them, and the
# Describe* actions have no resource-level permissions.
ENI_ACTIONS: Final = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
STREAM_READ_ACTIONS: Final = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)
# The processor replaces a group row by putting the new row and deleting the old one.
GROUP_ROW_WRITE_ACTIONS: Final = ("dynamodb:PutItem", "dynamodb:DeleteItem")
GROUP_ROW_LEADING_KEYS: Final = f"{schema.GROUP_PREFIX}*"
# What Lambda needs for an S3 on-failure destination, no more: s3:PutObject and s3:ListBucket
# (Lambda developer guide, "Retain discarded records for a DynamoDB event source in Lambda",
# services-dynamodb-errors.html).
FAILURE_BUCKET_ACTIONS: Final = ("s3:PutObject", "s3:ListBucket")
# 1, explicitly: at higher factors Lambda processes a shard's batches concurrently and keeps
# order per item (partition key) only, not per conversation: a conversation's messages are
# separate items, and its group rows would be written from two batches at once.
PARALLELIZATION_FACTOR: Final = 1


def message_insert_filter() -> dict[str, str]:
    """The mapping's one FilterCriteria filter: the schema's pattern, serialized as Lambda takes
    it (compact, like the CDK's FilterCriteria.filter)."""
    pattern = schema.message_insert_filter_pattern()
    return {"pattern": json.dumps(pattern, separators=(",", ":"))}


@jsii.implements(lambda_.IEventSourceDlq)
class _OnFailureBucket:
    """On-failure destination without S3OnFailureDestination's grantReadWrite (a separate policy
    with s3:GetObject*, DeleteObject*...): the role already holds the two documented actions."""

    def __init__(self, bucket: s3.IBucket) -> None:
        self._bucket = bucket

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self._bucket.bucket_arn)


class StreamProcessor(Construct):
    """Keeps both participants' group rows current as messages are inserted."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        event_source: EventSourceProps,
        function: FunctionProps,
        removal_policy: cdk.RemovalPolicy,
        failure_bucket: s3.IBucket,
        table: dynamodb.ITable,
        index_arn: str,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
    ) -> None:
        super().__init__(scope, id_)
        if table.table_stream_arn is None:
            raise ValueError("the stream processor needs a table with a stream")
        self.failure_bucket = failure_bucket

        # Explicit, so retention is a stage setting and no custom resource sets it.
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=LOG_RETENTION_DAYS[function.log_retention_days],
            removal_policy=removal_policy,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Stream processor: HTTPS egress only, to DynamoDB via the gateway endpoint",
            allow_all_outbound=False,
        )
        # The isolated subnets' only route out is the DynamoDB gateway endpoint.
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to DynamoDB through the gateway endpoint"
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Cruddur messages stream processor: least privilege",
            # Inline, not a separate policy resource: the permissions exist before the function
            # and the event source mapping are created (AWS checks them on creation).
            inline_policies={
                "StreamProcessor": iam.PolicyDocument(
                    statements=self._statements(table, index_arn, table.table_stream_arn)
                )
            },
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Cruddur messages: keeps both participants' GRP# rows current",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(LAMBDA_SRC), exclude=list(ASSET_EXCLUDES)),
            role=self.role,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            # Why these values: next to them in stacks/settings.py.
            memory_size=function.memory_mb,
            timeout=cdk.Duration.seconds(function.timeout_seconds),
            environment={
                schema.TABLE_NAME_ENV: table.table_name,
                schema.GSI_NAME_ENV: schema.GSI_NAME,
            },
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
        )
        self.event_source_mapping = lambda_.EventSourceMapping(
            self,
            "EventSourceMapping",
            target=self.function,
            event_source_arn=table.table_stream_arn,
            starting_position=event_source.starting_position,
            batch_size=event_source.batch_size,
            max_batching_window=cdk.Duration.seconds(event_source.max_batching_window_seconds),
            parallelization_factor=PARALLELIZATION_FACTOR,
            filters=[message_insert_filter()],
            report_batch_item_failures=True,
            # Bisect splits a batch only on a function error (a crash isolates its record); a
            # partial batch response retries just the records from the lowest reported one
            # (services-ddb-batchfailurereporting.html), so a throttled batch is never split:
            # the handler's budget answers in time with what it could not finish.
            bisect_batch_on_error=True,
            retry_attempts=event_source.retry_attempts,
            max_record_age=cdk.Duration.seconds(event_source.max_record_age_seconds),
            on_failure=_OnFailureBucket(failure_bucket),
            # PolledEventCount, FilteredOutEventCount, FailedInvokeEventCount, DroppedEventCount,
            # OnFailureDestinationDeliveredEventCount...: what the alarms and dashboard watch.
            metrics_config=lambda_.MetricsConfig(metrics=[lambda_.MetricType.EVENT_COUNT]),
        )
        self._acknowledge_findings()

    def _acknowledge_findings(self) -> None:
        star_reason = (
            'Resource "*" only where AWS requires it: dynamodb:ListStreams and the VPC ENI '
            "actions (ec2:CreateNetworkInterface, Describe*...) have no resource-level "
            "permissions. Every other statement names its table, index, stream, log group or "
            "bucket."
        )
        acknowledge(self.role, "AwsSolutions::AwsSolutions-IAM5[Resource::*]", star_reason)
        acknowledge(self.role, "Serverless::Serverless-LambdaStarPermissions", star_reason)
        stack = cdk.Stack.of(self)
        bucket_resource = self.failure_bucket.node.default_child
        assert isinstance(bucket_resource, cdk.CfnElement)
        bucket_id = stack.resolve(stack.get_logical_id(bucket_resource))
        acknowledge(
            self.role,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]",
            "s3:PutObject on the failure bucket's objects: Lambda names each failure record "
            "itself (aws/lambda/<mapping UUID>/<shard>/<date>/...), so no narrower ARN exists; "
            "the bucket is this stack's own, and s3:ResourceAccount pins it to this account.",
        )
        acknowledge(
            self.function,
            "Serverless::Serverless-LambdaDLQ",
            "A function DLQ applies to asynchronous invocations only; the event source mapping "
            "invokes this function synchronously, and its on-failure destination (the failure "
            "bucket) keeps the records that could not be processed, whole.",
        )
        acknowledge(
            self.function,
            "Serverless::Serverless-LambdaTracing",
            "One hop (stream to function to DynamoDB) with structured JSON logs and alarms on "
            'lag, errors and throttles; active tracing would add X-Ray actions on Resource "*" '
            "to the role for little insight.",
        )

    def _statements(
        self, table: dynamodb.ITable, index_arn: str, stream_arn: str
    ) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="QueryTheGroupIndex", actions=["dynamodb:Query"], resources=[index_arn]
            ),
            iam.PolicyStatement(
                sid="WriteGroupRowsOnly",
                actions=list(GROUP_ROW_WRITE_ACTIONS),
                resources=[table.table_arn],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [GROUP_ROW_LEADING_KEYS]}
                },
            ),
            iam.PolicyStatement(
                sid="ReadTheTableStream", actions=list(STREAM_READ_ACTIONS), resources=[stream_arn]
            ),
            # ListStreams has no resource-level permissions: AWS requires Resource "*".
            iam.PolicyStatement(
                sid="ListStreams", actions=["dynamodb:ListStreams"], resources=["*"]
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="VpcNetworkInterfaces", actions=list(ENI_ACTIONS), resources=["*"]
            ),
            iam.PolicyStatement(
                sid="WriteFailureRecords",
                actions=list(FAILURE_BUCKET_ACTIONS),
                resources=[
                    self.failure_bucket.bucket_arn,
                    self.failure_bucket.arn_for_objects("*"),
                ],
                # As the guide advises: never a bucket of another account, should this one be
                # deleted and its name taken.
                conditions={"StringEquals": {"s3:ResourceAccount": cdk.Aws.ACCOUNT_ID}},
            ),
        ]
