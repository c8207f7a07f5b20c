"""The one schema definition: names, key builders, UUID checks and create_table arguments."""

from __future__ import annotations

import uuid

import pytest

from cruddur_messages import schema

GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"


def test_table_name_defaults_without_the_variable() -> None:
    """Without DDB_MESSAGE_TABLE the table is called by its default name."""
    assert schema.table_name({}) == schema.TABLE_NAME_DEFAULT


def test_table_name_reads_the_course_variable() -> None:
    """DDB_MESSAGE_TABLE, the variable the course's backend reads, overrides the default."""
    assert schema.table_name({"DDB_MESSAGE_TABLE": "prod-messages"}) == "prod-messages"


def test_blank_table_name_variable_falls_back_to_default() -> None:
    """A blank variable (a common compose-file accident) does not yield a nameless table."""
    assert schema.table_name({"DDB_MESSAGE_TABLE": "  "}) == schema.TABLE_NAME_DEFAULT


def test_index_name_can_be_overridden() -> None:
    """The GSI name comes from its variable when set, else the schema's constant."""
    assert schema.index_name({}) == schema.GSI_NAME
    assert schema.index_name({schema.GSI_NAME_ENV: "other-index"}) == "other-index"


def test_key_builders_prefix_the_uuid() -> None:
    """Message and group partition keys are the prefix followed by the canonical UUID."""
    assert schema.message_pk(GROUP) == schema.MESSAGE_PREFIX + GROUP
    assert schema.group_pk(GROUP) == schema.GROUP_PREFIX + GROUP


def test_key_builders_canonicalize_case() -> None:
    """An upper-case UUID builds the same key as its lower-case form."""
    assert schema.message_pk(GROUP.upper()) == schema.message_pk(GROUP)


@pytest.mark.parametrize(
    "bad",
    ["", "not-a-uuid", GROUP[:-1], GROUP.replace("-", ""), "{" + GROUP + "}", "urn:uuid:" + GROUP],
    ids=["empty", "words", "short", "no-hyphens", "braces", "urn"],
)
def test_key_builders_refuse_malformed_uuids(bad: str) -> None:
    """Only the canonical 8-4-4-4-12 form is a key; anything else is a ValueError."""
    with pytest.raises(ValueError, match="user_uuid"):
        schema.group_pk(bad)


def test_validate_uuid_refuses_non_strings() -> None:
    """A UUID object or a number is refused with a ValueError naming the field."""
    with pytest.raises(ValueError, match="group"):
        schema.validate_uuid(uuid.UUID(GROUP), field="group")  # type: ignore[arg-type]


def test_uuid_from_pk_inverts_the_builders() -> None:
    """The UUID comes back out of both kinds of key."""
    assert schema.uuid_from_pk(schema.message_pk(GROUP)) == GROUP
    assert schema.uuid_from_pk(schema.group_pk(GROUP)) == GROUP


def test_uuid_from_pk_refuses_other_keys() -> None:
    """A key with neither prefix is a ValueError."""
    with pytest.raises(ValueError, match="not a message or group key"):
        schema.uuid_from_pk("USER#" + GROUP)


def test_prefix_predicates_tell_the_kinds_apart() -> None:
    """is_message_pk and is_group_pk each recognize only their own kind."""
    assert schema.is_message_pk(schema.message_pk(GROUP))
    assert not schema.is_message_pk(schema.group_pk(GROUP))
    assert schema.is_group_pk(schema.group_pk(GROUP))
    assert not schema.is_group_pk(schema.message_pk(GROUP))


def test_create_table_kwargs_keys_and_index() -> None:
    """create_table's key schema and GSI are the schema module's names."""
    kwargs = schema.create_table_kwargs("t")
    assert kwargs["TableName"] == "t"
    assert kwargs["KeySchema"] == [
        {"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": schema.SORT_KEY, "KeyType": "RANGE"},
    ]
    (gsi,) = kwargs["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == schema.GSI_NAME
    assert gsi["KeySchema"] == [
        {"AttributeName": schema.GSI_PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": schema.GSI_SORT_KEY, "KeyType": "RANGE"},
    ]


def test_create_table_kwargs_defines_every_key_attribute_once() -> None:
    """Each key attribute of the table and GSI is defined exactly once, as a string."""
    kwargs = schema.create_table_kwargs("t")
    defined = {d["AttributeName"]: d["AttributeType"] for d in kwargs["AttributeDefinitions"]}
    assert len(defined) == len(kwargs["AttributeDefinitions"])
    used = {schema.PARTITION_KEY, schema.SORT_KEY, schema.GSI_PARTITION_KEY, schema.GSI_SORT_KEY}
    assert defined == dict.fromkeys(used, "S")


def test_index_projects_what_a_group_row_needs() -> None:
    """The GSI projects every non-key attribute of a group row (a row read from it is complete)."""
    (gsi,) = schema.create_table_kwargs("t")["GlobalSecondaryIndexes"]
    assert gsi["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(schema.GSI_NON_KEY_ATTRIBUTES),
    }


def test_create_table_kwargs_streams_new_images() -> None:
    """The table streams NEW_IMAGE records, which the stream processor consumes."""
    spec = schema.create_table_kwargs("t")["StreamSpecification"]
    assert spec == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}


def test_gsi_capacity_defaults_to_the_tables() -> None:
    """Without GSI-specific capacity the index gets the table's; with it, its own."""
    (gsi,) = schema.create_table_kwargs("t", read_capacity=7)["GlobalSecondaryIndexes"]
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    (gsi,) = schema.create_table_kwargs("t", gsi_read_capacity=2)["GlobalSecondaryIndexes"]
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
