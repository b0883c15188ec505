"""Query trees into plans: SQLite statements plus the shapes of their results.

A plain query becomes a ``RecordsPlan`` of two statements. The first (``ids``)
applies WHERE, ORDER BY, LIMIT and OFFSET and answers the ordered ids of every
matching record: the engine keeps them as the snapshot behind a query locator.
The second (``page``) reads the selected columns for one page of those ids, in
that order. Each child subquery adds a statement that reads the children of a
page's parents in one go (``ROW_NUMBER()`` applies the subquery's LIMIT and
OFFSET per parent), so a page costs one statement per relationship, not one per
record.

``COUNT()`` and aggregate queries are planned in ``aggregate.py``; ``plan.py``
picks the kind of plan a query needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.query.expressions import (
    field_operand,
    function_operand,
    is_aggregate,
    sort_key,
)
from sfmagic.emulator.query.filters import ID_TYPES, Filters, Operand
from sfmagic.emulator.query.resolve import Column, Context, Node, Scope
from sfmagic.emulator.query.shape import (
    Compound,
    ObjectShape,
    Parent,
    Slot,
    TypeOfEntry,
    Value,
    label_converter,
    selected,
)
from sfmagic.emulator.query.sql import IDS, Sql, column, join_sql
from sfmagic.emulator.schema import SObjectDef
from sfmagic.emulator.values import compound_parts
from sfmagic.soql import ast

__all__ = [
    "MAX_OFFSET",
    "ChildPlan",
    "Columns",
    "Compiler",
    "RecordPlan",
    "RecordsPlan",
]

MAX_OFFSET = 2000
# Larger LIMITs mean "no limit" in practice and would not fit a SQLite integer.
MAX_LIMIT = 2**62
# FIELDS(ALL) and FIELDS(CUSTOM) need a LIMIT of at most this many rows.
FIELDS_LIMIT = 200
# Parent-to-child subqueries nest at most this deep (API 58.0 and later).
MAX_CHILD_DEPTH = 5
_ACCEPTED_WITH = frozenset({"SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"})
_ACCEPTED_SCOPES = frozenset({"everything", "mine"})


class Columns:
    """The SELECT list of one statement; equal expressions share a column."""

    def __init__(self) -> None:
        self.items: list[Sql] = []
        self._index: dict[tuple[str, tuple[object, ...]], int] = {}

    def add(self, sql: Sql) -> int:
        key = (sql.text, sql.params)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(sql)
        return self._index[key]

    def select(self) -> Sql:
        return join_sql(", ", [s + f" AS c{i}" for i, s in enumerate(self.items)])


@dataclass
class RecordPlan:
    """How to read and shape records of one object, given their ids."""

    sobject: SObjectDef
    shape: ObjectShape
    page: Sql
    children: list[ChildPlan]
    select: Sql = field(repr=False, default_factory=lambda: Sql(""))
    width: int = 0


@dataclass
class ChildPlan:
    """A parent-to-child subquery: its records and how to fetch them by parent."""

    key: str
    record: RecordPlan
    by_parents: Sql


@dataclass
class RecordsPlan:
    """A plain query: the ids statement and the record plan for its pages."""

    record: RecordPlan
    ids: Sql


class Compiler:
    """Compiles one query tree (and its subqueries) against the schema."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.problems = ctx.problems

    def type_of_id(self, record_id: str) -> str:
        """The object a record id belongs to, by its key prefix."""
        found = self.ctx.schema.by_key_prefix(record_id[:3])
        return found.name if found is not None else "Name"

    # --- top level ----------------------------------------------------------------

    def top_object(self, query: ast.Query) -> SObjectDef:
        """The queried object, which must be a real, queryable one."""
        sobject = self.ctx.schema.get(query.sobject)
        if sobject is None:
            raise self.problems.unknown_object(query.sobject_pos, query.sobject)
        if sobject.virtual or sobject.raw.get("queryable") is False:
            raise ApiError(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                f"entity type {sobject.name} does not support query",
            )
        return sobject

    def check_clauses(self, query: ast.Query) -> None:
        """Refuse clauses the engine does not answer, and an OFFSET over 2,000."""
        if query.having is not None and query.group_by is None:
            raise self.problems.malformed(
                query.pos, "HAVING can only be used with GROUP BY"
            )
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise ApiError(
                400,
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"Maximum SOQL offset allowed is {MAX_OFFSET}",
            )
        if query.with_clause is not None:
            words = " ".join(query.with_clause.upper().split())
            if words not in _ACCEPTED_WITH:
                raise self.problems.unsupported(query.pos, f"WITH {query.with_clause}")
        scope_name = query.using_scope
        if scope_name is not None and scope_name.lower() not in _ACCEPTED_SCOPES:
            raise self.problems.unsupported(
                query.pos, f"USING SCOPE {query.using_scope}"
            )

    def records(self, scope: Scope, query: ast.Query) -> RecordsPlan:
        """The plan of a plain (not aggregate) query."""
        scope.touched = set()
        where = self.where(scope, query, top=True)
        order = self.order(scope, query.order_by)
        filter_nodes = set(scope.touched)
        record = self.record_plan(scope, query, depth=0)
        order.append(Sql(f"{scope.root.id_sql} ASC"))
        ids = (
            Sql(f"SELECT {scope.root.id_sql} FROM ")
            + scope.source()
            + scope.joins(filter_nodes)
            + " WHERE "
            + where
            + " ORDER BY "
            + join_sql(", ", order)
            + limit_offset(query)
        )
        return RecordsPlan(record=record, ids=ids)

    # --- records ------------------------------------------------------------------

    def record_plan(self, scope: Scope, query: ast.Query, *, depth: int) -> RecordPlan:
        """Shape and page statement for the SELECT list of ``query`` on ``scope``."""
        scope.touched = set()
        columns = Columns()
        shape = ObjectShape(scope.sobject.name, columns.add(Sql(scope.root.id_sql)))
        children: list[ChildPlan] = []
        for item in query.select:
            self._select_item(scope, query, columns, shape, children, item, depth)
        select = columns.select()
        page = (
            "SELECT "
            + select
            + Sql(" FROM json_each(?) AS sfq_k CROSS JOIN ", (IDS,))
            + scope.source()
            + scope.joins(scope.touched)
            + f" WHERE {scope.root.id_sql} = sfq_k.value ORDER BY sfq_k.key"
        )
        return RecordPlan(
            sobject=scope.sobject,
            shape=shape,
            page=page,
            children=children,
            select=select,
            width=len(columns.items),
        )

    def _select_item(
        self,
        scope: Scope,
        query: ast.Query,
        columns: Columns,
        shape: ObjectShape,
        children: list[ChildPlan],
        item: ast.SelectItem,
        depth: int,
    ) -> None:
        expr = item.expr
        if item.query is not None:
            child = self._child(scope, item.query, depth + 1)
            self._add(shape, Slot(child.key), item.pos)
            children.append(child)
            return
        if isinstance(expr, ast.FieldRef):
            if item.alias is not None:
                raise self.problems.malformed(
                    item.pos, "Only aggregate expressions use field aliasing"
                )
            self._select_field(scope, columns, shape, scope.resolve(expr), expr.pos)
        elif isinstance(expr, ast.FieldsMacro):
            self._select_macro(scope, query, columns, shape, expr)
        elif isinstance(expr, ast.TypeOf):
            self._select_typeof(scope, columns, shape, expr)
        elif isinstance(expr, ast.FunctionCall):
            self._select_function(scope, columns, shape, item, expr)
        else:
            raise self.problems.malformed(item.pos, "unexpected COUNT()")

    def _select_field(
        self,
        scope: Scope,
        columns: Columns,
        shape: ObjectShape,
        found: Column,
        pos: ast.Position,
        *,
        base: Node | None = None,
        quiet: bool = False,
    ) -> None:
        target = self._nest(shape, base or scope.root, found.node, columns)
        if found.field.storage is None:
            entry: Value | Compound = self._compound(columns, found)
        else:
            sql, convert = selected(found.sql, found.field)
            entry = Value(found.name, columns.add(sql), convert)
        if quiet and target.entry(entry.key) is not None:
            return
        self._add(target, entry, pos)

    def _compound(self, columns: Columns, found: Column) -> Compound:
        sobject = found.node.sobject
        assert sobject is not None
        parts = []
        for key, name in compound_parts(sobject, found.field):
            part = sobject.fields[name]
            sql, convert = selected(Sql(column(found.node.alias, part.name)), part)
            parts.append((key, columns.add(sql), convert))
        return Compound(found.name, parts)

    def _select_macro(
        self,
        scope: Scope,
        query: ast.Query,
        columns: Columns,
        shape: ObjectShape,
        macro: ast.FieldsMacro,
    ) -> None:
        if macro.kind != "STANDARD" and (
            query.limit is None or query.limit > FIELDS_LIMIT
        ):
            raise self.problems.malformed(
                macro.pos,
                f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}",
            )
        for described in scope.sobject.fields.values():
            if macro.kind == "CUSTOM" and not described.custom:
                continue
            if macro.kind == "STANDARD" and described.custom:
                continue
            found = scope.field_on(scope.root, described.name, macro.pos)
            self._select_field(scope, columns, shape, found, macro.pos, quiet=True)

    def _select_function(
        self,
        scope: Scope,
        columns: Columns,
        shape: ObjectShape,
        item: ast.SelectItem,
        call: ast.FunctionCall,
    ) -> None:
        # Validates the call; unsupported functions are refused here.
        operand = function_operand(scope, call, "select")
        if call.name != "TOLABEL":
            raise self.problems.malformed(
                call.pos,
                f"{operand.name}() can only be selected in an aggregate query",
            )
        argument = call.args[0]
        assert isinstance(argument, ast.FieldRef)
        found = scope.resolve(argument)
        target = self._nest(shape, scope.root, found.node, columns)
        key = item.alias or found.name
        entry = Value(key, columns.add(found.sql), label_converter(found.field))
        self._add(target, entry, item.pos)

    def _select_typeof(
        self, scope: Scope, columns: Columns, shape: ObjectShape, typeof: ast.TypeOf
    ) -> None:
        ref = typeof.relationship
        path = scope.strip_prefix(ref.path)
        relation = scope.sobject.relationship(path[0]) if len(path) == 1 else None
        if relation is None:
            raise self.problems.unknown_relationship(ref.pos, ref.dotted)
        if not relation.polymorphic:
            raise self.problems.malformed(
                ref.pos,
                f"TYPEOF can only be used on a polymorphic relationship, "
                f"not on {relation.relationship_name}",
            )
        node = scope.parent_node(scope.root, path[0], ref.pos)
        scope.touched.add(node)
        fk_index = columns.add(Sql(column(scope.root.alias, relation.name)))
        branches: dict[str, ObjectShape] = {}
        for when in typeof.whens:
            target = scope.typeof_node(node, when.sobject)
            if target is None or target.sobject is None:
                raise self.problems.malformed(
                    when.pos,
                    f"sObject type '{when.sobject}' is not a valid type for "
                    f"{node.key} in TYPEOF",
                )
            branch = ObjectShape(target.sobject.name, columns.add(Sql(target.id_sql)))
            for ref_field in when.fields:
                found = scope.resolve(ref_field, base=target)
                self._select_field(
                    scope, columns, branch, found, ref_field.pos, base=target
                )
            branches[target.sobject.name] = branch
        otherwise = None
        if typeof.else_fields:
            otherwise = ObjectShape(
                None, columns.add(Sql(node.id_sql)), type_of_id=self.type_of_id
            )
            for ref_field in typeof.else_fields:
                found = scope.resolve(ref_field, base=node)
                self._select_field(
                    scope, columns, otherwise, found, ref_field.pos, base=node
                )
        entry = TypeOfEntry(node.key, fk_index, branches, otherwise, self.type_of_id)
        self._add(shape, entry, typeof.pos)

    def _nest(
        self, shape: ObjectShape, base: Node, node: Node, columns: Columns
    ) -> ObjectShape:
        """The (nested) shape that holds fields of ``node``, creating parents."""
        lineage = node.lineage()
        current = shape
        for hop in lineage[lineage.index(base) + 1 :]:
            existing = current.entry(hop.key)
            if isinstance(existing, Parent):
                current = existing.shape
                continue
            if existing is not None:
                raise self.problems.malformed(
                    None, f"duplicate field selected: {hop.key}"
                )
            id_index = columns.add(Sql(hop.id_sql))
            if hop.polymorphic:
                nested = ObjectShape(
                    "Name", id_index, url_by_prefix=True, type_of_id=self.type_of_id
                )
            else:
                nested = ObjectShape(hop.type_name, id_index)
            current.entries.append(Parent(hop.key, nested))
            current = nested
        return current

    def _add(
        self,
        shape: ObjectShape,
        entry: Value | Compound | Slot | Parent | TypeOfEntry,
        pos: ast.Position,
    ) -> None:
        if shape.entry(entry.key) is not None:
            raise self.problems.malformed(pos, f"duplicate field selected: {entry.key}")
        shape.entries.append(entry)

    # --- child subqueries ---------------------------------------------------------

    def _child(self, scope: Scope, query: ast.Query, depth: int) -> ChildPlan:
        relation = scope.sobject.child_relationship(query.sobject)
        child_object = (
            self.ctx.schema.get(relation.child_sobject)
            if relation is not None
            else None
        )
        if relation is None or child_object is None:
            raise self.problems.unknown_child_relationship(
                query.sobject_pos, query.sobject
            )
        if depth > MAX_CHILD_DEPTH:
            raise self.problems.malformed(
                query.pos,
                f"Parent-to-child subqueries can nest at most {MAX_CHILD_DEPTH} levels",
            )
        self._check_child_clauses(query)
        child = Scope(self.ctx, child_object, user_alias=query.alias)
        link = child.field_on(child.root, relation.field, query.sobject_pos)
        where = self.where(child, query, top=False)
        order = self.order(child, query.order_by)
        order.append(Sql(f"{child.root.id_sql} ASC"))
        filter_nodes = set(child.touched)
        record = self.record_plan(child, query, depth=depth)
        rows = (
            "SELECT "
            + record.select
            + ", "
            + link.sql
            + " AS sfq_parent, ROW_NUMBER() OVER (PARTITION BY "
            + link.sql
            + " ORDER BY "
            + join_sql(", ", order)
            + ") AS sfq_rn FROM "
            + child.source()
            + child.joins(filter_nodes | child.touched)
            + " WHERE "
            + link.sql
            + Sql(" IN (SELECT value FROM json_each(?)) AND ", (IDS,))
            + where
        )
        first = query.offset or 0
        window = Sql(" WHERE sfq_rn > ?", (first,))
        if query.limit is not None:
            window += Sql(" AND sfq_rn <= ?", (first + min(query.limit, MAX_LIMIT),))
        by_parents = (
            rows.wrap("SELECT * FROM (", ")") + window + " ORDER BY sfq_parent, sfq_rn"
        )
        key = relation.relationship_name
        return ChildPlan(key=key, record=record, by_parents=by_parents)

    def _check_child_clauses(self, query: ast.Query) -> None:
        counted = any(isinstance(i.expr, ast.CountAll) for i in query.select)
        if counted or is_aggregate(query) or query.having is not None:
            raise self.problems.malformed(
                query.pos, "Aggregate functions are not supported in subqueries"
            )
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise ApiError(
                400,
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"Maximum SOQL offset allowed is {MAX_OFFSET}",
            )
        if query.using_scope is not None or query.with_clause is not None:
            raise self.problems.malformed(
                query.pos, "USING SCOPE and WITH are not allowed in subqueries"
            )

    # --- WHERE, ORDER BY, semi-joins --------------------------------------------------

    def where(self, scope: Scope, query: ast.Query, *, top: bool) -> Sql:
        """The WHERE condition of ``query``, with the deleted-row and scope filters."""
        parts: list[Sql] = []
        deleted = scope.deleted_filter()
        if deleted is not None:
            parts.append(deleted)
        if top and query.using_scope and query.using_scope.lower() == "mine":
            owner = scope.sobject.field("OwnerId")
            if owner is None:
                raise self.problems.malformed(
                    query.pos,
                    f"USING SCOPE mine needs an owned object, not {scope.sobject.name}",
                )
            owner_sql = column(scope.root.alias, owner.name)
            parts.append(Sql(f"{owner_sql} = ?", (self.ctx.user_id,)))
        if query.where is not None:
            filters = Filters(self.ctx, self.where_operand(scope), self._semi_join)
            parts.append(filters.condition(query.where))
        return join_sql(" AND ", parts) if parts else Sql("1")

    def where_operand(self, scope: Scope) -> Callable[[ast.Expression], Operand]:
        def operand(expr: ast.Expression) -> Operand:
            if isinstance(expr, ast.FieldRef):
                return field_operand(scope, expr, "where")
            return function_operand(scope, expr, "where")

        return operand

    def order(
        self,
        scope: Scope,
        items: tuple[ast.OrderItem, ...],
        operand: Callable[[ast.Expression], Operand] | None = None,
    ) -> list[Sql]:
        """ORDER BY terms with Salesforce's null placement made explicit."""
        terms: list[Sql] = []
        for item in items:
            if operand is not None:
                found = operand(item.expr)
            elif isinstance(item.expr, ast.FieldRef):
                found = field_operand(scope, item.expr, "order")
            else:
                found = function_operand(scope, item.expr, "order")
            direction = "DESC" if item.descending else "ASC"
            nulls = item.nulls or ("LAST" if item.descending else "FIRST")
            for key in sort_key(found):
                terms.append(key + f" {direction} NULLS {nulls}")
        return terms

    def _semi_join(self, cond: ast.InSubquery, left: Operand) -> Sql:
        query = cond.query
        sobject = self.top_object(query)
        expr = query.select[0].expr if len(query.select) == 1 else None
        if not isinstance(expr, ast.FieldRef) or query.select[0].query is not None:
            raise self.problems.malformed(
                query.pos, "A semi join sub-select must select exactly one Id field"
            )
        extras = (
            query.group_by,
            query.having,
            query.order_by or None,
            query.limit,
            query.offset,
            query.using_scope,
        )
        if any(extra is not None for extra in extras):
            raise self.problems.unsupported(
                query.pos, "GROUP BY, ORDER BY, LIMIT or OFFSET in a semi join"
            )
        scope = Scope(self.ctx, sobject, user_alias=query.alias)
        scope.touched = set()
        selected = scope.resolve(expr)
        if selected.type not in ID_TYPES:
            raise self.problems.malformed(
                expr.pos,
                f"A semi join sub-select must select an Id or reference field, "
                f"not {selected.name}",
            )
        where = self.where(scope, query, top=False)
        return (
            "SELECT "
            + selected.sql
            + " FROM "
            + scope.source()
            + scope.joins(scope.touched)
            + " WHERE "
            + selected.sql
            + " IS NOT NULL AND "
            + where
        )


def limit_offset(query: ast.Query) -> Sql:
    """``LIMIT ? OFFSET ?`` for the query's LIMIT and OFFSET (empty without)."""
    if query.limit is None and not query.offset:
        return Sql("")
    limit = -1 if query.limit is None else min(query.limit, MAX_LIMIT)
    return Sql(" LIMIT ? OFFSET ?", (limit, query.offset or 0))
