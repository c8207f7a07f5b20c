"""The toolchain's floor for `make bench`: a bare CDK app with one DynamoDB table.

Synthesized by the same CDK CLI in the same run as the real app, so the ratio between the two shows
what cruddur-messages adds beyond `cdk synth` itself (Node start, jsii, aws-cdk-lib import).
"""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb

from cruddur_messages import schema

app = cdk.App()
stack = cdk.Stack(app, "BaselineTable")
dynamodb.Table(
    stack,
    "Table",
    partition_key=dynamodb.Attribute(name=schema.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
    sort_key=dynamodb.Attribute(name=schema.SORT_KEY, type=dynamodb.AttributeType.STRING),
    billing_mode=dynamodb.BillingMode.PROVISIONED,
)
app.synth()
