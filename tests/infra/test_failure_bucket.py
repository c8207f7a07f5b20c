"""The failure bucket: where the mapping keeps, whole, what the processor gave up on."""

from __future__ import annotations

from typing import Any

from stage_synth import Synthesized


def _bucket(stage: Synthesized) -> tuple[str, dict[str, Any]]:
    return stage.only("AWS::S3::Bucket")


def test_bucket_is_encrypted_with_s3_managed_keys(stage: Synthesized) -> None:
    """SSE-S3 (AES256): no KMS key the role would need kms:GenerateDataKey on."""
    _, bucket = _bucket(stage)
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}


def test_bucket_blocks_public_access_and_acls(stage: Synthesized) -> None:
    """All four public-access blocks on, ACLs disabled (bucket owner enforced)."""
    _, bucket = _bucket(stage)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_bucket_policy_denies_requests_without_tls(stage: Synthesized) -> None:
    """The one bucket policy statement denies every request made without TLS."""
    bucket_id, _ = _bucket(stage)
    _, policy = stage.only("AWS::S3::BucketPolicy")
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Deny", "s3:*")
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_objects_expire_after_the_stage_setting(stage: Synthesized) -> None:
    """One lifecycle rule: failure records expire after the stage's days."""
    _, bucket = _bucket(stage)
    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == stage.settings.failure_bucket.expiration_days


def test_bucket_removal_follows_the_stage(stage: Synthesized) -> None:
    """prod retains the bucket; dev and local delete it (no auto-delete custom resource)."""
    _, bucket = _bucket(stage)
    policy = "Retain" if stage.settings.retain_data else "Delete"
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == (policy, policy)


def test_bucket_name_is_a_stack_output(stage: Synthesized) -> None:
    """The replay tool and operators find the bucket in the stack's outputs."""
    bucket_id, _ = _bucket(stage)
    assert stage.template_json["Outputs"]["FailureBucketName"] == {"Value": {"Ref": bucket_id}}
