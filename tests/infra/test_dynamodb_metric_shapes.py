"""The AWS/DynamoDB counts published only when they happen (throttle events, system errors):
the e2e test cannot see them on the shared deployment without throttling or breaking it, so
here the endpoint's publisher (local/capacity/metrics.py) is given a window with each, and every
DynamoDB metric the stages' alarms and widgets read must be among what it publishes, with the
same dimension names. tests/integration/test_throttle_alarm.py sees the table's
WriteThrottleEvents published for real, and the alarm on it fire."""

from __future__ import annotations

from datetime import UTC, datetime

from metric_walk import template_metrics
from stage_synth import Synthesized

from cruddur_messages import schema
from local.capacity.ledger import Usage, Window
from local.capacity.metrics import NAMESPACE, datapoints


def test_every_dynamodb_metric_the_stages_read_is_one_the_endpoint_publishes(
    synthesized_stages: dict[str, Synthesized],
) -> None:
    where = ("123456789012", "us-east-1")
    busy = Usage(
        consumed_read=1,
        consumed_write=1,
        read_throttle_events=1,
        write_throttle_events=1,
        provisioned_read=5,
        provisioned_write=5,
    )
    window = Window(
        usage={(*where, "t", None): busy, (*where, "t", schema.GSI_NAME): busy},
        throttled_requests={(*where, "t", "PutItem"): 1},
        system_errors={(*where, "t", op): 1 for op in ("PutItem", "DeleteItem", "Query",
                                                       "TransactWriteItems", "GetRecords")},
    )  # fmt: skip
    published = {
        (NAMESPACE, datum["MetricName"], tuple(sorted(d["Name"] for d in datum["Dimensions"])))
        for datum in datapoints(window, datetime.now(tz=UTC))[where]
    }
    for name, stage in synthesized_stages.items():
        read = {use.shape for use in template_metrics(stage.template_json)}
        dynamodb = {shape for shape in read if shape[0] == NAMESPACE}
        assert dynamodb, name
        assert dynamodb <= published, (name, sorted(dynamodb - published))
