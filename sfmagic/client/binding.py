"""``:name`` placeholders in SOQL, bound to Python values.

``bind(soql, values)`` replaces each ``:name`` outside string literals by the
quoted value of ``values["name"]``, quoting as simple-salesforce's
``format_soql`` does: strings in single quotes with ``\\``, ``'``, ``"``,
newline, carriage return, tab, backspace and form feed escaped; ``true``,
``false``, ``null``; numbers as written; dates as ``YYYY-MM-DD``; datetimes in
UTC without fractional seconds; lists, tuples, sets, numpy arrays and pandas
Series or Index as ``(v1,v2,…)`` IN-lists. ``NaN``, ``NaT`` and ``pd.NA`` are
``null``. A placeholder after a date literal (``LAST_N_DAYS:days``) binds too.

A query whose URL would be too long for one request (``MAX_QUERY_LENGTH``
URL-encoded characters) is split on its longest IN-list into several queries
whose results the caller concatenates; duplicates in the list are dropped first.
This is refused (``QueryTooLongError``) where concatenating would change the
answer: ``NOT IN`` lists, and queries with ``LIMIT``, ``OFFSET``, ``GROUP BY`` or
aggregate functions. ``ORDER BY`` then holds within each part only.

Known limits: naive datetimes are taken as UTC (``format_soql`` takes them as
local time); only plain identifiers are placeholder names (no ``:a.b``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sfmagic.soql import ast, parse

__all__ = [
    "MAX_QUERY_LENGTH",
    "BoundQuery",
    "Placeholder",
    "QueryTooLongError",
    "UnboundNamesError",
    "bind",
    "placeholders",
    "quote_value",
]

MAX_QUERY_LENGTH = 15_000
"""URL-encoded characters of ``q=`` above which an IN-list is split (Salesforce
refuses request URIs longer than about 16 KB)."""

_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "'": "\\'",
        '"': '\\"',
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\b": "\\b",
        "\f": "\\f",
    }
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_IN = re.compile(r"\bNOT\s+IN\s*$", re.IGNORECASE)
_AGGREGATES = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"}


class UnboundNamesError(ValueError):
    """Placeholders without a value.

    Attributes
    ----------
    names : list[str]
        The unbound names, in order of first appearance.
    """

    def __init__(self, names: list[str]) -> None:
        listed = ", ".join(f":{name}" for name in names)
        super().__init__(f"no value for the placeholder(s) {listed}")
        self.names = names


class QueryTooLongError(ValueError):
    """A bound query is too long for one request and cannot be split."""


@dataclass(frozen=True)
class Placeholder:
    """A ``:name`` in the query text: the name and where it stands."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class BoundQuery:
    """The queries to run (several when an IN-list was split)."""

    queries: list[str]
    names: tuple[str, ...]

    @property
    def split(self) -> bool:
        """Whether an IN-list was split into several queries."""
        return len(self.queries) > 1


def placeholders(soql: str) -> list[Placeholder]:
    """Every ``:name`` of a query outside its string literals."""
    found = []
    index, length = 0, len(soql)
    while index < length:
        char = soql[index]
        if char == "'":
            index = _string_end(soql, index)
            continue
        if char == ":":
            match = _NAME.match(soql, index + 1)
            if match:
                found.append(Placeholder(match.group(), index, match.end()))
                index = match.end()
                continue
        index += 1
    return found


def _string_end(soql: str, start: int) -> int:
    """The index after the string literal opening at ``start``."""
    index = start + 1
    while index < len(soql):
        if soql[index] == "\\":
            index += 2
        elif soql[index] == "'":
            return index + 1
        else:
            index += 1
    return len(soql)


def quote_value(value: object) -> str:
    """The SOQL literal of a Python value (see the module docstring).

    Raises
    ------
    TypeError
        For values SOQL has no literal for.
    """
    if _is_missing(value):
        return "null"
    if isinstance(value, str):
        return "'" + value.translate(_ESCAPES) + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        moment = moment.replace(microsecond=0).astimezone(dt.UTC)
        return moment.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    items = _items(value)
    if items is not None:
        return "(" + ",".join(quote_value(item) for item in items) + ")"
    item = getattr(value, "item", None)
    if callable(item):
        # numpy scalars (np.int64, np.bool_ …).
        return quote_value(item())
    raise TypeError(f"cannot quote a {type(value).__name__} as a SOQL value")


def _is_missing(value: object) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)


def _items(value: object) -> list[Any] | None:
    """The members of a list-like value, or None for a scalar."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, set | frozenset):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(value, "ndim", 1) >= 1:
        members = tolist()
        return list(members) if isinstance(members, list) else None
    return None


def bind(
    soql: str, values: Mapping[str, object], *, max_length: int = MAX_QUERY_LENGTH
) -> BoundQuery:
    """Bind a query's placeholders, splitting a too long IN-list.

    Parameters
    ----------
    soql
        The query with ``:name`` placeholders.
    values
        Values by name (a notebook namespace, keyword arguments …).
    max_length
        URL-encoded length above which an IN-list is split.

    Raises
    ------
    UnboundNamesError
        When names have no value.
    QueryTooLongError
        When the query is too long and cannot be split.
    """
    found = placeholders(soql)
    names = tuple(dict.fromkeys(p.name for p in found))
    missing = [name for name in names if name not in values]
    if missing:
        raise UnboundNamesError(missing)
    quoted = {name: quote_value(values[name]) for name in names}
    text = _substitute(soql, found, quoted)
    if _encoded_length(text) <= max_length:
        return BoundQuery([text], names)
    return BoundQuery(_split(soql, found, values, quoted, max_length), names)


def _substitute(soql: str, found: list[Placeholder], quoted: Mapping[str, str]) -> str:
    parts, last = [], 0
    for placeholder in found:
        parts.append(soql[last : placeholder.start])
        parts.append(quoted[placeholder.name])
        last = placeholder.end
    parts.append(soql[last:])
    return "".join(parts)


def _encoded_length(text: str) -> int:
    return len(urllib.parse.quote_plus(text))


def _split(
    soql: str,
    found: list[Placeholder],
    values: Mapping[str, object],
    quoted: Mapping[str, str],
    max_length: int,
) -> list[str]:
    lists = [name for name in quoted if _items(values[name]) is not None]
    if not lists:
        raise QueryTooLongError(
            "the bound query is too long for one request and has no IN-list to split"
        )
    name = max(lists, key=lambda key: len(quoted[key]))
    for placeholder in found:
        if placeholder.name == name and _NOT_IN.search(soql[: placeholder.start]):
            raise QueryTooLongError(
                f"the NOT IN list :{name} is too long for one request and cannot "
                "be split into several queries"
            )
    members = [quote_value(item) for item in dict.fromkeys(_items(values[name]) or [])]
    template = dict(quoted, **{name: "()"})
    _check_splittable(_substitute(soql, found, dict(template, **{name: "(null)"})))
    base = _encoded_length(_substitute(soql, found, template))
    uses = sum(1 for placeholder in found if placeholder.name == name)
    chunks: list[list[str]] = [[]]
    size = base
    for member in members:
        cost = uses * (_encoded_length(member) + 3)
        if chunks[-1] and size + cost > max_length:
            chunks.append([])
            size = base
        if base + cost > max_length:
            raise QueryTooLongError("the query is too long even with one list value")
        chunks[-1].append(member)
        size += cost
    return [
        _substitute(soql, found, dict(quoted, **{name: "(" + ",".join(chunk) + ")"}))
        for chunk in chunks
    ]


def _check_splittable(text: str) -> None:
    query = parse(text)
    aggregate = any(
        isinstance(item.expr, ast.FunctionCall) and item.expr.name in _AGGREGATES
        for item in query.select
    )
    if query.limit is not None or query.offset is not None:
        reason = "LIMIT or OFFSET"
    elif query.group_by is not None or aggregate:
        reason = "aggregates"
    else:
        return
    raise QueryTooLongError(
        f"the query is too long for one request and cannot be split: with {reason} "
        "the results of several queries would not add up to the answer"
    )
