"""Where the event source mapping keeps what the processor gave up on: an S3 bucket.

For an S3 destination Lambda writes the whole invocation record, payload included, so a record
stays replayable after the stream has trimmed it (an SQS or SNS destination gets only a pointer
into the stream). Lambda developer guide: "Retain discarded records for a DynamoDB event source
in Lambda" (services-dynamodb-errors.html).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.nag import acknowledge
from stacks.props import FailureBucketProps


class FailureBucket(Construct):
    """SSE-S3, TLS only, no public access, ACLs off, objects expire after the stage's days."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        props: FailureBucketProps,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            # SSE-S3, not KMS: with a customer key the role would also need kms:GenerateDataKey.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireFailureRecords",
                    expiration=cdk.Duration.days(props.expiration_days),
                )
            ],
            # No auto_delete_objects: it is a custom resource (a Lambda), which the local stage's
            # emulator cannot run; a dev stack's deletion fails until the bucket is emptied.
            removal_policy=removal_policy,
        )
        acknowledge(
            self.bucket,
            "AwsSolutions::AwsSolutions-S1",
            "No server access logs: the only writer is the stream processor's event source "
            "mapping (its role's S3 actions name this bucket alone), objects expire by lifecycle, "
            "and operators read them with the replay tool. A log bucket would need its own "
            "retention and policy for little insight; CloudTrail data events audit object calls "
            "where an account needs it.",
        )
