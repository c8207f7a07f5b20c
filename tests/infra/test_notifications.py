"""The alarm topic: encryption that CloudWatch can use, TLS only, subscriptions from the
committed settings (never from a flag)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from stage_synth import Synthesized, cdk_json_context

from stacks.app import build_app
from stacks.props import InvalidSettingsError
from stacks.settings import PROD

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


def _subscriptions(template: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return sorted(
        (r["Properties"]["Endpoint"], r["Properties"]["Protocol"], r["Properties"]["TopicArn"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SNS::Subscription"
    )


def test_each_committed_address_is_an_email_subscription_of_the_topic(stage: Synthesized) -> None:
    """Who is paged comes from stacks/settings.py alone, so every synth (and `make diff`)
    has the subscriptions a deploy creates."""
    topic_id, _ = stage.only("AWS::SNS::Topic")
    expected = sorted((email, "email", {"Ref": topic_id}) for email in stage.settings.alarms.emails)
    assert _subscriptions(dict(stage.template_json)) == expected


def test_prod_pages_someone(synthesized_stages: dict[str, Synthesized]) -> None:
    prod = synthesized_stages["prod"]
    assert prod.settings.alarms.subscribers_required
    assert len(prod.resources("AWS::SNS::Subscription")) == len(prod.settings.alarms.emails) >= 1
    assert synthesized_stages["dev"].resources("AWS::SNS::Subscription") == {}


def test_a_stage_that_must_page_someone_cannot_drop_its_last_address() -> None:
    """No subscriber is a reviewed choice (subscribers_required=False), never an accident."""
    with pytest.raises(InvalidSettingsError, match=r"emails is empty, but .*subscribers_required"):
        dataclasses.replace(PROD.alarms, emails=())
    unsubscribed = dataclasses.replace(PROD.alarms, emails=(), subscribers_required=False)
    assert unsubscribed.emails == ()


@pytest.mark.parametrize("value", ["ops@example.com", ["ops@example.com"], ""])
def test_alarm_email_from_the_context_is_refused(tmp_path: Path, value: object) -> None:
    """A flag a later deploy forgets would delete the subscriptions: refused, one line saying
    where the addresses go."""
    with pytest.raises(InvalidSettingsError) as raised:
        build_app("prod", context={**cdk_json_context(), "alarm_email": value})
    assert str(raised.value).startswith("-c alarm_email is not read")
    assert "alarms.emails of stage 'prod' in stacks/settings.py" in str(raised.value)
    assert list(tmp_path.rglob("*.json")) == []
