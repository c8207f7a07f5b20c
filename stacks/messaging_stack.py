"""One stack per stage: composes the units and hands each construct only its own props."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from stacks.dashboard import Dashboard
from stacks.failure_bucket import FailureBucket
from stacks.monitoring import Monitoring
from stacks.network import Network
from stacks.notifications import AlarmTopic
from stacks.settings import StageSettings
from stacks.stream_processor import StreamProcessor
from stacks.table import MessagesTable


def stack_name(stage: str) -> str:
    return f"CruddurMessages-{stage}"


class MessagingStack(cdk.Stack):
    """The cruddur-messages backend of one stage."""

    def __init__(
        self, scope: Construct, id_: str, *, settings: StageSettings, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            id_,
            description=(
                f"Cruddur direct messages on DynamoDB ({settings.name}: {settings.description})"
            ),
            # No AWS::CDK::Metadata resource: the template holds the infrastructure only.
            analytics_reporting=False,
            **kwargs,
        )
        self.settings = settings
        # Not on the KMS key: moto's KMS backend cannot create a key with CloudFormation's tags
        # (it reads Key/Value as TagKey/TagValue), and every stage deploys the same template.
        untagged = ["AWS::KMS::Key"]
        cdk.Tags.of(self).add("project", "cruddur-messages", exclude_resource_types=untagged)
        cdk.Tags.of(self).add("stage", settings.name, exclude_resource_types=untagged)
        removal_policy = settings.removal_policy

        self.table = MessagesTable(
            self, "Table", props=settings.table, removal_policy=removal_policy
        )
        self.network = Network(
            self, "Network", props=settings.network, table_arn=self.table.table.table_arn
        )
        self.failure_bucket = FailureBucket(
            self, "FailureBucket", props=settings.failure_bucket, removal_policy=removal_policy
        )
        self.stream_processor = StreamProcessor(
            self,
            "StreamProcessor",
            event_source=settings.event_source,
            function=settings.function,
            removal_policy=removal_policy,
            failure_bucket=self.failure_bucket.bucket,
            table=self.table.table,
            index_arn=self.table.index_arn,
            vpc=self.network.vpc,
            subnets=self.network.isolated_subnets,
        )
        self.alarm_topic = AlarmTopic(
            self, "AlarmTopic", emails=settings.alarms.emails, removal_policy=removal_policy
        )
        mapping_id = self.stream_processor.event_source_mapping.event_source_mapping_id
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            props=settings.alarms,
            table_props=settings.table,
            topic=self.alarm_topic.topic,
            function=self.stream_processor.function,
            mapping_id=mapping_id,
            table=self.table.table,
        )
        self.dashboard = Dashboard(
            self,
            "Dashboard",
            period=self.monitoring.period,
            alarm_names=self.monitoring.alarm_names,
            function=self.stream_processor.function,
            mapping_id=mapping_id,
            table_name=self.table.table.table_name,
            failure_bucket=self.failure_bucket.bucket,
        )
        # Where the replay tool and operators find what the processor gave up on.
        cdk.CfnOutput(self, "FailureBucketName", value=self.failure_bucket.bucket.bucket_name)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic.topic_arn)

    @property
    def availability_zones(self) -> list[str]:
        # Resolved by CloudFormation (Fn::GetAZs) at deploy time, so synth never looks up AZs
        # in the account, even when the environment is concrete.
        count = self.settings.network.availability_zones
        return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(count)]
