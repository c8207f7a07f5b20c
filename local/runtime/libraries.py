"""The libraries Lambda's Python runtime puts on sys.path, as a directory of symlinks.

A worker must import the function's package and the runtime's own libraries, nothing else: not
moto, the CDK or the working tree's editable packages that share this virtualenv. Lambda's
Python runtime ships the runtime interface client and the AWS SDK (boto3, botocore and their
dependencies); this virtualenv's copies of exactly those distributions stand in for them. Each
top-level module of each distribution is symlinked into one directory (LAMBDA_RUNTIME_DIR),
which the worker gets on PYTHONPATH after its task root, with `-S` keeping site-packages out.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Final

# The runtime client and the SDK Lambda's Python runtimes include, with their dependencies.
RUNTIME_DISTRIBUTIONS: Final = (
    "awslambdaric",
    "simplejson",
    "snapshot-restore-py",
    "boto3",
    "botocore",
    "jmespath",
    "s3transfer",
    "python-dateutil",
    "six",
    "urllib3",
)


def top_level_paths(distribution: str) -> set[Path]:
    """The files and packages a distribution installs at the top of site-packages."""
    dist = metadata.distribution(distribution)
    found: set[Path] = set()
    for file in dist.files or ():
        first = file.parts[0]
        if first.endswith((".dist-info", ".egg-info")) or first in ("__pycache__", "..", "bin"):
            continue
        found.add(Path(str(dist.locate_file(first))))
    return found


def runtime_directory(base: Path | None = None) -> Path:
    """A directory of symlinks to the runtime's libraries, made once per set of link targets: keyed
    by where the links point, not only by versions, so that two checkouts (two virtualenvs) never
    share one whose targets may be deleted with the other."""
    links = {path.name: path for name in RUNTIME_DISTRIBUTIONS for path in top_level_paths(name)}
    key = "\n".join(f"{name} -> {target}" for name, target in sorted(links.items()))
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    root = (base or Path(tempfile.gettempdir()) / "local-cloud-runtime") / digest
    if root.is_dir():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root.parent))
    for name, target in links.items():
        (staging / name).symlink_to(target)
    try:
        os.rename(staging, root)  # atomic: concurrent workers see all of it or none
    except OSError:  # another process made it first
        for link in staging.iterdir():
            link.unlink()
        staging.rmdir()
    return root
