"""Relative date literals and date functions, in the org's time zone.

A date literal (``TODAY``, ``LAST_N_DAYS:30`` …) names a range of whole days that
starts at 00:00:00 in the org's time zone. ``date_range`` answers it as a half-open
``[start, end)`` pair of local dates; ``utc_bounds`` turns such a pair into the
storage form of the UTC instants where those local days begin, so that datetime
columns can be compared as text. Weeks start on Sunday (the ``en_US`` locale) and
the fiscal year is the calendar year, as in a new org.

Date functions (``CALENDAR_YEAR(CreatedDate)`` …) read a stored date or datetime;
on a datetime they work in UTC unless the field is wrapped in
``convertTimezone()``, as Salesforce documents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "DATE_FUNCTIONS",
    "N_LITERALS",
    "PLAIN_LITERALS",
    "date_function",
    "date_range",
    "utc_bounds",
]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


def _week_start(today: date) -> date:
    """The Sunday that starts ``today``'s week."""
    return today - timedelta(days=(today.weekday() + 1) % 7)


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_start(today: date) -> date:
    return today.replace(day=1)


def _quarter_start(today: date) -> date:
    return date(today.year, (today.month - 1) // 3 * 3 + 1, 1)


def _year_start(today: date) -> date:
    return date(today.year, 1, 1)


Range = tuple[date, date]


def _days(today: date, first: int, count: int) -> Range:
    start = today + timedelta(days=first)
    return start, start + timedelta(days=count)


def _weeks(today: date, first: int, count: int) -> Range:
    start = _week_start(today) + first * _WEEK
    return start, start + count * _WEEK


def _periods(
    anchor: Callable[[date], date], months: int
) -> Callable[[date, int, int], Range]:
    def periods(today: date, first: int, count: int) -> Range:
        start = _add_months(anchor(today), first * months)
        return start, _add_months(start, count * months)

    return periods


_MONTHS = _periods(_month_start, 1)
_QUARTERS = _periods(_quarter_start, 3)
_YEARS = _periods(_year_start, 12)

# Literals without ``:n``: (unit, first period relative to now, number of periods).
PLAIN_LITERALS: dict[str, tuple[Callable[[date, int, int], Range], int, int]] = {
    "YESTERDAY": (_days, -1, 1),
    "TODAY": (_days, 0, 1),
    "TOMORROW": (_days, 1, 1),
    "LAST_WEEK": (_weeks, -1, 1),
    "THIS_WEEK": (_weeks, 0, 1),
    "NEXT_WEEK": (_weeks, 1, 1),
    "LAST_MONTH": (_MONTHS, -1, 1),
    "THIS_MONTH": (_MONTHS, 0, 1),
    "NEXT_MONTH": (_MONTHS, 1, 1),
    # Today and the 90 days before it; the 90 days after today.
    "LAST_90_DAYS": (_days, -90, 91),
    "NEXT_90_DAYS": (_days, 1, 90),
    "LAST_QUARTER": (_QUARTERS, -1, 1),
    "THIS_QUARTER": (_QUARTERS, 0, 1),
    "NEXT_QUARTER": (_QUARTERS, 1, 1),
    "LAST_YEAR": (_YEARS, -1, 1),
    "THIS_YEAR": (_YEARS, 0, 1),
    "NEXT_YEAR": (_YEARS, 1, 1),
    "LAST_FISCAL_QUARTER": (_QUARTERS, -1, 1),
    "THIS_FISCAL_QUARTER": (_QUARTERS, 0, 1),
    "NEXT_FISCAL_QUARTER": (_QUARTERS, 1, 1),
    "LAST_FISCAL_YEAR": (_YEARS, -1, 1),
    "THIS_FISCAL_YEAR": (_YEARS, 0, 1),
    "NEXT_FISCAL_YEAR": (_YEARS, 1, 1),
}

# Literals with ``:n``: (unit, kind). ``last`` ends where the current period
# starts, ``next`` starts where it ends, ``ago`` is the single period n back.
# LAST_N_DAYS is special: it includes today.
N_LITERALS: dict[str, tuple[Callable[[date, int, int], Range], str]] = {
    "LAST_N_DAYS": (_days, "last_including_today"),
    "NEXT_N_DAYS": (_days, "next"),
    "N_DAYS_AGO": (_days, "ago"),
    "LAST_N_WEEKS": (_weeks, "last"),
    "NEXT_N_WEEKS": (_weeks, "next"),
    "N_WEEKS_AGO": (_weeks, "ago"),
    "LAST_N_MONTHS": (_MONTHS, "last"),
    "NEXT_N_MONTHS": (_MONTHS, "next"),
    "N_MONTHS_AGO": (_MONTHS, "ago"),
    "LAST_N_QUARTERS": (_QUARTERS, "last"),
    "NEXT_N_QUARTERS": (_QUARTERS, "next"),
    "N_QUARTERS_AGO": (_QUARTERS, "ago"),
    "LAST_N_YEARS": (_YEARS, "last"),
    "NEXT_N_YEARS": (_YEARS, "next"),
    "N_YEARS_AGO": (_YEARS, "ago"),
    "LAST_N_FISCAL_QUARTERS": (_QUARTERS, "last"),
    "NEXT_N_FISCAL_QUARTERS": (_QUARTERS, "next"),
    "N_FISCAL_QUARTERS_AGO": (_QUARTERS, "ago"),
    "LAST_N_FISCAL_YEARS": (_YEARS, "last"),
    "NEXT_N_FISCAL_YEARS": (_YEARS, "next"),
    "N_FISCAL_YEARS_AGO": (_YEARS, "ago"),
}


def date_range(name: str, n: int | None, today: date) -> Range:
    """The ``[start, end)`` local dates a date literal covers on ``today``.

    Raises ``KeyError`` for an unknown literal and ``ValueError`` when ``n`` is
    missing from a ``:n`` literal or given to a plain one.
    """
    if name in PLAIN_LITERALS:
        if n is not None:
            raise ValueError(f"{name} takes no :n")
        unit, first, count = PLAIN_LITERALS[name]
        return unit(today, first, count)
    unit, kind = N_LITERALS[name]
    if n is None:
        raise ValueError(f"{name} needs :n")
    if kind == "last_including_today":
        return unit(today, -n, n + 1)
    if kind == "last":
        return unit(today, -n, n)
    if kind == "next":
        return unit(today, 1, n)
    return unit(today, -n, 1)


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA time zone name (cached)."""
    return ZoneInfo(name)


def local_midnight_utc(day: date, time_zone: str) -> datetime:
    """The UTC instant at which ``day`` begins in ``time_zone``."""
    return datetime.combine(day, time(0), tzinfo=zone(time_zone)).astimezone(UTC)


def stored_utc(moment: datetime) -> str:
    """The storage text of an aware datetime (UTC, milliseconds, ``Z``)."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def utc_bounds(bounds: Range, time_zone: str) -> tuple[str, str]:
    """Storage texts of the UTC instants where the local days ``bounds`` begin."""
    start, end = bounds
    return (
        stored_utc(local_midnight_utc(start, time_zone)),
        stored_utc(local_midnight_utc(end, time_zone)),
    )


# --- date functions ---------------------------------------------------------------


def _local(text: str, time_zone: str | None) -> datetime:
    """A stored date or datetime as a datetime, in ``time_zone`` if given."""
    if len(text) == 10:
        return datetime.fromisoformat(text)
    moment = datetime(
        int(text[0:4]),
        int(text[5:7]),
        int(text[8:10]),
        int(text[11:13]),
        int(text[14:16]),
        int(text[17:19]),
        tzinfo=UTC,
    )
    if time_zone:
        moment = moment.astimezone(zone(time_zone))
    return moment


def _day_in_week(moment: datetime) -> int:
    # Sunday is 1, Saturday is 7.
    return (moment.weekday() + 1) % 7 + 1


DATE_FUNCTIONS: dict[str, Callable[[datetime], int | str]] = {
    "CALENDAR_MONTH": lambda m: m.month,
    "CALENDAR_QUARTER": lambda m: (m.month - 1) // 3 + 1,
    "CALENDAR_YEAR": lambda m: m.year,
    "DAY_IN_MONTH": lambda m: m.day,
    "DAY_IN_WEEK": _day_in_week,
    "DAY_IN_YEAR": lambda m: m.timetuple().tm_yday,
    "DAY_ONLY": lambda m: m.date().isoformat(),
    "FISCAL_MONTH": lambda m: m.month,
    "FISCAL_QUARTER": lambda m: (m.month - 1) // 3 + 1,
    "FISCAL_YEAR": lambda m: m.year,
    "HOUR_IN_DAY": lambda m: m.hour,
    "WEEK_IN_MONTH": lambda m: (m.day - 1) // 7 + 1,
    "WEEK_IN_YEAR": lambda m: (m.timetuple().tm_yday - 1) // 7 + 1,
}


def date_function(name: str, stored: str | None, time_zone: str | None) -> Any:
    """Apply the date function ``name`` to a stored date or datetime text.

    ``time_zone`` converts a datetime before the function reads it (None: UTC).
    Returns None for None.
    """
    if stored is None:
        return None
    return DATE_FUNCTIONS[name](_local(stored, time_zone))
