"""The user directory's decisions without a server: which rows get which sub, how a database is
named in messages, and where the tools look for the database and the pool."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from local import postgres as local_postgres
from tools.commands import db
from tools.directory import cognito, postgres
from tools.directory.cognito_ids import DirectoryMismatch, plan_cognito_ids
from tools.errors import ToolError

PLACES = {"table": "public.users", "pool": "us-east-1_P"}


def test_rows_whose_id_differs_are_updated_the_others_kept() -> None:
    plan = plan_cognito_ids(
        [("bayko", "sub-b"), ("andrewbrown", "MOCK")],
        {"andrewbrown": "sub-a", "bayko": "sub-b"},
        **PLACES,
    )
    assert dict(plan.updates) == {"andrewbrown": "sub-a"}
    assert plan.unchanged == ("bayko",)


@pytest.mark.parametrize(
    ("rows", "subs", "reason"),
    [
        (
            [("a", None)],
            {"a": "1", "b": "2"},
            "@b in user pool us-east-1_P but not in public.users",
        ),
        ([("a", None), ("c", None)], {"a": "1"}, "@c in public.users but not in user pool"),
        ([("a", None), ("a", None)], {"a": "1"}, "more than one row for @a"),
    ],
)
def test_directories_that_disagree_are_refused_before_any_write(
    rows: list[tuple[str, str | None]], subs: dict[str, str], reason: str
) -> None:
    with pytest.raises(DirectoryMismatch, match=reason):
        plan_cognito_ids(rows, subs, **PLACES)


def test_many_missing_handles_are_counted_not_all_listed() -> None:
    subs = {f"u{n:02d}": str(n) for n in range(12)}
    with pytest.raises(DirectoryMismatch) as raised:
        plan_cognito_ids([], subs, **PLACES)
    assert "@u00, @u01, @u02, @u03, @u04 and 7 more" in str(raised.value)


@pytest.mark.parametrize(
    ("url", "described"),
    [
        (
            "postgresql://postgres:password@db.example.com:5433/cruddur",
            "postgresql://postgres@db.example.com:5433/cruddur",
        ),
        (
            "postgresql://postgres:pw@localhost/cruddur",
            "postgresql://postgres@localhost:5432/cruddur",
        ),
        (
            "postgresql://postgres@/cruddur?host=/run/pg",
            "postgresql://postgres@/cruddur?host=/run/pg",
        ),
    ],
)
def test_a_database_is_named_without_its_password(url: str, described: str) -> None:
    assert postgres.describe(url) == described


def test_a_connection_url_that_does_not_parse_is_one_line_without_its_value() -> None:
    with pytest.raises(ToolError) as raised:
        postgres.describe("secret-password-not-a-url")
    assert "secret" not in raised.value.message
    assert raised.value.message.startswith("CONNECTION_URL is not a Postgres URL")


def test_without_connection_url_the_local_server_is_used_or_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(local_postgres, "running_url", lambda: None)
    with pytest.raises(ToolError, match="start it with `make db`"):
        postgres.resolve(prod=False, environ={})
    monkeypatch.setattr(
        local_postgres, "running_url", lambda: "postgresql://postgres@/cruddur?host=/s"
    )
    found = postgres.resolve(prod=False, environ={})
    assert found.local and found.url.endswith("host=/s")
    # --prod never falls back to the local server.
    with pytest.raises(ToolError, match="--prod needs CONNECTION_URL"):
        postgres.resolve(prod=True, environ={})


def test_the_update_without_a_database_fails_before_asking_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sockets are disabled here: reaching Cognito first would fail differently."""
    monkeypatch.setattr(local_postgres, "running_url", lambda: None)
    result = CliRunner().invoke(db.cli, ["update-cognito-user-ids"], env={"CONNECTION_URL": ""})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: CONNECTION_URL is not set and the local Postgres is not running: "
        "start it with `make db`"
    ]


@pytest.mark.parametrize("value", ["", "us-east-1", "us-east-1_bad id", "x" * 50 + "_" + "y" * 10])
def test_a_pool_id_of_the_wrong_form_is_refused(value: str) -> None:
    with pytest.raises(ToolError, match="is not a user pool id"):
        cognito.validate_pool_id(value, source="AWS_COGNITO_USER_POOL_ID")


def test_a_stale_or_missing_pid_file_means_no_local_server(
    tmp_path: pytest.TempPathFactory,
) -> None:
    assert local_postgres.running_url(tmp_path) is None  # type: ignore[arg-type]


def test_prod_needs_a_pool_id_and_never_looks_one_up() -> None:
    """No request is made (sockets are disabled here): the missing id is found first."""
    with pytest.raises(ToolError, match="--prod needs AWS_COGNITO_USER_POOL_ID"):
        cognito.connect(prod=True, pool_id=None, environ={"AWS_REGION": "eu-west-2"})
