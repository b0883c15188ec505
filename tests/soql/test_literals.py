"""Literal decoding: string escapes, LIKE patterns, numbers, dates, datetimes,
currency amounts and relative date literals."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from simple_salesforce.format import format_soql

from sfmagic.soql import SoqlSyntaxError, ast, parse

DATE_LITERALS = [
    "YESTERDAY",
    "TODAY",
    "TOMORROW",
    "LAST_WEEK",
    "THIS_WEEK",
    "NEXT_WEEK",
    "LAST_MONTH",
    "THIS_MONTH",
    "NEXT_MONTH",
    "LAST_90_DAYS",
    "NEXT_90_DAYS",
    "THIS_QUARTER",
    "LAST_QUARTER",
    "NEXT_QUARTER",
    "THIS_YEAR",
    "LAST_YEAR",
    "NEXT_YEAR",
    "THIS_FISCAL_QUARTER",
    "LAST_FISCAL_QUARTER",
    "NEXT_FISCAL_QUARTER",
    "THIS_FISCAL_YEAR",
    "LAST_FISCAL_YEAR",
    "NEXT_FISCAL_YEAR",
]
DATE_N_LITERALS = [
    "LAST_N_DAYS",
    "NEXT_N_DAYS",
    "N_DAYS_AGO",
    "LAST_N_WEEKS",
    "NEXT_N_WEEKS",
    "N_WEEKS_AGO",
    "LAST_N_MONTHS",
    "NEXT_N_MONTHS",
    "N_MONTHS_AGO",
    "LAST_N_QUARTERS",
    "NEXT_N_QUARTERS",
    "N_QUARTERS_AGO",
    "LAST_N_YEARS",
    "NEXT_N_YEARS",
    "N_YEARS_AGO",
    "LAST_N_FISCAL_QUARTERS",
    "NEXT_N_FISCAL_QUARTERS",
    "N_FISCAL_QUARTERS_AGO",
    "LAST_N_FISCAL_YEARS",
    "NEXT_N_FISCAL_YEARS",
    "N_FISCAL_YEARS_AGO",
]
UTC = dt.UTC


def _right(text: str) -> ast.Value:
    where = parse(text).where
    assert isinstance(where, ast.Comparison)
    return where.right


def _literal(value_text: str, op: str = "=") -> ast.Literal:
    right = _right(f"SELECT Id FROM Account WHERE Field {op} {value_text}")
    assert isinstance(right, ast.Literal)
    return right


@pytest.mark.parametrize(
    ("quoted", "expected"),
    [
        (r"'plain'", "plain"),
        (r"''", ""),
        (r"'Bob\'s'", "Bob's"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'a\nb'", "a\nb"),
        (r"'a\Nb'", "a\nb"),
        (r"'a\rb\Rc'", "a\rb\rc"),
        (r"'a\tb\Tc'", "a\tb\tc"),
        (r"'a\bb\Bc'", "a\bb\bc"),
        (r"'a\fb\Fc'", "a\fb\fc"),
        (r"'l\u00e9on'", "léon"),
        (r"'L\u00C9ON'", "LÉON"),
        (r"'\u0041\u0000z'", "A\x00z"),
        (r"'\uD83D\uDE00'", "😀"),
        ("'日本語 😀'", "日本語 😀"),
        ("'50% of a_b'", "50% of a_b"),
        ("'two\nlines'", "two\nlines"),
        (r"'\\\''", "\\'"),
    ],
)
def test_string_escapes_are_resolved(quoted: str, expected: str) -> None:
    literal = _literal(quoted)
    assert (literal.kind, literal.value, literal.text) == ("string", expected, quoted)


@pytest.mark.parametrize(
    ("quoted", "sequence"),
    [
        (r"'a\qb'", r"\q"),
        (r"'a\%'", r"\%"),
        (r"'a\_'", r"\_"),
        (r"'\U00e9'", r"\U"),
        (r"'\u12'", r"\u"),
        (r"'\u12G4'", r"\u"),
        (r"'\x41'", r"\x"),
        (r"'\uD83D'", r"\uD83D"),
        (r"'\uDE00x'", r"\uDE00"),
    ],
)
def test_illegal_escapes_are_syntax_errors(quoted: str, sequence: str) -> None:
    text = f"SELECT Id FROM Account WHERE Name = {quoted}"
    with pytest.raises(SoqlSyntaxError) as caught:
        parse(text)
    assert caught.value.detail == (
        f"Invalid string literal '{quoted[1:-1]}'. "
        f"Illegal character sequence '{sequence}' in string literal."
    )
    assert (caught.value.column, caught.value.token) == (37, quoted)


@pytest.mark.parametrize(
    ("quoted", "pattern"),
    [
        (r"'Ter%'", "Ter%"),
        (r"'Ter\%'", "Ter\\%"),
        (r"'Ter\%%'", "Ter\\%%"),
        (r"'a\_b_'", "a\\_b_"),
        (r"'a\\b'", "a\\\\b"),
        (r"'a\\%'", "a\\\\%"),
        (r"'\u005C'", "\\\\"),
        (r"'\u0025\u005F'", "%_"),
        (r"'it\'s%'", "it's%"),
        (r"'\n%'", "\n%"),
        (r"'caf\u00e9%'", "café%"),
    ],
)
def test_like_pattern_keeps_literal_wildcards_escaped(
    quoted: str, pattern: str
) -> None:
    literal = _literal(quoted, "LIKE")
    assert (literal.kind, literal.value, literal.text) == ("string", pattern, quoted)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("5", "integer", 5),
        ("-5", "integer", -5),
        ("+5", "integer", 5),
        ("007", "integer", 7),
        ("123456789012345678901234567890", "integer", 123456789012345678901234567890),
        ("5.0", "decimal", Decimal("5.0")),
        ("-0.25", "decimal", Decimal("-0.25")),
        (".5", "decimal", Decimal("0.5")),
        ("true", "boolean", True),
        ("TrUe", "boolean", True),
        ("FALSE", "boolean", False),
        ("Null", "null", None),
    ],
)
def test_numbers_booleans_and_null(text: str, kind: str, value: object) -> None:
    literal = _literal(text)
    assert (literal.kind, literal.value, literal.text) == (kind, value, text)
    assert type(literal.value) is type(value)


@pytest.mark.parametrize(
    ("text", "code", "amount"),
    [
        ("USD5000", "USD", Decimal(5000)),
        ("eur12.50", "EUR", Decimal("12.50")),
        ("JPY-10", "JPY", Decimal(-10)),
    ],
)
def test_currency_amounts(text: str, code: str, amount: Decimal) -> None:
    literal = _literal(text)
    assert (literal.kind, literal.currency, literal.value) == ("currency", code, amount)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15", dt.date(2024, 1, 15)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("0001-01-01", dt.date(1, 1, 1)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    literal = _literal(text)
    assert (literal.kind, literal.value) == ("date", expected)


def _zone(hours: int, minutes: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00Z", dt.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00+00:00", dt.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (
            "2024-01-15T10:30:00+01:00",
            dt.datetime(2024, 1, 15, 10, 30, tzinfo=_zone(1)),
        ),
        (
            "2024-01-15T10:30:00-0530",
            dt.datetime(2024, 1, 15, 10, 30, tzinfo=_zone(-5, -30)),
        ),
        (
            "2024-01-15T23:59:59+1400",
            dt.datetime(2024, 1, 15, 23, 59, 59, tzinfo=_zone(14)),
        ),
        (
            "2024-01-15T10:30:00.123Z",
            dt.datetime(2024, 1, 15, 10, 30, 0, 123000, tzinfo=UTC),
        ),
        (
            "2024-01-15T10:30:00.1234567-08:00",
            dt.datetime(2024, 1, 15, 10, 30, 0, 123456, tzinfo=_zone(-8)),
        ),
    ],
)
def test_datetimes_are_aware(text: str, expected: dt.datetime) -> None:
    literal = _literal(text)
    assert isinstance(literal.value, dt.datetime)
    assert literal.kind == "datetime"
    assert literal.value == expected
    assert literal.value.utcoffset() == expected.utcoffset()


def test_offset_datetime_is_the_same_instant_as_utc() -> None:
    assert (
        _literal("2024-01-15T11:30:00+01:00").value
        == _literal("2024-01-15T10:30:00Z").value
    )


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15T10:30:00",
        "2024-01-15T10:30Z",
        "2024-01-15T24:00:00Z",
        "2024-01-15T10:30:00+25:00",
        "2024-01-15T10:30:00+01:60",
        "2024-01-15T10:30:00+1",
        "2024-02-30T10:30:00Z",
        "2024-01-15T10:30:00.Z",
    ],
)
def test_malformed_datetimes_are_reported_whole(text: str) -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse(f"SELECT Id FROM Account WHERE CreatedDate = {text}")
    assert caught.value.detail.startswith(f"invalid datetime: '{text}'")
    assert (caught.value.column, caught.value.token) == (44, text)


@pytest.mark.parametrize("text", ["2023-02-29", "2024-00-10", "2024-04-31"])
def test_impossible_dates_are_syntax_errors(text: str) -> None:
    with pytest.raises(SoqlSyntaxError, match="invalid date"):
        parse(f"SELECT Id FROM Account WHERE CloseDate = {text}")


@pytest.mark.parametrize("name", DATE_LITERALS)
def test_date_literals(name: str) -> None:
    assert _right(f"SELECT Id FROM Case WHERE CreatedDate > {name.lower()}") == (
        ast.DateLiteral(name, None, ast.Position(1, 41))
    )


@pytest.mark.parametrize("name", DATE_N_LITERALS)
@pytest.mark.parametrize("n", [0, 1, 30, 1000])
def test_date_literals_with_n(name: str, n: int) -> None:
    assert _right(f"SELECT Id FROM Case WHERE CreatedDate = {name}:{n}") == (
        ast.DateLiteral(name, n, ast.Position(1, 41))
    )


@pytest.mark.parametrize("name", DATE_N_LITERALS)
def test_date_literals_with_n_need_n(name: str) -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse(f"SELECT Id FROM Case WHERE CreatedDate = {name}")
    assert caught.value.detail == f"unexpected token: '{name}'"


@given(st.text())
def test_format_soql_string_round_trips(value: str) -> None:
    literal = _right(format_soql("SELECT Id FROM Account WHERE Name = {}", value))
    assert isinstance(literal, ast.Literal)
    assert literal.value == value


@given(st.text())
def test_format_soql_like_pattern_round_trips(value: str) -> None:
    text = format_soql("SELECT Id FROM Account WHERE Name LIKE '{:like}%'", value)
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    literal = _right(text)
    assert isinstance(literal, ast.Literal)
    assert literal.value == escaped + "%"


@given(st.lists(st.text() | st.integers() | st.booleans() | st.none(), min_size=1))
def test_format_soql_in_list_round_trips(values: list[object]) -> None:
    where = parse(format_soql("SELECT Id FROM Account WHERE Name IN {}", values)).where
    assert isinstance(where, ast.InList)
    decoded = [value.value for value in where.values if isinstance(value, ast.Literal)]
    assert decoded == values


@given(st.datetimes(timezones=st.just(UTC)) | st.dates())
def test_format_soql_dates_round_trip(value: dt.date) -> None:
    literal = _right(
        format_soql("SELECT Id FROM Account WHERE CreatedDate = {}", value)
    )
    assert isinstance(literal, ast.Literal)
    if isinstance(value, dt.datetime):
        value = value.replace(microsecond=0)
    assert literal.value == value


def _sqlite_like(text: str, pattern: str) -> bool:
    with closing(sqlite3.connect(":memory:")) as connection:
        row = connection.execute("SELECT ? LIKE ? ESCAPE '\\'", (text, pattern))
        return bool(row.fetchone()[0])


@pytest.mark.parametrize(
    ("quoted", "text", "matches"),
    [
        (r"'Ter%'", "Terrible", True),
        (r"'Ter\%'", "Ter%", True),
        (r"'Ter\%'", "Terr", False),
        (r"'a\_b'", "a_b", True),
        (r"'a\_b'", "axb", False),
        (r"'a_b'", "axb", True),
        (r"'a\\%'", "a\\xyz", True),
        (r"'a\\%'", "a%", False),
        (r"'\u005C%'", "\\x", True),
        (r"'it\'s'", "it's", True),
    ],
)
def test_like_pattern_means_the_same_to_sqlite(
    quoted: str, text: str, matches: bool
) -> None:
    pattern = _literal(quoted, "LIKE").value
    assert isinstance(pattern, str)
    assert _sqlite_like(text, pattern) is matches


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00")))
def test_escaped_like_pattern_matches_its_text_in_sqlite(value: str) -> None:
    text = format_soql("SELECT Id FROM Account WHERE Name LIKE '{:like}%'", value)
    pattern = _right(text)
    assert isinstance(pattern, ast.Literal)
    assert isinstance(pattern.value, str)
    assert _sqlite_like(value + "tail", pattern.value)
