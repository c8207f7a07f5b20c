"""The event source mapping from the table's stream, its failure bucket and metrics."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match
from stage_synth import Synthesized

from cruddur_messages import schema
from stacks.props import MAX_RECORD_AGE_LIMIT_SECONDS


def _mapping(stage: Synthesized) -> Any:
    return stage.only("AWS::Lambda::EventSourceMapping")[1]["Properties"]


def test_mapping_reads_the_table_stream_into_the_function(stage: Synthesized) -> None:
    """Source: the table's stream; target: the stream processor."""
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    function_id, _ = stage.only("AWS::Lambda::Function")
    props = _mapping(stage)
    assert props["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert props["FunctionName"] == {"Ref": function_id}


def test_only_inserts_of_message_items_invoke_the_function(stage: Synthesized) -> None:
    """One filter, the schema's pattern: eventName INSERT and a NewImage pk beginning with the
    message prefix, so the function's own GRP# writes, and any MODIFY or REMOVE, never invoke it."""
    pattern = schema.message_insert_filter_pattern()
    assert pattern["dynamodb"]["NewImage"][schema.PARTITION_KEY] == {
        "S": [{"prefix": schema.MESSAGE_PREFIX}]
    }
    stage.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"FilterCriteria": {"Filters": [{"Pattern": Match.serialized_json(pattern)}]}},
    )


def test_batching_follows_the_stage(stage: Synthesized) -> None:
    """Starting position, batch size and batching window are stage settings."""
    settings = stage.settings.event_source
    stage.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "StartingPosition": settings.starting_position.name,
            "BatchSize": settings.batch_size,
            "MaximumBatchingWindowInSeconds": settings.max_batching_window_seconds,
        },
    )


def test_partial_batch_failures_are_reported(stage: Synthesized) -> None:
    """ReportBatchItemFailures: a failed record does not replay the records before it."""
    stage.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )


def test_failing_batches_are_bisected(stage: Synthesized) -> None:
    """A failing batch is split to isolate the bad record."""
    stage.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"BisectBatchOnFunctionError": True}
    )


def test_retries_and_record_age_are_bounded(stage: Synthesized) -> None:
    """Retry attempts and maximum record age come from the stage, never infinite (-1), and a
    record is given up well inside the stream's 24 h retention."""
    props = _mapping(stage)
    settings = stage.settings.event_source
    assert props["MaximumRetryAttempts"] == settings.retry_attempts >= 0
    assert props["MaximumRecordAgeInSeconds"] == settings.max_record_age_seconds >= 60
    assert props["MaximumRecordAgeInSeconds"] <= MAX_RECORD_AGE_LIMIT_SECONDS == 43_200


def test_parallelization_factor_is_one(stage: Synthesized) -> None:
    """ParallelizationFactor is set, to 1, in every stage: at higher factors Lambda keeps order
    per item only, and a conversation's messages are separate items."""
    assert _mapping(stage)["ParallelizationFactor"] == 1


def test_event_count_metrics_are_enabled(stage: Synthesized) -> None:
    """MetricsConfig EventCount: the mapping publishes the event counts the alarms watch."""
    assert _mapping(stage)["MetricsConfig"] == {"Metrics": ["EventCount"]}


def test_failures_go_to_the_failure_bucket(stage: Synthesized) -> None:
    """The on-failure destination is the stack's S3 bucket (the whole record, payload too)."""
    bucket_id, _ = stage.only("AWS::S3::Bucket")
    destination = _mapping(stage)["DestinationConfig"]
    assert destination == {"OnFailure": {"Destination": {"Fn::GetAtt": [bucket_id, "Arn"]}}}


def test_no_queue_is_left(stage: Synthesized) -> None:
    """The SQS failure queue is gone: nothing needs it any more."""
    assert stage.resources("AWS::SQS::Queue") == {}
    assert stage.resources("AWS::SQS::QueuePolicy") == {}
