"""`make demo` and `make local` share one owner of the endpoint's lifetime (demo.on_local_cloud):
the endpoint stops whatever the steps do, a failure is one line, and the audit summary and the
capacity line are last.

The endpoint is replaced by a stand-in that records `stop()`: what is under test is the lifetime
and the error lines, not the server (tests/e2e runs the real one)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local import authz, capacity, cloud, demo, server


class _Endpoint:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> _Endpoint:
    started = _Endpoint()
    monkeypatch.setattr(server, "start", lambda port: started)
    return started


def recorder(seen: list[str]) -> Callable[[str], int]:
    def steps(url: str) -> int:
        seen.append(url)
        return 0

    return steps


def run(steps: Callable[[str], int]) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = demo.on_local_cloud(8123, steps, log=lines.append)
    return code, lines


def test_steps_get_the_endpoint_and_their_exit_code_is_returned(endpoint: _Endpoint) -> None:
    seen: list[str] = []
    code, lines = run(recorder(seen))
    assert (code, seen) == (0, [cloud.endpoint_url(8123)])
    assert endpoint.stopped
    assert lines == [authz.audit_summary(), capacity.summary()]


def test_a_failing_step_is_one_line_and_the_endpoint_still_stops(endpoint: _Endpoint) -> None:
    def steps(url: str) -> int:
        raise RuntimeError("the deploy broke")

    code, lines = run(steps)
    assert code == 1
    assert endpoint.stopped
    assert lines == [
        "error: RuntimeError: the deploy broke",
        authz.audit_summary(),
        capacity.summary(),
    ]


def test_a_step_error_is_its_own_message(endpoint: _Endpoint) -> None:
    def steps(url: str) -> int:
        raise demo.StepError("ddb seed failed (exit 1)")

    expected = ["error: ddb seed failed (exit 1)", authz.audit_summary(), capacity.summary()]
    assert run(steps) == (1, expected)
    assert endpoint.stopped


def test_an_endpoint_that_cannot_start_runs_no_step(monkeypatch: pytest.MonkeyPatch) -> None:
    def taken(port: int) -> None:
        raise server.PortInUseError(port)

    monkeypatch.setattr(server, "start", taken)
    ran: list[str] = []
    code, lines = run(recorder(ran))
    assert (code, ran) == (1, [])
    assert len(lines) == 1 and lines[0].startswith("error: port 8123 is already in use")


def test_a_stop_is_the_stopped_line_then_the_audit(endpoint: _Endpoint) -> None:
    """Ctrl-C, or a stop signal turned into one by local.stopping, during any step."""

    def steps(url: str) -> int:
        raise KeyboardInterrupt

    assert run(steps) == (130, ["stopped", authz.audit_summary(), capacity.summary()])
    assert endpoint.stopped


def test_a_taken_port_is_advised_as_the_user_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--port N` for python -m local.demo, `PORT=N` for make (the Makefile says so)."""

    def taken(port: int) -> None:
        raise server.PortInUseError(port)

    monkeypatch.setattr(server, "start", taken)
    for setting in ("--port N", "PORT=N"):
        lines: list[str] = []
        code = demo.on_local_cloud(8123, recorder([]), log=lines.append, port_setting=setting)
        assert code == 1
        assert lines == [f"error: {server.PortInUseError(8123, port_setting=setting)}"]
        assert lines[0].endswith(f"choose another port with {setting}")


def test_the_ready_line_suggests_the_scan_tool_with_only_what_differs() -> None:
    assert demo.scan_hint(cloud.endpoint_url(), "cruddur-messages") == "bin/ddb/scan"
    assert demo.scan_hint(cloud.endpoint_url(8123), "t-1") == (
        f"AWS_ENDPOINT_URL={cloud.endpoint_url(8123)} bin/ddb/scan --table t-1"
    )
