"""The toolchain's floor for `make bench`: a bare CDK app with one DynamoDB table.

Synthesized by the same CDK CLI in the same run as the real app, so the ratio between the two shows
what cruddur-messages adds beyond `cdk synth` itself (Node start, jsii, aws-cdk-lib import).
bench.synth_breakdown builds the same table with `add_table`.
"""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb

from cruddur_messages import schema


def add_table(app: cdk.App) -> None:
    """The baseline's one stack and its one table."""
    stack = cdk.Stack(app, "BaselineTable")
    dynamodb.Table(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(
            name=schema.PARTITION_KEY, type=dynamodb.AttributeType.STRING
        ),
        sort_key=dynamodb.Attribute(name=schema.SORT_KEY, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PROVISIONED,
    )


if __name__ == "__main__":
    app = cdk.App()
    add_table(app)
    app.synth()
