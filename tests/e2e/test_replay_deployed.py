"""A failure object the deployed mapping's pump wrote, replayed with `bin/ddb/replay-failures`
after its cause is fixed: the tool finds the bucket from the deployed mapping, lists and shows the
object, applies its records with the processor's logic and moves it under replayed/."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cruddur_messages.models import User
from cruddur_messages.store import MessageStore
from local import cloud, deploy
from local.pump import StreamPump
from tools import failure_records

PumpFactory = Callable[..., StreamPump]
REPLAY = Path(__file__).resolve().parents[2] / "bin" / "ddb" / "replay-failures"


def _replay(*args: str, endpoint: str, table: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DDB_"))}
    env = {**cloud.environment(endpoint, base), "DDB_MESSAGE_TABLE": table, "COLUMNS": "400"}
    return subprocess.run(
        [str(REPLAY), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _keys(endpoint: str, bucket: str, prefix: str) -> set[str]:
    listed = cloud.developer(endpoint)("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {obj["Key"] for obj in listed.get("Contents", [])}


def test_a_failure_the_pump_wrote_is_replayed_once_its_cause_is_fixed(
    endpoint: str,
    deployment: deploy.Deployment,
    store: MessageStore,
    make_pump: PumpFactory,
) -> None:
    bucket = deployment.failure_bucket
    assert bucket is not None
    kim = User(uuid=str(uuid.uuid4()), display_name="Kim", handle="kim")
    lou = User(uuid=str(uuid.uuid4()), display_name="Lou", handle="lou")
    group, _ = store.create_message_group(kim, lou, "hello")
    make_pump().run_until_idle()
    before = _keys(endpoint, bucket, failure_records.KEY_PREFIX)
    newest = store.create_message(group.group_uuid, lou, "lost, then replayed")

    def broken(event: dict[str, Any], context: Any) -> Any:  # the bug, before its fix
        raise RuntimeError("the processor's bug")

    stats = make_pump(handler=broken).run_until_idle()

    assert stats.records_sent_to_failure == 1
    (key,) = _keys(endpoint, bucket, failure_records.KEY_PREFIX) - before
    assert {row.last_message for row in store.get_message_group_rows(group.group_uuid)} == {"hello"}

    listed = _replay("--json", endpoint=endpoint, table=deployment.table_name)
    assert listed.returncode == 0, listed.stderr
    (entry,) = [e for e in json.loads(listed.stdout) if e["key"] == key]
    assert entry["error"] == "RetryAttemptsExhausted (Unhandled)"
    assert entry["records"] == "1"
    assert entry["conversations"] == "1"

    shown = _replay(key, endpoint=endpoint, table=deployment.table_name)
    assert shown.returncode == 0, shown.stderr
    assert newest.created_at in shown.stdout

    applied = _replay(key, "--apply", endpoint=endpoint, table=deployment.table_name)
    assert applied.returncode == 0, applied.stderr
    assert "1 conversation(s) updated" in applied.stdout
    rows = store.get_message_group_rows(group.group_uuid)
    assert sorted(row.owner_uuid for row in rows) == sorted([kim.uuid, lou.uuid])
    assert {(row.last_message, row.last_message_at) for row in rows} == {
        (newest.text, newest.created_at)
    }
    assert key not in _keys(endpoint, bucket, failure_records.KEY_PREFIX)
    assert failure_records.replayed_key(key) in _keys(
        endpoint, bucket, failure_records.REPLAYED_PREFIX
    )
