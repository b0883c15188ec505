"""The SOQL syntax tree.

Both sides of sfmagic read this tree: the emulator validates it against describe
metadata and compiles it to SQLite, the client uses it for binding, shaping and
completion. It is deliberately free of any knowledge of describe metadata: a
``FieldRef`` is a dotted path as written, and only a validator knows whether its
first part is an alias, a relationship or a field.

Every node carries the ``Position`` (1-based line and column) of its first token,
so that errors can point a caret at it the way Salesforce does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal as TypingLiteral

__all__ = [
    "And",
    "Comparison",
    "ComparisonOperator",
    "Condition",
    "CountAll",
    "DateLiteral",
    "Expression",
    "FieldRef",
    "FieldsMacro",
    "FunctionCall",
    "GroupBy",
    "InList",
    "InSubquery",
    "Includes",
    "Literal",
    "LiteralKind",
    "Not",
    "Or",
    "OrderItem",
    "Position",
    "Query",
    "SelectExpression",
    "SelectItem",
    "TypeOf",
    "TypeOfWhen",
    "Value",
]


@dataclass(frozen=True)
class Position:
    """Where a node starts in the query text (1-based line and column)."""

    line: int
    column: int


@dataclass(frozen=True)
class FieldRef:
    """A field or relationship path as written: ``Account.Owner.Name`` is three parts.

    The parts keep the user's spelling; validators compare them case-insensitively.
    """

    path: tuple[str, ...]
    pos: Position

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class FunctionCall:
    """A function in SELECT, WHERE, GROUP BY, HAVING or ORDER BY.

    ``name`` is upper-cased (``COUNT``, ``COUNT_DISTINCT``, ``SUM``, ``AVG``, ``MIN``,
    ``MAX``, ``CALENDAR_YEAR``, ``DAY_ONLY``, ``TOLABEL``, ``FORMAT``,
    ``CONVERTCURRENCY``, ``CONVERTTIMEZONE``, ``GEOLOCATION``, ``DISTANCE`` …);
    ``spelling`` keeps the text as written. Arguments are field references, nested
    calls, or literals (``DISTANCE(loc, GEOLOCATION(1, 2), 'mi')``).
    """

    name: str
    args: tuple[FieldRef | FunctionCall | Literal, ...]
    pos: Position
    spelling: str = ""


@dataclass(frozen=True)
class CountAll:
    """``COUNT()`` with no argument: the answer is only ``totalSize``."""

    pos: Position


@dataclass(frozen=True)
class FieldsMacro:
    """``FIELDS(ALL)``, ``FIELDS(STANDARD)`` or ``FIELDS(CUSTOM)``."""

    kind: TypingLiteral["ALL", "STANDARD", "CUSTOM"]
    pos: Position


@dataclass(frozen=True)
class TypeOfWhen:
    """One ``WHEN Account THEN Name, Phone`` branch of a TYPEOF."""

    sobject: str
    fields: tuple[FieldRef, ...]
    pos: Position


@dataclass(frozen=True)
class TypeOf:
    """``TYPEOF What WHEN … THEN … [ELSE …] END`` on a polymorphic relationship."""

    relationship: FieldRef
    whens: tuple[TypeOfWhen, ...]
    else_fields: tuple[FieldRef, ...] | None
    pos: Position


SelectExpression = FieldRef | FunctionCall | CountAll | FieldsMacro | TypeOf


@dataclass(frozen=True)
class SelectItem:
    """One entry of a SELECT list: an expression with an optional alias,
    or a parent-to-child subquery (``query`` set, ``expr`` None)."""

    expr: SelectExpression | None
    alias: str | None
    pos: Position
    query: Query | None = None


LiteralKind = TypingLiteral[
    "string", "integer", "decimal", "boolean", "null", "date", "datetime", "currency"
]


@dataclass(frozen=True)
class Literal:
    """A literal value.

    ``value`` is ``str`` for strings (escapes already resolved), ``int`` for
    integers, ``Decimal`` for decimals and currency amounts, ``bool``, ``None``,
    ``datetime.date`` for dates and a timezone-aware ``datetime.datetime`` for
    datetimes. ``currency`` holds the ISO code of a currency literal (``USD5000``).
    ``text`` is the literal as written.
    """

    value: str | int | Decimal | bool | dt.date | dt.datetime | None
    kind: LiteralKind
    pos: Position
    text: str = ""
    currency: str | None = None


@dataclass(frozen=True)
class DateLiteral:
    """A relative date literal: ``TODAY``, ``LAST_N_DAYS:30`` …

    ``name`` is upper-cased; ``n`` is set for the ``:n`` forms.
    """

    name: str
    n: int | None
    pos: Position


Value = Literal | DateLiteral
Expression = FieldRef | FunctionCall
ComparisonOperator = TypingLiteral["=", "!=", "<", "<=", ">", ">=", "LIKE"]


@dataclass(frozen=True)
class Comparison:
    """``left op right``; ``<>`` is normalised to ``!=``."""

    left: Expression
    op: ComparisonOperator
    right: Value
    pos: Position


@dataclass(frozen=True)
class InList:
    """``left [NOT] IN (v1, v2, …)``."""

    left: Expression
    negated: bool
    values: tuple[Value, ...]
    pos: Position


@dataclass(frozen=True)
class InSubquery:
    """``left [NOT] IN (SELECT …)``: a semi-join or anti-join."""

    left: Expression
    negated: bool
    query: Query
    pos: Position


@dataclass(frozen=True)
class Includes:
    """``left INCLUDES ('a;b', 'c')`` or ``EXCLUDES`` (``negated``) on a multi-select
    picklist: each value is a ``;``-separated set that must all be selected, and the
    comma-separated values are alternatives."""

    left: Expression
    negated: bool
    values: tuple[Literal, ...]
    pos: Position


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]
    pos: Position


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]
    pos: Position


@dataclass(frozen=True)
class Not:
    item: Condition
    pos: Position


Condition = Comparison | InList | InSubquery | Includes | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    """``expr [ASC|DESC] [NULLS FIRST|LAST]``; ``nulls`` None means the default."""

    expr: Expression
    descending: bool
    nulls: TypingLiteral["FIRST", "LAST"] | None
    pos: Position


@dataclass(frozen=True)
class GroupBy:
    """``GROUP BY a, b``, ``GROUP BY ROLLUP(a, b)`` or ``GROUP BY CUBE(a, b)``."""

    items: tuple[Expression, ...]
    kind: TypingLiteral["PLAIN", "ROLLUP", "CUBE"]
    pos: Position


@dataclass(frozen=True)
class Query:
    """A whole SELECT statement, or a subquery (child relationship or semi-join).

    For a parent-to-child subquery ``sobject`` is the relationship name as written
    (``Contacts``). The ``with_clause``, ``using_scope``, ``for_clause`` and
    ``update_clause`` are recorded as written (upper-cased keywords) and carry no
    meaning for the tree itself.
    """

    select: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: Position
    pos: Position
    alias: str | None = None
    using_scope: str | None = None
    where: Condition | None = None
    with_clause: str | None = None
    group_by: GroupBy | None = None
    having: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    for_clause: tuple[str, ...] = ()
    update_clause: tuple[str, ...] = ()
