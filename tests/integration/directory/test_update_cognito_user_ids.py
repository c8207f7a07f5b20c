"""bin/db/update-cognito-user-ids against the session's real Postgres and a local user pool:
it matches every handle, is idempotent, and changes all rows or none."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from ddb_cli import one_error_line
from directory_tools import add_pool_user, cognito, db, execute, rows

from local import server
from tools.directory.postgres import MOCK_COGNITO_USER_ID

BIN = Path(__file__).resolve().parents[3] / "bin"
SEED_HANDLES = ["andrewbrown", "bayko", "londo"]


def pool_subs(env: dict[str, str]) -> dict[str, str]:
    listed = cognito("list-users", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    subs: dict[str, str] = json.loads(listed.stdout)
    return subs


def test_sets_each_users_sub_then_changes_nothing_the_second_time(
    env: dict[str, str], database_url: str
) -> None:
    assert rows(database_url) == dict.fromkeys(SEED_HANDLES, MOCK_COGNITO_USER_ID)
    # The course's name, run as a person runs it.
    first = subprocess.run(
        [str(BIN / "db" / "update_cognito_user_ids")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert "updated 3 users, 0 already set" in first.stdout
    assert rows(database_url) == pool_subs(env)

    again = db("update-cognito-user-ids", "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"updated": {}, "unchanged": SEED_HANDLES}
    assert rows(database_url) == pool_subs(env)


def test_only_the_rows_whose_id_differs_are_updated(env: dict[str, str], database_url: str) -> None:
    subs = pool_subs(env)
    execute(
        database_url,
        "UPDATE public.users SET cognito_user_id = %s WHERE handle = 'bayko'",
        subs["bayko"],
    )
    result = db("update-cognito-user-ids", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "updated": {"andrewbrown": subs["andrewbrown"], "londo": subs["londo"]},
        "unchanged": ["bayko"],
    }


def test_a_failure_midway_changes_no_row(env: dict[str, str], database_url: str) -> None:
    """One transaction: a row the database refuses (here a trigger on londo's row, updated
    last) leaves the rows already updated in that run as they were."""
    execute(
        database_url,
        """
        CREATE FUNCTION refuse_londo() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.handle = 'londo' THEN RAISE EXCEPTION 'londo is read-only'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_londo BEFORE UPDATE ON public.users
          FOR EACH ROW EXECUTE FUNCTION refuse_londo();
        """,
    )
    result = db("update-cognito-user-ids", env=env)
    assert result.returncode == 1
    assert "londo is read-only" in one_error_line(result)
    assert rows(database_url) == dict.fromkeys(SEED_HANDLES, MOCK_COGNITO_USER_ID)


def test_a_handle_in_the_pool_but_not_in_the_table_is_one_line(
    env: dict[str, str], database_url: str, pool_id: str, cognito_client: Any
) -> None:
    add_pool_user(cognito_client, pool_id, "vir")
    result = db("update-cognito-user-ids", env=env)
    assert result.returncode == 1
    line = one_error_line(result)
    assert f"@vir in user pool {pool_id} but not in public.users" in line
    assert line.endswith("nothing was changed")
    assert rows(database_url) == dict.fromkeys(SEED_HANDLES, MOCK_COGNITO_USER_ID)


def test_a_handle_in_the_table_but_not_in_the_pool_is_one_line(
    env: dict[str, str], database_url: str, pool_id: str
) -> None:
    execute(
        database_url,
        "INSERT INTO public.users (display_name, handle, email, cognito_user_id) "
        "VALUES ('G''Kar', 'gkar', 'gkar@example.com', 'MOCK')",
    )
    result = db("update-cognito-user-ids", env=env)
    assert result.returncode == 1
    assert "@gkar in public.users" in one_error_line(result)
    assert f"but not in user pool {pool_id}" in one_error_line(result)
    assert set(rows(database_url).values()) == {MOCK_COGNITO_USER_ID}


def test_a_pool_that_does_not_exist_is_one_line_and_changes_nothing(
    env: dict[str, str], database_url: str
) -> None:
    result = db(
        "update-cognito-user-ids", env={**env, "AWS_COGNITO_USER_POOL_ID": "us-east-1_Gone"}
    )
    assert result.returncode == 1
    assert "user pool us-east-1_Gone does not exist" in one_error_line(result)
    assert set(rows(database_url).values()) == {MOCK_COGNITO_USER_ID}


def test_a_missing_table_is_one_line(env: dict[str, str], database_url: str) -> None:
    execute(database_url, "DROP TABLE public.users")
    result = db("update-cognito-user-ids", env=env)
    assert result.returncode == 1
    assert "table public.users does not exist in postgresql://postgres@/" in one_error_line(result)


def test_an_unreachable_database_is_one_line_without_its_password(env: dict[str, str]) -> None:
    port = server.free_port()  # nothing listens there
    url = f"postgresql://cruddur:s3cret@localhost:{port}/cruddur"
    result = db("update-cognito-user-ids", env={**env, "CONNECTION_URL": url})
    assert result.returncode == 1
    line = one_error_line(result)
    assert f"cannot reach postgresql://cruddur@localhost:{port}/cruddur" in line
    assert "s3cret" not in result.stderr + result.stdout
