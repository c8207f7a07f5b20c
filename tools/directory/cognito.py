"""The user pool: which one (AWS_COGNITO_USER_POOL_ID, else the local cloud's by name) and its
users' handles, every page of ListUsers read.

ListUsers returns at most 60 users a call (`Limit`, valid range 0-60) and a PaginationToken while
more remain; it may return fewer than Limit before the end (Cognito API Reference, ListUsers:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUsers.html).
A pool id is `[\\w-]+_[0-9a-zA-Z]+`, at most 55 characters (same page).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import click
from botocore.exceptions import BotoCoreError, ClientError

from local import user_pool
from tools.errors import ToolError, translate
from tools.target import clients, resolve

POOL_ID_ENV: Final = "AWS_COGNITO_USER_POOL_ID"
# The service's own endpoint variable first, as boto3 resolves them.
ENDPOINT_ENVS: Final = ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL")
PAGE_SIZE: Final = 60
POOL_ID_PATTERN: Final = re.compile(r"[\w-]+_[0-9a-zA-Z]+")
MAX_POOL_ID_LENGTH: Final = 55
# What the course's scripts ask for: the handle and Cognito's id of the user.
HANDLE_ATTRIBUTE: Final = "preferred_username"
SUB_ATTRIBUTE: Final = "sub"


@dataclass(frozen=True)
class UserPool:
    client: Any
    pool_id: str
    where: str
    prod: bool


def validate_pool_id(value: str, *, source: str) -> str:
    pool_id = value.strip()
    if len(pool_id) > MAX_POOL_ID_LENGTH or not POOL_ID_PATTERN.fullmatch(pool_id):
        raise ToolError(
            f"{source}={value!r} is not a user pool id: expected REGION_ID, e.g. us-east-1_AbC123"
        )
    return pool_id


@contextmanager
def aws_errors(where: str, *, prod: bool, pool_id: str | None = None) -> Iterator[None]:
    """boto3's errors as one line; a missing pool named as such."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException" and pool_id is not None:
            raise ToolError(
                f"user pool {pool_id} does not exist at {where}; check the pool id and region"
            ) from None
        raise translate(error, table=None, where=where, prod=prod) from None
    except BotoCoreError as error:
        raise translate(error, table=None, where=where, prod=prod) from None


def connect(
    *, prod: bool, pool_id: str | None, environ: Mapping[str, str] | None = None
) -> UserPool:
    """The pool for these options: --user-pool-id, else AWS_COGNITO_USER_POOL_ID, else (local
    only) the local cloud's pool, found by name. Says on stderr where it goes."""
    env = os.environ if environ is None else environ
    target = resolve(prod=prod, environ=env, endpoint_envs=ENDPOINT_ENVS)
    chosen: str | None = None
    # Checked before the client is built: building one resolves credentials (with --prod, the
    # whole chain), and a missing or malformed id needs none.
    if pool_id is not None:
        chosen = validate_pool_id(pool_id, source="--user-pool-id")
    elif env.get(POOL_ID_ENV, "").strip():
        chosen = validate_pool_id(env[POOL_ID_ENV], source=POOL_ID_ENV)
    elif prod:
        raise ToolError(f"--prod needs {POOL_ID_ENV} (or --user-pool-id): the pool's id")
    client = clients(target)("cognito-idp")
    kind = "AWS" if prod else "local"
    where = f"{kind} {client.meta.endpoint_url} ({target.region})"
    if chosen is None:
        with aws_errors(where, prod=prod):
            chosen = user_pool.find_pool(client)
        if chosen is None:
            raise ToolError(
                f"{POOL_ID_ENV} is not set and {where} has no pool named {user_pool.POOL_NAME} "
                "(make local creates it)"
            )
    click.echo(f"cognito: {where}, user pool {chosen}", err=True)
    return UserPool(client=client, pool_id=chosen, where=where, prod=prod)


def _attribute(user: Mapping[str, Any], name: str) -> str | None:
    return next(
        (str(a["Value"]) for a in user.get("Attributes", []) if a.get("Name") == name), None
    )


def handles(pool: UserPool) -> dict[str, str]:
    """{handle: sub} of every user in the pool, every page read; ToolError for a user without a
    handle, or a handle two users share (either would leave a row without its one sub)."""
    subs: dict[str, str] = {}
    kwargs: dict[str, Any] = {
        "UserPoolId": pool.pool_id,
        "AttributesToGet": [HANDLE_ATTRIBUTE, SUB_ATTRIBUTE],
        "Limit": PAGE_SIZE,
    }
    seen_tokens: set[str] = set()
    while True:
        with aws_errors(pool.where, prod=pool.prod, pool_id=pool.pool_id):
            page = pool.client.list_users(**kwargs)
        for user in page.get("Users", []):
            handle, sub = _attribute(user, HANDLE_ATTRIBUTE), _attribute(user, SUB_ATTRIBUTE)
            if not handle or not sub:
                raise ToolError(
                    f"user {user.get('Username')} in user pool {pool.pool_id} has no "
                    f"{HANDLE_ATTRIBUTE if not handle else SUB_ATTRIBUTE}: it cannot be matched"
                )
            if handle in subs:
                raise ToolError(
                    f"two users in user pool {pool.pool_id} have {HANDLE_ATTRIBUTE} {handle!r}"
                )
            subs[handle] = sub
        token = page.get("PaginationToken")
        if not token:
            return subs
        if token in seen_tokens:  # a service bug would otherwise loop forever
            raise ToolError(f"user pool {pool.pool_id}: ListUsers returned a token twice")
        seen_tokens.add(token)
        kwargs["PaginationToken"] = token
