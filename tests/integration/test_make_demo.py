"""`make demo`, the first command README gives, as a user runs it: the local cloud, `cdk deploy`,
the seed, patterns D and C, the deployed function over the stream, the results, exit 0.

It once failed at step 4 for every user: the seed opens Andrew and Bayko's conversation and the
demo opened a second one between them, which the store refuses (ConversationExistsError)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from local.demo import CONTINUED

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 240


def test_make_demo_runs_every_step_and_exits_0(local_cloud_port: int) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "demo", f"PORT={local_cloud_port}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-2000:]
    for step in range(1, 7):
        assert f"{step}/6 " in out
    assert "error" not in out.lower()
    listed = out.split("$ bin/ddb/patterns/list-conversations ", 1)[1]
    conversations = listed.split("$ bin/ddb/patterns/get-conversation ", 1)[0]
    # Andrew's list: the seed's conversation with Bayko, and the one step 4 started and continued.
    other = next(user for user in CONTINUED if user.handle != "andrewbrown")
    assert "@bayko" in conversations and f"@{other.handle}" in conversations
    assert "Deployed: the stream keeps our rows." in conversations
    assert "demo finished in" in out and "0 denied" in out
