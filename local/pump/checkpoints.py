"""The pump's position: per shard, the last sequence number done, kept across restarts.

One JSON file per mapping key (the endpoint's port for a deployment, the table for `--table`),
replaced atomically after each batch. The file names the stream it belongs to: a position in
another stream (a fresh endpoint, a recreated table) is not ours and is started over, in the
same file, so `.local-cloud/pump/` holds one file per endpoint or table, not one per run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


class Checkpoints:
    """Per shard, the last sequence number done; one JSON file, replaced atomically."""

    def __init__(self, path: Path, stream_arn: str) -> None:
        self.path = path
        self.stream_arn = stream_arn
        self._positions: dict[str, str] = {}
        if path.exists():
            try:
                saved = json.loads(path.read_text())
            except ValueError:  # a torn or foreign file: start over rather than fail
                saved = {}
            if isinstance(saved, dict) and saved.get("stream_arn") == stream_arn:
                self._positions = dict(saved.get("shards", {}))

    def for_stream(self, stream_arn: str) -> Checkpoints:
        """The same file, for another stream (the table was recreated)."""
        return Checkpoints(self.path, stream_arn)

    def get(self, shard_id: str) -> str | None:
        return self._positions.get(shard_id)

    def advance(self, shard_id: str, sequence_number: str) -> None:
        current = self._positions.get(shard_id)
        if current is not None and int(current) >= int(sequence_number):
            return
        self._positions[shard_id] = sequence_number
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"stream_arn": self.stream_arn, "shards": self._positions}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def deployment_checkpoint_path(state_dir: Path, endpoint: str) -> Path:
    """A deployment's position: one file per endpoint (host and port), however many runs."""
    return checkpoint_path(state_dir, endpoint.split("://", 1)[-1])


def checkpoint_path(state_dir: Path, key: str) -> Path:
    """state_dir/pump/<key>.json, the key made safe for a file name."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in key)
    return state_dir / "pump" / f"{safe}.json"
