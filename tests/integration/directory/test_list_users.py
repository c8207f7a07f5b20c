"""bin/cognito/list-users against a user pool of the session's local cloud (moto's cognito-idp)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ddb_cli import one_error_line, tool_env
from directory_tools import add_pool_user, cognito

from local import user_pool
from tools import users
from tools.directory import cognito as directory_cognito

# ListUsers' Limit: valid range 0-60 (Cognito API Reference, ListUsers).
PAGE_SIZE = 60


def test_lists_every_user_of_the_users_file_with_their_sub(
    pool_env: dict[str, str], pool_id: str, cognito_client: Any
) -> None:
    result = cognito("list-users", "--json", env=pool_env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert sorted(listed) == sorted(user.handle for user in users.load())
    # Each sub is the one Cognito gave that user (asked of the pool directly, one by one).
    for user in users.load():
        email = users.load().emails[user.handle]
        got = cognito_client.admin_get_user(UserPoolId=pool_id, Username=email)
        sub = next(a["Value"] for a in got["UserAttributes"] if a["Name"] == "sub")
        assert listed[user.handle] == sub
    assert f"user pool {pool_id}" in result.stderr.splitlines()[0]


def test_reads_every_page_of_a_pool_larger_than_one_page(
    pool_env: dict[str, str], pool_id: str, cognito_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ListUsers returns at most 60 users a call: 130 more users make three pages, each asked
    for with AWS's largest Limit, each after the first with the token the one before gave."""
    calls: list[dict[str, Any]] = []
    make_clients = directory_cognito.clients

    def recording_clients(target: Any) -> Any:
        made = make_clients(target)

        def client(service: str) -> Any:
            found = made(service)
            found.meta.events.register(
                "provide-client-params.cognito-idp.ListUsers",
                lambda params, **_: calls.append(dict(params)),
            )
            return found

        return client

    monkeypatch.setattr(directory_cognito, "clients", recording_clients)
    extra = {
        f"user_{n:03d}": add_pool_user(cognito_client, pool_id, f"user_{n:03d}") for n in range(130)
    }
    assert len(extra) + 3 > 2 * PAGE_SIZE
    first_page = cognito_client.list_users(UserPoolId=pool_id, Limit=PAGE_SIZE)
    assert len(first_page["Users"]) == PAGE_SIZE and first_page.get("PaginationToken")

    result = cognito("list-users", "--json", env=pool_env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert len(listed) == 133
    assert {handle: listed[handle] for handle in extra} == extra
    assert [call["Limit"] for call in calls] == [PAGE_SIZE] * 3
    assert ["PaginationToken" in call for call in calls] == [False, True, True]

    calls.clear()
    table = cognito("list-users", env=pool_env)
    assert "133 users in" in table.stdout and "@user_129" in table.stdout


def test_the_local_clouds_pool_is_found_by_name_when_no_id_is_set(
    moto_endpoint: str, cognito_client: Any
) -> None:
    """Without AWS_COGNITO_USER_POOL_ID, the local cloud's own pool (what make local creates);
    creating it twice keeps one pool and its users."""
    pool = user_pool.ensure(moto_endpoint, users.load())
    try:
        assert user_pool.ensure(moto_endpoint, users.load()) == pool
        result = cognito("list-users", "--json", env=tool_env(moto_endpoint))
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)) == 3
    finally:
        cognito_client.delete_user_pool(UserPoolId=pool)
    gone = cognito("list-users", env=tool_env(moto_endpoint))
    assert gone.returncode == 1
    assert "has no pool named cruddur-user-pool" in one_error_line(gone)


@pytest.mark.parametrize(
    ("pool", "reason"),
    [
        ("us-east-1_NoSuchPool", "user pool us-east-1_NoSuchPool does not exist at local"),
        ("not a pool", "is not a user pool id: expected REGION_ID"),
    ],
)
def test_a_pool_that_does_not_exist_is_one_line(
    pool_env: dict[str, str], pool: str, reason: str
) -> None:
    result = cognito("list-users", env={**pool_env, "AWS_COGNITO_USER_POOL_ID": pool})
    assert result.returncode == 1
    assert reason in one_error_line(result)


def test_a_user_without_a_handle_is_one_line(
    pool_env: dict[str, str], pool_id: str, cognito_client: Any
) -> None:
    cognito_client.admin_create_user(
        UserPoolId=pool_id,
        Username="nohandle@example.com",
        UserAttributes=[{"Name": "email", "Value": "nohandle@example.com"}],
        MessageAction="SUPPRESS",
    )
    result = cognito("list-users", env=pool_env)
    assert result.returncode == 1
    assert "has no preferred_username" in one_error_line(result)
