"""Filter correctness: what SOQL returns equals the same filter in plain Python.

Every operator and every date literal runs against ``large_org`` (a few hundred
generated accounts), and the ids it answers are compared with the ids a Python
reference picks from the stored rows. The reference states each rule in its own
terms: text compares case-insensitively (ASCII case folding for ranges, as
SQLite's NOCASE does, Unicode lower case otherwise), logic is two-valued, and a
date literal is a window of periods (days, Sunday-based weeks, months, quarters,
years) counted from today in the org's time zone.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.emulator.query.conftest import TIME_ZONE, Org, today

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def soql_ids(org: Org, where: str) -> set[str]:
    result = org.query(f"SELECT Id FROM Account WHERE {where}")
    assert result["done"]
    return {r["Id"] for r in result["records"]}


def python_ids(org: Org, keep: Predicate) -> set[str]:
    return {
        row["Id"]
        for row in org.rows["Account"]
        if not row.get("IsDeleted") and keep(row)
    }


def check(org: Org, where: str, keep: Predicate) -> None:
    expected = python_ids(org, keep)
    assert soql_ids(org, where) == expected


def soql_text(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- text -------------------------------------------------------------------------

TEXT_VALUES = ["acme", "ACME 4", "école", "ÉCOLE 5", "straße", "a_b", "z", "Zürich"]


def ascii_fold(text: str) -> str:
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in text)


def text_compare(op: str, value: str) -> Predicate:
    def keep(row: Row) -> bool:
        name = row.get("Name")
        equal = name is not None and name.lower() == value.lower()
        if op == "=":
            return equal
        if op == "!=":
            return not equal
        if name is None:
            return False
        fold = ascii_fold if value.isascii() else str.lower
        return OPS[op](fold(name), fold(value))

    return keep


@pytest.mark.parametrize("value", TEXT_VALUES)
@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_text_comparisons(large_org: Org, op: str, value: str) -> None:
    check(large_org, f"Name {op} {soql_text(value)}", text_compare(op, value))


LIKE_PATTERNS = [
    "acme%",
    "%cole%",
    "É%",
    "é%",
    "%\\_%",
    "_",
    "a_b",
    "%4%",
    "100\\%%",
    "%ÜRICH%",
    "%",
    "s%E",
]


def like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


@pytest.mark.parametrize("pattern", LIKE_PATTERNS)
def test_like(large_org: Org, pattern: str) -> None:
    regex = like_regex(pattern)

    def keep(row: Row) -> bool:
        return row["Name"] is not None and regex.fullmatch(row["Name"]) is not None

    check(large_org, f"Name LIKE '{pattern}'", keep)
    check(large_org, f"NOT Name LIKE '{pattern}'", lambda row: not keep(row))


@pytest.mark.parametrize(
    "values",
    [["acme", "ÉCOLE", "z"], ["Straße", "nothing"], ["ACME 3", "acme 6", "Z 9"]],
)
def test_text_in_lists(large_org: Org, values: list[str]) -> None:
    wanted = {v.lower() for v in values}

    def keep(row: Row) -> bool:
        return row["Name"] is not None and row["Name"].lower() in wanted

    listed = ", ".join(soql_text(v) for v in values)
    check(large_org, f"Name IN ({listed})", keep)
    check(large_org, f"Name NOT IN ({listed})", lambda row: not keep(row))


@pytest.mark.parametrize("value", ["Energy", "energy", "Retail"])
def test_picklist_equality_and_nulls(large_org: Org, value: str) -> None:
    def equal(row: Row) -> bool:
        industry = row["Industry"]
        return industry is not None and industry.lower() == value.lower()

    check(large_org, f"Industry = '{value}'", equal)
    check(large_org, f"Industry != '{value}'", lambda row: not equal(row))
    check(large_org, f"NOT Industry = '{value}'", lambda row: not equal(row))
    check(large_org, "Industry = null", lambda row: row["Industry"] is None)
    check(large_org, "Industry != null", lambda row: row["Industry"] is not None)
    check(
        large_org,
        f"Industry IN ('{value}', null)",
        lambda row: equal(row) or row["Industry"] is None,
    )


# --- numbers, booleans, multi-select picklists ------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("AnnualRevenue", "0"),
        ("AnnualRevenue", "1000"),
        ("AnnualRevenue", "2500.5"),
        ("AnnualRevenue", "-1"),
        ("AnnualRevenue", "1000000"),
        ("NumberOfEmployees", "5"),
        ("NumberOfEmployees", "0"),
        ("NumberOfEmployees", "50"),
    ],
)
@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_number_comparisons(large_org: Org, field: str, op: str, value: str) -> None:
    number = float(value)

    def keep(row: Row) -> bool:
        stored = row[field]
        if op == "=":
            return stored is not None and stored == number
        if op == "!=":
            return stored is None or stored != number
        return stored is not None and OPS[op](stored, number)

    check(large_org, f"{field} {op} {value}", keep)


def test_number_in_lists(large_org: Org) -> None:
    check(
        large_org,
        "NumberOfEmployees IN (0, 10, 50)",
        lambda row: row["NumberOfEmployees"] in (0, 10, 50),
    )
    check(
        large_org,
        "NumberOfEmployees NOT IN (0, 10)",
        lambda row: row["NumberOfEmployees"] not in (0, 10),
    )


@pytest.mark.parametrize(
    ("where", "keep"),
    [
        ("Flag__c = true", lambda row: row["Flag__c"] == 1),
        ("Flag__c = false", lambda row: row["Flag__c"] == 0),
        ("Flag__c != true", lambda row: row["Flag__c"] != 1),
        ("NOT Flag__c = false", lambda row: row["Flag__c"] == 1),
    ],
)
def test_booleans(large_org: Org, where: str, keep: Predicate) -> None:
    check(large_org, where, keep)


def _tags(row: Row) -> set[str]:
    text = row["Tags__c"]
    return {t.lower() for t in text.split(";")} if text else set()


@pytest.mark.parametrize(
    ("values", "sets"),
    [
        ("'Red'", [{"red"}]),
        ("'green;RED'", [{"red", "green"}]),
        ("'Blue', 'ünïcode'", [{"blue"}, {"ünïcode"}]),
        ("'Red;Blue', 'Green'", [{"red", "blue"}, {"green"}]),
    ],
)
def test_includes_and_excludes(
    large_org: Org, values: str, sets: list[set[str]]
) -> None:
    def keep(row: Row) -> bool:
        return any(wanted <= _tags(row) for wanted in sets)

    check(large_org, f"Tags__c INCLUDES ({values})", keep)
    check(large_org, f"Tags__c EXCLUDES ({values})", lambda row: not keep(row))


def test_multi_select_equality_ignores_order(large_org: Org) -> None:
    check(
        large_org, "Tags__c = 'Green;Red'", lambda row: _tags(row) == {"red", "green"}
    )


# --- logic ---------------------------------------------------------------------


def test_and_or_not_are_two_valued(large_org: Org) -> None:
    def energy(row: Row) -> bool:
        return bool(row["Industry"] == "Energy")

    def big(row: Row) -> bool:
        return row["AnnualRevenue"] is not None and row["AnnualRevenue"] > 1000

    check(
        large_org,
        "NOT (Industry = 'Energy' AND AnnualRevenue > 1000)",
        lambda row: not (energy(row) and big(row)),
    )
    check(
        large_org,
        "Industry = 'Energy' OR NOT AnnualRevenue > 1000",
        lambda row: energy(row) or not big(row),
    )
    check(
        large_org,
        "(Industry = 'Energy' OR Industry = null) AND (NOT Flag__c = true)",
        lambda row: (energy(row) or row["Industry"] is None) and row["Flag__c"] != 1,
    )


# --- dates ---------------------------------------------------------------------

LOCAL = ZoneInfo(TIME_ZONE)
UNITS: dict[str, Callable[[date], int]] = {
    "DAY": date.toordinal,
    "WEEK": lambda d: d.toordinal() // 7,  # ordinal 7 is a Sunday
    "MONTH": lambda d: d.year * 12 + d.month - 1,
    "QUARTER": lambda d: d.year * 4 + (d.month - 1) // 3,
    "YEAR": lambda d: d.year,
}
PLAIN = {
    "YESTERDAY": ("DAY", -1, -1),
    "TODAY": ("DAY", 0, 0),
    "TOMORROW": ("DAY", 1, 1),
    "LAST_90_DAYS": ("DAY", -90, 0),
    "NEXT_90_DAYS": ("DAY", 1, 90),
}
for _unit in ("WEEK", "MONTH", "QUARTER", "YEAR"):
    for _prefix in ("", "FISCAL_"):
        if _prefix and _unit in ("WEEK", "MONTH"):
            continue
        PLAIN[f"LAST_{_prefix}{_unit}"] = (_unit, -1, -1)
        PLAIN[f"THIS_{_prefix}{_unit}"] = (_unit, 0, 0)
        PLAIN[f"NEXT_{_prefix}{_unit}"] = (_unit, 1, 1)


def n_literal(name: str, n: int) -> tuple[str, int, int]:
    unit = next(u for u in UNITS if u in name)
    if name == "LAST_N_DAYS":
        return unit, -n, 0
    if name.startswith("LAST_N_"):
        return unit, -n, -1
    if name.startswith("NEXT_N_"):
        return unit, 1, n
    return unit, -n, -n


N_NAMES = [
    form.format(f"{fiscal}{unit}S")
    for unit in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
    for fiscal in (("", "FISCAL_") if unit in ("QUARTER", "YEAR") else ("",))
    for form in ("LAST_N_{}", "NEXT_N_{}", "N_{}_AGO")
]
LITERALS = [(name, None) for name in PLAIN] + [
    (name, n) for name in N_NAMES for n in (1, 3)
]


def window(name: str, n: int | None) -> Callable[[date], bool]:
    unit, low, high = PLAIN[name] if n is None else n_literal(name, n)
    index = UNITS[unit]
    now = index(today())
    return lambda day: low <= index(day) - now <= high


@functools.cache
def span(name: str, n: int | None) -> tuple[date, date]:
    """The first and last local day a literal covers."""
    inside = window(name, n)
    days = [today() + timedelta(days=k) for k in range(-3000, 3000)]
    chosen = [d for d in days if inside(d)]
    return chosen[0], chosen[-1]


@functools.lru_cache(maxsize=4096)
def local_day(stored: str | None) -> date | None:
    if stored is None:
        return None
    if len(stored) == 10:
        return date.fromisoformat(stored)
    moment = datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).date()


def date_keep(field: str, op: str, name: str, n: int | None) -> Predicate:
    inside = window(name, n)
    first, last = span(name, n)

    def keep(row: Row) -> bool:
        day = local_day(row[field])
        if op == "!=":
            return day is None or not inside(day)
        if day is None:
            return False
        return {
            "=": inside(day),
            "<": day < first,
            "<=": day <= last,
            ">": day > last,
            ">=": day >= first,
        }[op]

    return keep


def test_every_literal_is_covered() -> None:
    from sfmagic.emulator.query.dates import N_LITERALS, PLAIN_LITERALS

    assert {name for name, _ in LITERALS} == set(PLAIN_LITERALS) | set(N_LITERALS)


@pytest.mark.parametrize("field", ["CreatedDate", "LastActivityDate"])
@pytest.mark.parametrize(("name", "n"), LITERALS, ids=lambda v: str(v))
def test_date_literals(large_org: Org, field: str, name: str, n: int | None) -> None:
    literal = name if n is None else f"{name}:{n}"
    for op in ("=", "!=", "<", "<=", ">", ">="):
        where = f"{field} {op} {literal}"
        expected = python_ids(large_org, date_keep(field, op, name, n))
        assert soql_ids(large_org, where) == expected, where


@pytest.mark.parametrize(
    "moment",
    [
        "2024-03-14T07:00:00Z",
        "2024-03-14T06:59:59.999Z",
        "2024-03-14T00:00:00-07:00",
        "2023-01-01T12:34:56.5+01:00",
    ],
)
@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_datetime_literals(large_org: Org, op: str, moment: str) -> None:
    bound = datetime.fromisoformat(moment.replace("Z", "+00:00"))

    def keep(row: Row) -> bool:
        stored = datetime.strptime(row["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%fZ")
        value = stored.replace(tzinfo=UTC)
        if op == "=":
            return value == bound
        if op == "!=":
            return value != bound
        return OPS[op](value, bound)

    check(large_org, f"CreatedDate {op} {moment}", keep)


@pytest.mark.parametrize("day", ["2024-03-13", "2023-06-01", "2025-01-31"])
@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_date_values(large_org: Org, op: str, day: str) -> None:
    def keep(row: Row) -> bool:
        stored: str | None = row["LastActivityDate"]
        if op == "=":
            return stored == day
        if op == "!=":
            return stored != day
        return stored is not None and OPS[op](stored, day)

    check(large_org, f"LastActivityDate {op} {day}", keep)


@pytest.mark.parametrize(
    ("function", "compute"),
    [
        ("CALENDAR_YEAR", lambda m: m.year),
        ("CALENDAR_MONTH", lambda m: m.month),
        ("CALENDAR_QUARTER", lambda m: (m.month - 1) // 3 + 1),
        ("DAY_IN_MONTH", lambda m: m.day),
        ("DAY_IN_WEEK", lambda m: m.isoweekday() % 7 + 1),
        ("DAY_IN_YEAR", lambda m: m.timetuple().tm_yday),
        ("HOUR_IN_DAY", lambda m: m.hour),
        ("WEEK_IN_MONTH", lambda m: (m.day - 1) // 7 + 1),
        ("WEEK_IN_YEAR", lambda m: (m.timetuple().tm_yday - 1) // 7 + 1),
        ("FISCAL_YEAR", lambda m: m.year),
    ],
)
@pytest.mark.parametrize("local", [False, True])
def test_date_functions_group_like_python(
    large_org: Org, function: str, compute: Callable[[datetime], int], local: bool
) -> None:
    argument = "convertTimezone(CreatedDate)" if local else "CreatedDate"
    result = large_org.query(
        f"SELECT {function}({argument}) k, COUNT(Id) n FROM Account "
        f"GROUP BY {function}({argument})"
    )
    counted = {r["k"]: r["n"] for r in result["records"]}
    expected: dict[int, int] = {}
    for row in large_org.rows["Account"]:
        if row["IsDeleted"]:
            continue
        stored = datetime.strptime(row["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%fZ")
        moment = stored.replace(tzinfo=UTC)
        key = compute(moment.astimezone(LOCAL) if local else moment)
        expected[key] = expected.get(key, 0) + 1
    assert counted == expected
