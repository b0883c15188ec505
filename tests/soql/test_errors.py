"""Salesforce's caret messages, SoqlSyntaxError, and the parser's guard rails."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfmagic.soql import SoqlSyntaxError, caret_message, parse
from sfmagic.soql.parser import MAX_NESTING
from tests.soql.test_parse import VALID

INVALID_FIELD_DETAIL = (
    "No such column 'Invalid__x' on entity 'Contact'. If you are attempting to use a "
    "custom field, be sure to append the '__c' after the custom field name. Please "
    "reference your WSDL or the describe call for the appropriate names."
)


def test_caret_message_matches_salesforce() -> None:
    message = caret_message(
        "SELECT Id,Invalid__x FROM Contact LIMIT 1", 1, 11, INVALID_FIELD_DETAIL
    )
    assert message == (
        "\nSELECT Id,Invalid__x FROM Contact LIMIT 1\n          ^\n"
        f"ERROR at Row:1:Column:11\n{INVALID_FIELD_DETAIL}"
    )


@pytest.mark.parametrize(
    ("text", "line", "column", "shown", "caret"),
    [
        ("SELECT Id\nFROM Foo", 2, 6, "FROM Foo", "     ^"),
        ("SELECT Id\r\nFROM Foo\r\n", 2, 6, "FROM Foo", "     ^"),
        ("SELECT\tId\tFROM Foo", 1, 11, "SELECT\tId\tFROM Foo", "      \t  \t^"),
        ("SELECT Id", 1, 10, "SELECT Id", "         ^"),
        ("SELECT Id", 1, 14, "SELECT Id", "             ^"),
        ("SELECT Id", 5, 1, "", "^"),
        ("", 1, 1, "", "^"),
    ],
)
def test_caret_message_shows_the_row_and_points_at_the_column(
    text: str, line: int, column: int, shown: str, caret: str
) -> None:
    assert caret_message(text, line, column, "x") == (
        f"\n{shown}\n{caret}\nERROR at Row:{line}:Column:{column}\nx"
    )


def test_syntax_error_carries_its_parts() -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse("SELECT Id FROM FROM Account")
    error = caught.value
    assert (error.line, error.column, error.token) == (1, 16, "FROM")
    assert error.detail == "unexpected token: 'FROM'"
    assert error.query == "SELECT Id FROM FROM Account"
    assert str(error) == (
        "\nSELECT Id FROM FROM Account\n               ^\n"
        "ERROR at Row:1:Column:16\nunexpected token: 'FROM'"
    )


def test_syntax_error_survives_pickling() -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse("SELECT Id FROM Account WHERE")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.detail, copy.query, copy.line, copy.column, copy.token) == (
        caught.value.detail,
        caught.value.query,
        caught.value.line,
        caught.value.column,
        caught.value.token,
    )
    assert str(copy) == str(caught.value)


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_NESTING
    parse(f"SELECT Id FROM A WHERE {'(' * depth}a = 1{')' * depth}")
    parse(f"SELECT Id FROM A WHERE {'NOT ' * depth}a = 1")


def test_parentheses_beyond_the_limit_are_refused() -> None:
    depth = MAX_NESTING + 1
    text = f"SELECT Id FROM A WHERE {'(' * depth}a = 1{')' * depth}"
    with pytest.raises(SoqlSyntaxError, match="nested too deeply") as caught:
        parse(text)
    assert caught.value.column == 24 + MAX_NESTING


def test_parentheses_inside_strings_do_not_count() -> None:
    parse(f"SELECT Id FROM A WHERE Name = '{'(' * (MAX_NESTING + 5)}'")


def test_stacked_nots_beyond_the_limit_are_refused() -> None:
    with pytest.raises(SoqlSyntaxError, match="nested too deeply"):
        parse(f"SELECT Id FROM A WHERE {'NOT ' * (MAX_NESTING + 1)}a = 1")


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse("SELECT Id FROM A WHERE Name = '\ud800'")
    assert (caught.value.column, caught.value.token) == (32, "\ud800")


@pytest.mark.parametrize("module", ["sfmagic.soql.ast", "sfmagic.soql"])
def test_import_does_not_load_lark(module: str) -> None:
    code = f"import sys, {module}; print('lark' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_message_of_a_lone_surrogate_encodes_as_utf8() -> None:
    with pytest.raises(SoqlSyntaxError) as caught:
        parse("SELECT Id FROM A WHERE Name = '\ud800'")
    assert "\ufffd" in str(caught.value)
    str(caught.value).encode("utf-8")


def _syntax_error(text: str) -> SoqlSyntaxError | None:
    try:
        parse(text)
    except SoqlSyntaxError as error:
        return error
    return None


@given(st.text())
def test_any_text_parses_or_raises_a_syntax_error(text: str) -> None:
    error = _syntax_error(text)
    assert error is None or min(error.line, error.column) >= 1


@given(
    st.sampled_from([case[0] for case in VALID]),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=6),
    st.text(alphabet="()',.:%\\=<>-_ aNdORt0129éZT\n", max_size=6),
)
def test_mutated_queries_parse_or_raise_a_syntax_error(
    text: str, at: int, cut: int, insert: str
) -> None:
    at = min(at, len(text))
    error = _syntax_error(text[:at] + insert + text[at + cut :])
    assert error is None or min(error.line, error.column) >= 1


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM A WHERE Name = '" + "a\\'" * 30000,
        "'\\" * 50000,
        "SELECT Id FROM A WHERE Name = '" + "(\\'" * 30000 + "'",
        "SELECT Id FROM A WHERE " + " OR ".join(["a = 1"] * 5000),
    ],
    ids=["unterminated", "backslashes", "parentheses-in-string", "long-or"],
)
def test_long_hostile_input_is_answered(text: str) -> None:
    # These inputs once took a minute (quadratic parenthesis check); pytest's
    # timeout catches a regression without a timing threshold here.
    error = _syntax_error(text)
    assert error is None or error.line >= 1
