"""Context overrides of a stage's settings: `-c table_name=NAME`, `-c alarm_email=A[,B...]`.

Read once, in the app, never in a construct. The CDK CLI keeps only the last `-c` of a key
(`parseStringContextListToObject` in aws-cdk's cli/user-configuration.js), so several addresses
go comma-separated in one `-c alarm_email=...`, or as a JSON list under `alarm_email` in
cdk.json's or cdk.context.json's context.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from stacks.props import InvalidSettingsError, check_emails, check_table_name
from stacks.settings import StageSettings

TABLE_NAME_KEY: Final = "table_name"
ALARM_EMAIL_KEY: Final = "alarm_email"


def cdk_json_context(project_root: Path) -> dict[str, Any]:
    """The "context" block of the project's cdk.json (feature flags, the default stage): what the
    CLI hands the app, for callers that build the app in their own process."""
    context: dict[str, Any] = json.loads((project_root / "cdk.json").read_text())["context"]
    return context


def _emails(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise InvalidSettingsError(
            f"-c {ALARM_EMAIL_KEY} must be e-mail addresses separated by commas, got {value!r}"
        )
    return tuple(part.strip() for item in items for part in item.split(",") if part.strip())


def apply_context(settings: StageSettings, get: Callable[[str], Any]) -> StageSettings:
    """`settings` with the context's table name and alarm e-mails, if given; an invalid value
    raises InvalidSettingsError naming the context key. Given e-mails replace the stage's."""
    errors: list[str] = []
    table = settings.table
    name = get(TABLE_NAME_KEY)
    if name is not None:
        check_table_name(errors, f"-c {TABLE_NAME_KEY}", name)
        if not errors:
            table = dataclasses.replace(table, table_name=name)
    alarms = settings.alarms
    raw_emails = get(ALARM_EMAIL_KEY)
    if raw_emails is not None:
        emails = _emails(raw_emails)
        before = len(errors)
        check_emails(errors, f"-c {ALARM_EMAIL_KEY}", emails)
        if not emails:
            errors.append(f"-c {ALARM_EMAIL_KEY} names no e-mail address")
        if len(errors) == before:
            alarms = dataclasses.replace(alarms, emails=tuple(dict.fromkeys(emails)))
    if errors:
        raise InvalidSettingsError("; ".join(errors))
    return dataclasses.replace(settings, table=table, alarms=alarms)
