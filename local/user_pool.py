"""The local cloud's Cognito user pool (moto's cognito-idp), holding the users of the users file.

`make local` and `make demo` create it right after `cdk deploy` and print its id as
AWS_COGNITO_USER_POOL_ID; bin/cognito/list-users and bin/db/update-cognito-user-ids find it by
its name when that variable is unset. Like the course's pool, users sign in with their email
(the username is the email) and carry their handle as `preferred_username`; Cognito gives each a
`sub`, the id the course's users table keeps as cognito_user_id.
"""

from __future__ import annotations

from typing import Any, Final

from botocore.exceptions import ClientError

from local import cloud
from tools.users import Directory

POOL_NAME: Final = "cruddur-user-pool"
# ListUserPools takes MaxResults 1-60 (Cognito API Reference, ListUserPools:
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_ListUserPools.html).
_POOLS_PAGE: Final = 60


def find_pool(client: Any, name: str = POOL_NAME) -> str | None:
    """The id of the pool called `name`, reading every page; None if there is none."""
    kwargs: dict[str, Any] = {"MaxResults": _POOLS_PAGE}
    while True:
        page = client.list_user_pools(**kwargs)
        for pool in page.get("UserPools", []):
            if pool.get("Name") == name:
                return str(pool["Id"])
        if not page.get("NextToken"):
            return None
        kwargs["NextToken"] = page["NextToken"]


def add_users(client: Any, pool_id: str, directory: Directory) -> int:
    """Create the directory's users in the pool (those already there are kept); how many were
    created. Every user needs an email: it is their username."""
    created = 0
    for user in directory:
        email = directory.emails.get(user.handle)
        if email is None:
            raise ValueError(f"{directory.source}: @{user.handle} has no email to sign in with")
        try:
            client.admin_create_user(
                UserPoolId=pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": user.display_name},
                    {"Name": "preferred_username", "Value": user.handle},
                ],
                MessageAction="SUPPRESS",  # no invitation email
            )
            created += 1
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "UsernameExistsException":
                raise
    return created


def ensure(endpoint: str, directory: Directory, name: str = POOL_NAME) -> str:
    """The pool called `name` on the local endpoint, created if absent, holding the directory's
    users; its id."""
    client = cloud.developer(endpoint)("cognito-idp")
    pool_id = find_pool(client, name)
    if pool_id is None:
        pool_id = str(
            client.create_user_pool(
                PoolName=name,
                UsernameAttributes=["email"],
                AutoVerifiedAttributes=["email"],
            )["UserPool"]["Id"]
        )
    add_users(client, pool_id, directory)
    return pool_id
