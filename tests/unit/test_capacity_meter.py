"""The tools' capacity estimate: a projected read is billed by whole items, so its estimate is
labelled a lower bound. The client is under botocore's Stubber (no network)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from tools.capacity import CapacityMeter

ITEM = {"pk": {"S": "GRP#x"}, "sk": {"S": "2025-01-01"}, "message_group_uuid": {"S": "g"}}


def metered(**query: object) -> CapacityMeter:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="u", aws_secret_access_key="u"
    )
    meter = CapacityMeter()
    meter.attach(client, ("Query",))
    with Stubber(client) as stub:
        stub.add_response("query", {"Items": [ITEM]})
        client.query(TableName="t", KeyConditionExpression="pk = :p", **query)
    return meter


def test_a_full_item_read_is_an_estimate() -> None:
    meter = metered()
    assert meter.requests == 1 and meter.estimated_units == 0.5
    assert "estimated from item sizes: 0.5 RCU" in meter.summary()
    assert meter.as_dict()["estimate_is_lower_bound"] is False


def test_a_projected_read_is_a_lower_bound() -> None:
    meter = metered(ProjectionExpression="message_group_uuid", ConsistentRead=True)
    assert meter.estimated_units == 1.0
    assert "estimated from item sizes: at least 1 RCU" in meter.summary()
    assert meter.as_dict()["estimate_is_lower_bound"] is True
