"""Decode the literal tokens of SOQL into syntax tree values.

Strings
-------
A quoted string may use the escapes ``\\' \\" \\\\ \\n \\r \\t \\b \\f`` (letters
in either case; ``\\b`` is backspace, as in Java and simple-salesforce) and
``\\uXXXX`` (a UTF-16 code unit: a surrogate pair makes one character, a lone
half is an error). Any other backslash is an error with Salesforce's message
("Illegal character sequence '\\q' in string literal").

LIKE patterns
-------------
SOQL allows ``\\%`` and ``\\_`` only in the string of a LIKE, where they stand for a
literal ``%`` and ``_``. The ``value`` of that string is therefore a *pattern*: every
escape is resolved, except that a literal ``%``, ``_`` or backslash stays escaped
with a backslash (``\\%``, ``\\_``, ``\\\\``) while a bare ``%`` or ``_`` is a
wildcard. Such a pattern can go straight to SQLite as ``col LIKE ? ESCAPE '\\'``.
A ``\\uXXXX`` escape stands for its character as if typed: ``\\u0025`` is a wildcard
``%``, and ``\\u005C`` a literal backslash (``\\\\``). Outside LIKE, ``\\%`` and
``\\_`` are an error, as on Salesforce, and ``value`` is the plain decoded string.

Numbers, dates and the rest
---------------------------
Integers become ``int``, decimals and currency amounts ``Decimal``; dates
``datetime.date``; datetimes an aware ``datetime.datetime`` keeping the written offset
(``Z`` is UTC; fractions beyond microseconds are cut). Invalid dates and datetimes are
reported whole (``invalid datetime: '2024-01-15T10:30'``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn, cast

from sfmagic.soql import ast
from sfmagic.soql.errors import TokenError

if TYPE_CHECKING:
    from lark import Token

__all__ = [
    "number_literal",
    "string_literal",
    "token_error",
    "token_position",
    "value_literal",
]

_SIMPLE_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)", re.DOTALL)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:(Z)|([+-])(\d{2}):?(\d{2}))"
)
_CURRENCY = re.compile(r"([A-Za-z]{3})(-?[0-9.]+)")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_KEYWORD_VALUES: dict[str, bool | None] = {"TRUE": True, "FALSE": False, "NULL": None}


def token_position(token: Token) -> ast.Position:
    """The 1-based position of a Lark token."""
    return ast.Position(cast(int, token.line), cast(int, token.column))


def token_error(detail: str, token: Token) -> TokenError:
    """A ``TokenError`` pointing at ``token``."""
    return TokenError(
        detail, cast(int, token.line), cast(int, token.column), str(token)
    )


def _literal(
    value: str | int | Decimal | bool | dt.date | None,
    kind: ast.LiteralKind,
    token: Token,
) -> ast.Literal:
    return ast.Literal(value, kind, token_position(token), text=str(token))


def _decode_string(token: Token, *, like: bool) -> str:
    """Resolve the escapes of a quoted string token (see the module docstring)."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    pieces: list[str] = []
    start = 0
    for escape in _ESCAPE.finditer(body):
        pieces.append(body[start : escape.start()])
        pieces.append(_decode_escape(token, escape.group(), like=like))
        start = escape.end()
    pieces.append(body[start:])
    decoded = "".join(pieces)
    if _SURROGATE.search(decoded):
        decoded = _join_surrogates(token, decoded)
    return decoded


def _decode_escape(token: Token, escape: str, *, like: bool) -> str:
    code = escape[1:]
    if len(code) == 5:
        char = chr(int(code[1:], 16))
    elif code.lower() in _SIMPLE_ESCAPES:
        char = _SIMPLE_ESCAPES[code.lower()]
    elif like and code in ("%", "_"):
        return escape
    else:
        _illegal_escape(token, escape)
    if like and char == "\\":
        return "\\\\"
    return char


def _join_surrogates(token: Token, decoded: str) -> str:
    # \uD83D\uDE00 spells one character in UTF-16; a lone half is not a character.
    try:
        return decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        half = _SURROGATE.search(decoded)
        assert half is not None
        _illegal_escape(token, f"\\u{ord(half.group()):04X}")


def _illegal_escape(token: Token, escape: str) -> NoReturn:
    raise token_error(
        f"Invalid string literal '{token[1:-1]}'. "
        f"Illegal character sequence '{escape}' in string literal.",
        token,
    )


def string_literal(token: Token, *, like: bool = False) -> ast.Literal:
    """The literal of a quoted string; ``like`` keeps LIKE escapes (see above)."""
    return _literal(_decode_string(token, like=like), "string", token)


def number_literal(token: Token) -> ast.Literal:
    """The literal of a signed integer or decimal."""
    if "." in token:
        return _literal(Decimal(token), "decimal", token)
    return _literal(int(token), "integer", token)


def _date(token: Token) -> ast.Literal:
    try:
        year, month, day = (int(part) for part in token.split("-"))
        value = dt.date(year, month, day)
    except ValueError:
        raise token_error(
            f"invalid date: '{token}' (expected YYYY-MM-DD)", token
        ) from None
    return _literal(value, "date", token)


def _datetime(token: Token) -> ast.Literal:
    match = _DATETIME.fullmatch(token)
    try:
        if match is None:
            raise ValueError(token)
        value = _aware_datetime(match)
    except ValueError:
        raise token_error(
            f"invalid datetime: '{token}' (expected YYYY-MM-DDThh:mm:ss[.sss] "
            "followed by Z, +hh:mm or +hhmm)",
            token,
        ) from None
    return _literal(value, "datetime", token)


def _aware_datetime(match: re.Match[str]) -> dt.datetime:
    year, month, day, hour, minute, second, fraction = match.group(1, 2, 3, 4, 5, 6, 7)
    zulu, sign, offset_hours, offset_minutes = match.group(8, 9, 10, 11)
    zone = dt.UTC
    if not zulu:
        offset = dt.timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
        if int(offset_minutes) >= 60:
            raise ValueError(offset_minutes)
        zone = dt.timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return dt.datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(second),
        micro,
        tzinfo=zone,
    )


def _currency(token: Token) -> ast.Literal:
    match = _CURRENCY.fullmatch(token)
    assert match is not None, token
    code, amount = match.groups()
    return ast.Literal(
        Decimal(amount),
        "currency",
        token_position(token),
        text=str(token),
        currency=code.upper(),
    )


def _date_literal(token: Token) -> ast.DateLiteral:
    name, _, n = token.partition(":")
    return ast.DateLiteral(name.upper(), int(n) if n else None, token_position(token))


def value_literal(token: Token) -> ast.Value:
    """The literal or relative date literal of a value token, by its token type."""
    kind = token.type
    if kind == "STRING":
        return string_literal(token)
    if kind == "NUMBER":
        return number_literal(token)
    if kind == "DATE":
        return _date(token)
    if kind == "DATETIME":
        return _datetime(token)
    if kind == "CURRENCY":
        return _currency(token)
    if kind in _KEYWORD_VALUES:
        literal_kind: ast.LiteralKind = "null" if kind == "NULL" else "boolean"
        return _literal(_KEYWORD_VALUES[kind], literal_kind, token)
    return _date_literal(token)
