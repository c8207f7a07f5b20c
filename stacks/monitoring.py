"""Alarms on what users would notice: lag, failed or dropped records, a struggling table.

Every alarm sends ALARM and OK to the stage's alarm topic. Metric names and dimensions: Lambda
developer guide, "Types of metrics for Lambda functions" (event source mapping metrics by
EventSourceMappingUUID), and DynamoDB developer guide, "DynamoDB metrics and dimensions".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from cruddur_messages import schema
from stacks.props import AlarmProps, AutoScaling, TableProps

# SystemErrors is published per (TableName, Operation): the operations this system calls.
TABLE_OPERATIONS: Final = ("PutItem", "DeleteItem", "Query", "TransactWriteItems", "GetRecords")


def mapping_metric(
    mapping_id: str, metric_name: str, period: cdk.Duration, statistic: str = "Sum"
) -> cloudwatch.Metric:
    """An event source mapping metric (MetricsConfig EventCount) of this mapping."""
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric_name,
        dimensions_map={"EventSourceMappingUUID": mapping_id},
        statistic=statistic,
        period=period,
    )


def table_metric(
    table_name: str,
    metric_name: str,
    period: cdk.Duration,
    *,
    index: str | None = None,
    statistic: str = "Sum",
) -> cloudwatch.Metric:
    """A DynamoDB metric of the table, or of its GSI when `index` is given."""
    dimensions = {"TableName": table_name}
    if index is not None:
        dimensions["GlobalSecondaryIndexName"] = index
    return cloudwatch.Metric(
        namespace="AWS/DynamoDB",
        metric_name=metric_name,
        dimensions_map=dimensions,
        statistic=statistic,
        period=period,
    )


def filled(
    metrics: dict[str, cloudwatch.IMetric], expression: str, label: str, period: cdk.Duration
) -> cloudwatch.MathExpression:
    """`expression` over `metrics`, each written FILL(id, 0) in it: a period without a datapoint
    counts as 0. DynamoDB publishes its counts only when something happened, and an alarm on an
    AWS/DynamoDB metric always ignores missing data and keeps its state (PutMetricAlarm API
    reference, TreatMissingData): without FILL, a throttle alarm stays in ALARM long after the
    throttling stopped. FILL: CloudWatch user guide, "Metric math syntax and functions"."""
    return cloudwatch.MathExpression(
        expression=expression, using_metrics=metrics, label=label, period=period
    )


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm: at or above `threshold` (by default); no data (no traffic) is not a breach."""

    id: str
    description: str
    metric: cloudwatch.IMetric
    threshold: float
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    comparison: cloudwatch.ComparisonOperator = (
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    )


def _processor_alarms(
    props: AlarmProps, function: lambda_.IFunction, mapping_id: str, period: cdk.Duration
) -> Iterator[AlarmSpec]:
    """Lag, failed or throttled invocations, and records given up on (kept in the failure bucket,
    or dropped). Each description is what the page says, and what to do about it."""
    yield AlarmSpec(
        id="IteratorAge",
        description="Stream processor lags the table stream: conversation lists go stale. Check "
        "the function's errors, throttles and duration on the dashboard.",
        metric=function.metric("IteratorAge", statistic="Maximum", period=period),
        threshold=props.iterator_age_seconds * 1000,  # the metric is in ms
        evaluation_periods=props.iterator_age_evaluation_periods,
        datapoints_to_alarm=props.iterator_age_datapoints,
    )
    counts: tuple[tuple[str, str, cloudwatch.IMetric, float], ...] = (
        (
            "Errors",
            "Stream processor invocations failed; their batches are retried, then bisected.",
            function.metric_errors(statistic="Sum", period=period),
            props.function_errors,
        ),
        (
            "Throttles",
            "Stream processor invocations were throttled (account or reserved concurrency).",
            function.metric_throttles(statistic="Sum", period=period),
            props.function_throttles,
        ),
        (
            "FailureDestinationEvents",
            "Records the processor gave up on went to the failure bucket: replay them with "
            "bin/ddb/replay-failures once the cause is fixed.",
            mapping_metric(mapping_id, "OnFailureDestinationDeliveredEventCount", period),
            props.failure_destination_events,
        ),
        (
            "DroppedEvents",
            "Records were dropped (retries or record age exhausted) and did NOT reach the "
            "failure bucket: those conversations' lists are stale until their next message.",
            mapping_metric(mapping_id, "DroppedEventCount", period),
            props.dropped_events,
        ),
    )
    for id_, description, metric, threshold in counts:
        yield AlarmSpec(id=id_, description=description, metric=metric, threshold=threshold)


class Monitoring(Construct):
    """One alarm per failure mode, each with its ALARM and OK actions on the alarm topic."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        props: AlarmProps,
        table_props: TableProps,
        topic: sns.ITopic,
        function: lambda_.IFunction,
        mapping_id: str,
        table: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._action = actions.SnsAction(topic)
        self.period = cdk.Duration.seconds(props.period_seconds)
        # Named (stack-alarm), so a page says which stage, and the dashboard can show them by
        # name: moto skips alarms, and a GetAtt of one would fail the local stage's deploy.
        self._name_prefix = f"{cdk.Stack.of(self).stack_name}-"
        self.alarm_names: list[str] = []
        for spec in _processor_alarms(props, function, mapping_id, self.period):
            self._alarm(spec)
        self._table_alarms(table.table_name, table, table_props)

    def _table_alarms(self, name: str, table: dynamodb.ITable, table_props: TableProps) -> None:
        props, period = self._props, self.period
        where = {"Table": "the table", "Gsi": f"the index {schema.GSI_NAME}"}
        for index, label in ((None, "Table"), (schema.GSI_NAME, "Gsi")):
            for kind in ("Read", "Write"):
                # A GSI write is part of the table write that caused it: throttled together.
                also = " (and the table writes behind them)" if index and kind == "Write" else ""
                self._alarm(
                    AlarmSpec(
                        id=f"{label}{kind}Throttles",
                        description=f"DynamoDB throttled {kind.lower()}s on {where[label]}{also}: "
                        f"raise its {kind.lower()} capacity or its auto scaling maximum.",
                        metric=filled(
                            {
                                "throttles": table_metric(
                                    name, f"{kind}ThrottleEvents", period, index=index
                                )
                            },
                            "FILL(throttles, 0)",
                            f"{label} {kind.lower()} throttle events",
                            period,
                        ),
                        threshold=props.table_throttle_events,
                    )
                )
        self._alarm(
            AlarmSpec(
                id="TableSystemErrors",
                description="DynamoDB returned HTTP 500s for this table; check the AWS Health "
                "Dashboard.",
                metric=self._system_errors(name, period),
                threshold=props.table_system_errors,
            )
        )
        if table_props.autoscaling is None:
            self._capacity_alarms(name, table_props)
        else:
            self._scaling_maximum_alarms(name, table_props.autoscaling)

    @staticmethod
    def _system_errors(name: str, period: cdk.Duration) -> cloudwatch.MathExpression:
        """SystemErrors is per (TableName, Operation): the sum over the operations used."""
        metrics: dict[str, cloudwatch.IMetric] = {
            operation.lower(): cloudwatch.Metric(
                namespace="AWS/DynamoDB",
                metric_name="SystemErrors",
                dimensions_map={"TableName": name, "Operation": operation},
                statistic="Sum",
                period=period,
            )
            for operation in TABLE_OPERATIONS
        }
        expression = " + ".join(f"FILL({id_}, 0)" for id_ in metrics)
        return filled(metrics, expression, "Sum of errors across all operations", period)

    def _capacity_alarms(self, name: str, table_props: TableProps) -> None:
        """Consumed units per second against a share of provisioned, for fixed capacity."""
        percent = self._props.consumed_capacity_percent
        provisioned = {
            ("Table", "Read"): table_props.read_capacity,
            ("Table", "Write"): table_props.write_capacity,
            ("Gsi", "Read"): table_props.gsi_read_capacity,
            ("Gsi", "Write"): table_props.gsi_write_capacity,
        }
        for (label, kind), units in provisioned.items():
            where = "The table" if label == "Table" else f"The index {schema.GSI_NAME}"
            self._consumed_alarm(
                name,
                label,
                kind,
                id_=f"{label}{kind}Capacity",
                threshold=units * percent / 100,
                description=f"{where} consumes over {percent}% of its {units} provisioned "
                f"{kind.lower()} units: raise them before DynamoDB throttles.",
            )

    def _scaling_maximum_alarms(self, name: str, scaling: AutoScaling) -> None:
        """Consumed units per second at the target utilization of the auto-scaling maximum:
        auto scaling would raise capacity now, and cannot (table and index share the bounds)."""
        target = scaling.target_utilization_percent
        for label in ("Table", "Gsi"):
            where = "The table" if label == "Table" else f"The index {schema.GSI_NAME}"
            for kind in ("Read", "Write"):
                _, maximum = scaling.bounds(kind.lower())
                self._consumed_alarm(
                    name,
                    label,
                    kind,
                    id_=f"{label}{kind}AtScalingMaximum",
                    threshold=maximum * target / 100,
                    description=f"{where} consumes over {target}% of its auto-scaling maximum "
                    f"of {maximum} {kind.lower()} units: auto scaling can raise it no further. "
                    "Raise the maximum (bin/ddb/capacity --stage prod, docs/capacity.md) or go "
                    "on-demand.",
                )

    def _consumed_alarm(
        self, name: str, label: str, kind: str, *, id_: str, threshold: float, description: str
    ) -> None:
        props, period = self._props, self.period
        index = schema.GSI_NAME if label == "Gsi" else None
        consumed = table_metric(name, f"Consumed{kind}CapacityUnits", period, index=index)
        self._alarm(
            AlarmSpec(
                id=id_,
                description=description,
                metric=filled(
                    {"consumed": consumed},
                    f"FILL(consumed, 0) / {props.period_seconds}",
                    f"{label} consumed {kind.lower()} units per second",
                    period,
                ),
                threshold=round(threshold, 2),
                evaluation_periods=props.consumed_capacity_evaluation_periods,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        )

    def _alarm(self, spec: AlarmSpec) -> cloudwatch.Alarm:
        name = self._name_prefix + spec.id
        alarm = cloudwatch.Alarm(
            self,
            spec.id,
            alarm_name=name,
            alarm_description=spec.description,
            metric=spec.metric,
            threshold=spec.threshold,
            comparison_operator=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarm_names.append(name)
        return alarm
