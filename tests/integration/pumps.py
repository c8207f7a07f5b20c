"""The pump tests' one way to build a pump of a mapping on a real stream."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from local import cloud
from local.pump import Checkpoints, MappingSettings, StreamPump
from local.stream_events import message_filter

_PUMP_OPTIONS = ("clock", "clients", "log", "follow_stream")


def mapping_pump(
    endpoint: str, arn: str, handler: Any, checkpoint_file: Path, **overrides: Any
) -> StreamPump:
    """A pump of a mapping with the local stage's settings (any of them overridden) on `arn`,
    quiet, retrying at once: the pump tests' one way to build one. Overrides named like one of
    StreamPump's options (`clock`, `clients`, `log`, `follow_stream`) go to the pump."""
    settings: dict[str, Any] = {
        "uuid": "integration-test",
        "function_arn": "arn:aws:lambda:us-east-1:000000000000:function:test-function",
        "stream_arn": arn,
        "batch_size": 10,
        "batching_window_s": 0,
        "starting_position": "TRIM_HORIZON",
        "filters": (message_filter(),),
        "report_item_failures": True,
        "on_failure_arn": None,
        "max_retry_attempts": 2,
        "max_record_age_s": 600,
        "bisect_on_error": True,
    }
    # The developer's clients unless a test says otherwise: these mappings have no role.
    options: dict[str, Any] = {
        "log": lambda _line: None,
        "clock": time.time,
        "clients": cloud.developer(endpoint),
    }
    options.update({name: overrides.pop(name) for name in _PUMP_OPTIONS if name in overrides})
    settings.update(overrides)
    return StreamPump(
        mapping=MappingSettings(**settings),
        handler=handler,
        checkpoints=Checkpoints(checkpoint_file, arn),
        retry_delay_s=0,
        poll_interval_s=0.05,
        **options,
    )
