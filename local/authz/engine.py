"""The policy engine: one long-lived Node process running @cloud-copilot/iam-simulate
(local/authz/engine.mjs), spoken to in JSON lines over its stdin and stdout.

It runs on the project's Node 22 (node_modules/.bin/node, from the `node` npm package) and is
started with the endpoint: if it cannot start, the endpoint does not either, with one line saying
what to run. The package is AGPL-3.0: a development tool here, never part of the Lambda package.
"""

from __future__ import annotations

import copy
import json
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
NODE: Final = PROJECT_ROOT / "node_modules" / ".bin" / "node"
SCRIPT: Final = Path(__file__).with_name("engine.mjs")
NODE_MAJOR: Final = 22
_START_TIMEOUT_S: Final = 20.0
_FIX: Final = "run `make setup` (it installs Node 22 and the policy engine from package-lock.json)"


class EngineUnavailable(RuntimeError):
    """The policy engine cannot run: the message is one line, with what to run."""


@dataclass(frozen=True)
class Decision:
    result: str  # Allowed, ExplicitlyDenied or ImplicitlyDenied
    identity: str | None = None  # the identity policies' own result
    endpoint: str | None = None  # the VPC endpoint policies' own result, if any applied
    error: str | None = None  # the engine rejected the input (a policy it cannot read...)

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed" and self.error is None


def endpoint_policy_for_engine(policy: dict[str, Any]) -> dict[str, Any]:
    """AWS reads `"Principal": {"AWS": "*"}` in an endpoint policy as `"Principal": "*"` (the
    CDK writes the former for AnyPrincipal); the engine accepts only the latter."""
    normalized = copy.deepcopy(policy)
    statements = normalized.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Principal") == {"AWS": "*"}:
            statement["Principal"] = "*"
    return normalized


class PolicyEngine:
    """A running engine; `evaluate` is safe to call from several threads (one at a time)."""

    def __init__(self, process: subprocess.Popen[str], stderr: IO[str]) -> None:
        self._process = process
        self._stderr = stderr
        self._lock = threading.Lock()

    @classmethod
    def start(cls, node: Path = NODE, script: Path = SCRIPT) -> PolicyEngine:
        """Start the engine and wait until it has evaluated a first policy; EngineUnavailable
        (one line) if Node or the package is missing, or Node is not version 22."""
        if not node.exists():
            raise EngineUnavailable(f"the policy engine needs {_shown(node)}: {_FIX}")
        # A file, not a pipe: nobody reads the engine's stderr while it runs, and a full pipe
        # would block it mid-request.
        stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by close())
        try:
            process = subprocess.Popen(
                [str(node), str(script)],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                bufsize=1,
            )
        except OSError as error:
            stderr.close()
            raise EngineUnavailable(f"the policy engine cannot start ({error}): {_FIX}") from None
        engine = cls(process, stderr)
        ready = engine._read_line(timeout_s=_START_TIMEOUT_S)
        if ready is None or not ready.get("ready"):
            reason = engine._stderr_reason()
            engine.close()
            raise EngineUnavailable(f"the policy engine did not start ({reason}): {_FIX}")
        major = str(ready.get("node", "")).lstrip("v").split(".", 1)[0]
        if major != str(NODE_MAJOR):
            engine.close()
            raise EngineUnavailable(
                f"the policy engine needs Node {NODE_MAJOR}, {node} is {ready.get('node')}: {_FIX}"
            )
        return engine

    def evaluate(self, simulation: dict[str, Any]) -> Decision:
        """One runSimulation; an engine that died answers with an error decision (a denial)."""
        with self._lock:
            stdin = self._process.stdin
            assert stdin is not None
            try:
                stdin.write(json.dumps({"simulation": simulation}, separators=(",", ":")) + "\n")
                stdin.flush()
            except OSError:
                return Decision("ImplicitlyDenied", error="the policy engine has stopped")
            reply = self._read_line(timeout_s=None)
        if reply is None:
            return Decision("ImplicitlyDenied", error="the policy engine has stopped")
        if "error" in reply:
            return Decision("ImplicitlyDenied", error=str(reply["error"]))
        return Decision(str(reply["result"]), reply.get("identity"), reply.get("endpoint"))

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def _read_line(self, timeout_s: float | None) -> dict[str, Any] | None:
        stdout = self._process.stdout
        assert stdout is not None
        line = stdout.readline() if timeout_s is None else _readline_within(stdout, timeout_s)
        return dict(json.loads(line)) if line.strip() else None

    def _stderr_reason(self) -> str:
        try:  # stdout closed: the process is ending; give it a moment to finish writing why
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "no answer"
        self._stderr.seek(0)
        stderr = self._stderr.read()
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("Error") or "Cannot find" in line]
        return (errors or lines or [f"exit {self._process.returncode}"])[0]


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)


def _readline_within(stream: IO[str], timeout_s: float) -> str:
    """readline() with a deadline (the first line: a Node that hangs must not hang the start)."""
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout_s)
    return result[0] if result else ""
