"""Names in a query, resolved against the schema into tables, joins and columns.

A ``Scope`` is the FROM part of one SELECT (the top-level query, a child subquery
or a semi-join): its root table and every table that relationship paths reach,
each a ``Node`` with its own SQL alias and LEFT JOIN. Resolving ``Account.Owner.Name``
from Contact adds the Account and User nodes (once, however often the path is
used) and answers a ``Column``: the SQL expression, the field's describe entry and
the node it lives on, which is where the result shaping nests it.

Polymorphic relationships (``Who``, ``What``, a Case's or Lead's ``Owner``) reach
Salesforce's ``Name`` object: one node that LEFT JOINs every target table in the
schema, with the Name fields (``Id``, ``Name``, ``Type``, ``FirstName``, ``Email`` …)
coalesced over the targets that have them. Paths do not continue past a
polymorphic relationship except through TYPEOF.

The read-only ``OpenActivity`` and ``ActivityHistory`` objects have no table: their
rows are open (or closed) tasks and future (or past) events, read through a UNION
ALL of Task and Event.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sfmagic.emulator.query.dates import stored_utc, zone
from sfmagic.emulator.query.problems import Problems
from sfmagic.emulator.query.sql import Sql, column, join_sql, quote
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef
from sfmagic.soql import ast

__all__ = ["MAX_PARENT_HOPS", "Column", "Context", "Node", "Scope"]

# Salesforce follows at most five child-to-parent relationships in one path.
MAX_PARENT_HOPS = 5

# Fields of the Name object, with the target objects that fill them (None: all).
_USER_ONLY = ("User",)
_PEOPLE = ("User", "Contact", "Lead")
_NAME_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "Id": ("id", None),
    "Name": ("string", None),
    "Type": ("string", None),
    "FirstName": ("string", _PEOPLE),
    "LastName": ("string", _PEOPLE),
    "Alias": ("string", _USER_ONLY),
    "Email": ("email", _USER_ONLY),
    "Phone": ("phone", _USER_ONLY),
    "Title": ("string", _USER_ONLY),
    "Username": ("string", _USER_ONLY),
    "CommunityNickname": ("string", _USER_ONLY),
    "IsActive": ("boolean", _USER_ONLY),
    "LastReferencedDate": ("datetime", None),
    "LastViewedDate": ("datetime", None),
}


def _name_field(name: str, type_name: str) -> FieldDef:
    entry = {
        "name": name,
        "label": name,
        "type": type_name,
        "nillable": True,
        "filterable": True,
        "sortable": True,
        "groupable": True,
        "aggregatable": type_name not in ("boolean", "id"),
    }
    return FieldDef.from_describe(entry)


NAME_OBJECT_FIELDS = {
    name.lower(): _name_field(name, type_name)
    for name, (type_name, _targets) in _NAME_FIELDS.items()
}


@dataclass
class Context:
    """What compiling one query needs besides the tree: schema, clock, options."""

    schema: Schema
    problems: Problems
    time_zone: str
    now: datetime
    include_deleted: bool
    user_id: str
    _aliases: Iterator[int] = field(default_factory=itertools.count)

    @property
    def today(self) -> date:
        """Today's date in the org's time zone."""
        return self.now.astimezone(zone(self.time_zone)).date()

    def new_alias(self) -> str:
        """A fresh SQL table alias, unique within the statement."""
        return f"t{next(self._aliases)}"


@dataclass(eq=False)
class Node:
    """A table the query reads, or a polymorphic group of them (``sobject`` None)."""

    key: str
    sobject: SObjectDef | None
    alias: str
    parent: Node | None = None
    fk: FieldDef | None = None
    targets: tuple[Node, ...] = ()
    join: Sql | None = None
    hops: int = 0

    @property
    def polymorphic(self) -> bool:
        return self.sobject is None

    @property
    def type_name(self) -> str:
        return self.sobject.name if self.sobject is not None else "Name"

    @property
    def id_sql(self) -> str:
        """The SQL expression for the Id of this node's record (NULL when none)."""
        if self.sobject is not None:
            return column(self.alias, "Id")
        if not self.targets:
            return "NULL"
        if len(self.targets) == 1:
            return self.targets[0].id_sql
        return "COALESCE(" + ", ".join(t.id_sql for t in self.targets) + ")"

    def lineage(self) -> list[Node]:
        """This node and its ancestors, root first."""
        chain: list[Node] = []
        node: Node | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]


@dataclass(frozen=True)
class Column:
    """A resolved field: its SQL, describe entry and the node it lives on."""

    sql: Sql
    field: FieldDef
    node: Node

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def name(self) -> str:
        return self.field.name


class Scope:
    """The tables of one SELECT: a root and the parents its paths reach."""

    def __init__(
        self,
        ctx: Context,
        sobject: SObjectDef,
        *,
        user_alias: str | None = None,
        source: Sql | None = None,
    ) -> None:
        self.ctx = ctx
        self.sobject = sobject
        self.user_alias = user_alias
        self.root = Node(key="", sobject=sobject, alias=ctx.new_alias())
        self._source = source
        self._nodes: list[Node] = [self.root]
        self._edges: dict[tuple[int, str], Node] = {}
        self.touched: set[Node] = set()

    # --- FROM ---------------------------------------------------------------------

    def source(self) -> Sql:
        """The root table (or the virtual object's union) with its alias."""
        if self._source is not None:
            return self._source.wrap("(", f") AS {self.root.alias}")
        if self.sobject.virtual:
            union = activity_source(self.ctx, self.sobject)
            return union.wrap("(", f") AS {self.root.alias}")
        return Sql(f"{quote(self.sobject.name)} AS {self.root.alias}")

    def joins(self, nodes: Iterable[Node]) -> Sql:
        """The LEFT JOINs that ``nodes`` (and their ancestors) need, in order."""
        needed: set[Node] = set()
        for node in nodes:
            needed.update(node.lineage())
        parts: list[Sql] = []
        for node in self._nodes:
            if node in needed and node.join is not None:
                parts.append(node.join)
            for target in node.targets:
                if (node in needed or target in needed) and target.join is not None:
                    parts.append(target.join)
        return join_sql("", parts)

    def deleted_filter(self, node: Node | None = None) -> Sql | None:
        """``alias."IsDeleted" = 0`` unless deleted rows are wanted or can't exist."""
        node = node or self.root
        if self.ctx.include_deleted or node.sobject is None:
            return None
        if node.sobject.field("IsDeleted") is None:
            return None
        # The unary plus keeps SQLite from choosing the (unselective) IsDeleted
        # index over the one a real filter could use.
        return Sql(f"+{column(node.alias, 'IsDeleted')} = 0")

    # --- relationship paths -------------------------------------------------------

    def strip_prefix(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """Drop a leading table alias or object name (``a.Name``, ``Account.Name``)."""
        if len(path) < 2:
            return path
        first = path[0].lower()
        if self.user_alias and first == self.user_alias.lower():
            return path[1:]
        is_own_name = first == self.sobject.name.lower()
        if is_own_name and self.sobject.relationship(first) is None:
            return path[1:]
        return path

    def parent_node(self, node: Node, part: str, pos: ast.Position) -> Node:
        """The node reached from ``node`` through the relationship ``part``."""
        problems = self.ctx.problems
        if node.sobject is None:
            raise problems.unknown_relationship(pos, part)
        relation = node.sobject.relationship(part)
        if relation is None:
            raise problems.unknown_relationship(pos, part)
        edge = (id(node), relation.name)
        if edge in self._edges:
            return self._edges[edge]
        if node.hops >= MAX_PARENT_HOPS:
            raise problems.malformed(
                pos,
                "SOQL statements cannot query more than "
                f"{MAX_PARENT_HOPS} levels of relationships",
            )
        targets = [
            target
            for name in relation.reference_to
            if (target := self.ctx.schema.get(name)) is not None and not target.virtual
        ]
        if not targets:
            raise problems.unknown_relationship(pos, part)
        key = relation.relationship_name or part
        if relation.polymorphic:
            created = Node(key=key, sobject=None, alias="", parent=node, fk=relation)
            created.targets = tuple(
                self._table_node(key, target, node, relation) for target in targets
            )
            created.hops = node.hops + 1
        else:
            created = self._table_node(key, targets[0], node, relation)
        self._edges[edge] = created
        self._nodes.append(created)
        return created

    def typeof_node(self, poly: Node, sobject_name: str) -> Node | None:
        """The table node of one target of a polymorphic node, or None."""
        wanted = sobject_name.lower()
        for target in poly.targets:
            if target.sobject is not None and target.sobject.name.lower() == wanted:
                return target
        return None

    def _table_node(
        self, key: str, target: SObjectDef, holder: Node, relation: FieldDef
    ) -> Node:
        """A LEFT JOINed table reached through ``relation`` on ``holder``."""
        alias = self.ctx.new_alias()
        condition = f"{column(alias, 'Id')} = {column(holder.alias, relation.name)}"
        if not self.ctx.include_deleted and target.field("IsDeleted") is not None:
            condition += f" AND {column(alias, 'IsDeleted')} = 0"
        return Node(
            key=key,
            sobject=target,
            alias=alias,
            parent=holder,
            fk=relation,
            join=Sql(f" LEFT JOIN {quote(target.name)} AS {alias} ON {condition}"),
            hops=holder.hops + 1,
        )

    def resolve(self, ref: ast.FieldRef, base: Node | None = None) -> Column:
        """The column a field path names, joining what it needs.

        ``base`` resolves the path from another node (a TYPEOF branch).
        """
        path = ref.path if base is not None else self.strip_prefix(ref.path)
        node = base or self.root
        for part in path[:-1]:
            node = self.parent_node(node, part, ref.pos)
        resolved = self.field_on(node, path[-1], ref.pos)
        self.touched.add(node)
        return resolved

    def field_on(self, node: Node, name: str, pos: ast.Position) -> Column:
        """The column ``name`` of a node, or INVALID_FIELD."""
        problems = self.ctx.problems
        if node.sobject is None:
            found = NAME_OBJECT_FIELDS.get(name.lower())
            if found is None:
                raise problems.unknown_field(pos, name, "Name")
            return Column(name_object_sql(node, found.name), found, node)
        described = node.sobject.field(name)
        if described is None:
            raise problems.unknown_field(pos, name, node.sobject.name)
        if described.storage is None:
            return Column(Sql("NULL"), described, node)
        return Column(Sql(column(node.alias, described.name)), described, node)


def name_object_sql(node: Node, name: str) -> Sql:
    """The SQL of a Name-object field: coalesced over the targets that have it."""
    _type, allowed = _NAME_FIELDS[name]
    parts: list[Sql] = []
    for target in node.targets:
        sobject = target.sobject
        assert sobject is not None
        if allowed is not None and sobject.name not in allowed:
            continue
        if name == "Type":
            # A queue's Name.Type is its Group.Type ('Queue'); others name the object.
            if sobject.name == "Group" and sobject.field("Type") is not None:
                kind = Sql(column(target.alias, "Type"))
            else:
                kind = Sql("?", (sobject.name,))
            parts.append(Sql(f"WHEN {target.id_sql} IS NOT NULL THEN ") + kind)
            continue
        if name == "Id":
            own: FieldDef | None = sobject.field("Id")
        elif name == "Name":
            own = sobject.name_field
        else:
            own = sobject.field(name)
        if own is not None and own.storage is not None:
            parts.append(Sql(column(target.alias, own.name)))
    if not parts:
        return Sql("NULL")
    if name == "Type":
        return join_sql(" ", parts).wrap("CASE ", " END")
    if len(parts) == 1:
        return parts[0]
    return join_sql(", ", parts).wrap("COALESCE(", ")")


# --- the OpenActivity / ActivityHistory union -------------------------------------

_SUBTYPE = {"Task": "TaskSubtype", "Event": "EventSubtype"}


def activity_source(ctx: Context, virtual: SObjectDef) -> Sql:
    """A UNION ALL of the Task and Event rows that make up a virtual activity object.

    OpenActivity holds open tasks and events that have not ended yet;
    ActivityHistory holds closed tasks and past events.
    """
    history = virtual.name.lower() == "activityhistory"
    selects: list[Sql] = []
    for source_name in ("Task", "Event"):
        source = ctx.schema.get(source_name)
        if source is None:
            continue
        columns = [
            Sql(_activity_column(field_def, source, history) + f" AS {quote(name)}")
            for name, field_def in virtual.fields.items()
            if field_def.storage is not None
        ]
        select = join_sql(", ", columns).wrap("SELECT ", f" FROM {quote(source.name)}")
        selects.append(select + " WHERE " + _activity_state(ctx, source, history))
    if not selects:
        columns_only = ", ".join(
            f"NULL AS {quote(name)}"
            for name, f in virtual.fields.items()
            if f.storage is not None
        )
        return Sql(f"SELECT {columns_only} WHERE 0")
    return join_sql(" UNION ALL ", selects)


def _activity_column(field_def: FieldDef, source: SObjectDef, history: bool) -> str:
    name = field_def.name
    if name == "IsTask":
        return "1" if source.name == "Task" else "0"
    if name == "IsClosed" and source.name == "Event":
        return "1" if history else "0"
    if name == "ActivitySubtype":
        subtype = source.field(_SUBTYPE.get(source.name, ""))
        return quote(subtype.name) if subtype is not None else "NULL"
    own = source.field(name)
    if own is not None and own.storage is not None:
        return quote(own.name)
    return "0" if field_def.type == "boolean" else "NULL"


def _activity_state(ctx: Context, source: SObjectDef, history: bool) -> Sql:
    if source.name == "Task":
        closed = "1" if history else "0"
        return Sql(f"COALESCE({quote('IsClosed')}, 0) = {closed}")
    now = stored_utc(ctx.now)
    today = ctx.today.isoformat()
    ends = Sql(
        'CASE WHEN "IsAllDayEvent" = 1 '
        'THEN COALESCE("EndDate", "ActivityDate") >= ? '
        'ELSE COALESCE("EndDateTime", "ActivityDateTime") >= ? END',
        (today, now),
    )
    open_event = ends.wrap("COALESCE(", ", 1)")
    return open_event.wrap("NOT ", "") if history else open_event
