"""ConsumedCapacity and the throttling errors as DynamoDB writes them
(local/capacity/responses.py)."""

from __future__ import annotations

from local.capacity import responses
from local.capacity.ledger import Ledger
from local.capacity.metering import Consumed
from local.capacity.responses import Shortfall

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t"


def _put() -> Consumed:
    return Consumed("t", write=2.0, index_write={"gsi": 2.0})


def test_total_is_the_table_name_and_every_unit_in_one_figure() -> None:
    shaped = responses.consumed_capacity("PutItem", "TOTAL", {"t": _put()})
    assert shaped == {"TableName": "t", "CapacityUnits": 4.0}


def test_indexes_splits_the_table_from_each_index() -> None:
    shaped = responses.consumed_capacity("PutItem", "INDEXES", {"t": _put()})
    assert shaped == {
        "TableName": "t",
        "CapacityUnits": 4.0,
        "Table": {"CapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 2.0}},
    }


def test_a_transaction_answers_a_list_with_the_kind_of_units() -> None:
    shaped = responses.consumed_capacity("TransactWriteItems", "INDEXES", {"t": _put()})
    assert shaped == [
        {
            "TableName": "t",
            "CapacityUnits": 4.0,
            "WriteCapacityUnits": 4.0,
            "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
            "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}},
        }
    ]
    reads = responses.consumed_capacity("TransactGetItems", "TOTAL", {"t": Consumed("t", read=2)})
    assert reads == [{"TableName": "t", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]


def test_a_throttled_table_write_names_the_table_and_its_reason() -> None:
    error = responses.throttled([Shortfall("t", ARN, None, "Write")])
    assert error["__type"].endswith("#ProvisionedThroughputExceededException")
    assert error["message"] == responses.TABLE_MESSAGE
    assert error["ThrottlingReasons"] == [
        {"reason": "TableWriteProvisionedThroughputExceeded", "resource": ARN}
    ]


def test_gsi_back_pressure_says_the_index_is_short_of_capacity() -> None:
    error = responses.throttled([Shortfall("t", ARN + "/index/gsi", "gsi", "Write")])
    assert error["message"] == responses.INDEX_MESSAGE
    assert error["ThrottlingReasons"][0]["reason"] == "IndexWriteProvisionedThroughputExceeded"


def test_a_throttled_transaction_is_cancelled_item_by_item() -> None:
    error = responses.cancelled(["t", "other"], {"t": [Shortfall("t", ARN, None, "Write")]})
    assert error["__type"].endswith("#TransactionCanceledException")
    assert [r["Code"] for r in error["CancellationReasons"]] == [
        "ProvisionedThroughputExceeded",
        "None",
    ]
    assert error["message"].endswith("[ProvisionedThroughputExceeded, None]")


def test_the_capacity_line_gives_consumed_provisioned_and_throttled_per_table_and_index() -> None:
    ledger = Ledger()
    where = ("123456789012", "us-east-1")
    ledger.consumed(where, _put(), {None: (5.0, 5.0), "gsi": (5.0, 1.0)})
    ledger.throttled(where, "PutItem", [("t", "gsi", "Write")], {("t", "gsi"): (5.0, 1.0)})
    assert ledger.summary() == (
        "capacity: t 0 RCU / 2 WCU consumed (5 RCU / 5 WCU provisioned); "
        "t/gsi 0 RCU / 2 WCU consumed (5 RCU / 1 WCU provisioned), 1 throttled request"
    )
    assert Ledger().summary() == "capacity: no DynamoDB reads or writes"


def test_each_window_becomes_dynamodb_s_metrics_with_its_dimensions() -> None:
    from datetime import datetime

    from local.capacity.metrics import datapoints

    ledger = Ledger()
    where = ("123456789012", "us-east-1")
    ledger.consumed(where, _put(), {None: (5.0, 5.0), "gsi": (5.0, 1.0)})
    ledger.throttled(where, "PutItem", [("t", "gsi", "Write")], {("t", "gsi"): (5.0, 1.0)})
    ledger.system_error(where, "t", "Query")
    published = datapoints(ledger.drain(), datetime(2026, 1, 1))[where]
    shaped = {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"]), d["Value"])
        for d in published
    }
    table, index = (("TableName", "t"),), (("TableName", "t"), ("GlobalSecondaryIndexName", "gsi"))
    assert shaped == {
        ("ConsumedReadCapacityUnits", table, 0.0),
        ("ConsumedWriteCapacityUnits", table, 2.0),
        ("ProvisionedReadCapacityUnits", table, 5.0),
        ("ProvisionedWriteCapacityUnits", table, 5.0),
        ("ConsumedReadCapacityUnits", index, 0.0),
        ("ConsumedWriteCapacityUnits", index, 2.0),
        ("ProvisionedReadCapacityUnits", index, 5.0),
        ("ProvisionedWriteCapacityUnits", index, 1.0),
        ("WriteThrottleEvents", index, 1.0),
        ("ThrottledRequests", (("TableName", "t"), ("Operation", "PutItem")), 1.0),
        ("SystemErrors", (("TableName", "t"), ("Operation", "Query")), 1.0),
    }
    assert datapoints(ledger.drain(), datetime(2026, 1, 1)) == {}  # drained: nothing twice
