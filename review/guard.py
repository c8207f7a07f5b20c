"""The guard: a change may not replace or destroy stateful resources or alarm subscriptions, or
broaden permissions, unless a commit of the change says it means it, with a trailer that names
each such change.

A commit trailer rather than an ALLOW= variable: the intent then travels with the change, is
reviewed with it, and works in CI, where nobody can pass a variable to a pull request's run.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from review.model import StageDiff

TRAILER: Final = "Allow-Infra-Change"
# Stateful by type, not by logical id: a renamed or re-implemented resource stays guarded.
STATEFUL_TYPES: Final = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        # Replacing the mapping restarts reading the stream at its starting position.
        "AWS::Lambda::EventSourceMapping",
    }
)
# Not data, but who is paged: a removed subscription pages nobody, and a replaced e-mail one
# pages nobody until its new confirmation link is clicked.
GUARDED_TYPES: Final = STATEFUL_TYPES | {"AWS::SNS::Subscription"}
GUARDED_IMPACTS: Final = frozenset({"WILL_REPLACE", "MAY_REPLACE", "WILL_DESTROY", "WILL_ORPHAN"})
_TOKEN = re.compile(r"[A-Za-z0-9_-]+/[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Finding:
    stage: str
    subject: str  # a logical id, "iam" or "security-groups"
    what: str

    @property
    def token(self) -> str:
        """What a trailer names to allow this finding."""
        return f"{self.stage}/{self.subject}"


def findings(diffs: Iterable[StageDiff]) -> list[Finding]:
    """Every guarded change, in stage order."""
    found: list[Finding] = []
    for diff in diffs:
        for resource in diff.resources:
            if resource.old_type in GUARDED_TYPES and resource.impact in GUARDED_IMPACTS:
                causes = [p.name for p in resource.properties if p.impact in GUARDED_IMPACTS]
                why = f" ({', '.join(causes)})" if causes else ""
                what = f"{resource.impact} {resource.old_type}{why}"
                found.append(Finding(diff.stage, resource.logical_id, what))
        if diff.iam_broadened:
            found.append(Finding(diff.stage, "iam", "broadens IAM permissions"))
        if diff.security_group_rules_added:
            found.append(Finding(diff.stage, "security-groups", "adds security group rules"))
    return found


def allowed_tokens(base: str, repo: Path) -> set[str]:
    """The tokens named by `Allow-Infra-Change:` trailers of the commits in base..HEAD."""
    log = subprocess.run(
        [
            "git",
            "log",
            f"--format=%(trailers:key={TRAILER},valueonly,separator=%x0A)",
            f"{base}..HEAD",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_tokens(log.stdout)


def parse_tokens(trailer_values: str) -> set[str]:
    """`stage/LogicalId` words of trailer values; other words are the author's reason."""
    return set(_TOKEN.findall(trailer_values))


def refusal(blocked: Sequence[Finding], base: str) -> str:
    """The exit message: what was refused and exactly how to allow it."""
    tokens = " ".join(f.token for f in blocked)
    lines = [
        f"make diff: refused {len(blocked)} change(s) to stateful resources or permissions"
        " (REFUSED under Guard).",
        "If intended, say so in a commit of the change (between BASE and HEAD) with this trailer,",
        "then run make diff again with the same BASE:",
        f"  {TRAILER}: {tokens}",
        f'  e.g. git commit --allow-empty -m "<why>" --trailer "{TRAILER}: {tokens}"',
    ]
    if base == "HEAD":
        lines.append("  (BASE=HEAD compares uncommitted work, which carries no trailer: commit it,")
        lines.append("  then run make diff BASE=<the commit you started from>, e.g. origin/main)")
    return "\n".join(lines)
