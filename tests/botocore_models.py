"""botocore's service models, parsed once per test process instead of once per client.

Every boto3 Session gets its own botocore data loader, which parses the service's JSON models
again: about 70 ms of CPU per client. The tools, the pump and the handler each build their own
clients, as they do in production (one process, one command), so the suite builds a few hundred,
and that parsing was a fifth of its CPU. One real loader per search path, shared by every
session of the process, reads the same files from the same place once; nothing else changes.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.loaders
import botocore.session

_create_loader = functools.cache(botocore.loaders.create_loader)


def _shared_loader(search_path_string: str | None = None) -> Any:
    loader = _create_loader(search_path_string)
    # boto3 appends its own data directory to the loader of every Session it makes.
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return loader


def share_one_loader() -> None:
    """Make every botocore session of this process use the shared loader (idempotent)."""
    botocore.session.create_loader = _shared_loader
