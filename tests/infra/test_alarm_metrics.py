"""Every metric of every stage's alarms and dashboard is one the local cloud publishes: the
deployed local stage proves its own exactly, names and dimension values
(tests/e2e/test_alarms_deployed.py); here each stage reads only metrics of the same namespace,
name and dimension names as the local stage's, so no stage can alarm on a metric that test does
not cover."""

from __future__ import annotations

from metric_walk import REF, template_metrics
from stage_synth import Synthesized


def test_the_walk_finds_every_alarm_and_metric_widget(
    synthesized_stages: dict[str, Synthesized],
) -> None:
    for stage in synthesized_stages.values():
        uses = template_metrics(stage.template_json)
        alarms = {use.where for use in uses if use.where.startswith("alarm ")}
        assert len(alarms) == len(stage.resources("AWS::CloudWatch::Alarm"))
        widgets = {use.where for use in uses if use.where.startswith("widget ")}
        assert len(widgets) >= 8  # every graph and the single value, each with its metrics
        # Dimension values are the stack's own resources or fixed names, never left empty.
        assert all(value for use in uses for _, value in use.dimensions)
        assert any(value == REF for use in uses for _, value in use.dimensions)


def test_every_stage_reads_only_metrics_the_local_stage_reads(
    synthesized_stages: dict[str, Synthesized],
) -> None:
    local = {use.shape for use in template_metrics(synthesized_stages["local"].template_json)}
    for name, stage in synthesized_stages.items():
        extra = sorted(
            f"{use.where}: {use.shape}"
            for use in template_metrics(stage.template_json)
            if use.shape not in local
        )
        assert extra == [], name
