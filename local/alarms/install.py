"""CloudFormation's part for the stack's alarms: moto's CloudFormation skips
AWS::CloudWatch::Alarm (it has no model for the type), so after a deploy the local cloud creates
each alarm of the deployed template with PutMetricAlarm, its references resolved to the stack's
physical resources, as CloudFormation would. The property names of the resource are the API's
(AWS::CloudWatch::Alarm reference), so the properties pass through as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from local import cloud

ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"
# The template properties PutMetricAlarm takes under the same name.
_PROPERTIES: Final = (
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "Tags",
    "ThresholdMetricId",
)


class InstallError(RuntimeError):
    """An alarm of the template refers to something the stack does not have."""


def _resolve(value: Any, physical: Mapping[str, str], where: str) -> Any:
    if isinstance(value, list):
        return [_resolve(item, physical, where) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        if value["Ref"] not in physical:
            raise InstallError(f"{where}: Ref {value['Ref']} is not a resource of the stack")
        return physical[value["Ref"]]
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_resolve(part, physical, where)) for part in parts)
    if len(value) == 1 and next(iter(value)).startswith("Fn::"):
        raise InstallError(f"{where}: {next(iter(value))} is not resolved locally")
    return {key: _resolve(item, physical, where) for key, item in value.items()}


def install_stack_alarms(developer: cloud.Clients, stack_name: str) -> list[str]:
    """Create every alarm of the deployed stack's template not created yet; all their names."""
    cfn = developer("cloudformation")
    body = cfn.get_template(StackName=stack_name)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    physical = {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
    }
    cloudwatch = developer("cloudwatch")
    existing = {
        alarm["AlarmName"]
        for page in cloudwatch.get_paginator("describe_alarms").paginate()
        for alarm in page.get("MetricAlarms", [])
    }
    names: list[str] = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != ALARM_TYPE:
            continue
        properties = _resolve(resource.get("Properties", {}), physical, logical_id)
        request = {key: properties[key] for key in _PROPERTIES if key in properties}
        request.setdefault("AlarmName", f"{stack_name}-{logical_id}")
        # A redeploy leaves the stack as it is (moto cannot update one): so do its alarms, and
        # keep their state.
        if request["AlarmName"] not in existing:
            cloudwatch.put_metric_alarm(**request)
        names.append(request["AlarmName"])
    return names
