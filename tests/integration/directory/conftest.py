"""The user directory's fixtures: one real PostgreSQL for the whole test session (the pgserver
wheel, as `make db` runs it), a fresh database per test, and user pools in the session's local
cloud (moto's cognito-idp, as `make local` creates them).

Under pytest-xdist every test here may land on any worker (tests/conftest.py schedules
tests/integration test by test), so the server is shared, not per worker: its data directory is
under the session's common temporary root, the first worker to ask starts it, the others join
it, and the last to leave stops it (pgserver counts the processes holding it). Startup (initdb
and start, 2-5 s here) is paid once per session.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from ddb_cli import tool_env
from psycopg import sql

from local import cloud, user_pool
from local import postgres as local_postgres
from tools import users
from tools.directory import postgres


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Any]:
    root = tmp_path_factory.getbasetemp()
    # Workers' temporary dirs are siblings under the session's root; without xdist it is ours.
    session = root if worker_id == "master" else root.parent
    # Not under pytest's own root: pytest keeps that private to its user (0700, re-applied by
    # every session), and as root the server runs as another user, which must reach its data.
    digest = hashlib.sha256(str(session).encode()).hexdigest()[:12]
    data_dir = Path(tempfile.gettempdir()) / f"cruddur-postgres-{digest}"
    server = local_postgres.serve(data_dir, keep_running=False, delete_when_done=True)
    yield server
    # Explicitly, not at exit: a worker may end without running atexit handlers.
    server.cleanup()


@pytest.fixture
def database_url(postgres_server: Any) -> Iterator[str]:
    """A new database holding the course's users table and the users file's seed rows."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = local_postgres.create_database(postgres_server, name)
    postgres.load_course_schema(url, users.load())
    yield url
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def cognito_client(moto_endpoint: str) -> Any:
    return cloud.developer(moto_endpoint)("cognito-idp")


@pytest.fixture
def pool_id(moto_endpoint: str, cognito_client: Any) -> Iterator[str]:
    """A user pool of its own, holding the users file's users, as the local cloud creates it."""
    name = f"pool-{uuid.uuid4().hex[:8]}"
    created = user_pool.ensure(moto_endpoint, users.load(), name=name)
    yield created
    cognito_client.delete_user_pool(UserPoolId=created)


@pytest.fixture
def pool_env(moto_endpoint: str, pool_id: str) -> dict[str, str]:
    """A shell's environment pointing the tools at this test's pool (and no database)."""
    return tool_env(moto_endpoint, AWS_COGNITO_USER_POOL_ID=pool_id, TZ="UTC")


@pytest.fixture
def env(pool_env: dict[str, str], database_url: str) -> dict[str, str]:
    """A shell's environment pointing the tools at this test's database and pool."""
    return {**pool_env, "CONNECTION_URL": database_url}
