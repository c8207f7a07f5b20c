"""Alarms on the stream processor's health: lag, errors, throttles and records it gave up on."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.settings import StageSettings

PERIOD = cdk.Duration.minutes(1)


class Monitoring(Construct):
    """One alarm per failure mode. Actions (paging, chat) are wired per account by the operator."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: StageSettings,
        function: lambda_.IFunction,
        failure_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, id_)
        # Conversation lists fall behind when the mapping lags the stream; a short spike is
        # normal after a burst, so it takes 3 bad minutes out of 5.
        self.iterator_age = self._alarm(
            "IteratorAge",
            "Stream processor lags the table stream: conversation lists go stale",
            function.metric("IteratorAge", statistic="Maximum", period=PERIOD),
            threshold=settings.iterator_age_alarm_seconds * 1000,  # the metric is in ms
            evaluation_periods=5,
            datapoints_to_alarm=3,
        )
        self.errors = self._alarm(
            "Errors",
            "Stream processor invocations failed (batches are retried)",
            function.metric_errors(statistic="Sum", period=PERIOD),
            threshold=settings.errors_alarm_threshold,
        )
        self.throttles = self._alarm(
            "Throttles",
            "Stream processor invocations were throttled",
            function.metric_throttles(statistic="Sum", period=PERIOD),
            threshold=settings.throttles_alarm_threshold,
        )
        # Anything here was given up on after retries: those conversations need a replay.
        self.failure_queue_messages = self._alarm(
            "FailureQueueMessages",
            "Stream records the processor gave up on wait in the failure queue",
            failure_queue.metric_approximate_number_of_messages_visible(
                statistic="Maximum", period=PERIOD
            ),
            threshold=settings.failure_queue_alarm_threshold,
        )

    def _alarm(
        self,
        id_: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> cloudwatch.Alarm:
        """Alarm at or above `threshold`; no data (no traffic) is not a breach."""
        return cloudwatch.Alarm(
            self,
            id_,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    @property
    def alarms(self) -> tuple[cloudwatch.Alarm, ...]:
        return (self.iterator_age, self.errors, self.throttles, self.failure_queue_messages)
