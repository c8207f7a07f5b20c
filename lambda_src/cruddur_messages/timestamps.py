"""Fixed-width UTC timestamps, so that string order (DynamoDB's sort-key order) is time order.

Every `created_at` and `last_message_at` is `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`: always
microseconds, always `+00:00`. The course mixed naive local times with UTC ones and crashed on
values without microseconds; `parse_timestamp` accepts those legacy forms and `format_timestamp`
never writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Final

TIMESTAMP_WIDTH: Final = len("2000-01-01T00:00:00.000000+00:00")


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """The canonical string for an aware datetime; naive datetimes are refused, not guessed."""
    if not isinstance(moment, datetime):
        raise ValueError(f"timestamp must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware (naive datetimes are ambiguous)")
    utc = _to_utc(moment)
    # The year is checked in UTC: 1000-01-01T00:30+01:00 is still year 999 there.
    if utc.year < 1000:
        raise ValueError("timestamp year must have four digits")
    return utc.isoformat(timespec="microseconds")


def _to_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"timestamp is out of range in UTC: {moment.isoformat()}") from None


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime from an ISO-8601 string with an offset (or `Z`)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("timestamp must be a non-empty ISO-8601 string")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"timestamp has no UTC offset: {text!r}")
    return _to_utc(moment)


def normalize_timestamp(text: str) -> str:
    """Any accepted ISO-8601 string, rewritten in the canonical fixed-width form."""
    return format_timestamp(parse_timestamp(text))


def validate_timestamp(value: object, *, field: str) -> str:
    """`value` if it is already a canonical timestamp; ValueError naming the field otherwise
    (a value written as a sort key is never rewritten, so it must arrive in the schema's form)."""
    if not isinstance(value, str) or not is_canonical(value):
        raise ValueError(
            f"{field} must be a UTC timestamp of the form 2025-01-01T00:00:00.000000+00:00, "
            f"got {value!r}"
        )
    return value


def is_canonical(text: str) -> bool:
    try:
        return normalize_timestamp(text) == text
    except ValueError:
        return False


def now_timestamp() -> str:
    return format_timestamp(utc_now())


def attempt_times(start: str | None, attempts: int) -> Iterator[str]:
    """The times of successive attempts at a free key: `start` (default: now), then, while the
    key stays taken, one microsecond or more later each time (now, if the clock has moved past).
    A given start is a lower bound, as the clock's reading is."""
    previous: datetime | None = None
    for _ in range(attempts):
        moment = utc_now() if start is None else parse_timestamp(start)
        if previous is not None:
            moment = max(moment, previous + timedelta(microseconds=1))
        previous = moment
        yield format_timestamp(moment)
