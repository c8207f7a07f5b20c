"""The integration fixture really builds the table from the schema module over HTTP."""

from typing import Any

from cruddur_messages import schema


def test_fixture_table_matches_schema(dynamodb_client: Any, table_name: str) -> None:
    """The table the fixture creates has the schema module's keys, GSI and NEW_IMAGE stream."""
    table = dynamodb_client.describe_table(TableName=table_name)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        schema.PARTITION_KEY: "HASH",
        schema.SORT_KEY: "RANGE",
    }
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == schema.GSI_NAME
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
