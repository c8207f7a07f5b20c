"""The event source mapping from the table's stream, and its failure queue."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from cruddur_messages import schema

from .conftest import Synthesized


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
    settings = stage.settings
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
    """Retry attempts and maximum record age come from the stage, never infinite (-1)."""
    props = _mapping(stage)
    assert props["MaximumRetryAttempts"] == stage.settings.retry_attempts >= 0
    assert props["MaximumRecordAgeInSeconds"] == stage.settings.max_record_age_seconds >= 60


def test_failures_go_to_the_failure_queue(stage: Synthesized) -> None:
    """The on-failure destination is the stack's SQS queue."""
    queue_id, _ = stage.only("AWS::SQS::Queue")
    destination = _mapping(stage)["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_failure_queue_is_encrypted_and_keeps_messages_longest(stage: Synthesized) -> None:
    """SSE with SQS-managed keys (no KMS key the role would need rights on) and 14 days'
    retention, SQS's maximum."""
    stage.template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "SqsManagedSseEnabled": True,
            "KmsMasterKeyId": Match.absent(),
            "MessageRetentionPeriod": 14 * 24 * 3600,
        },
    )


def test_failure_queue_enforces_ssl(stage: Synthesized) -> None:
    """The queue policy denies every request made without TLS."""
    queue_id, _ = stage.only("AWS::SQS::Queue")
    _, policy = stage.only("AWS::SQS::QueuePolicy")
    assert policy["Properties"]["Queues"] == [{"Ref": queue_id}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_failure_queue_removal_follows_the_stage(stage: Synthesized) -> None:
    """prod keeps the queue (and the records in it) when the stack goes; dev and local delete it."""
    _, queue = stage.only("AWS::SQS::Queue")
    policy = "Retain" if stage.settings.retain_data else "Delete"
    assert (queue["DeletionPolicy"], queue["UpdateReplacePolicy"]) == (policy, policy)
