"""`make db`: a real PostgreSQL 16 for the course's users table, on this machine, no Docker.

    python -m local.postgres start [--reset]   start it (or find it running), load the schema and
                                               the seed rows, print CONNECTION_URL
    python -m local.postgres stop              stop it (its data stays in .local-cloud/postgres)

The server comes from the pgserver wheel (PyPI), which ships PostgreSQL's own binaries: pinned in
requirements-dev.txt like every other tool, so `make setup` installs it and nothing is installed
system-wide. The course ran Postgres in Docker; a real server matters because the tools' one
transaction, row locks and errors are Postgres's, which no in-memory stand-in reproduces. It
listens on a Unix socket in its data directory only (no TCP port to collide with another
project's Postgres). Run as root, pgserver runs the server as a system user `pgserver` it creates,
since PostgreSQL refuses to run as root.

It is started by `make db`, not by `make local`: the messages path needs no Postgres, and the
tools find this server by its data directory whenever CONNECTION_URL is unset.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Final

from local import cloud

DATA_DIR: Final = cloud.PROJECT_ROOT / cloud.STATE_DIR_NAME / "postgres"
# The course's database name (its CONNECTION_URL ends in /cruddur).
DATABASE: Final = "cruddur"
SUPERUSER: Final = "postgres"
_READY: Final = "ready"


def url(socket_dir: Path, database: str = DATABASE) -> str:
    return f"postgresql://{SUPERUSER}@/{database}?host={socket_dir}"


def running_url(data_dir: Path = DATA_DIR, database: str = DATABASE) -> str | None:
    """The URL of the server running on `data_dir`, or None if none is (read from its
    postmaster.pid, as pg_ctl does; nothing is started)."""
    try:
        lines = (data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        pid, socket_dir, status = int(lines[0]), lines[4].strip(), lines[7].strip()
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a stale pid file: the server was killed
    except PermissionError:
        pass  # alive, owned by the server's own user
    return url(Path(socket_dir), database) if socket_dir and status == _READY else None


def _pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: harmless here.
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def serve(data_dir: Path = DATA_DIR, *, keep_running: bool, delete_when_done: bool = False) -> Any:
    """Start the server on `data_dir` (initdb the first time) or join the one running there; the
    pgserver handle. keep_running=False stops it when the last process using it leaves
    (cleanup(), or at exit), and delete_when_done then removes `data_dir`: tests share one
    server between their workers this way."""
    # Made here, not by pgserver: two processes creating it at once must both succeed.
    data_dir.mkdir(parents=True, exist_ok=True)
    mode = None if keep_running else "delete" if delete_when_done else "stop"
    return _pgserver().get_server(data_dir, cleanup_mode=mode)


def create_database(server: Any, name: str) -> str:
    """Create database `name` on the server (if absent); its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return str(server.get_uri(name))


def start(data_dir: Path = DATA_DIR, *, reset: bool = False, log: Any = print) -> str:
    """`make db`: the server running, database `cruddur` with the course's schema and seed rows
    (loaded when the table is absent, or again with reset); its URL."""
    from tools import users
    from tools.directory import postgres

    server = serve(data_dir, keep_running=True)
    database_url = create_database(server, DATABASE)
    loaded = postgres.load_course_schema(database_url, users.load(), reset=reset)
    count = postgres.count_users(database_url)
    state = "loaded the schema and seed rows" if loaded else "kept the existing users table"
    log(f"postgres {server.get_postmaster_info().pid} on {data_dir} ({state}: {count} users)")
    log(f"export CONNECTION_URL='{database_url}'")
    return database_url


def stop(data_dir: Path = DATA_DIR, *, log: Any = print) -> int:
    if running_url(data_dir) is None:
        log(f"no Postgres running on {data_dir}")
        return 0
    # Joining with cleanup "stop" and leaving at once: this process is the last handle.
    serve(data_dir, keep_running=False).cleanup()
    log(f"stopped the Postgres on {data_dir} (its data stays; make db starts it again)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--reset", action="store_true", help="drop and reload the users table")
    args = parser.parse_args(argv)
    try:
        if args.action == "stop":
            return stop()
        start(reset=args.reset)
    except Exception as error:  # one line, whatever failed (initdb, the server, the schema)
        print(f"error: {type(error).__name__}: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
