"""The alarms' references resolved as CloudFormation resolves them (local/alarms/install.py)."""

from __future__ import annotations

import pytest

from local.alarms.install import InstallError, _resolve

PHYSICAL = {"Fn": "stack-Function-ABC", "Topic": "arn:aws:sns:us-east-1:1:topic"}


def test_refs_become_the_stacks_physical_ids_at_any_depth() -> None:
    properties = {
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Fn"}}],
        "AlarmActions": [{"Ref": "Topic"}],
        "AlarmName": {"Fn::Join": ["-", ["stack", {"Ref": "Fn"}]]},
        "Threshold": 1,
    }
    assert _resolve(properties, PHYSICAL, "Alarm") == {
        "Dimensions": [{"Name": "FunctionName", "Value": "stack-Function-ABC"}],
        "AlarmActions": ["arn:aws:sns:us-east-1:1:topic"],
        "AlarmName": "stack-stack-Function-ABC",
        "Threshold": 1,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Gone"}, "Alarm: Ref Gone is not a resource of the stack"),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, "Alarm: Fn::GetAtt is not resolved locally"),
    ],
)
def test_what_cannot_be_resolved_is_named(value: object, message: str) -> None:
    with pytest.raises(InstallError, match=message):
        _resolve({"AlarmActions": [value]}, PHYSICAL, "Alarm")
