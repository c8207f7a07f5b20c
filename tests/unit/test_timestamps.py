"""Timestamps: one fixed width, UTC, so that DynamoDB's string order of sort keys is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cruddur_messages.timestamps import (
    TIMESTAMP_WIDTH,
    format_timestamp,
    is_canonical,
    normalize_timestamp,
    now_timestamp,
    parse_timestamp,
)

# Offsets as real zones use them (whole minutes, at most 14 hours either way).
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Aware datetimes whose UTC year has four digits, in any offset.
moments = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
)


@given(moments, moments)
def test_string_order_is_time_order(a: datetime, b: datetime) -> None:
    """Comparing two formatted timestamps as strings agrees with comparing the instants."""
    sa, sb = format_timestamp(a), format_timestamp(b)
    assert (sa < sb) == (a < b)
    assert (sa == sb) == (a == b)


@given(moments)
def test_formatting_has_one_fixed_width(moment: datetime) -> None:
    """Every formatted timestamp has the same width, microseconds and a +00:00 offset."""
    text = format_timestamp(moment)
    assert len(text) == TIMESTAMP_WIDTH
    assert text.endswith("+00:00")
    assert text[19] == "." and text[20:26].isdigit()


@given(moments)
def test_parse_round_trips_format(moment: datetime) -> None:
    """Parsing a formatted timestamp gives back the same instant, in UTC."""
    parsed = parse_timestamp(format_timestamp(moment))
    assert parsed == moment
    assert parsed.utcoffset() == timedelta(0)


@given(moments)
def test_formatted_timestamps_are_canonical(moment: datetime) -> None:
    """format_timestamp's output is a fixed point of normalize_timestamp."""
    text = format_timestamp(moment)
    assert is_canonical(text)
    assert normalize_timestamp(text) == text


def test_whole_seconds_still_carry_microseconds() -> None:
    """An instant with no fractional second is written with .000000 (the course crashed here)."""
    assert format_timestamp(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) == (
        "2024-05-01T12:00:00.000000+00:00"
    )


def test_other_offsets_are_converted_to_utc() -> None:
    """A local time with an offset is written as the same instant in UTC."""
    paris = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2024, 5, 1, 1, 30, tzinfo=paris)) == (
        "2024-04-30T23:30:00.000000+00:00"
    )


def test_naive_datetimes_are_refused() -> None:
    """A naive datetime is ambiguous (the course mixed local and UTC ones): ValueError."""
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2024, 5, 1, 12, 0))


def test_years_before_1000_are_refused() -> None:
    """A three-digit UTC year would break the fixed width, even when the local year has four."""
    with pytest.raises(ValueError, match="four digits"):
        format_timestamp(datetime(1000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))


@pytest.mark.parametrize(
    ("legacy", "canonical"),
    [
        ("2023-02-28T10:11:12+00:00", "2023-02-28T10:11:12.000000+00:00"),
        ("2023-02-28T10:11:12Z", "2023-02-28T10:11:12.000000+00:00"),
        ("2023-02-28T10:11:12.5+00:00", "2023-02-28T10:11:12.500000+00:00"),
        ("2023-02-28T12:11:12.123456+02:00", "2023-02-28T10:11:12.123456+00:00"),
    ],
)
def test_legacy_forms_are_normalized(legacy: str, canonical: str) -> None:
    """The course's forms (no microseconds, `Z`, other offsets) are read, not crashed on."""
    assert normalize_timestamp(legacy) == canonical
    assert not is_canonical(legacy)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "yesterday",
        "2023-02-28T10:11:12",
        "2023-02-30T10:11:12+00:00",
        "9999-12-31T23:59:59-01:00",
    ],
    ids=["empty", "blank", "words", "no-offset", "no-such-day", "overflows-in-utc"],
)
def test_parse_refuses_what_is_not_an_aware_instant(text: str) -> None:
    """Strings that are not an ISO-8601 instant with an offset are a ValueError."""
    with pytest.raises(ValueError):
        parse_timestamp(text)
    assert not is_canonical(text)


def test_now_is_canonical_and_current() -> None:
    """now_timestamp is in the canonical form and within a second of the system clock."""
    text = now_timestamp()
    assert is_canonical(text)
    assert abs(parse_timestamp(text) - datetime.now(UTC)) < timedelta(seconds=1)
