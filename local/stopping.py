"""How `make local` and `make demo` are stopped: SIGINT, SIGTERM or SIGHUP, sent to this process
or to the `make` that runs it, ends them as Ctrl-C does (a KeyboardInterrupt in the main thread:
the pump and the endpoint stop, and the usual "stopped" and audit lines print).

GNU make passes only SIGTERM on to a recipe. On SIGINT or SIGHUP it waits for the recipe to end
and then dies of the signal, so `kill -INT <make's pid>` alone would leave everything running.
Before it waits, make resets that signal's handler to the default (fatal_error_signal in GNU
make's commands.c): a watcher thread sees the signal leave make's caught-signal mask
(/proc/<pid>/status, SigCgt) and stops this process. A background job of a non-interactive shell
(`make local &` in a script) ignores SIGINT from the start, make included; SIGTERM (`kill $!`)
stops it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Final

STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_MAKE_NAMES: Final = frozenset({"make", "gmake"})
_WATCH_INTERVAL_S: Final = 0.2


def stop_on_signals(*, watch_interval_s: float = _WATCH_INTERVAL_S) -> None:
    """From now on the first stop signal raises KeyboardInterrupt in the main thread (later ones
    are ignored, so the clean-up runs to its end); a make parent's signals count too."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    parent = os.getppid()
    if _process_name(parent) in _MAKE_NAMES:
        threading.Thread(
            target=_watch_make, args=(parent, watch_interval_s), name="make-watcher", daemon=True
        ).start()


def _stop(signum: int, frame: FrameType | None) -> None:
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def caught_stop_signals(pid: int) -> frozenset[int] | None:
    """The stop signals `pid` has a handler for (its SigCgt mask), None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    mask = next(
        (int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")),
        0,
    )
    return frozenset(signum for signum in STOP_SIGNALS if mask >> (signum - 1) & 1)


def _watch_make(parent: int, interval_s: float) -> None:
    """Stop this process once make drops a stop signal's handler (it got that signal) or ends."""
    watched = caught_stop_signals(parent) or frozenset()
    while True:
        time.sleep(interval_s)
        now = caught_stop_signals(parent)
        if os.getppid() != parent or now is None or watched - now:
            os.kill(os.getpid(), signal.SIGTERM)
            return
