"""The stream processor: its function, role, log group, event source mapping and failure queue."""

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
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cruddur_messages import schema
from stacks.nag import acknowledge
from stacks.settings import LOG_RETENTION_DAYS, StageSettings

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
FAILURE_QUEUE_RETENTION: Final = cdk.Duration.days(14)  # the SQS maximum


def message_insert_filter() -> dict[str, str]:
    """The mapping's one FilterCriteria filter: the schema's pattern, serialized as Lambda takes
    it (compact, like the CDK's FilterCriteria.filter)."""
    pattern = schema.message_insert_filter_pattern()
    return {"pattern": json.dumps(pattern, separators=(",", ":"))}


@jsii.implements(lambda_.IEventSourceDlq)
class _OnFailureQueue:
    """On-failure destination without the L2 SqsDlq's grant (which adds GetQueueAttributes and
    GetQueueUrl): the role already holds the one action needed, sqs:SendMessage."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self._queue.queue_arn)


class StreamProcessor(Construct):
    """Keeps both participants' group rows current as messages are inserted."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: StageSettings,
        table: dynamodb.ITable,
        index_arn: str,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
    ) -> None:
        super().__init__(scope, id_)
        if table.table_stream_arn is None:
            raise ValueError("the stream processor needs a table with a stream")
        removal_policy = (
            cdk.RemovalPolicy.RETAIN if settings.retain_data else cdk.RemovalPolicy.DESTROY
        )

        # Explicit, so retention is a stage setting and no custom resource sets it.
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=LOG_RETENTION_DAYS[settings.log_retention_days],
            removal_policy=removal_policy,
        )
        self.failure_queue = sqs.Queue(
            self,
            "FailureQueue",
            # SSE-SQS, not KMS: Lambda delivers failure records with the role's sqs:SendMessage
            # alone; a KMS key would also need kms:GenerateDataKey in the role (and cost).
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=FAILURE_QUEUE_RETENTION,
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
            # 256 MB: the work is a few small DynamoDB calls per conversation, but Lambda gives
            # CPU in proportion to memory, and the cold start is dominated by importing boto3;
            # twice the minimum buys a faster cold start for little cost per invocation.
            memory_size=settings.processor_memory_mb,
            # 30 s: a full batch is a few hundred single-digit-ms calls, so this is headroom for
            # throttling retries, not for work; a stuck batch is retried and bisected instead.
            timeout=cdk.Duration.seconds(settings.processor_timeout_seconds),
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
            starting_position=settings.starting_position,
            batch_size=settings.batch_size,
            max_batching_window=cdk.Duration.seconds(settings.max_batching_window_seconds),
            filters=[message_insert_filter()],
            report_batch_item_failures=True,
            bisect_batch_on_error=True,
            retry_attempts=settings.retry_attempts,
            max_record_age=cdk.Duration.seconds(settings.max_record_age_seconds),
            on_failure=_OnFailureQueue(self.failure_queue),
        )
        self._acknowledge_findings()

    def _acknowledge_findings(self) -> None:
        star_reason = (
            'Resource "*" only where AWS requires it: dynamodb:ListStreams and the VPC ENI '
            "actions (ec2:CreateNetworkInterface, Describe*...) have no resource-level "
            "permissions. Every other statement names its table, index, stream, log group or queue."
        )
        acknowledge(self.role, "AwsSolutions::AwsSolutions-IAM5[Resource::*]", star_reason)
        acknowledge(self.role, "Serverless::Serverless-LambdaStarPermissions", star_reason)
        dlq_reason = (
            "This queue is itself the dead-letter destination: the event source mapping's "
            "on-failure destination for records the processor gave up on. A queue behind it "
            "would only move the same messages again."
        )
        acknowledge(self.failure_queue, "AwsSolutions::AwsSolutions-SQS3", dlq_reason)
        acknowledge(self.failure_queue, "Serverless::Serverless-SQSRedrivePolicy", dlq_reason)
        acknowledge(
            self.function,
            "Serverless::Serverless-LambdaDLQ",
            "A function DLQ applies to asynchronous invocations only; the event source mapping "
            "invokes this function synchronously, and its on-failure destination (the failure "
            "queue) keeps the records that could not be processed.",
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
                sid="SendFailuresToQueue",
                actions=["sqs:SendMessage"],
                resources=[self.failure_queue.queue_arn],
            ),
        ]
