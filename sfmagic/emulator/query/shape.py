"""Result rows into Salesforce's record JSON.

A compiled query selects flat SQL rows; an ``ObjectShape`` says how one row
becomes a record: ``attributes`` first, then the selected fields in SELECT order,
each parent relationship as a nested record (or null when the row has no parent),
TYPEOF as the branch that matches the concrete type, compound address and
location fields as objects, and slots that the engine fills with child results.

Shapes compile, once per API version, into plain closures over tuple rows with a
precomputed converter per column, so that building a page costs one dict and a
handful of C-level item lookups per record.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sfmagic.emulator.query.sql import Sql
from sfmagic.emulator.schema import FieldDef
from sfmagic.emulator.values import to_json_value

__all__ = [
    "Compound",
    "Convert",
    "ObjectShape",
    "Parent",
    "Row",
    "Slot",
    "TypeOfEntry",
    "Value",
    "converter",
    "label_converter",
    "selected",
]

Row = tuple[Any, ...]
Convert = Callable[[Any], Any]
Getter = Callable[[Row], Any]
Build = Callable[[Row], "dict[str, Any] | None"]


def _bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _int(value: Any) -> Any:
    return value if value is None or type(value) is int else int(value)


def _float(value: Any) -> Any:
    return value if value is None or type(value) is float else float(value)


def _datetime(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("Z"):
        return value[:-1] + "+0000"
    return value


_CONVERTERS: dict[str, Convert | None] = {
    "boolean": _bool,
    "int": _int,
    "double": _float,
    "currency": _float,
    "percent": _float,
    "datetime": _datetime,
}
_TEXT_STORAGE = "TEXT"
# Column affinity already gives these Python types (INTEGER → int, REAL → float).
_TYPED_BY_AFFINITY = frozenset({"int", "double", "currency", "percent"})


def converter(field_def: FieldDef) -> Convert | None:
    """Storage value → JSON value for a field; None when the value is already right.

    Agrees with ``values.to_json_value``; the common types have fast paths.
    """
    if field_def.type in _CONVERTERS:
        return _CONVERTERS[field_def.type]
    if field_def.storage == _TEXT_STORAGE:
        return None
    return lambda stored: to_json_value(field_def, stored)


def selected(sql: Sql, field_def: FieldDef) -> tuple[Sql, Convert | None]:
    """A selected column's SQL and the Python converter its value still needs.

    Datetimes are reformatted by SQLite (``…Z`` → ``…+0000``) and numbers come
    typed from their column, so neither costs a Python call per value.
    """
    if field_def.type == "datetime":
        text = (
            "CASE WHEN substr("
            + sql
            + ", -1) = 'Z' THEN substr("
            + sql
            + ", 1, length("
            + sql
            + ") - 1) || '+0000' ELSE "
            + sql
            + " END"
        )
        return text.wrap("(", ")"), None
    if field_def.type in _TYPED_BY_AFFINITY:
        return sql, None
    return sql, converter(field_def)


def label_converter(field_def: FieldDef) -> Convert:
    """``toLabel()``: a picklist value → its label (each item of a multi-select)."""
    labels = {p.value: p.label for p in field_def.picklist_values}
    if field_def.type == "multipicklist":

        def multi(value: Any) -> Any:
            if value is None:
                return None
            return ";".join(labels.get(part, part) for part in str(value).split(";"))

        return multi

    def single(value: Any) -> Any:
        return None if value is None else labels.get(value, value)

    return single


# --- entries ----------------------------------------------------------------------


@dataclass
class Value:
    """A plain field at ``index`` of the row."""

    key: str
    index: int
    convert: Convert | None = None

    def getter(self, prefix: str) -> Getter:
        if self.convert is None:
            return operator.itemgetter(self.index)
        index, convert = self.index, self.convert
        return lambda row: convert(row[index])


@dataclass
class Compound:
    """An address or location: an object of its parts, null when all are null."""

    key: str
    parts: list[tuple[str, int, Convert | None]]

    def getter(self, prefix: str) -> Getter:
        parts = self.parts

        def get(row: Row) -> Any:
            value = {
                name: row[index] if convert is None else convert(row[index])
                for name, index, convert in parts
            }
            return None if all(v is None for v in value.values()) else value

        return get


@dataclass
class Slot:
    """A child relationship, filled in after the child rows are fetched."""

    key: str

    def getter(self, prefix: str) -> Getter:
        return lambda row: None


@dataclass
class Parent:
    """A child-to-parent relationship: a nested record or null."""

    key: str
    shape: ObjectShape

    def getter(self, prefix: str) -> Getter:
        return self.shape.builder(prefix)


@dataclass
class TypeOfEntry:
    """TYPEOF: the branch whose object matches the record the lookup points to."""

    key: str
    fk_index: int
    branches: dict[str, ObjectShape]
    otherwise: ObjectShape | None
    type_of_id: Callable[[str], str]

    def getter(self, prefix: str) -> Getter:
        fk_index = self.fk_index
        type_of_id = self.type_of_id
        branches = {name: s.builder(prefix) for name, s in self.branches.items()}
        otherwise = self.otherwise.builder(prefix) if self.otherwise else None

        def get(row: Row) -> Any:
            target = row[fk_index]
            if target is None:
                return None
            concrete = type_of_id(target)
            build = branches.get(concrete, otherwise)
            if build is not None:
                return build(row)
            url = f"{prefix}{concrete}/{target}"
            return {"attributes": {"type": concrete, "url": url}}

        return get


Entry = Value | Compound | Slot | Parent | TypeOfEntry


@dataclass
class ObjectShape:
    """How a row becomes one record (or one nested parent).

    ``type_name`` None takes the concrete type from the id's key prefix (TYPEOF's
    ELSE); ``url_by_prefix`` builds the url from it while ``attributes.type``
    stays ``type_name`` (the polymorphic ``Name`` object). ``id_index`` None makes
    an AggregateResult: attributes without a url.
    """

    type_name: str | None
    id_index: int | None
    entries: list[Entry] = field(default_factory=list)
    url_by_prefix: bool = False
    type_of_id: Callable[[str], str] | None = None
    _built: dict[str, Build] = field(default_factory=dict, repr=False)

    def entry(self, key: str) -> Entry | None:
        for item in self.entries:
            if item.key == key:
                return item
        return None

    def builder(self, prefix: str) -> Build:
        """The row → record function for urls under ``prefix`` (cached)."""
        built = self._built.get(prefix)
        if built is None:
            built = self._compile(prefix)
            self._built[prefix] = built
        return built

    def _compile(self, prefix: str) -> Build:
        fill = _filler(self.entries, prefix)
        id_index = self.id_index
        if id_index is None:
            return _aggregate_builder(fill)
        type_name = self.type_name
        if type_name is not None and not self.url_by_prefix:
            return _fixed_builder(type_name, prefix + type_name + "/", id_index, fill)
        type_of_id = self.type_of_id
        assert type_of_id is not None

        def build(row: Row) -> dict[str, Any] | None:
            record_id = row[id_index]
            if record_id is None:
                return None
            concrete = type_of_id(record_id)
            record: dict[str, Any] = {
                "attributes": {
                    "type": type_name or concrete,
                    "url": f"{prefix}{concrete}/{record_id}",
                }
            }
            fill(record, row)
            return record

        return build


Fill = Callable[[dict[str, Any], Row], None]


def _filler(entries: list[Entry], prefix: str) -> Fill:
    """A function that adds the entries' keys to a record, in order.

    Plain values are picked by one ``itemgetter`` and added with one
    ``dict.update`` (both in C); converted values, parents, compounds, TYPEOF and
    child slots then overwrite their placeholders, which keeps the key order.
    """
    keys = [entry.key for entry in entries]
    picks = [entry.index if isinstance(entry, Value) else 0 for entry in entries]
    fixes = [
        (entry.key, entry.getter(prefix))
        for entry in entries
        if not isinstance(entry, Value) or entry.convert is not None
    ]
    if not keys:
        return lambda record, row: None
    pick: Callable[[Row], Any]
    if len(picks) == 1:
        only = picks[0]
        pick = lambda row: (row[only],)  # noqa: E731 - one C-level path below
    else:
        pick = operator.itemgetter(*picks)

    def fill(record: dict[str, Any], row: Row) -> None:
        record.update(zip(keys, pick(row), strict=True))
        for key, get in fixes:
            record[key] = get(row)

    return fill


def _fixed_builder(type_name: str, url_base: str, id_index: int, fill: Fill) -> Build:
    def build(row: Row) -> dict[str, Any] | None:
        record_id = row[id_index]
        if record_id is None:
            return None
        record: dict[str, Any] = {
            "attributes": {"type": type_name, "url": url_base + record_id}
        }
        fill(record, row)
        return record

    return build


def _aggregate_builder(fill: Fill) -> Build:
    def build(row: Row) -> dict[str, Any] | None:
        record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        fill(record, row)
        return record

    return build


def flat_getters(
    shape: ObjectShape, path: tuple[str, ...] = ()
) -> Mapping[str, Getter]:
    """Dotted column name → getter for every plain value (Bulk API CSV columns)."""
    found: dict[str, Getter] = {}
    for entry in shape.entries:
        if isinstance(entry, Value):
            found[".".join((*path, entry.key))] = entry.getter("")
        elif isinstance(entry, Parent):
            found.update(flat_getters(entry.shape, (*path, entry.key)))
    return found
