"""`make bench` runs its parts one after another in one process, each starting its own endpoints.
moto keeps its backends in module globals, so without a reset a part measured on top of what the
earlier parts had deployed (authorization took twice as long after end_to_end). The check runs in
a process of its own: a reset here would empty this test session's shared endpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = """
from bench import run
from local import cloud, server

def one_part(table):
    port = server.free_port()
    endpoint = server.start(port, authorize=False)
    try:
        with cloud.offline_environ():
            client = cloud.developer(cloud.endpoint_url(port))("dynamodb")
            names = client.list_tables()["TableNames"]
            client.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
    finally:
        endpoint.stop()
    return names

one_part("first")
print(one_part("second"))  # what the first part left
run.forget_earlier_parts()
print(one_part("third"))
"""


def test_each_part_starts_on_an_empty_cloud() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    # Without a reset the second endpoint still holds the first one's table; after it, none.
    assert result.stdout.splitlines()[:2] == ["['first']", "[]"]
