"""The messages table: keys, GSI and stream from the one schema definition, protection per stage."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cruddur_messages import schema
from stacks.nag import acknowledge
from stacks.props import AutoScaling, TableProps

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[schema.KEY_ATTRIBUTE_TYPES[name]])


class MessagesTable(Construct):
    """The table, its GSI and (where the stage asks) target-tracking auto scaling."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        props: TableProps,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, id_)
        self.table = dynamodb.Table(
            self,
            "Resource",
            table_name=props.table_name,
            partition_key=_attribute(schema.PARTITION_KEY),
            sort_key=_attribute(schema.SORT_KEY),
            billing_mode=dynamodb.BillingMode.PROVISIONED,
            read_capacity=props.read_capacity,
            write_capacity=props.write_capacity,
            # NEW_IMAGE: the processor needs only the inserted message, never the old item.
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            # The AWS-managed key (aws/dynamodb): KMS-logged, and usable through DynamoDB by any
            # principal DynamoDB authorizes, so the role needs no kms: actions for items or stream.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=props.point_in_time_recovery
            ),
            deletion_protection=props.deletion_protection,
            removal_policy=removal_policy,
        )
        if not props.point_in_time_recovery:
            acknowledge(
                self.table,
                "AwsSolutions::AwsSolutions-DDB3",
                "This stage holds disposable development data and is destroyed with its stack; "
                "prod enables point-in-time recovery.",
            )
        self.table.add_global_secondary_index(
            index_name=schema.GSI_NAME,
            partition_key=_attribute(schema.GSI_PARTITION_KEY),
            sort_key=_attribute(schema.GSI_SORT_KEY),
            # INCLUDE exactly what is read through the index: the stream processor rebuilds a
            # participant's group row from it, and the conversation list shows it, without a
            # second read of the base table (see schema.GSI_NON_KEY_ATTRIBUTES).
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(schema.GSI_NON_KEY_ATTRIBUTES),
            read_capacity=props.gsi_read_capacity,
            write_capacity=props.gsi_write_capacity,
        )
        if props.autoscaling is not None:
            self._add_autoscaling(props.autoscaling)

    def _add_autoscaling(self, scaling: AutoScaling) -> None:
        target = scaling.target_utilization_percent
        self.table.auto_scale_read_capacity(
            min_capacity=scaling.min_read_capacity, max_capacity=scaling.max_read_capacity
        ).scale_on_utilization(target_utilization_percent=target)
        self.table.auto_scale_write_capacity(
            min_capacity=scaling.min_write_capacity, max_capacity=scaling.max_write_capacity
        ).scale_on_utilization(target_utilization_percent=target)
        self.table.auto_scale_global_secondary_index_read_capacity(
            schema.GSI_NAME,
            min_capacity=scaling.min_read_capacity,
            max_capacity=scaling.max_read_capacity,
        ).scale_on_utilization(target_utilization_percent=target)
        self.table.auto_scale_global_secondary_index_write_capacity(
            schema.GSI_NAME,
            min_capacity=scaling.min_write_capacity,
            max_capacity=scaling.max_write_capacity,
        ).scale_on_utilization(target_utilization_percent=target)

    @property
    def index_arn(self) -> str:
        """ARN of the GSI (the only index the processor may query)."""
        return f"{self.table.table_arn}/index/{schema.GSI_NAME}"
