"""One stack per stage: composes the table, the network, the stream processor and its alarms."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from stacks.monitoring import Monitoring
from stacks.network import AVAILABILITY_ZONES, Network
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
        cdk.Tags.of(self).add("project", "cruddur-messages")
        cdk.Tags.of(self).add("stage", settings.name)

        self.table = MessagesTable(self, "Table", settings=settings)
        self.network = Network(self, "Network", table_arn=self.table.table.table_arn)
        self.stream_processor = StreamProcessor(
            self,
            "StreamProcessor",
            settings=settings,
            table=self.table.table,
            index_arn=self.table.index_arn,
            vpc=self.network.vpc,
            subnets=self.network.isolated_subnets,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            settings=settings,
            function=self.stream_processor.function,
            failure_queue=self.stream_processor.failure_queue,
        )

    @property
    def availability_zones(self) -> list[str]:
        # Resolved by CloudFormation (Fn::GetAZs) at deploy time, so synth never looks up AZs
        # in the account, even when the environment is concrete.
        return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(AVAILABILITY_ZONES)]
