"""The stage's alarm topic: where every alarm's ALARM and OK go, and who is subscribed."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.nag import acknowledge

CLOUDWATCH: str = "cloudwatch.amazonaws.com"


def _from_this_accounts_alarms() -> dict[str, dict[str, str]]:
    """Confused-deputy guard: the service acts only for alarms of this account and region."""
    return {
        "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
        "ArnLike": {
            "aws:SourceArn": (
                f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:*"
            )
        },
    }


class AlarmTopic(Construct):
    """An SNS topic encrypted with its own KMS key, TLS only, e-mail subscriptions.

    Not the AWS-managed key (alias/aws/sns): CloudWatch publishes to an encrypted topic only if the
    key policy lets cloudwatch.amazonaws.com use the key, and an AWS-managed key's policy cannot be
    changed (Amazon SNS developer guide, sns-key-management.html, "Enable compatibility between
    event sources from AWS services and encrypted topics").
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        emails: Sequence[str],
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, id_)
        self.key = kms.Key(
            self,
            "Key",
            description="Cruddur messages: encrypts the alarm topic's messages",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheTopic",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=_from_this_accounts_alarms(),
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Cruddur messages alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=_from_this_accounts_alarms(),
            )
        )
        for email in emails:
            subscription = self.topic.add_subscription(subscriptions.EmailSubscription(email))
            acknowledge(
                subscription,
                "Serverless::Serverless-SNSRedrivePolicy",
                "An alarm e-mail SNS cannot deliver would go to a dead-letter queue nobody reads "
                "at night; the alarm's state stays in CloudWatch and on the dashboard, and the OK "
                "or next ALARM notification follows. No state is lost with an e-mail.",
            )
