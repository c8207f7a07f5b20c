"""The alarm topic: encryption that CloudWatch can use, TLS only, subscriptions from context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stage_synth import Synthesized, cdk_json_context

from stacks.app import build_app

ALARM_SOURCE = {
    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    "ArnLike": {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":cloudwatch:",
                    {"Ref": "AWS::Region"},
                    ":",
                    {"Ref": "AWS::AccountId"},
                    ":alarm:*",
                ],
            ]
        }
    },
}


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Statement"])


def test_one_topic_encrypted_with_its_own_rotating_key(stage: Synthesized) -> None:
    """One topic per stage, encrypted with the stack's customer-managed key (not aws/sns),
    which rotates yearly and is retained with prod's data."""
    key_id, key = stage.only("AWS::KMS::Key")
    _, topic = stage.only("AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    policy = "Retain" if stage.settings.retain_data else "Delete"
    assert key["DeletionPolicy"] == policy
    # Untagged in every stage: moto cannot create a key with CloudFormation's tags.
    assert "Tags" not in key["Properties"]


def test_key_policy_lets_cloudwatch_alarms_of_this_account_use_the_key(
    stage: Synthesized,
) -> None:
    """cloudwatch.amazonaws.com may Decrypt and GenerateDataKey*, for this account's alarms
    only; the account root keeps administration (the CDK default statement)."""
    _, key = stage.only("AWS::KMS::Key")
    root, cloudwatch = _statements(key["Properties"]["KeyPolicy"])
    assert root["Action"] == "kms:*"
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == ALARM_SOURCE


def test_topic_policy_denies_publishing_without_tls_and_admits_cloudwatch(
    stage: Synthesized,
) -> None:
    """Publishing without TLS is denied; CloudWatch may publish for this account's alarms."""
    topic_id, _ = stage.only("AWS::SNS::Topic")
    _, policy = stage.only("AWS::SNS::TopicPolicy")
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    deny, allow = _statements(policy["Properties"]["PolicyDocument"])
    assert (deny["Effect"], deny["Action"], deny["Principal"]) == ("Deny", "sns:Publish", "*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert (allow["Effect"], allow["Action"]) == ("Allow", "sns:Publish")
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Condition"] == ALARM_SOURCE


def test_no_subscription_without_addresses(stage: Synthesized) -> None:
    """The stages name no address: nobody is subscribed unless the deployer says so."""
    assert stage.settings.alarms.emails == ()
    assert stage.resources("AWS::SNS::Subscription") == {}


def test_alarm_emails_from_context_subscribe_to_the_topic(tmp_path: Path) -> None:
    """`-c alarm_email=a,b` (spaces and a repeat tolerated) subscribes each address once."""
    context = {
        **cdk_json_context(),
        "alarm_email": "ops@example.com, oncall@example.org,ops@example.com",
    }
    app, stack = build_app("dev", context=context, outdir=str(tmp_path))
    template = app.synth().get_stack_artifact(stack.artifact_id).template
    topic_id = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic")
    subscriptions = sorted(
        (r["Properties"]["Endpoint"], r["Properties"]["Protocol"], r["Properties"]["TopicArn"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Subscription"
    )
    assert subscriptions == [
        ("oncall@example.org", "email", {"Ref": topic_id}),
        ("ops@example.com", "email", {"Ref": topic_id}),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ops@example", "invalid e-mail address: 'ops@example'"),
        ("ops@example.com;x@y.z", "invalid e-mail address"),
        (" , ", "names no e-mail address"),
        (["ops@example.com", 7], "must be e-mail addresses separated by commas"),
    ],
)
def test_bad_alarm_email_fails_naming_the_option(value: object, message: str) -> None:
    """A malformed `-c alarm_email` fails before anything is built, naming the option."""
    from stacks.props import InvalidSettingsError

    with pytest.raises(InvalidSettingsError, match=r"-c alarm_email") as raised:
        build_app("dev", context={**cdk_json_context(), "alarm_email": value})
    assert message in str(raised.value)
