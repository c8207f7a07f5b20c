"""The CDK context the app reads: `-c stage=NAME` only (stacks/app.py), and cdk.json's flags.

A value that must be passed on every deploy is one a later deploy forgets, and the stack then
changes under it: a forgotten `-c table_name=` replaced the table with a new, empty one, a
forgotten `-c alarm_email=` deleted the alarm subscriptions. So a stage's table name and alarm
addresses live only in committed configuration (stacks/settings.py), reviewed in pull requests
and synthesized by `make diff`, and those two keys are refused wherever the context holds them
(`-c`, cdk.json, cdk.context.json, ~/.cdk.json), with one line saying where they went.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from stacks.props import InvalidSettingsError
from stacks.settings import StageSettings

TABLE_NAME_KEY: Final = "table_name"
ALARM_EMAIL_KEY: Final = "alarm_email"
# Each refused key, and the setting that replaces it.
REFUSED_KEYS: Final[Mapping[str, str]] = {
    TABLE_NAME_KEY: "table.table_name",
    ALARM_EMAIL_KEY: "alarms.emails",
}


def cdk_json_context(project_root: Path) -> dict[str, Any]:
    """The "context" block of the project's cdk.json (feature flags, the default stage): what the
    CLI hands the app, for callers that build the app in their own process."""
    context: dict[str, Any] = json.loads((project_root / "cdk.json").read_text())["context"]
    return context


def apply_context(settings: StageSettings, get: Callable[[str], Any]) -> StageSettings:
    """`settings` as committed; InvalidSettingsError naming the key if the context tries to
    override the table name or the alarm addresses."""
    for key, setting in REFUSED_KEYS.items():
        if get(key) is not None:
            raise InvalidSettingsError(
                f"-c {key} is not read: a value every deploy must repeat is lost by the one that "
                f"forgets it (which then replaces or unsubscribes). Set {setting} of stage "
                f"{settings.name!r} in stacks/settings.py and commit it"
            )
    return settings
