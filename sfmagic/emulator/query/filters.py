"""WHERE and HAVING conditions, compiled to SQLite with SOQL's semantics.

SOQL differs from SQL in ways that matter here:

* logic is two-valued: ``Industry != 'Energy'`` and ``NOT Industry = 'Energy'``
  both return the rows whose Industry is null. Every comparison is therefore
  compiled to an expression that is 0 or 1, never NULL;
* text comparisons (``=``, ``!=``, ``IN``, ``LIKE``, ranges) ignore case. ASCII
  values use SQLite's ``NOCASE`` (which the store's name indexes share); values
  with other letters compare Unicode-lower-cased text through ``sfq_lower``;
* ``''`` means null, since Salesforce stores no empty strings;
* ids compare in their 18-character form, so a 15-character id finds its record;
* a relative date literal is a range of whole days in the org's time zone:
  ``=`` is inside it, ``<`` before its start, ``>`` after its end, ``<=`` and
  ``>=`` include it;
* INCLUDES/EXCLUDES test a multi-select picklist against ``;``-joined sets.

Values are bound as parameters; a value of the wrong type for its field is refused
with ``INVALID_QUERY_FILTER_OPERATOR`` rather than coerced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sfmagic.emulator import ids
from sfmagic.emulator.query.dates import date_range, stored_utc, utc_bounds
from sfmagic.emulator.query.resolve import Context
from sfmagic.emulator.query.sql import Sql, join_sql
from sfmagic.emulator.schema import FieldDef
from sfmagic.soql import ast

__all__ = ["TEXT_TYPES", "Filters", "Operand", "like_pattern", "text_key"]

TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "picklist",
        "combobox",
        "email",
        "phone",
        "url",
        "encryptedstring",
    }
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
ID_TYPES = frozenset({"id", "reference"})
_RANGE_OPERATORS = {"<", "<=", ">", ">="}
_SQLITE_INT_LIMIT = 2**63
_FLAT_CHAIN = 16
_TYPE_WORDS = {
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
    "int": "integer",
    "double": "double",
    "currency": "currency",
    "percent": "percent",
}


@dataclass(frozen=True)
class Operand:
    """The left side of a comparison: its SQL, Salesforce type and name."""

    sql: Sql
    type: str
    name: str
    field: FieldDef | None = None


def text_key(value: str) -> str:
    """How a text value compares: Unicode lower case."""
    return value.lower()


def _ascii(value: str) -> bool:
    return value.isascii()


def like_pattern(literal: ast.Literal) -> str:
    """The lower-cased SQLite LIKE pattern (``ESCAPE '\\'``) of a LIKE literal.

    The parser already leaves a literal ``%``, ``_`` or backslash escaped with a
    backslash and a wildcard bare, which is SQLite's own convention.
    """
    return text_key(str(literal.value))


class Filters:
    """Compiles conditions for one scope.

    ``operand`` resolves a left-hand expression (a field, a date function,
    ``toLabel()``, or in HAVING an aggregate); ``semi_join`` compiles the
    subquery of ``IN (SELECT …)`` into a one-column SELECT.
    """

    def __init__(
        self,
        ctx: Context,
        operand: Callable[[ast.Expression], Operand],
        semi_join: Callable[[ast.InSubquery, Operand], Sql] | None = None,
    ) -> None:
        self.ctx = ctx
        self.problems = ctx.problems
        self._operand = operand
        self._semi_join = semi_join

    def condition(self, cond: ast.Condition) -> Sql:
        """SQL that is 1 where ``cond`` holds and 0 elsewhere."""
        if isinstance(cond, ast.And):
            return _balanced(" AND ", [self.condition(c) for c in cond.items])
        if isinstance(cond, ast.Or):
            return _balanced(" OR ", [self.condition(c) for c in cond.items])
        if isinstance(cond, ast.Not):
            return self.condition(cond.item).wrap("(NOT ", ")")
        if isinstance(cond, ast.Comparison):
            return self._comparison(cond)
        if isinstance(cond, ast.InList):
            found = self._in_list(cond)
            return found.wrap("(NOT ", ")") if cond.negated else found
        if isinstance(cond, ast.InSubquery):
            return self._in_subquery(cond)
        return self._includes(cond)

    # --- comparisons --------------------------------------------------------------

    def _comparison(self, cond: ast.Comparison) -> Sql:
        left = self._operand(cond.left)
        value = cond.right
        if isinstance(value, ast.DateLiteral):
            return self._date_literal(left, cond.op, value)
        if value.kind == "null":
            return self._null(left, cond.op, value)
        if cond.op == "LIKE":
            return self._like(left, value)
        if left.type == "multipicklist":
            return self._multipicklist_equals(left, cond.op, value)
        if left.type == "boolean" and cond.op in _RANGE_OPERATORS:
            raise self.problems.bad_filter(
                cond.pos, f"invalid operator on boolean field: {left.name}"
            )
        bound = self._value(left, value)
        if bound is None:
            return self._null(left, cond.op, value)
        return self._compare(left, cond.op, bound)

    def _compare(self, left: Operand, op: str, bound: Any) -> Sql:
        expr = left.sql
        if left.type in TEXT_TYPES:
            if isinstance(bound, str) and not _ascii(bound):
                expr = expr.wrap("sfq_lower(", ")")
                bound = text_key(bound)
            else:
                expr = expr + " COLLATE NOCASE"
        if op == "=":
            return expr + Sql(" IS ?", (bound,))
        if op == "!=":
            return expr + Sql(" IS NOT ?", (bound,))
        check = expr + Sql(f" {op} ?", (bound,))
        return (left.sql + " IS NOT NULL AND " + check).wrap("(", ")")

    def _null(self, left: Operand, op: str, value: ast.Literal) -> Sql:
        if op == "=":
            return left.sql + " IS NULL"
        if op == "!=":
            return left.sql + " IS NOT NULL"
        raise self.problems.bad_filter(
            value.pos, f"invalid operator {op} for a null value on {left.name}"
        )

    def _like(self, left: Operand, value: ast.Literal) -> Sql:
        if left.type not in TEXT_TYPES:
            raise self.problems.bad_filter(
                value.pos,
                f"invalid operator on field of type {left.type}: LIKE on {left.name}",
            )
        if value.kind != "string":
            raise self._wrong_type(left, value)
        pattern = like_pattern(value)
        expr = left.sql if _ascii(pattern) else left.sql.wrap("sfq_lower(", ")")
        check = expr + Sql(" LIKE ? ESCAPE '\\'", (pattern,))
        return (left.sql + " IS NOT NULL AND " + check).wrap("(", ")")

    def _multipicklist_equals(self, left: Operand, op: str, value: ast.Literal) -> Sql:
        if op not in ("=", "!="):
            raise self.problems.bad_filter(
                value.pos, f"invalid operator on multipicklist field: {left.name}"
            )
        if value.kind != "string":
            raise self._wrong_type(left, value)
        wanted = _picklist_set(str(value.value))
        if not wanted:
            return self._null(left, op, value)
        normal = left.sql.wrap("sfq_mpl(", ")")
        return normal + Sql(" IS ?" if op == "=" else " IS NOT ?", (wanted,))

    def _date_literal(self, left: Operand, op: str, value: ast.DateLiteral) -> Sql:
        start, end = self._date_bounds(left, value)
        sql = left.sql
        if op == "=":
            inside = sql + Sql(" >= ? AND ", (start,)) + sql + Sql(" < ?", (end,))
            return (sql + " IS NOT NULL AND " + inside).wrap("(", ")")
        if op == "!=":
            outside = sql + Sql(" < ? OR ", (start,)) + sql + Sql(" >= ?", (end,))
            return (sql + " IS NULL OR " + outside).wrap("(", ")")
        bound, sign = {
            "<": (start, "<"),
            "<=": (end, "<"),
            ">": (end, ">="),
            ">=": (start, ">="),
        }.get(op, (None, ""))
        if bound is None:
            raise self.problems.bad_filter(
                value.pos, f"invalid operator {op} with a date literal"
            )
        check = sql + Sql(f" {sign} ?", (bound,))
        return (sql + " IS NOT NULL AND " + check).wrap("(", ")")

    def _date_bounds(self, left: Operand, value: ast.DateLiteral) -> tuple[str, str]:
        if left.type not in ("date", "datetime"):
            raise self.problems.bad_filter(
                value.pos,
                f"value of filter criterion for field '{left.name}' must be of type "
                f"{_TYPE_WORDS.get(left.type, 'string')} and should not be enclosed "
                "in quotes"
                if left.type in _TYPE_WORDS
                else f"Invalid date literal for field '{left.name}' of type "
                f"{left.type}",
            )
        try:
            days = date_range(value.name, value.n, self.ctx.today)
            if left.type == "date":
                return days[0].isoformat(), days[1].isoformat()
            return utc_bounds(days, self.ctx.time_zone)
        except (KeyError, ValueError, OverflowError):
            # Unknown literals, and ``:n`` so large the dates leave the calendar.
            raise self.problems.malformed(
                value.pos, f"Invalid date literal: {value.name}"
            ) from None

    # --- IN, semi-joins, INCLUDES ----------------------------------------------------

    def _in_list(self, cond: ast.InList) -> Sql:
        left = self._operand(cond.left)
        if left.type == "multipicklist":
            raise self.problems.bad_filter(
                cond.pos, f"invalid operator on multipicklist field: {left.name}"
            )
        alternatives: list[Sql] = []
        plain: list[Any] = []
        for value in cond.values:
            if isinstance(value, ast.DateLiteral):
                alternatives.append(self._date_literal(left, "=", value))
                continue
            bound = None if value.kind == "null" else self._value(left, value)
            if bound is None:
                alternatives.append(left.sql + " IS NULL")
            else:
                plain.append(bound)
        alternatives[:0] = self._in_values(left, plain)
        if not alternatives:
            return Sql("0")
        return join_sql(" OR ", alternatives).wrap("(", ")")

    def _in_values(self, left: Operand, values: list[Any]) -> list[Sql]:
        if not values:
            return []
        groups: list[tuple[Sql, list[Any]]] = []
        if left.type in TEXT_TYPES:
            ascii_values = [v for v in values if _ascii(v)]
            other = [text_key(v) for v in values if not _ascii(v)]
            if ascii_values:
                groups.append((left.sql + " COLLATE NOCASE", ascii_values))
            if other:
                groups.append((left.sql.wrap("sfq_lower(", ")"), other))
        else:
            groups.append((left.sql, values))
        out: list[Sql] = []
        for expr, group in groups:
            marks = ", ".join("?" for _ in group)
            check = expr + Sql(f" IN ({marks})", tuple(group))
            out.append((left.sql + " IS NOT NULL AND " + check).wrap("(", ")"))
        return out

    def _in_subquery(self, cond: ast.InSubquery) -> Sql:
        left = self._operand(cond.left)
        if left.type not in ID_TYPES:
            raise self.problems.bad_filter(
                cond.pos,
                f"Semi join sub-selects are only allowed on Id or reference fields, "
                f"not on {left.name}",
            )
        if self._semi_join is None:
            raise self.problems.malformed(
                cond.query.pos, "Nested semi join sub-selects are not supported"
            )
        inner = self._semi_join(cond, left)
        found = (left.sql + " IS NOT NULL AND " + left.sql + " IN (" + inner).wrap(
            "(", "))"
        )
        return found.wrap("(NOT ", ")") if cond.negated else found

    def _includes(self, cond: ast.Includes) -> Sql:
        left = self._operand(cond.left)
        if left.type != "multipicklist":
            word = "EXCLUDES" if cond.negated else "INCLUDES"
            raise self.problems.bad_filter(
                cond.pos,
                f"{word} operator is only valid on multi-select picklist fields",
            )
        sets = []
        for value in cond.values:
            if value.kind != "string":
                raise self._wrong_type(left, value)
            parts = [text_key(p.strip()) for p in str(value.value).split(";")]
            sets.append([p for p in parts if p])
        check = left.sql + Sql(", ?)", (json.dumps(sets),))
        found = check.wrap("sfq_includes(", "")
        return found.wrap("(NOT ", ")") if cond.negated else found

    # --- values -------------------------------------------------------------------

    def _value(self, left: Operand, value: ast.Literal) -> Any:
        """The bound parameter for a literal compared with ``left`` (None: null)."""
        kind = value.kind
        kind_type = left.type
        if kind_type in TEXT_TYPES:
            if kind != "string":
                raise self._wrong_type(left, value)
            text = str(value.value)
            return text or None
        if kind_type in ID_TYPES:
            if kind != "string":
                raise self._wrong_type(left, value)
            text = str(value.value)
            if text == "":
                return None
            try:
                return ids.to_18(text)
            except ValueError:
                raise self.problems.bad_filter(
                    value.pos, f"invalid ID field: {text}"
                ) from None
        if kind_type == "boolean":
            if kind != "boolean":
                raise self._wrong_type(left, value)
            return 1 if value.value else 0
        if kind_type in NUMBER_TYPES:
            if kind not in ("integer", "decimal", "currency"):
                raise self._wrong_type(left, value)
            number = value.value
            if isinstance(number, Decimal) and number != number.to_integral_value():
                return float(number)
            assert isinstance(number, int | Decimal)
            whole = int(number)
            # SQLite integers have 64 bits; larger numbers compare as REAL.
            return whole if abs(whole) < _SQLITE_INT_LIMIT else float(whole)
        if kind_type == "date":
            if kind != "date" or not isinstance(value.value, date):
                raise self._wrong_type(left, value)
            if isinstance(value.value, datetime):
                raise self._wrong_type(left, value)
            return value.value.isoformat()
        if kind_type == "datetime":
            if kind != "datetime" or not isinstance(value.value, datetime):
                raise self._wrong_type(left, value)
            try:
                return stored_utc(value.value)
            except OverflowError:
                raise self.problems.bad_filter(
                    value.pos, f"invalid dateTime value: {value.text}"
                ) from None
        raise self.problems.bad_filter(
            value.pos, f"field '{left.name}' of type {left.type} can not be filtered"
        )

    def _wrong_type(self, left: Operand, value: ast.Literal) -> Exception:
        if (
            left.type in TEXT_TYPES
            or left.type in ID_TYPES
            or left.type in ("multipicklist",)
        ):
            detail = (
                f"value of filter criterion for field '{left.name}' must be of type "
                "string and should be enclosed in quotes"
            )
        else:
            word = _TYPE_WORDS.get(left.type, left.type)
            detail = (
                f"value of filter criterion for field '{left.name}' must be of type "
                f"{word} and should not be enclosed in quotes"
            )
        return self.problems.bad_filter(value.pos, detail)


def _balanced(operator: str, parts: list[Sql]) -> Sql:
    """``(a AND b AND …)`` grouped as a balanced tree.

    SQLite parses a long flat chain as a tree as deep as it is long and refuses
    depths over 1,000; halving keeps a chain of thousands of terms shallow.
    """
    if len(parts) <= _FLAT_CHAIN:
        return join_sql(operator, parts).wrap("(", ")")
    middle = len(parts) // 2
    halves = [_balanced(operator, parts[:middle]), _balanced(operator, parts[middle:])]
    return join_sql(operator, halves).wrap("(", ")")


def _picklist_set(text: str) -> str:
    """The normal form of a multi-select picklist value: sorted, lower-cased."""
    parts = {text_key(p.strip()) for p in text.split(";")}
    return ";".join(sorted(p for p in parts if p))
