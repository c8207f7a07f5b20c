"""The stage's dashboard: the widgets someone paged at night reads, by metric."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stage_synth import Synthesized

from cruddur_messages import schema
from stacks.dashboard import MAPPING_EVENT_COUNTS


def _token(part: dict[str, Any]) -> str:
    if "Ref" in part:
        return f"<Ref:{part['Ref']}>"
    if "Fn::GetAtt" in part:
        return f"<GetAtt:{'.'.join(part['Fn::GetAtt'])}>"
    return f"<{next(iter(part))}>"


def _body(stage: Synthesized) -> dict[str, Any]:
    """The dashboard body, with CloudFormation references written as <Ref:LogicalId>."""
    _, dashboard = stage.only("AWS::CloudWatch::Dashboard")
    separator, parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"]
    text = separator.join(part if isinstance(part, str) else _token(part) for part in parts)
    body: dict[str, Any] = json.loads(text)
    return body


def _widgets(stage: Synthesized) -> dict[str, dict[str, Any]]:
    return {w["properties"]["title"]: w["properties"] for w in _body(stage)["widgets"]}


def _metric_names(properties: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, metric name) of every plain metric of a widget, in order."""
    names = []
    for metric in properties.get("metrics", []):
        plain = [item for item in metric if isinstance(item, str)]
        if plain and plain[0] != "...":
            names.append((plain[0], plain[1]))
    return names


def _dimensions(metric: list[Any]) -> dict[str, str]:
    """A widget metric's dimensions: the name/value pairs after namespace and metric name."""
    pairs = [item for item in metric[2:] if isinstance(item, str)]
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


def _widget(stage: Synthesized, prefix: str) -> dict[str, Any]:
    (found,) = [props for title, props in _widgets(stage).items() if title.startswith(prefix)]
    return found


def test_one_dashboard_named_after_the_stack(stage: Synthesized) -> None:
    """One dashboard per stage, named like its stack (unique per account and region)."""
    _, dashboard = stage.only("AWS::CloudWatch::Dashboard")
    assert dashboard["Properties"]["DashboardName"] == f"CruddurMessages-{stage.settings.name}"


def test_widgets_are_numbered_in_reading_order(stage: Synthesized) -> None:
    """Titles start with their step number, and the steps come in order, top to bottom."""
    numbers = [int(title.split(".", 1)[0]) for title in _widgets(stage)]
    assert numbers == sorted(numbers)
    assert numbers[0] == 1 and numbers[-1] == 9


def test_alarm_status_comes_first_and_shows_every_alarm(stage: Synthesized) -> None:
    """The first widget is the status of every alarm of the stack, referenced by name (no
    GetAtt of an alarm: moto skips alarms, and the local stage must deploy)."""
    first = _body(stage)["widgets"][0]
    assert first["type"] == "alarm"
    prefix = "arn:<Ref:AWS::Partition>:cloudwatch:<Ref:AWS::Region>:<Ref:AWS::AccountId>:alarm:"
    names = {
        alarm["Properties"]["AlarmName"]
        for alarm in stage.resources("AWS::CloudWatch::Alarm").values()
    }
    assert set(first["properties"]["alarms"]) == {prefix + name for name in names}
    assert "<GetAtt:" not in json.dumps(_body(stage))


def test_iterator_age_widget(stage: Synthesized) -> None:
    """Stream lag: the function's IteratorAge, maximum."""
    widget = _widget(stage, "2.")
    assert _metric_names(widget) == [("AWS/Lambda", "IteratorAge")]
    assert widget["metrics"][0][-1]["stat"] == "Maximum"


def test_mapping_event_counts_widget(stage: Synthesized) -> None:
    """Polled, filtered out, failed, delivered to the failure destination, dropped: by the
    mapping's UUID."""
    mapping_id, _ = stage.only("AWS::Lambda::EventSourceMapping")
    widget = _widget(stage, "3.")
    assert _metric_names(widget) == [("AWS/Lambda", name) for name in MAPPING_EVENT_COUNTS]
    for metric in widget["metrics"]:
        assert _dimensions(metric) == {"EventSourceMappingUUID": f"<Ref:{mapping_id}>"}


def test_function_widgets(stage: Synthesized) -> None:
    """Invocations, errors, throttles; duration p50 and p99; concurrent executions."""
    assert _metric_names(_widget(stage, "4.")) == [
        ("AWS/Lambda", "Invocations"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
    ]
    duration = _widget(stage, "5.")
    assert _metric_names(duration) == [("AWS/Lambda", "Duration")] * 2
    assert [metric[-1]["stat"] for metric in duration["metrics"]] == ["p50", "p99"]
    assert _metric_names(_widget(stage, "6.")) == [("AWS/Lambda", "ConcurrentExecutions")]


@pytest.mark.parametrize("label", ["table", "GSI"])
@pytest.mark.parametrize("kind", ["Read", "Write"])
def test_capacity_widgets_show_consumed_against_provisioned(
    stage: Synthesized, kind: str, label: str
) -> None:
    """Consumed units per second against provisioned, for the table and for the GSI."""
    table_id, _ = stage.only("AWS::DynamoDB::Table")
    widget = _widget(stage, f"7. {kind} capacity of the {label}")
    assert _metric_names(widget) == [
        ("AWS/DynamoDB", f"Consumed{kind}CapacityUnits"),
        ("AWS/DynamoDB", f"Provisioned{kind}CapacityUnits"),
    ]
    expressions = [m[0]["expression"] for m in widget["metrics"] if isinstance(m[0], dict)]
    assert expressions == ["consumed / 60"]
    expected = {"TableName": f"<Ref:{table_id}>"}
    if label == "GSI":
        expected["GlobalSecondaryIndexName"] = schema.GSI_NAME
    for metric in widget["metrics"]:
        if isinstance(metric[0], str):
            assert _dimensions(metric) == expected


def test_throttles_widget(stage: Synthesized) -> None:
    """Read and write throttle events of the table and of the GSI."""
    assert sorted(_metric_names(_widget(stage, "8."))) == sorted(
        [("AWS/DynamoDB", f"{kind}ThrottleEvents") for kind in ("Read", "Write")] * 2
    )


def test_failure_bucket_widget(stage: Synthesized) -> None:
    """Objects in the failure bucket (S3's daily storage metric)."""
    bucket_id, _ = stage.only("AWS::S3::Bucket")
    widget = _widget(stage, "9.")
    assert _metric_names(widget) == [("AWS/S3", "NumberOfObjects")]
    assert _dimensions(widget["metrics"][0]) == {
        "BucketName": f"<Ref:{bucket_id}>",
        "StorageType": "AllStorageTypes",
    }
