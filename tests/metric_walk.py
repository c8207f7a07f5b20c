"""Every metric the stack's alarms and dashboard read, as (namespace, name, dimensions): from a
synthesized template (dimension values that are references become "<ref>") or from the
deployed alarms and dashboard (values resolved)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

REF = "<ref>"


@dataclass(frozen=True, order=True)
class MetricUse:
    """One metric one alarm or widget reads; `where` names the alarm or the widget."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    where: str

    @property
    def shape(self) -> tuple[str, str, tuple[str, ...]]:
        """What does not depend on the deployment: namespace, name, dimension names."""
        return self.namespace, self.name, tuple(name for name, _ in self.dimensions)


def _value(value: Any) -> str:
    return value if isinstance(value, str) else REF


def _dimensions(raw: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((d["Name"], _value(d["Value"])) for d in raw or []))


def alarm_metrics(alarm: Mapping[str, Any]) -> Iterator[MetricUse]:
    """An alarm's metrics, from its template properties or DescribeAlarms' MetricAlarm."""
    where = f"alarm {_value(alarm.get('AlarmName'))}"
    if alarm.get("MetricName"):
        yield MetricUse(
            alarm["Namespace"], alarm["MetricName"], _dimensions(alarm.get("Dimensions")), where
        )
    for query in alarm.get("Metrics") or []:
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            yield MetricUse(
                metric["Namespace"],
                metric["MetricName"],
                _dimensions(metric.get("Dimensions")),
                where,
            )


def dashboard_metrics(body: Mapping[str, Any]) -> Iterator[MetricUse]:
    """Each metric row of each widget (a row is [namespace, name, dim, value, ..., {options}];
    "..." repeats the row before, as CloudWatch's dashboard body allows)."""
    for widget in body.get("widgets", []):
        properties = widget.get("properties", {})
        where = f"widget {properties.get('title', '?')!r}"
        previous: list[Any] = []
        for row in properties.get("metrics", []):
            cells = [cell for cell in row if not isinstance(cell, dict)]
            if not cells:
                continue  # an expression row
            expanded: list[Any] = []
            for index, cell in enumerate(cells):
                expanded.append(previous[index] if cell == "..." else cell)
            previous = expanded
            namespace, name, *pairs = expanded
            dimensions = tuple(sorted(zip(pairs[0::2], pairs[1::2], strict=True)))
            yield MetricUse(namespace, name, dimensions, where)


def template_dashboard_body(template: Mapping[str, Any]) -> dict[str, Any]:
    """The one dashboard's body, its Fn::Join pieces joined, references as "<ref>"."""
    [dashboard] = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    raw = dashboard["Properties"]["DashboardBody"]
    if isinstance(raw, dict):
        separator, pieces = raw["Fn::Join"]
        raw = separator.join(piece if isinstance(piece, str) else REF for piece in pieces)
    body: dict[str, Any] = json.loads(raw)
    return body


def template_metrics(template: Mapping[str, Any]) -> list[MetricUse]:
    """Every metric of every alarm and widget of a synthesized template."""
    uses = [
        use
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        for use in alarm_metrics(resource["Properties"])
    ]
    uses.extend(dashboard_metrics(template_dashboard_body(template)))
    return sorted(uses)
