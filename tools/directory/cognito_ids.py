"""Which `public.users` rows get which Cognito `sub`: a pure decision, made before any write.

Both sides must name the same handles: a handle in the pool but not in the table (or the reverse)
means the two directories disagree, and guessing which is right would write wrong ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class DirectoryMismatch(ValueError):
    """The pool and the table do not hold the same users; the message says how, in one line."""


@dataclass(frozen=True, kw_only=True)
class CognitoIdPlan:
    """The rows to update (handle -> new sub) and the handles already holding their sub."""

    updates: Mapping[str, str]
    unchanged: tuple[str, ...]


def _listed(handles: Iterable[str], limit: int = 5) -> str:
    names = sorted(handles)
    shown = ", ".join(f"@{name}" for name in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def plan_cognito_ids(
    rows: Iterable[tuple[str, str | None]], subs: Mapping[str, str], *, table: str, pool: str
) -> CognitoIdPlan:
    """The plan for the table's (handle, cognito_user_id) rows and the pool's handle -> sub map;
    DirectoryMismatch if a handle repeats in the table or the two sets of handles differ."""
    current: dict[str, str | None] = {}
    counts = Counter[str]()
    for handle, cognito_user_id in rows:
        counts[handle] += 1
        current[handle] = cognito_user_id
    repeated = [handle for handle, count in counts.items() if count > 1]
    if repeated:
        raise DirectoryMismatch(
            f"{table} has more than one row for {_listed(repeated)}; a handle must name one user"
        )
    only_in_pool = subs.keys() - current.keys()
    if only_in_pool:
        raise DirectoryMismatch(
            f"{_listed(only_in_pool)} in user pool {pool} but not in {table}; add the "
            f"{'row' if len(only_in_pool) == 1 else 'rows'} first"
        )
    only_in_table = current.keys() - subs.keys()
    if only_in_table:
        raise DirectoryMismatch(
            f"{_listed(only_in_table)} in {table} but not in user pool {pool} "
            "(no user with that preferred_username); sign them up first"
        )
    updates = {h: subs[h] for h in sorted(current) if current[h] != subs[h]}
    unchanged = tuple(h for h in sorted(current) if h not in updates)
    return CognitoIdPlan(updates=updates, unchanged=unchanged)
