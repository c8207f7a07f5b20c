"""The event source mapping the pump plays: read from the Lambda API, or described on the command
line for an endpoint without one (`--table`, DynamoDB Local)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, cast

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from moto.events.models import EventPattern

from local.cloud import Clients
from local.stream_events import message_filter

# Lambda's own defaults for a stream mapping, used where the mapping leaves a setting out.
_DEFAULT_BATCH_SIZE: Final = 100
UNLIMITED: Final = -1
# `--table` mode's defaults: the local stage's mapping (stacks/settings.py LOCAL, which is not
# imported here because it loads the CDK; tests/integration/test_pump_table_mode.py keeps the two
# equal). The function name is the stack's handler module, for the context object and logs.
TABLE_MODE_DEFAULTS: Final[Mapping[str, Any]] = {
    "batch_size": 10,
    "batching_window_s": 0,
    "starting_position": "TRIM_HORIZON",
    "max_retry_attempts": 20,
    "max_record_age_s": 600,
}
TABLE_MODE_FUNCTION_NAME: Final = "stream-processor"
# The stream view the handler needs: the filter and the processor read NewImage.
_IMAGE_VIEWS: Final = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")


class PumpError(RuntimeError):
    """The pump cannot run: no mapping, an ambiguous one, or a setting it does not support."""


@dataclass(frozen=True, kw_only=True)
class MappingSettings:
    """The event source mapping as the Lambda API reports it."""

    uuid: str
    function_arn: str
    stream_arn: str
    batch_size: int
    batching_window_s: int
    starting_position: str
    filters: tuple[EventPattern, ...]
    report_item_failures: bool
    on_failure_arn: str | None
    max_retry_attempts: int
    max_record_age_s: int
    bisect_on_error: bool
    # MetricsConfig EventCount: the mapping publishes its event counts (local/pump/metrics.py).
    event_count_metrics: bool = False

    @classmethod
    def from_api(cls, esm: Mapping[str, Any]) -> MappingSettings:
        patterns = [f["Pattern"] for f in esm.get("FilterCriteria", {}).get("Filters", [])]
        return cls(
            uuid=esm["UUID"],
            function_arn=esm["FunctionArn"],
            stream_arn=esm["EventSourceArn"],
            batch_size=int(esm.get("BatchSize") or _DEFAULT_BATCH_SIZE),
            batching_window_s=int(esm.get("MaximumBatchingWindowInSeconds") or 0),
            starting_position=esm.get("StartingPosition", "TRIM_HORIZON"),
            filters=tuple(EventPattern.load(pattern) for pattern in patterns),
            report_item_failures="ReportBatchItemFailures" in esm.get("FunctionResponseTypes", []),
            on_failure_arn=esm.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            max_retry_attempts=int(esm.get("MaximumRetryAttempts", UNLIMITED)),
            max_record_age_s=int(esm.get("MaximumRecordAgeInSeconds", UNLIMITED)),
            bisect_on_error=bool(esm.get("BisectBatchOnFunctionError", False)),
            event_count_metrics="EventCount" in (esm.get("MetricsConfig") or {}).get("Metrics", []),
        )

    @property
    def function_name(self) -> str:
        """arn:...:function:NAME -> NAME."""
        return self.function_arn.split(":function:", 1)[-1].split(":", 1)[0]

    @property
    def table_name(self) -> str:
        """arn:...:table/NAME/stream/LABEL -> NAME."""
        return self.stream_arn.split(":table/", 1)[-1].split("/", 1)[0]

    def on_stream(self, stream_arn: str) -> MappingSettings:
        return replace(self, stream_arn=stream_arn)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Any filter matching keeps the record (no filters keep everything)."""
        return not self.filters or any(p.matches_event(cast(Any, record)) for p in self.filters)


def find_mapping(developer: Clients, function_name: str | None = None) -> MappingSettings:
    """The one DynamoDB stream mapping deployed (of `function_name`, when given)."""
    lambda_client = developer("lambda")
    request = {"FunctionName": function_name} if function_name else {}
    mappings = [
        esm
        for page in lambda_client.get_paginator("list_event_source_mappings").paginate(**request)
        for esm in page["EventSourceMappings"]
        if ":dynamodb:" in esm.get("EventSourceArn", "")
    ]
    if len(mappings) != 1:
        raise PumpError(
            f"expected one DynamoDB stream event source mapping, found {len(mappings)}: "
            "deploy the local stage first (`make local` or `python -m local.deploy`)"
        )
    esm = lambda_client.get_event_source_mapping(UUID=mappings[0]["UUID"])
    if esm.get("State", "Enabled") not in ("Enabled", "Enabling", "Creating"):
        raise PumpError(f"event source mapping {esm['UUID']} is {esm['State']}")
    return MappingSettings.from_api(esm)


def latest_stream(developer: Clients, table_name: str) -> str:
    """The table's current stream ARN; PumpError, in one line, when the table or its stream is
    missing, its view lacks new images, or the endpoint cannot be reached."""
    endpoint = developer.endpoint
    try:
        table = developer("dynamodb").describe_table(TableName=table_name)["Table"]
    except EndpointConnectionError:
        raise PumpError(
            f"cannot reach {endpoint}: start DynamoDB Local (`docker compose up`) or the local "
            "cloud, or pass --endpoint"
        ) from None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise PumpError(
                f"no table {table_name!r} at {endpoint}: create it with `bin/ddb/schema-load`"
            ) from None
        raise PumpError(f"cannot describe table {table_name!r} at {endpoint}: {error}") from None
    except BotoCoreError as error:
        raise PumpError(f"cannot describe table {table_name!r} at {endpoint}: {error}") from None
    stream = table.get("StreamSpecification", {})
    arn = table.get("LatestStreamArn")
    if not stream.get("StreamEnabled") or not arn:
        raise PumpError(
            f"table {table_name!r} has no stream: create it with `bin/ddb/schema-load` "
            "(the schema enables a NEW_IMAGE stream)"
        )
    if stream.get("StreamViewType") not in _IMAGE_VIEWS:
        raise PumpError(
            f"table {table_name!r} streams {stream.get('StreamViewType')}; the processor needs "
            "NEW_IMAGE (recreate it with `bin/ddb/schema-load`)"
        )
    return str(arn)


def table_mapping(
    developer: Clients,
    table_name: str,
    *,
    batch_size: int = TABLE_MODE_DEFAULTS["batch_size"],
    batching_window_s: int = TABLE_MODE_DEFAULTS["batching_window_s"],
    starting_position: str = TABLE_MODE_DEFAULTS["starting_position"],
    max_retry_attempts: int = TABLE_MODE_DEFAULTS["max_retry_attempts"],
    max_record_age_s: int = TABLE_MODE_DEFAULTS["max_record_age_s"],
    on_failure: str | None = None,
) -> MappingSettings:
    """A mapping of `table_name`'s stream, for an endpoint with no Lambda API (DynamoDB Local):
    the given settings, the schema's filter pattern, ReportBatchItemFailures and bisecting, as
    the stack deploys them. `on_failure`: an ARN (SQS queue or S3 bucket), or a queue's name."""
    arn = latest_stream(developer, table_name)
    # arn:aws:dynamodb:<region>:<account>:table/...: the function and queue live beside it.
    _, partition, _, region, account, _ = arn.split(":", 5)
    if on_failure and not on_failure.startswith("arn:"):
        on_failure = f"arn:{partition}:sqs:{region}:{account}:{on_failure}"
    return MappingSettings(
        uuid=f"table-{table_name}",
        function_arn=f"arn:{partition}:lambda:{region}:{account}:function:{TABLE_MODE_FUNCTION_NAME}",
        stream_arn=arn,
        batch_size=batch_size,
        batching_window_s=batching_window_s,
        starting_position=starting_position,
        filters=(message_filter(),),
        report_item_failures=True,
        on_failure_arn=on_failure or None,
        max_retry_attempts=max_retry_attempts,
        max_record_age_s=max_record_age_s,
        bisect_on_error=True,
    )
