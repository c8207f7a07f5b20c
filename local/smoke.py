"""`make smoke` without a running local cloud: start one for the run, as `make local` does
(endpoint, `cdk deploy`, the stream pump and the alarm evaluator in this process), and stop it
after. A cloud already listening on the port is used as it is, never restarted.
"""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from local import cloud, deploy, server
from local.alarms import AlarmEvaluator
from local.pump import StreamPump

Log = Callable[[str], None]


def listening(port: int, host: str = cloud.HOST) -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


@contextmanager
def local_cloud_for_smoke(port: int, *, log: Log) -> Iterator[str]:
    """A local cloud on `port` for the length of the block: deployed, its pump and alarms
    running; its endpoint."""
    endpoint_server = server.start(port)
    stop = threading.Event()
    evaluator: AlarmEvaluator | None = None
    pump: StreamPump | None = None
    thread: threading.Thread | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="smoke-") as scratch:
            endpoint = cloud.endpoint_url(port)
            log(f"no local cloud on port {port}: starting one for this run (deploying...)")
            deploy.deploy(endpoint, log=lambda _line: None)
            pump = StreamPump.for_deployment(
                cloud.developer(endpoint),
                state_dir=Path(scratch),
                log=lambda _line: None,
                echo=lambda _l: None,
            )
            thread = threading.Thread(target=pump.run_forever, args=(stop,), daemon=True)
            thread.start()
            evaluator = AlarmEvaluator(cloud.developer(endpoint), log=log)
            evaluator.evaluate()
            evaluator.start()
            yield endpoint
    finally:
        stop.set()
        if evaluator is not None:
            evaluator.stop()
        if thread is not None:
            thread.join(timeout=10)
        if pump is not None:
            pump.close()
        endpoint_server.stop()
