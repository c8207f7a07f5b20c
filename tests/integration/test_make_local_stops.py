"""`make local` stops cleanly however a script stops it: SIGINT to make's pid (which GNU make does
not pass on), or SIGTERM to a `make local &` of a non-interactive script (whose SIGINT is
ignored). The signal comes mid-deploy, while the CDK CLI's node runs: the fast moment that still
has every kind of process (make, python, node) to stop."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60


def group_commands(group: int) -> list[str]:
    """The command names of the processes left in process group `group`."""
    listed = subprocess.run(
        ["ps", "-o", "comm=", "-g", str(group)], capture_output=True, text=True, check=False
    )
    return listed.stdout.split()


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def start() -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    """Runs a script in bash, non-interactive, in a process group of its own (killed at the end
    whatever the test found)."""
    started: list[subprocess.Popen[str]] = []

    def run(script: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stop_mid_deploy(process: subprocess.Popen[str], make_pid: int, signum: int) -> list[str]:
    """Wait until the deploy's node runs, send `signum` to make, return the lines after it."""
    wait_for(lambda: "node" in group_commands(process.pid), "the CDK CLI (node) to start")
    os.kill(make_pid, signum)
    remaining, _ = process.communicate(timeout=TIMEOUT_S)
    return remaining.splitlines()


def assert_stopped_cleanly(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert "stopped" in lines, lines
    # The audit line, then the capacity line: the last of python's.
    assert lines[-2].startswith("authorization: "), lines
    assert lines[-1].startswith("capacity: "), lines
    assert "Traceback" not in "\n".join(lines)
    wait_for(lambda: not group_commands(process.pid), "every process of the group to end")


MAKE_LOCAL = "make --no-print-directory -o setup local PORT={port}"


def test_sigint_to_make_stops_everything(
    local_cloud_port: int, start: Callable[[str], subprocess.Popen[str]]
) -> None:
    process = start(f"exec {MAKE_LOCAL.format(port=local_cloud_port)}")
    assert process.stdout is not None
    assert "local cloud on" in next(line for line in process.stdout if "local cloud" in line)
    lines = stop_mid_deploy(process, process.pid, signal.SIGINT)
    assert_stopped_cleanly(process, lines)


def test_sigterm_to_a_background_make_of_a_script_stops_everything(
    local_cloud_port: int, start: Callable[[str], subprocess.Popen[str]]
) -> None:
    """`make local &` in a script ignores SIGINT (POSIX shells start background jobs so);
    `kill $!` (SIGTERM) is the way, and it stops everything with the usual lines."""
    script = f'{MAKE_LOCAL.format(port=local_cloud_port)} &\necho "make $!"\nwait'
    process = start(script)
    assert process.stdout is not None
    # The script's `echo` and the background make's first lines race: wait for both, in any order.
    make_pid, cloud_started = None, False
    for line in process.stdout:
        if match := re.fullmatch(r"make (\d+)", line.strip()):
            make_pid = int(match[1])
        cloud_started = cloud_started or "local cloud on" in line
        if make_pid is not None and cloud_started:
            break
    assert make_pid is not None and cloud_started
    lines = stop_mid_deploy(process, make_pid, signal.SIGTERM)
    assert_stopped_cleanly(process, [line for line in lines if not line.startswith("make: ")])
