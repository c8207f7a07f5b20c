"""The function's configuration, read and checked in one place at cold start: the environment it
needs (the table and the index) and the DynamoDB client it builds (timeouts, one attempt per call,
a connection per worker thread).

Inside Lambda the handler module checks the environment at import, so a function deployed
without its table fails its init phase with one clear line (handler.py); budget.py derives the
invocation's margin from the client's limits here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from botocore.config import Config

from cruddur_messages import retries, schema

# Per attempt: 1 s to connect and 1 s per socket read, two orders of magnitude above a healthy
# call, whose request and response fit in one packet each.
CONNECT_TIMEOUT_S: Final = 1.0
READ_TIMEOUT_S: Final = 1.0
# Threads, each running one conversation at a time. A request costs ~0.5 ms of CPU against a
# ~5 ms round trip, so ~10 in flight hide the wait; 20 leave room for the GIL's hand-offs (make
# bench: 10 threads kept ~0.7 of the 0 ms rate at 5 ms, 20 kept ~0.9). The pool holds one
# connection per thread, so no thread waits for a connection and none is opened and thrown away.
# How many of them may run at once is decided by concurrency.py, from the table's throttles.
WORKERS: Final = 20


def client_config() -> Config:
    # Built from a dict: the botocore stubs predate total_max_attempts.
    options: dict[str, Any] = dict(
        retries=dict(retries.SINGLE_ATTEMPT),
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=WORKERS,
        # Every request is built by group_rows.py from validated models, and DynamoDB validates it
        # again; the client-side check was ~8% of the processor's CPU under cProfile.
        parameter_validation=False,
    )
    return Config(**options)


class ConfigurationError(RuntimeError):
    """The function's environment lacks what it needs: it must not start."""


@dataclass(frozen=True)
class Names:
    table: str
    index: str


REQUIRED_ENV: Final = (schema.TABLE_NAME_ENV, schema.GSI_NAME_ENV)


def names_from(environ: Mapping[str, str] | None = None) -> Names:
    """The table and index the function works on, from its environment; no defaults here (the
    tools' default table would silently point a deployed function at the wrong one)."""
    env = os.environ if environ is None else environ
    missing = [name for name in REQUIRED_ENV if not env.get(name, "").strip()]
    if missing:
        raise ConfigurationError(
            f"the stream processor needs {' and '.join(missing)} in its environment "
            "(set by the stack); refusing to start"
        )
    return Names(env[schema.TABLE_NAME_ENV].strip(), env[schema.GSI_NAME_ENV].strip())
