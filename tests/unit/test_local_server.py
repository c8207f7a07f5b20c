"""The embedded endpoint hands moto one request at a time (moto's backends are not thread-safe)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.server import _OneRequestAtATime


class _SlowApp:
    """A WSGI app that notes how many calls overlap and answers lazily, after a pause."""

    def __init__(self) -> None:
        self.running = 0
        self.most_at_once = 0
        self._count_lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with self._count_lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        start_response("200 OK", [])

        def body() -> Iterable[bytes]:
            time.sleep(0.01)  # the backend is still being read while the body is produced
            yield b"ok"
            with self._count_lock:
                self.running -= 1

        return body()


def test_concurrent_requests_reach_the_backend_one_at_a_time() -> None:
    """Twenty requests from eight threads never overlap inside moto, body included."""
    app = _SlowApp()
    serialized = _OneRequestAtATime(app)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(lambda _: serialized({}, lambda *a: None), range(20)))
    assert bodies == [[b"ok"]] * 20
    assert app.most_at_once == 1


def test_the_unwrapped_app_would_overlap() -> None:
    """The same load on the bare app overlaps: the test above can tell the difference."""
    app = _SlowApp()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: list(app({}, lambda *a: None)), range(20)))
    assert app.most_at_once > 1
