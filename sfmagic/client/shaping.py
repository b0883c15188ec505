"""From a SOQL syntax tree and describe metadata to typed columns, and from query
pages to Arrow arrays.

A ``Plan`` lists the columns a query returns, in SELECT order, each with the path
of JSON keys that reaches its value in a record (``("Owner", "Name")``) and its
kind (``string``, ``boolean``, ``integer``, ``double``, ``datetime``, ``date``,
``time``, or ``unknown`` when describe does not know the field). Child subqueries
get a plan of their own.

Two readers turn one page body into an ``Extracted`` batch of Arrow arrays:
``read_page_arrow`` parses the page with ``pyarrow.json`` and an explicit schema
built from the plan (fast, no Python object per value), ``read_page_orjson``
parses with orjson and builds the arrays column by column; the second also
copes with what the first refuses (a value of a kind describe did not predict,
pretty-printed JSON), and ``read_page`` falls back to it.

Naming: parent paths are dotted (``Account.Owner.Name``) with describe's
spelling; compound fields are flattened to one column per component
(``BillingAddress.city``, ``Location__c.latitude``); aggregate queries keep
Salesforce's keys (the alias, ``expr0`` …, or the last part of a grouped path);
``COUNT()`` yields no column (its answer is the row count).

Known limits: addresses are flattened to street, city, state, postalCode,
country, latitude, longitude and geocodeAccuracy (not the stateCode and
countryCode of orgs with state and country picklists). TYPEOF columns are
typed from the WHEN branch that names them first; a polymorphic relationship
outside TYPEOF is typed from the first referenced object that has the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from sfmagic.client.describe_cache import (
    find_child_relationship,
    find_field,
    find_relationship,
)
from sfmagic.soql import ast

__all__ = [
    "ChildPlan",
    "Column",
    "Extracted",
    "Page",
    "Plan",
    "build_plan",
    "final_type",
    "finish",
    "memory_pool",
    "page_schema",
    "read_page",
    "read_page_arrow",
    "read_page_orjson",
]

DescribeLookup = Callable[[str], Mapping[str, Any] | None]

# Describe field types by the column kind that holds them; every other type
# (id, reference, string, picklist, textarea, email …) is text.
_KIND_BY_TYPE = {
    "boolean": "boolean",
    "int": "integer",
    "long": "integer",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "datetime": "datetime",
    "date": "date",
    "time": "time",
}
_ADDRESS_PARTS = (
    ("street", "string"),
    ("city", "string"),
    ("state", "string"),
    ("postalCode", "string"),
    ("country", "string"),
    ("latitude", "double"),
    ("longitude", "double"),
    ("geocodeAccuracy", "string"),
)
_LOCATION_PARTS = (("latitude", "double"), ("longitude", "double"))
_AGGREGATES = {"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"}
_INTEGER_FUNCTIONS = {"COUNT", "COUNT_DISTINCT", "GROUPING"}
_KEEP_KIND_FUNCTIONS = {"MIN", "MAX"}
_TEXT_FUNCTIONS = {"TOLABEL", "FORMAT"}
_DOUBLE_FUNCTIONS = {"SUM", "AVG", "CONVERTCURRENCY", "DISTANCE"}

# Text is read as large_string: pandas' pyarrow-backed string dtype holds
# large_string, so the frame can share the buffers instead of copying them.
_WIRE_TYPES: dict[str, pa.DataType] = {
    "string": pa.large_string(),
    "unknown": pa.large_string(),
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "double": pa.float64(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "date": pa.string(),
    "time": pa.string(),
}
_FINAL_TYPES = dict(_WIRE_TYPES, date=pa.date32(), time=pa.time32("ms"))


def memory_pool() -> pa.MemoryPool:
    """The Arrow memory pool REST query pages are read into.

    The C library's allocator: measured on 1 MB query pages, it parses as fast
    as Arrow's default (mimalloc) and leaves the process about half as much
    resident memory, because mimalloc keeps the parser's freed scratch space.
    """
    return pa.system_memory_pool()


@dataclass(frozen=True)
class Column:
    """One output column: its name, the JSON keys reaching it, and its kind."""

    name: str
    path: tuple[str, ...]
    kind: str


@dataclass
class ChildPlan:
    """A parent-to-child subquery: the JSON key of its results and its plan."""

    key: str
    plan: Plan


@dataclass
class Plan:
    """What a query returns, column by column."""

    sobject: str
    columns: list[Column] = field(default_factory=list)
    children: list[ChildPlan] = field(default_factory=list)
    aggregate: bool = False
    count_only: bool = False
    compound: bool = False
    typeof: bool = False
    offset: bool = False

    @property
    def bulk_ok(self) -> bool:
        """Whether Bulk API 2.0 can run the query (it refuses child subqueries,
        aggregates, OFFSET, TYPEOF and compound fields)."""
        return not (
            self.children
            or self.aggregate
            or self.count_only
            or self.compound
            or self.typeof
            or self.offset
        )

    @property
    def id_index(self) -> int | None:
        """The position of the record's own ``Id`` column, if selected."""
        for index, column in enumerate(self.columns):
            if column.path == ("Id",):
                return index
        return None

    def arrow_schema(self) -> pa.Schema:
        """The final Arrow schema of the columns (dates as date32 …)."""
        return pa.schema([(c.name, final_type(c.kind)) for c in self.columns])


def final_type(kind: str) -> pa.DataType:
    """The Arrow type a column of this kind ends up with."""
    return _FINAL_TYPES[kind]


def build_plan(query: ast.Query, describe: DescribeLookup) -> Plan:
    """The ``Plan`` of a parsed query, typed from describe metadata.

    Parameters
    ----------
    query
        The syntax tree from ``sfmagic.soql.parse``.
    describe
        Returns the describe payload of an sObject name, or None.
    """
    return _Planner(describe).plan(query, query.sobject)


class _Planner:
    def __init__(self, describe: DescribeLookup) -> None:
        self.describe = describe

    def plan(self, query: ast.Query, sobject: str) -> Plan:
        info = self.describe(sobject)
        canonical = str(info["name"]) if info else sobject
        plan = Plan(canonical, offset=query.offset is not None)
        plan.aggregate = query.group_by is not None or any(
            isinstance(item.expr, ast.FunctionCall) and item.expr.name in _AGGREGATES
            for item in query.select
        )
        alias = query.alias.lower() if query.alias else None
        expr_number = 0
        for item in query.select:
            if item.query is not None:
                plan.children.append(self.child(info, item.query))
            elif isinstance(item.expr, ast.FieldRef):
                path = item.expr.path
                if alias and len(path) > 1 and path[0].lower() == alias:
                    path = path[1:]
                self.field_columns(plan, info, path)
            elif isinstance(item.expr, ast.FunctionCall):
                key = item.alias
                if key is None and self.keyed_by_field(item.expr, plan.aggregate):
                    key = self.function_field(item.expr)
                if key is None:
                    key = f"expr{expr_number}"
                    expr_number += 1
                kind = self.function_kind(item.expr, info)
                plan.columns.append(Column(key, (key,), kind))
            elif isinstance(item.expr, ast.CountAll):
                plan.count_only = True
            elif isinstance(item.expr, ast.FieldsMacro):
                self.fields_macro(plan, info, item.expr.kind)
            elif isinstance(item.expr, ast.TypeOf):
                self.typeof(plan, info, item.expr)
        return plan

    def child(self, info: Mapping[str, Any] | None, query: ast.Query) -> ChildPlan:
        relationship = find_child_relationship(info, query.sobject) if info else None
        if relationship is None:
            return ChildPlan(query.sobject, self.plan(query, query.sobject))
        child = self.plan(query, str(relationship["childSObject"]))
        return ChildPlan(str(relationship["relationshipName"]), child)

    def resolve(
        self, info: Mapping[str, Any] | None, path: Sequence[str]
    ) -> tuple[list[str], Mapping[str, Any] | None]:
        """Describe's spelling of a path, and the describe entry of its field."""
        names: list[str] = []
        for position, part in enumerate(path):
            last = position == len(path) - 1
            if info is None:
                names.append(part)
                continue
            if last:
                found = find_field(info, part)
                names.append(str(found["name"]) if found else part)
                return names, found
            reference = find_relationship(info, part)
            if reference is None:
                names.append(part)
                info = None
                continue
            names.append(str(reference["relationshipName"]))
            info = self.target(reference.get("referenceTo") or [], path[position + 1])
        return names, None

    def target(
        self, objects: Sequence[str], next_part: str
    ) -> Mapping[str, Any] | None:
        """The first referenced object that knows the next part of the path."""
        first = None
        for name in objects:
            info = self.describe(name)
            if info is None:
                continue
            first = first or info
            if find_field(info, next_part) or find_relationship(info, next_part):
                return info
        return first

    def field_columns(
        self, plan: Plan, info: Mapping[str, Any] | None, path: Sequence[str]
    ) -> None:
        names, found = self.resolve(info, path)
        if plan.aggregate:
            # Grouped paths come back keyed by their last part.
            names = names[-1:]
        self.add_field(plan, names, found)

    def add_field(
        self, plan: Plan, names: list[str], found: Mapping[str, Any] | None
    ) -> None:
        field_type = str(found["type"]) if found else ""
        parts = {"address": _ADDRESS_PARTS, "location": _LOCATION_PARTS}
        if field_type in parts:
            plan.compound = True
            for part, kind in parts[field_type]:
                path = (*names, part)
                plan.columns.append(Column(".".join(path), path, kind))
            return
        kind = _KIND_BY_TYPE.get(field_type, "string") if found else "unknown"
        plan.columns.append(Column(".".join(names), tuple(names), kind))

    def keyed_by_field(self, call: ast.FunctionCall, aggregate: bool) -> bool:
        # Outside aggregate queries toLabel, FORMAT and convertCurrency come back
        # under the field's own name.
        return not aggregate and call.name in {"TOLABEL", "FORMAT", "CONVERTCURRENCY"}

    def function_field(self, call: ast.FunctionCall) -> str | None:
        for arg in call.args:
            if isinstance(arg, ast.FieldRef):
                return arg.path[-1]
        return None

    def function_kind(
        self, call: ast.FunctionCall, info: Mapping[str, Any] | None
    ) -> str:
        name = call.name
        if name in _INTEGER_FUNCTIONS:
            return "integer"
        if name in _TEXT_FUNCTIONS:
            return "string"
        if name in _DOUBLE_FUNCTIONS:
            return "double"
        if name == "DAY_ONLY":
            return "date"
        if name in _KEEP_KIND_FUNCTIONS:
            inner = call.args[0] if call.args else None
            if isinstance(inner, ast.FieldRef):
                _, found = self.resolve(info, inner.path)
                if found:
                    return _KIND_BY_TYPE.get(str(found["type"]), "string")
            if isinstance(inner, ast.FunctionCall):
                return self.function_kind(inner, info)
            return "unknown"
        # The date functions (CALENDAR_YEAR, HOUR_IN_DAY, WEEK_IN_YEAR …).
        return "integer"

    def fields_macro(
        self, plan: Plan, info: Mapping[str, Any] | None, kind: str
    ) -> None:
        for entry in info.get("fields", ()) if info else ():
            custom = bool(entry.get("custom"))
            if (kind == "STANDARD" and custom) or (kind == "CUSTOM" and not custom):
                continue
            self.add_field(plan, [str(entry["name"])], entry)

    def typeof(
        self, plan: Plan, info: Mapping[str, Any] | None, typeof: ast.TypeOf
    ) -> None:
        plan.typeof = True
        reference = (
            find_relationship(info, typeof.relationship.path[-1]) if info else None
        )
        key = (
            str(reference["relationshipName"])
            if reference
            else typeof.relationship.dotted
        )
        branches = [(when.sobject, when.fields) for when in typeof.whens]
        if typeof.else_fields:
            branches.append(("Name", typeof.else_fields))
        seen: set[str] = set()
        for sobject, fields in branches:
            branch = self.describe(sobject)
            for ref in fields:
                found = find_field(branch, ref.path[-1]) if branch else None
                name = str(found["name"]) if found else ref.path[-1]
                if name.lower() in seen:
                    continue
                seen.add(name.lower())
                self.add_field(plan, [key, name], found)


@dataclass
class ChildBatch:
    """Child records of one page: the parent row (in the page) of each, and the
    ``nextRecordsUrl`` of parents whose children did not fit."""

    parent_index: np.ndarray[Any, np.dtype[np.int64]]
    data: Extracted
    pending: list[tuple[int, str]]


@dataclass
class Extracted:
    """Rows as one final-typed Arrow array (or chunked array) per plan column,
    plus child batches."""

    length: int
    columns: list[pa.Array]
    children: dict[str, ChildBatch]


@dataclass
class Page:
    """One query page: its rows, ``totalSize``, and the next page's URL."""

    data: Extracted
    total_size: int
    next_url: str | None


def page_schema(plan: Plan) -> pa.Schema:
    """The explicit ``pyarrow.json`` schema of a page of this plan."""
    return pa.schema(list(_page_struct(plan)))


def _page_struct(plan: Plan) -> pa.StructType:
    return pa.struct(
        [
            ("totalSize", pa.int64()),
            ("done", pa.bool_()),
            ("nextRecordsUrl", pa.string()),
            ("records", pa.list_(_record_struct(plan))),
        ]
    )


def _record_struct(plan: Plan) -> pa.StructType:
    tree: dict[str, Any] = {}
    for column in plan.columns:
        node = tree
        for key in column.path[:-1]:
            node = node.setdefault(key, {})
        node[column.path[-1]] = _WIRE_TYPES[column.kind]
    for child in plan.children:
        tree[child.key] = _page_struct(child.plan)
    return _struct_of(tree)


def _struct_of(tree: Mapping[str, Any]) -> pa.StructType:
    return pa.struct(
        [
            (key, _struct_of(value) if isinstance(value, dict) else value)
            for key, value in tree.items()
        ]
    )


def read_page(body: bytes, plan: Plan, schema: pa.Schema | None = None) -> Page:
    """One query page, read with ``pyarrow.json`` or, failing that, orjson."""
    try:
        return read_page_arrow(body, plan, schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return read_page_orjson(body, plan)


def read_page_arrow(body: bytes, plan: Plan, schema: pa.Schema | None = None) -> Page:
    """One query page parsed by ``pyarrow.json`` with the plan's explicit schema.

    Raises ``pyarrow.ArrowInvalid`` when a value does not fit its column's type.
    """
    options = pa_json.ParseOptions(
        explicit_schema=schema or page_schema(plan),
        unexpected_field_behavior="ignore",
        newlines_in_values=b"\n" in body,
    )
    # A page is one JSON object: the block must hold all of it.
    block = max(1 << 20, len(body) + 1)
    pool = memory_pool()
    table = pa_json.read_json(
        pa.BufferReader(body),
        read_options=pa_json.ReadOptions(use_threads=False, block_size=block),
        parse_options=options,
        memory_pool=pool,
    )
    if table.num_rows != 1:
        raise pa.ArrowInvalid("a query page must be a single JSON object")
    records = table.column("records").combine_chunks(memory_pool=pool)
    rows = records.flatten()
    total = table.column("totalSize")[0].as_py()
    next_url = table.column("nextRecordsUrl")[0].as_py()
    return Page(_extract_struct(rows, plan), int(total or 0), next_url)


def _field(array: pa.Array, key: str) -> pa.Array:
    """A child of a struct array, null wherever the struct itself is null."""
    index = array.type.get_field_index(key)
    if array.null_count == 0:
        return array.field(index)
    return array.flatten()[index]


def _extract_struct(rows: pa.StructArray, plan: Plan) -> Extracted:
    columns = []
    for column in plan.columns:
        array = rows
        for key in column.path:
            array = _field(array, key)
        columns.append(finish(array, column.kind))
    children = {}
    for child in plan.children:
        result = _field(rows, child.key)
        records = _field(result, "records")
        parent_index = pc.list_parent_indices(records).to_numpy().astype(np.int64)
        data = _extract_struct(records.flatten(), child.plan)
        pending = []
        done = _field(result, "done")
        if done.null_count < len(done) and not pc.all(done).as_py():
            urls = _field(result, "nextRecordsUrl").to_pylist()
            for index, (finished, url) in enumerate(
                zip(done.to_pylist(), urls, strict=True)
            ):
                if finished is False and url:
                    pending.append((index, url))
        children[child.key] = ChildBatch(parent_index, data, pending)
    return Extracted(len(rows), columns, children)


def finish(array: pa.Array, kind: str) -> pa.Array:
    """Convert a wire-typed array to the column's final type."""
    if kind == "date":
        return pc.cast(array, pa.date32(), memory_pool=memory_pool())
    if kind == "time":
        return _parse_times(array)
    return array


def _parse_times(array: pa.Array) -> pa.Array:
    """``HH:MM:SS.sssZ`` strings as ``time32[ms]``."""
    if len(array) == 0:
        return pa.array([], type=pa.time32("ms"))

    def part(start: int, stop: int) -> pa.Array:
        text = pc.utf8_slice_codeunits(array, start, stop)
        return pc.cast(pc.if_else(pc.equal(text, ""), "0", text), pa.int64())

    millis = pc.add(
        pc.multiply(
            pc.add(
                pc.multiply(pc.add(pc.multiply(part(0, 2), 60), part(3, 5)), 60),
                part(6, 8),
            ),
            1000,
        ),
        part(9, 12),
    )
    return pc.cast(pc.cast(millis, pa.int32()), pa.time32("ms"))


def read_page_orjson(body: bytes, plan: Plan) -> Page:
    """One query page parsed by orjson, then built into arrays column by column."""
    page = orjson.loads(body)
    records = page.get("records") or []
    data = _extract_records(records, plan)
    return Page(data, int(page.get("totalSize") or 0), page.get("nextRecordsUrl"))


def _extract_records(records: list[dict[str, Any]], plan: Plan) -> Extracted:
    columns = [
        _array_of(list(_values(records, column.path)), column.kind)
        for column in plan.columns
    ]
    children = {}
    for child in plan.children:
        parents: list[int] = []
        rows: list[dict[str, Any]] = []
        pending = []
        for index, record in enumerate(records):
            result = record.get(child.key)
            if not result:
                continue
            found = result.get("records") or []
            rows.extend(found)
            parents.extend([index] * len(found))
            if result.get("done") is False and result.get("nextRecordsUrl"):
                pending.append((index, str(result["nextRecordsUrl"])))
        parent_index = np.asarray(parents, dtype=np.int64)
        data = _extract_records(rows, child.plan)
        children[child.key] = ChildBatch(parent_index, data, pending)
    return Extracted(len(records), columns, children)


def _values(records: list[dict[str, Any]], path: tuple[str, ...]) -> Iterator[Any]:
    if len(path) == 1:
        key = path[0]
        for record in records:
            yield record.get(key)
        return
    for record in records:
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        yield value


def _array_of(values: list[Any], kind: str) -> pa.Array:
    if kind == "datetime":
        text = pa.array(values, type=pa.string())
        # Salesforce writes UTC with millis and "+0000"; keep the wall time.
        local = pc.utf8_slice_codeunits(text, 0, 23).cast(pa.timestamp("ms"))
        return pc.assume_timezone(local, "UTC")
    if kind == "unknown":
        texts = [None if v is None else _text(v) for v in values]
        return pa.array(texts, pa.large_string())
    if kind == "double":
        return pa.array(values, type=pa.float64(), from_pandas=True)
    return finish(pa.array(values, type=_WIRE_TYPES[kind]), kind)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return (
        orjson.dumps(value).decode() if isinstance(value, (dict, list)) else str(value)
    )
