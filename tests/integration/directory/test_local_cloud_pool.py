"""`make local`'s ready line names the user pool it created: the users file's users, in the
local cloud (the deploy and the pump, which tests/e2e runs for real, are stood in for here)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local import cloud, demo, deploy, server
from tools import users


def test_the_ready_line_names_the_pool_holding_the_users_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = server.start
    monkeypatch.setattr(server, "start", lambda port: start(port, authorize=False))
    deployed = deploy.Deployment(
        stack_name="stack", table_name="cruddur-messages", function_name="fn", failure_bucket=None
    )
    monkeypatch.setattr(deploy, "deploy", lambda endpoint: deployed)
    lines: list[str] = []
    seen: dict[str, Any] = {}

    class Pump:
        """Stands in for the stream pump: looks into the pool while the cloud still runs."""

        @staticmethod
        def for_deployment(developer: cloud.Clients, **_: Any) -> Any:
            pool = re.search(r"AWS_COGNITO_USER_POOL_ID=(\S+);", lines[-1])
            assert pool, lines
            client = developer("cognito-idp")
            listed = client.list_users(UserPoolId=pool[1])["Users"]
            seen["handles"] = sorted(
                next(a["Value"] for a in u["Attributes"] if a["Name"] == "preferred_username")
                for u in listed
            )
            client.delete_user_pool(UserPoolId=pool[1])
            raise KeyboardInterrupt  # how make local ends

    monkeypatch.setattr(demo, "StreamPump", Pump)
    assert demo.run_local(server.free_port(), log=lines.append) == 0
    assert seen["handles"] == sorted(user.handle for user in users.load())
    assert "stopped" in lines
