"""Aggregate queries: GROUP BY, ROLLUP, CUBE, HAVING and AggregateResult rows.

An aggregate query compiles to one statement. Each grouping set is a SELECT with
its own GROUP BY (a plain GROUP BY has one set; ``ROLLUP(a, b)`` has ``(a, b)``,
``(a)`` and ``()``; ``CUBE`` every subset), the sets are joined with UNION ALL,
and an outer SELECT applies HAVING, ORDER BY, LIMIT and OFFSET to the combined
rows. Everything HAVING and ORDER BY read is carried to the outer SELECT as a
hidden column, so a rolled-up field reads as null there, as in Salesforce.

Result rows are AggregateResult records: ``{"attributes": {"type":
"AggregateResult"}}`` then one key per SELECT item: its alias, a grouped field's
name (``Account.Name`` → ``Name``), or ``expr0``, ``expr1`` … for unaliased
functions, counted in SELECT order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sfmagic.emulator.query.compile import Compiler, limit_offset
from sfmagic.emulator.query.dates import DATE_FUNCTIONS
from sfmagic.emulator.query.expressions import (
    AGGREGATE_FUNCTIONS,
    date_function_operand,
    field_operand,
    function_operand,
    sort_key,
)
from sfmagic.emulator.query.filters import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    Filters,
    Operand,
)
from sfmagic.emulator.query.resolve import Scope
from sfmagic.emulator.query.shape import (
    Convert,
    ObjectShape,
    Value,
    converter,
    label_converter,
)
from sfmagic.emulator.query.sql import Sql, join_sql
from sfmagic.soql import ast

__all__ = ["AggregatePlan", "CountPlan", "compile_aggregate", "compile_count"]

# Salesforce allows at most three fields in ROLLUP or CUBE.
MAX_ROLLUP_FIELDS = 3
_MIN_MAX_TYPES = NUMBER_TYPES | TEXT_TYPES | ID_TYPES | {"date", "datetime", "time"}


def _int(value: Any) -> Any:
    return value if value is None or type(value) is int else int(value)


def _float(value: Any) -> Any:
    return value if value is None else float(value)


@dataclass
class CountPlan:
    """``SELECT COUNT() …``: only the number of rows."""

    sql: Sql


@dataclass
class AggregatePlan:
    """One statement whose rows are AggregateResult records."""

    sql: Sql
    shape: ObjectShape


@dataclass
class _Output:
    """One SELECT item: how each grouping set computes it, and its JSON form."""

    key: str
    compute: Callable[[frozenset[int]], Sql]
    convert: Convert | None


class _Aggregates:
    """The grouped expressions and aggregate calls of one aggregate query."""

    def __init__(self, compiler: Compiler, scope: Scope, query: ast.Query) -> None:
        self.compiler = compiler
        self.scope = scope
        self.query = query
        self.problems = compiler.problems
        self.groups: list[Operand] = []
        if query.group_by is not None:
            for expr in query.group_by.items:
                self.groups.append(self._group_operand(expr))

    def _group_operand(self, expr: ast.Expression) -> Operand:
        if isinstance(expr, ast.FieldRef):
            return field_operand(self.scope, expr, "group")
        if expr.name in DATE_FUNCTIONS:
            return date_function_operand(self.scope, expr)
        if expr.name in AGGREGATE_FUNCTIONS:
            raise self.problems.malformed(
                expr.pos, "Aggregate functions can not be used in GROUP BY"
            )
        return function_operand(self.scope, expr, "group")

    def group_index(self, operand: Operand, pos: ast.Position) -> int:
        """Which GROUP BY item ``operand`` is; refuses a field not grouped."""
        for index, group in enumerate(self.groups):
            if (group.sql.text, group.sql.params) == (
                operand.sql.text,
                operand.sql.params,
            ):
                return index
        raise self.problems.malformed(
            pos, f"Field must be grouped or aggregated: {operand.name}"
        )

    def aggregate(self, call: ast.FunctionCall) -> tuple[Operand, Convert | None]:
        """An aggregate call: its SQL operand and the converter of its result."""
        problems = self.problems
        if len(call.args) != 1 or not isinstance(call.args[0], ast.FieldRef):
            raise problems.malformed(
                call.pos, f"{call.spelling or call.name}() takes exactly one field"
            )
        ref = call.args[0]
        found = self.scope.resolve(ref)
        described = found.field
        allowed = described.raw.get("aggregatable", True) and described.storage
        if call.name in ("SUM", "AVG") and found.type not in NUMBER_TYPES:
            allowed = False
        if call.name in ("MIN", "MAX") and found.type not in _MIN_MAX_TYPES:
            allowed = False
        if not allowed:
            raise problems.invalid_field(
                ref.pos,
                f"field {found.name} does not support aggregate operator {call.name}",
            )
        value = found.sql
        if call.name == "COUNT":
            return Operand(value.wrap("COUNT(", ")"), "int", call.name), _int
        if call.name == "COUNT_DISTINCT":
            return Operand(value.wrap("COUNT(DISTINCT ", ")"), "int", call.name), _int
        if call.name == "AVG":
            return Operand(value.wrap("AVG(", ")"), "double", call.name), _float
        if call.name == "SUM":
            kind = "int" if found.type == "int" else "double"
            convert = _int if kind == "int" else _float
            return Operand(value.wrap("SUM(", ")"), kind, call.name), convert
        if found.type in TEXT_TYPES:
            value = value + " COLLATE NOCASE"
        sql = value.wrap(f"{call.name}(", ")")
        return Operand(sql, found.type, found.name, described), converter(described)

    def operand(self, expr: ast.Expression) -> Operand:
        """HAVING and ORDER BY operands: aggregates or grouped expressions."""
        if isinstance(expr, ast.FieldRef):
            found = field_operand(self.scope, expr, "select")
            return self.groups[self.group_index(found, expr.pos)]
        if expr.name in AGGREGATE_FUNCTIONS:
            return self.aggregate(expr)[0]
        if expr.name in DATE_FUNCTIONS:
            found = date_function_operand(self.scope, expr)
            return self.groups[self.group_index(found, expr.pos)]
        return function_operand(self.scope, expr, "having")

    # --- SELECT list --------------------------------------------------------------

    def outputs(self) -> list[_Output]:
        outputs: list[_Output] = []
        numbers = itertools.count()
        rolled = self.query.group_by is not None and self.query.group_by.kind != "PLAIN"
        for item in self.query.select:
            expr = item.expr
            if item.query is not None or not isinstance(
                expr, ast.FieldRef | ast.FunctionCall
            ):
                raise self.problems.malformed(
                    item.pos, "Only fields and functions can be selected here"
                )
            if isinstance(expr, ast.FieldRef):
                found = field_operand(self.scope, expr, "select")
                index = self.group_index(found, expr.pos)
                key = item.alias or found.name
                assert found.field is not None
                outputs.append(
                    _Output(key, self.grouped(index), converter(found.field))
                )
                continue
            if expr.name == "TOLABEL":
                label = function_operand(self.scope, expr, "select")
                argument = expr.args[0]
                assert isinstance(argument, ast.FieldRef)
                assert label.field is not None
                found = field_operand(self.scope, argument, "select")
                index = self.group_index(found, argument.pos)
                labels = label_converter(label.field)
                outputs.append(
                    _Output(item.alias or found.name, self.grouped(index), labels)
                )
                continue
            key = item.alias or f"expr{next(numbers)}"
            if expr.name in AGGREGATE_FUNCTIONS:
                operand, convert = self.aggregate(expr)
                outputs.append(_Output(key, _constant(operand.sql), convert))
            elif expr.name == "GROUPING":
                if not rolled:
                    raise self.problems.malformed(
                        expr.pos, "GROUPING can only be used with ROLLUP or CUBE"
                    )
                index = self._grouping_argument(expr)
                outputs.append(_Output(key, _grouping_flag(index), _int))
            elif expr.name in DATE_FUNCTIONS:
                found = date_function_operand(self.scope, expr)
                index = self.group_index(found, expr.pos)
                convert = None if found.type == "date" else _int
                outputs.append(_Output(key, self.grouped(index), convert))
            else:
                function_operand(self.scope, expr, "select")
                raise self.problems.malformed(
                    expr.pos, f"{expr.name} can not be used in an aggregate query"
                )
        keys = [o.key.lower() for o in outputs]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise self.problems.malformed(
                    self.query.select[index].pos,
                    f"duplicate alias: {outputs[index].key}",
                )
        return outputs

    def _grouping_argument(self, call: ast.FunctionCall) -> int:
        if len(call.args) != 1 or not isinstance(call.args[0], ast.FieldRef):
            raise self.problems.malformed(call.pos, "GROUPING takes one grouped field")
        found = field_operand(self.scope, call.args[0], "select")
        return self.group_index(found, call.args[0].pos)

    def grouped(self, index: int) -> Callable[[frozenset[int]], Sql]:
        group = self.groups[index]

        def compute(kept: frozenset[int]) -> Sql:
            return group.sql if index in kept else Sql("NULL")

        return compute

    def grouping_sets(self) -> list[frozenset[int]]:
        """The grouping sets, as sets of GROUP BY item indexes."""
        every = list(range(len(self.groups)))
        group_by = self.query.group_by
        if group_by is None or group_by.kind == "PLAIN":
            return [frozenset(every)]
        if len(every) > MAX_ROLLUP_FIELDS:
            raise self.problems.malformed(
                group_by.pos,
                f"ROLLUP and CUBE take at most {MAX_ROLLUP_FIELDS} fields",
            )
        if group_by.kind == "ROLLUP":
            return [frozenset(every[:n]) for n in range(len(every), -1, -1)]
        return [
            frozenset(chosen)
            for size in range(len(every), -1, -1)
            for chosen in itertools.combinations(every, size)
        ]


def _constant(sql: Sql) -> Callable[[frozenset[int]], Sql]:
    return lambda kept: sql


def _grouping_flag(index: int) -> Callable[[frozenset[int]], Sql]:
    return lambda kept: Sql("0" if index in kept else "1")


def compile_aggregate(
    compiler: Compiler, scope: Scope, query: ast.Query
) -> AggregatePlan:
    """The plan of an aggregate query (see the module docstring)."""
    if query.having is not None and query.group_by is None:
        raise compiler.problems.malformed(
            query.pos, "HAVING can only be used with GROUP BY"
        )
    scope.touched = set()
    where = compiler.where(scope, query, top=True)
    aggregates = _Aggregates(compiler, scope, query)
    outputs = aggregates.outputs()

    # HAVING and ORDER BY read hidden columns h0, h1 … of the combined rows.
    hidden: list[Callable[[frozenset[int]], Sql]] = []

    def carry(compute: Callable[[frozenset[int]], Sql], like: Operand) -> Operand:
        hidden.append(compute)
        name = f"h{len(hidden) - 1}"
        return Operand(Sql(name), like.type, like.name, like.field)

    def carried(expr: ast.Expression) -> Operand:
        operand = aggregates.operand(expr)
        for index, group in enumerate(aggregates.groups):
            if group is operand:
                return carry(aggregates.grouped(index), operand)
        return carry(_constant(operand.sql), operand)

    having = None
    if query.having is not None:
        having = Filters(compiler.ctx, carried).condition(query.having)
    order = compiler.order(scope, query.order_by, carried)
    # After any ORDER BY, rows follow their groups, details before subtotals.
    rolled = query.group_by is not None and query.group_by.kind != "PLAIN"
    for index, group in enumerate(aggregates.groups):
        if rolled:
            flag = carry(_grouping_flag(index), group)
            order.append(flag.sql + " ASC")
        value = carry(aggregates.grouped(index), group)
        order.extend(key + " ASC NULLS FIRST" for key in sort_key(value))

    branches = []
    for kept in aggregates.grouping_sets():
        columns = [o.compute(kept).wrap("", f" AS c{i}") for i, o in enumerate(outputs)]
        columns += [c(kept).wrap("", f" AS h{i}") for i, c in enumerate(hidden)]
        branch = (
            "SELECT "
            + join_sql(", ", columns)
            + " FROM "
            + scope.source()
            + scope.joins(scope.touched)
            + " WHERE "
            + where
        )
        if kept:
            groups = [aggregates.groups[i].sql for i in sorted(kept)]
            branch += join_sql(", ", groups).wrap(" GROUP BY ", "")
        elif rolled:
            # The grand-total row of a ROLLUP exists only when rows do.
            branch += " HAVING COUNT(*) > 0"
        branches.append(branch)
    sql = join_sql(" UNION ALL ", branches).wrap("SELECT * FROM (", ")")
    if having is not None:
        sql += " WHERE " + having
    if order:
        sql += " ORDER BY " + join_sql(", ", order)
    sql += limit_offset(query)
    shape = ObjectShape("AggregateResult", None)
    shape.entries = [Value(o.key, i, o.convert) for i, o in enumerate(outputs)]
    return AggregatePlan(sql=sql, shape=shape)


def compile_count(compiler: Compiler, scope: Scope, query: ast.Query) -> CountPlan:
    """The plan of ``SELECT COUNT() …`` (groups are counted with GROUP BY)."""
    if len(query.select) != 1:
        raise compiler.problems.malformed(
            query.select[1].pos,
            "COUNT() must be the only element in the SELECT list",
        )
    scope.touched = set()
    where = compiler.where(scope, query, top=True)
    # ORDER BY does not change a count, but it must still make sense.
    compiler.order(scope, query.order_by)
    grouping = _group_clause(compiler, scope, query)
    inner = (
        Sql("SELECT 1 FROM ")
        + scope.source()
        + scope.joins(scope.touched)
        + " WHERE "
        + where
        + grouping
        + limit_offset(query)
    )
    return CountPlan(inner.wrap("SELECT COUNT(*) FROM (", ")"))


def _group_clause(compiler: Compiler, scope: Scope, query: ast.Query) -> Sql:
    """`` GROUP BY … HAVING …`` for ``SELECT COUNT() … GROUP BY``."""
    if query.group_by is None:
        return Sql("")
    if query.group_by.kind != "PLAIN":
        raise compiler.problems.unsupported(query.group_by.pos, "COUNT() with ROLLUP")
    aggregates = _Aggregates(compiler, scope, query)
    clause = join_sql(", ", [g.sql for g in aggregates.groups]).wrap(" GROUP BY ", "")
    if query.having is not None:
        having = Filters(compiler.ctx, aggregates.operand).condition(query.having)
        clause += " HAVING " + having
    return clause
