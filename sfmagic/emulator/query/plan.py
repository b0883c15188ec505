"""Which plan a query needs: records, a count, or aggregate rows."""

from __future__ import annotations

from sfmagic.emulator.query.aggregate import (
    AggregatePlan,
    CountPlan,
    compile_aggregate,
    compile_count,
)
from sfmagic.emulator.query.compile import Compiler, RecordsPlan
from sfmagic.emulator.query.expressions import is_aggregate
from sfmagic.emulator.query.resolve import Context, Scope
from sfmagic.soql import ast

__all__ = ["Plan", "compile_query"]

Plan = RecordsPlan | CountPlan | AggregatePlan


def compile_query(ctx: Context, query: ast.Query) -> Plan:
    """Check a top-level query against the schema and compile it."""
    compiler = Compiler(ctx)
    sobject = compiler.top_object(query)
    compiler.check_clauses(query)
    scope = Scope(ctx, sobject, user_alias=query.alias)
    if any(isinstance(item.expr, ast.CountAll) for item in query.select):
        return compile_count(compiler, scope, query)
    if is_aggregate(query):
        return compile_aggregate(compiler, scope, query)
    return compiler.records(scope, query)
