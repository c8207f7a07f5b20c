"""A request the endpoint cannot serve: the traceback goes to its log file, the client gets an
AWS InternalFailure it can parse, and a tool prints it in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from click.testing import CliRunner

from local import cloud
from tools.cli import cli

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=cloud.DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=cloud.DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=NO_RETRIES,
    )


@pytest.mark.parametrize(
    ("service", "call"),
    [("dynamodb", "list_tables"), ("sqs", "list_queues"), ("cloudformation", "describe_stacks")],
)
def test_an_unknown_region_is_an_internal_failure_in_the_services_own_protocol(
    moto_endpoint: str, endpoint_log: Path, service: str, call: str
) -> None:
    """JSON (DynamoDB, SQS) and XML (CloudFormation) protocols both parse into a ClientError."""
    with pytest.raises(ClientError) as error:
        getattr(client(service, moto_endpoint, "nowhere-1"), call)()
    assert error.value.response["Error"]["Code"] == "InternalFailure"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "nowhere-1" in error.value.response["Error"]["Message"]
    assert str(endpoint_log) in error.value.response["Error"]["Message"]
    assert "Traceback (most recent call last)" in endpoint_log.read_text(encoding="utf-8")


def test_text_with_a_lone_surrogate_sent_past_the_store_is_an_internal_failure(
    moto_endpoint: str, table_name: str
) -> None:
    dynamodb = client("dynamodb", moto_endpoint, "us-east-1")
    with pytest.raises(ClientError) as error:
        dynamodb.put_item(TableName=table_name, Item={"pk": {"S": "x\ud800"}, "sk": {"S": "y"}})
    assert error.value.response["Error"]["Code"] == "InternalFailure"
    # The endpoint is still up and serving.
    assert table_name in dynamodb.list_tables()["TableNames"]


def test_a_tool_prints_the_failure_in_one_line(moto_endpoint: str) -> None:
    result = CliRunner().invoke(
        cli, ["list-tables"], env={"AWS_ENDPOINT_URL": moto_endpoint, "AWS_REGION": "nowhere-1"}
    )
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert line.startswith("Error: InternalFailure at local ")
    assert "doctype" not in result.output.lower() and "Traceback" not in result.output
