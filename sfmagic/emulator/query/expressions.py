"""Field expressions shared by every clause: fields, date functions, toLabel().

``field_operand`` and ``function_operand`` turn a field path or a function call
into an ``Operand`` (SQL, Salesforce type, name) after checking what the clause
allows: ``filterable`` for WHERE, ``groupable`` for GROUP BY, ``sortable`` for
ORDER BY. ``sort_key`` gives the SQL that orders a column the way Salesforce
does: text without regard to case, picklists in their defined order.
"""

from __future__ import annotations

from typing import Literal

from sfmagic.emulator.query.dates import DATE_FUNCTIONS
from sfmagic.emulator.query.filters import TEXT_TYPES, Operand
from sfmagic.emulator.query.resolve import Column, Scope
from sfmagic.emulator.query.sql import Sql, join_sql
from sfmagic.soql import ast

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "Clause",
    "column_operand",
    "date_function_operand",
    "field_operand",
    "function_operand",
    "is_aggregate",
    "label_sql",
    "sort_key",
]

AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})
# Date functions that need the time of day: they refuse date fields.
_DATETIME_ONLY = frozenset({"DAY_ONLY", "HOUR_IN_DAY"})
_UNSUPPORTED_FUNCTIONS = {
    "FORMAT": "FORMAT()",
    "CONVERTCURRENCY": "convertCurrency()",
    "DISTANCE": "DISTANCE()",
    "GEOLOCATION": "GEOLOCATION()",
}

Clause = Literal["select", "where", "group", "order", "having"]
_FLAG = {
    "where": ("filterable", "filtered"),
    "group": ("groupable", "grouped"),
    "order": ("sortable", "sorted"),
}


def is_aggregate(query: ast.Query) -> bool:
    """Whether the query groups or aggregates (``COUNT()`` aside)."""
    if query.group_by is not None:
        return True
    return any(
        isinstance(item.expr, ast.FunctionCall)
        and item.expr.name in AGGREGATE_FUNCTIONS | {"GROUPING"}
        for item in query.select
    )


def column_operand(column: Column) -> Operand:
    return Operand(column.sql, column.type, column.name, column.field)


def field_operand(scope: Scope, ref: ast.FieldRef, clause: Clause) -> Operand:
    """A field path as the operand of ``clause``, checking the describe flags."""
    column = scope.resolve(ref)
    flag = _FLAG.get(clause)
    if flag is not None:
        key, verb = flag
        compound = column.field.storage is None
        if compound or not column.field.raw.get(key, True):
            raise scope.ctx.problems.invalid_field(
                ref.pos,
                f"field '{column.name}' can not be {verb} in a query call",
            )
    return column_operand(column)


def function_operand(scope: Scope, call: ast.FunctionCall, clause: Clause) -> Operand:
    """A date function or ``toLabel()`` as an operand; other functions refused."""
    problems = scope.ctx.problems
    if call.name in DATE_FUNCTIONS:
        return date_function_operand(scope, call)
    if call.name == "TOLABEL":
        column = _single_field(scope, call)
        _require_picklist(scope, call, column)
        return Operand(label_sql(column), "string", column.name, column.field)
    if call.name in AGGREGATE_FUNCTIONS:
        raise problems.malformed(
            call.pos,
            f"Aggregate functions are not allowed in the {clause.upper()} clause "
            "of a non-aggregate query",
        )
    if call.name == "CONVERTTIMEZONE":
        raise problems.malformed(
            call.pos, "convertTimezone() can only be used in a date function"
        )
    name = _UNSUPPORTED_FUNCTIONS.get(call.name, f"{call.spelling or call.name}()")
    raise problems.unsupported(call.pos, name)


def date_function_operand(scope: Scope, call: ast.FunctionCall) -> Operand:
    """``CALENDAR_YEAR(CreatedDate)``: an ``sfq_datefn`` call, int or date valued."""
    problems = scope.ctx.problems
    if len(call.args) != 1:
        raise problems.malformed(call.pos, f"{call.name} takes exactly one field")
    argument = call.args[0]
    time_zone: str | None = None
    if isinstance(argument, ast.FunctionCall) and argument.name == "CONVERTTIMEZONE":
        if len(argument.args) != 1:
            raise problems.malformed(argument.pos, "convertTimezone takes one field")
        argument = argument.args[0]
        time_zone = scope.ctx.time_zone
    if not isinstance(argument, ast.FieldRef):
        raise problems.malformed(
            call.pos, f"{call.name} takes a date or datetime field"
        )
    column = scope.resolve(argument)
    if column.type not in ("date", "datetime") or (
        column.type == "date" and call.name in _DATETIME_ONLY
    ):
        raise problems.malformed(
            argument.pos,
            f"{call.name} can not be applied to field '{column.name}' of type "
            f"{column.type}",
        )
    if column.type == "date":
        time_zone = None
    sql = Sql("sfq_datefn(?, ", (call.name,)) + column.sql + Sql(", ?)", (time_zone,))
    kind = "date" if call.name == "DAY_ONLY" else "int"
    return Operand(sql, kind, call.name, None)


def _single_field(scope: Scope, call: ast.FunctionCall) -> Column:
    if len(call.args) != 1 or not isinstance(call.args[0], ast.FieldRef):
        raise scope.ctx.problems.malformed(
            call.pos, f"{call.spelling or call.name}() takes exactly one field"
        )
    return scope.resolve(call.args[0])


def _require_picklist(scope: Scope, call: ast.FunctionCall, column: Column) -> None:
    if column.type not in ("picklist", "multipicklist", "combobox"):
        raise scope.ctx.problems.invalid_field(
            call.pos,
            f"toLabel() can only be used on picklist fields, not on {column.name}",
        )


def label_sql(column: Column) -> Sql:
    """SQL giving a picklist field's label instead of its value."""
    values = [p for p in column.field.picklist_values if p.label != p.value]
    if not values:
        return column.sql
    whens = join_sql(" ", [Sql("WHEN ? THEN ?", (p.value, p.label)) for p in values])
    return ("CASE " + column.sql + " " + whens + " ELSE " + column.sql + " END").wrap(
        "(", ")"
    )


def sort_key(operand: Operand) -> list[Sql]:
    """SQL terms that order ``operand`` as Salesforce does.

    Text ignores case; a picklist sorts in the order its values are defined,
    then (values outside the list) by text.
    """
    field_def = operand.field
    text = operand.sql + " COLLATE NOCASE"
    if operand.type == "picklist" and field_def is not None:
        values = [p.value for p in field_def.picklist_values]
        if values:
            whens = join_sql(
                " ", [Sql(f"WHEN ? THEN {i}", (v,)) for i, v in enumerate(values)]
            )
            rank = "CASE " + operand.sql + " " + whens + f" ELSE {len(values)} END"
            ranked = "CASE WHEN " + operand.sql + " IS NULL THEN NULL ELSE " + rank
            return [ranked.wrap("(", " END)"), text]
    if operand.type in TEXT_TYPES or operand.type == "multipicklist":
        return [text]
    return [operand.sql]
