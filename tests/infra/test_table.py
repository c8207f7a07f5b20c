"""The messages table: keys and GSI from the one schema definition, protection per stage."""

from __future__ import annotations

from typing import Any

from stage_synth import Synthesized

from cruddur_messages import items, schema
from cruddur_messages.models import MessageGroup, User


def _table(stage: Synthesized) -> dict[str, Any]:
    return stage.only("AWS::DynamoDB::Table")[1]


def test_keys_and_gsi_equal_the_schema_definition(stage: Synthesized) -> None:
    """Key schema, attribute definitions, GSI keys and projection are what schema.py defines."""
    expected = schema.create_table_kwargs(stage.settings.table.table_name)
    props = _table(stage)["Properties"]
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(
        expected["AttributeDefinitions"], key=str
    )
    (gsi,) = props["GlobalSecondaryIndexes"]
    (expected_gsi,) = expected["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == expected_gsi["IndexName"]
    assert gsi["KeySchema"] == expected_gsi["KeySchema"]
    assert gsi["Projection"] == expected_gsi["Projection"]


def test_gsi_projects_exactly_a_group_rows_attributes(stage: Synthesized) -> None:
    """INCLUDE holds every non-key attribute of a group row (what the processor rebuilds a row
    from and the conversation list shows), and nothing else."""
    row = items.group_item(
        MessageGroup(
            group_uuid="5ae290ed-55d1-47a0-bc6d-fe2bc2700399",
            owner_uuid="2d1d2f4b-6e0a-4a55-8a76-9d2c2c1f7e9a",
            last_message_at="2024-01-01T00:00:00.000000+00:00",
            last_message="hello",
            other_user=User(
                uuid="0b1e2d6c-3f4a-4b5c-9d8e-7f6a5b4c3d2e", display_name="Ann", handle="ann"
            ),
        )
    )
    keys = {schema.PARTITION_KEY, schema.SORT_KEY, schema.GSI_PARTITION_KEY}
    (gsi,) = _table(stage)["Properties"]["GlobalSecondaryIndexes"]
    assert gsi["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(gsi["Projection"]["NonKeyAttributes"]) == set(row) - keys


def test_table_name_comes_from_the_stage(stage: Synthesized) -> None:
    """The table is named by the stage setting (prod and local: the course's cruddur-messages)."""
    assert _table(stage)["Properties"]["TableName"] == stage.settings.table.table_name


def test_billing_is_provisioned_with_the_stage_capacity(stage: Synthesized) -> None:
    """PROVISIONED billing, read and write units from the stage."""
    props = _table(stage)["Properties"]
    # The CDK leaves out PROVISIONED, CloudFormation's default.
    assert props.get("BillingMode", "PROVISIONED") == "PROVISIONED"
    assert props["ProvisionedThroughput"] == {
        "ReadCapacityUnits": stage.settings.table.read_capacity,
        "WriteCapacityUnits": stage.settings.table.write_capacity,
    }


def test_gsi_has_its_own_capacity(stage: Synthesized) -> None:
    """The GSI's throughput is its own stage setting."""
    (gsi,) = _table(stage)["Properties"]["GlobalSecondaryIndexes"]
    assert gsi["ProvisionedThroughput"] == {
        "ReadCapacityUnits": stage.settings.table.gsi_read_capacity,
        "WriteCapacityUnits": stage.settings.table.gsi_write_capacity,
    }


def test_stream_carries_new_images(stage: Synthesized) -> None:
    """The stream is on, with NEW_IMAGE (the processor reads only the inserted message)."""
    spec = _table(stage)["Properties"]["StreamSpecification"]
    assert spec == {"StreamViewType": "NEW_IMAGE"}


def test_server_side_encryption_is_on(stage: Synthesized) -> None:
    """The table is encrypted at rest with the AWS-managed KMS key."""
    assert _table(stage)["Properties"]["SSESpecification"] == {"SSEEnabled": True}


def test_protection_follows_the_stage(stage: Synthesized) -> None:
    """PITR, deletion protection and removal policy are the stage's choice."""
    table = _table(stage)
    settings = stage.settings
    pitr = table["Properties"]["PointInTimeRecoverySpecification"]
    assert pitr["PointInTimeRecoveryEnabled"] is settings.table.point_in_time_recovery
    assert table["Properties"]["DeletionProtectionEnabled"] is settings.table.deletion_protection
    policy = "Retain" if settings.retain_data else "Delete"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == (policy, policy)


def test_prod_is_retained_protected_and_recoverable(prod: Synthesized) -> None:
    """prod keeps its data: retained, deletion-protected, PITR on."""
    table = _table(prod)
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def test_dev_is_destroyable(dev: Synthesized) -> None:
    """dev is deleted with its stack and can be deleted at all."""
    table = _table(dev)
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False


def test_prod_autoscales_table_and_gsi_reads_and_writes(prod: Synthesized) -> None:
    """Four scalable targets (table and GSI, read and write) between the stage's bounds."""
    scaling = prod.settings.table.autoscaling
    assert scaling is not None
    targets = prod.resources("AWS::ApplicationAutoScaling::ScalableTarget").values()
    bounds = {
        target["Properties"]["ScalableDimension"]: (
            target["Properties"]["MinCapacity"],
            target["Properties"]["MaxCapacity"],
        )
        for target in targets
    }
    reads = (scaling.min_read_capacity, scaling.max_read_capacity)
    writes = (scaling.min_write_capacity, scaling.max_write_capacity)
    assert bounds == {
        "dynamodb:table:ReadCapacityUnits": reads,
        "dynamodb:table:WriteCapacityUnits": writes,
        "dynamodb:index:ReadCapacityUnits": reads,
        "dynamodb:index:WriteCapacityUnits": writes,
    }


def test_prod_scaling_is_target_tracking_at_the_stage_utilization(prod: Synthesized) -> None:
    """Every scaling policy tracks the stage's target utilization."""
    scaling = prod.settings.table.autoscaling
    assert scaling is not None
    policies = prod.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert len(policies) == 4
    for policy in policies:
        props = policy["Properties"]
        assert props["PolicyType"] == "TargetTrackingScaling"
        config = props["TargetTrackingScalingPolicyConfiguration"]
        assert config["TargetValue"] == scaling.target_utilization_percent


def test_stages_without_autoscaling_have_no_scaling_resources(stage: Synthesized) -> None:
    """dev and local keep fixed capacity: no scalable targets at all."""
    targets = stage.resources("AWS::ApplicationAutoScaling::ScalableTarget")
    assert bool(targets) is (stage.settings.table.autoscaling is not None)
