"""One CloudWatch dashboard per stage, read top to bottom by someone paged at night:
what is alarming, is the processor behind, where did the records go, is the function healthy,
is the table healthy, is anything waiting in the failure bucket."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cruddur_messages import schema
from stacks.monitoring import mapping_metric, table_metric

WIDTH = 24  # a dashboard row
# The mapping's EventCount metrics, in the order a record meets them.
MAPPING_EVENT_COUNTS = (
    "PolledEventCount",
    "FilteredOutEventCount",
    "FailedInvokeEventCount",
    "OnFailureDestinationDeliveredEventCount",
    "DroppedEventCount",
)


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric], width: int) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


class Dashboard(Construct):
    """The stage's dashboard, named after its stack (unique per account and region)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        period: cdk.Duration,
        alarm_names: Sequence[str],
        function: lambda_.IFunction,
        mapping_id: str,
        table_name: str,
        failure_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Resource",
            dashboard_name=cdk.Stack.of(self).stack_name,
            default_interval=cdk.Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="1. What is alarming now (each alarm's description says what to do)",
                alarms=[
                    cloudwatch.Alarm.from_alarm_name(self, f"Alarm{number}", name)
                    for number, name in enumerate(alarm_names)
                ],
                width=WIDTH,
            )
        )
        self.dashboard.add_widgets(
            _graph(
                "2. Is the processor behind? Stream iterator age (max, ms)",
                [function.metric("IteratorAge", statistic="Maximum", period=period)],
                WIDTH // 3,
            ),
            _graph(
                "3. Where did the stream's records go? (mapping event counts)",
                [mapping_metric(mapping_id, name, period) for name in MAPPING_EVENT_COUNTS],
                2 * WIDTH // 3,
            ),
        )
        self.dashboard.add_widgets(*self._function_row(function, period))
        self.dashboard.add_widgets(*self._table_row(table_name, period))
        self.dashboard.add_widgets(
            cloudwatch.SingleValueWidget(
                title="9. Objects waiting in the failure bucket (S3 reports once a day)",
                metrics=[
                    cloudwatch.Metric(
                        namespace="AWS/S3",
                        metric_name="NumberOfObjects",
                        dimensions_map={
                            "BucketName": failure_bucket.bucket_name,
                            "StorageType": "AllStorageTypes",
                        },
                        statistic="Average",
                        period=cdk.Duration.days(1),
                    )
                ],
                width=WIDTH,
            )
        )

    @staticmethod
    def _function_row(
        function: lambda_.IFunction, period: cdk.Duration
    ) -> list[cloudwatch.IWidget]:
        third = WIDTH // 3
        return [
            _graph(
                "4. Function: invocations, errors, throttles (sum)",
                [
                    function.metric_invocations(statistic="Sum", period=period),
                    function.metric_errors(statistic="Sum", period=period),
                    function.metric_throttles(statistic="Sum", period=period),
                ],
                third,
            ),
            _graph(
                "5. Function: duration p50 and p99 (ms)",
                [
                    function.metric_duration(statistic="p50", period=period),
                    function.metric_duration(statistic="p99", period=period),
                ],
                third,
            ),
            _graph(
                "6. Function: concurrent executions (max)",
                [function.metric("ConcurrentExecutions", statistic="Maximum", period=period)],
                third,
            ),
        ]

    @staticmethod
    def _table_row(table_name: str, period: cdk.Duration) -> list[cloudwatch.IWidget]:
        widgets: list[cloudwatch.IWidget] = []
        for index, label in ((None, "table"), (schema.GSI_NAME, "GSI")):
            for kind in ("Read", "Write"):
                # Consumed is a sum per period; provisioned is units per second.
                consumed = cloudwatch.MathExpression(
                    expression=f"consumed / {int(period.to_seconds())}",
                    using_metrics={
                        "consumed": table_metric(
                            table_name, f"Consumed{kind}CapacityUnits", period, index=index
                        )
                    },
                    label=f"consumed {kind.lower()} units/s",
                    period=period,
                )
                provisioned = table_metric(
                    table_name,
                    f"Provisioned{kind}CapacityUnits",
                    period,
                    index=index,
                    statistic="Maximum",
                ).with_(label=f"provisioned {kind.lower()} units/s")
                widgets.append(
                    _graph(f"7. {kind} capacity of the {label}", [consumed, provisioned], 6)
                )
        throttles = [
            table_metric(table_name, f"{kind}ThrottleEvents", period, index=index).with_(
                label=f"{label} {kind.lower()} throttle events"
            )
            for index, label in ((None, "table"), (schema.GSI_NAME, "GSI"))
            for kind in ("Read", "Write")
        ]
        widgets.append(_graph("8. Throttle events (table, then GSI; sum)", throttles, WIDTH))
        return widgets
