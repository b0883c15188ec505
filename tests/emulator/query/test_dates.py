"""Date literal ranges, their UTC bounds and the date functions."""

from __future__ import annotations

from datetime import date

import pytest

from sfmagic.emulator.query.dates import date_function, date_range, utc_bounds

WEDNESDAY = date(2024, 3, 13)


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("TODAY", None, "2024-03-13", "2024-03-14"),
        ("YESTERDAY", None, "2024-03-12", "2024-03-13"),
        ("TOMORROW", None, "2024-03-14", "2024-03-15"),
        ("THIS_WEEK", None, "2024-03-10", "2024-03-17"),
        ("LAST_WEEK", None, "2024-03-03", "2024-03-10"),
        ("NEXT_WEEK", None, "2024-03-17", "2024-03-24"),
        ("THIS_MONTH", None, "2024-03-01", "2024-04-01"),
        ("LAST_MONTH", None, "2024-02-01", "2024-03-01"),
        ("NEXT_MONTH", None, "2024-04-01", "2024-05-01"),
        ("LAST_90_DAYS", None, "2023-12-14", "2024-03-14"),
        ("NEXT_90_DAYS", None, "2024-03-14", "2024-06-12"),
        ("THIS_QUARTER", None, "2024-01-01", "2024-04-01"),
        ("LAST_QUARTER", None, "2023-10-01", "2024-01-01"),
        ("NEXT_FISCAL_QUARTER", None, "2024-04-01", "2024-07-01"),
        ("THIS_YEAR", None, "2024-01-01", "2025-01-01"),
        ("LAST_FISCAL_YEAR", None, "2023-01-01", "2024-01-01"),
        ("LAST_N_DAYS", 1, "2024-03-12", "2024-03-14"),
        ("LAST_N_DAYS", 0, "2024-03-13", "2024-03-14"),
        ("NEXT_N_DAYS", 1, "2024-03-14", "2024-03-15"),
        ("N_DAYS_AGO", 13, "2024-02-29", "2024-03-01"),
        ("LAST_N_WEEKS", 2, "2024-02-25", "2024-03-10"),
        ("NEXT_N_WEEKS", 1, "2024-03-17", "2024-03-24"),
        ("N_WEEKS_AGO", 1, "2024-03-03", "2024-03-10"),
        ("LAST_N_MONTHS", 3, "2023-12-01", "2024-03-01"),
        ("NEXT_N_MONTHS", 10, "2024-04-01", "2025-02-01"),
        ("N_MONTHS_AGO", 14, "2023-01-01", "2023-02-01"),
        ("LAST_N_QUARTERS", 2, "2023-07-01", "2024-01-01"),
        ("N_FISCAL_QUARTERS_AGO", 4, "2023-01-01", "2023-04-01"),
        ("NEXT_N_YEARS", 2, "2025-01-01", "2027-01-01"),
        ("N_YEARS_AGO", 1, "2023-01-01", "2024-01-01"),
    ],
)
def test_date_ranges(name: str, n: int | None, start: str, end: str) -> None:
    assert date_range(name, n, WEDNESDAY) == (
        date.fromisoformat(start),
        date.fromisoformat(end),
    )


def test_a_sunday_starts_its_own_week() -> None:
    sunday = date(2024, 3, 10)
    assert date_range("THIS_WEEK", None, sunday)[0] == sunday


@pytest.mark.parametrize(("name", "n"), [("TODAY", 1), ("LAST_N_DAYS", None)])
def test_n_must_match_the_literal(name: str, n: int | None) -> None:
    with pytest.raises(ValueError, match=name):
        date_range(name, n, WEDNESDAY)


def test_utc_bounds_follow_daylight_saving() -> None:
    # Daylight saving time starts on 10 March 2024 in Los Angeles.
    bounds = utc_bounds((date(2024, 3, 9), date(2024, 3, 11)), "America/Los_Angeles")
    assert bounds == ("2024-03-09T08:00:00.000Z", "2024-03-11T07:00:00.000Z")
    assert utc_bounds((date(2024, 3, 9), date(2024, 3, 10)), "Asia/Kolkata") == (
        "2024-03-08T18:30:00.000Z",
        "2024-03-09T18:30:00.000Z",
    )


@pytest.mark.parametrize(
    ("name", "stored", "zone", "value"),
    [
        ("CALENDAR_YEAR", "2024-01-01T03:00:00.000Z", None, 2024),
        ("CALENDAR_YEAR", "2024-01-01T03:00:00.000Z", "America/Los_Angeles", 2023),
        ("CALENDAR_QUARTER", "2024-04-01", None, 2),
        ("DAY_IN_WEEK", "2024-03-10", None, 1),
        ("DAY_IN_WEEK", "2024-03-16", None, 7),
        ("DAY_IN_YEAR", "2024-12-31", None, 366),
        ("WEEK_IN_YEAR", "2024-01-07", None, 1),
        ("WEEK_IN_YEAR", "2024-01-08", None, 2),
        ("WEEK_IN_MONTH", "2024-03-15", None, 3),
        ("HOUR_IN_DAY", "2024-03-14T03:30:00.000Z", "America/Los_Angeles", 20),
        ("DAY_ONLY", "2024-03-14T03:30:00.000Z", None, "2024-03-14"),
        ("DAY_ONLY", "2024-03-14T03:30:00.000Z", "America/Los_Angeles", "2024-03-13"),
        ("FISCAL_MONTH", "2024-11-02", None, 11),
        ("CALENDAR_MONTH", None, None, None),
    ],
)
def test_date_functions(
    name: str, stored: str | None, zone: str | None, value: object
) -> None:
    assert date_function(name, stored, zone) == value
