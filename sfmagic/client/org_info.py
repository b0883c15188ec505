"""What an org says about itself, as DataFrames: describe, SOSL search, limits.

``describe_frame(conn, "Account")`` lists an object's fields (one row each:
name, label, type, length, required, updateable, picklist values, reference
targets) from the connection's describe cache. ``search_frames(conn, sosl)``
runs a SOSL search and returns one typed DataFrame per object of its
``RETURNING`` clause, shaped like a query of the same fields (an object listed
without fields gets an ``Id`` column; a search without ``RETURNING`` gets one
frame per object that had hits). ``limits_frame(conn)`` tabulates the org's
``limits/`` resource.

Known limits: ``search_frames`` does not bind ``:name`` placeholders; the
RETURNING clause is read with a small scanner (object names, field lists up to
their ``WHERE``, ``ORDER BY``, ``LIMIT`` or ``OFFSET``), not a SOSL grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa

from sfmagic.client import shaping
from sfmagic.client.describe_cache import describe_cache
from sfmagic.client.frames import to_pandas
from sfmagic.client.query_transport import as_transport
from sfmagic.soql import parse

__all__ = [
    "DESCRIBE_COLUMNS",
    "SearchResult",
    "UnknownObjectError",
    "describe_frame",
    "limits_frame",
    "objects_frame",
    "returning_objects",
    "search_frames",
]

DESCRIBE_COLUMNS = (
    "name",
    "label",
    "type",
    "length",
    "required",
    "updateable",
    "picklist_values",
    "reference_to",
)
"""The columns of ``describe_frame``, in order."""

_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_OBJECT_NAME = re.compile(r"\s*(\w+)\s*")
_FIELD_LIST_END = re.compile(
    r"\b(?:WHERE|ORDER\s+BY|LIMIT|OFFSET|USING\s+LISTVIEW)\b", re.IGNORECASE
)
_TEXT_TYPES = ("name", "label", "type")


class UnknownObjectError(LookupError):
    """The org has no sObject of that name.

    Attributes
    ----------
    name : str
        The name asked for.
    close : list[str]
        The org's object names closest to it, best first.
    """

    def __init__(self, name: str, close: list[str]) -> None:
        super().__init__(f"the org has no sObject named {name!r}")
        self.name = name
        self.close = close


def describe_frame(conn: object, sobject: str) -> pd.DataFrame:
    """The fields of an sObject, one row each, in describe order.

    Columns: ``name``, ``label``, ``type`` (text), ``length`` (integer, 0 for
    non-text fields), ``required`` (must be set on create: not nillable, not
    defaulted, createable), ``updateable`` (booleans), ``picklist_values``
    (the active values, a list) and ``reference_to`` (target objects, a list).

    Raises
    ------
    UnknownObjectError
        When the org has no such sObject.
    """
    import difflib

    cache = describe_cache(conn)
    info = cache.describe(sobject)
    if info is None:
        names = cache.sobject_names()
        by_lower = {name.lower(): name for name in names}
        close = difflib.get_close_matches(sobject.lower(), list(by_lower), n=3)
        raise UnknownObjectError(sobject, [by_lower[name] for name in close])
    fields: list[Mapping[str, Any]] = list(info.get("fields", ()))
    data: dict[str, Any] = {
        key: pd.array([str(f.get(key, "")) for f in fields], dtype="string")
        for key in _TEXT_TYPES
    }
    data["length"] = pd.array([int(f.get("length") or 0) for f in fields], "Int64")
    data["required"] = pd.array([_required(f) for f in fields], dtype="boolean")
    data["updateable"] = pd.array(
        [bool(f.get("updateable")) for f in fields], dtype="boolean"
    )
    data["picklist_values"] = [
        [str(v["value"]) for v in f.get("picklistValues") or () if v.get("active")]
        for f in fields
    ]
    data["reference_to"] = [
        [str(t) for t in f.get("referenceTo") or ()] for f in fields
    ]
    return pd.DataFrame(data, columns=list(DESCRIBE_COLUMNS))


def _required(field: Mapping[str, Any]) -> bool:
    return bool(
        field.get("createable")
        and not field.get("nillable")
        and not field.get("defaultedOnCreate")
        and field.get("type") != "boolean"
    )


def objects_frame(conn: object) -> pd.DataFrame:
    """The org's sObjects (describe global): name, label, custom, queryable."""
    response = as_transport(conn).request("GET", "sobjects/")
    items = orjson.loads(response.content)["sobjects"]
    return pd.DataFrame(
        {
            "name": pd.array([str(i["name"]) for i in items], dtype="string"),
            "label": pd.array([str(i.get("label", "")) for i in items], "string"),
            "custom": pd.array([bool(i.get("custom")) for i in items], "boolean"),
            "queryable": pd.array(
                [bool(i.get("queryable")) for i in items], dtype="boolean"
            ),
        }
    )


def limits_frame(conn: object) -> pd.DataFrame:
    """The org's limits: one row per limit with ``max``, ``remaining``, ``used``."""
    response = as_transport(conn).request("GET", "limits/")
    body: dict[str, Any] = orjson.loads(response.content)
    names = sorted(body)
    maxima = [int(body[name].get("Max", 0)) for name in names]
    left = [int(body[name].get("Remaining", 0)) for name in names]
    return pd.DataFrame(
        {
            "limit": pd.array(names, dtype="string"),
            "max": pd.array(maxima, dtype="Int64"),
            "remaining": pd.array(left, dtype="Int64"),
            "used": pd.array(
                [m - r for m, r in zip(maxima, left, strict=True)], dtype="Int64"
            ),
        }
    )


class SearchResult(dict[str, pd.DataFrame]):
    """The frames of a SOSL search by object name, displayed one after another."""

    def __repr__(self) -> str:
        if not self:
            return "No records found."
        return "\n\n".join(
            f"{name} ({len(frame):,} rows)\n{frame!r}" for name, frame in self.items()
        )

    def _repr_html_(self) -> str:
        import html

        if not self:
            return "<p>No records found.</p>"
        return "".join(
            f"<h4>{html.escape(name)} ({len(frame):,} rows)</h4>"
            + frame.to_html(max_rows=20)
            for name, frame in self.items()
        )


@dataclass(frozen=True)
class ReturningObject:
    """One object of a RETURNING clause and the fields it asks for."""

    name: str
    fields: str


def returning_objects(sosl: str) -> list[ReturningObject]:
    """The objects of a SOSL ``RETURNING`` clause, in order, with their fields."""
    match = _RETURNING.search(_outside_braces(sosl))
    if match is None:
        return []
    text, index, found = sosl, match.end(), []
    while True:
        name = _OBJECT_NAME.match(text, index)
        if name is None or not name.group(1):
            break
        index = name.end()
        fields = "Id"
        if index < len(text) and text[index] == "(":
            close = _closing(text, index)
            inner = text[index + 1 : close]
            end = _FIELD_LIST_END.search(inner)
            fields = (inner[: end.start()] if end else inner).strip() or "Id"
            index = close + 1
        found.append(ReturningObject(name.group(1), fields))
        comma = re.compile(r"\s*,").match(text, index)
        if comma is None:
            break
        index = comma.end()
    return found


def _outside_braces(sosl: str) -> str:
    """The text with the search terms (``{…}``, quotes) blanked out."""
    out, depth = [], 0
    for char in sosl:
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            out.append(" ")
            continue
        out.append(" " if depth else char)
    return "".join(out)


def _closing(text: str, start: int) -> int:
    """The index of the parenthesis closing the one at ``start``."""
    depth, index, quoted = 0, start, False
    while index < len(text):
        char = text[index]
        if quoted and char == "\\":
            index += 2
            continue
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return len(text)


def search_frames(conn: object, sosl: str) -> SearchResult:
    """Run a SOSL search; one typed DataFrame per object, in RETURNING order.

    Raises
    ------
    sfmagic.client.errors.SalesforceError
        When Salesforce refuses the search.
    """
    transport = as_transport(conn)
    response = transport.request("GET", "search/", params={"q": sosl})
    body = orjson.loads(response.content)
    records = body.get("searchRecords", []) if isinstance(body, dict) else body
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        kind = str(record.get("attributes", {}).get("type", ""))
        by_type.setdefault(kind.lower(), []).append(record)
    wanted = returning_objects(sosl) or [
        ReturningObject(str(rows[0]["attributes"]["type"]), "Id")
        for rows in by_type.values()
    ]
    cache = describe_cache(conn)
    result = SearchResult()
    for item in wanted:
        rows = by_type.get(item.name.lower(), [])
        plan = shaping.build_plan(
            parse(f"SELECT {item.fields} FROM {item.name}"), cache.describe
        )
        page = orjson.dumps({"totalSize": len(rows), "done": True, "records": rows})
        data = shaping.read_page_orjson(page, plan).data
        table = pa.Table.from_arrays(data.columns, schema=plan.arrow_schema())
        info = cache.describe(item.name)
        name = str(info["name"]) if info else item.name
        result[name] = to_pandas(table)
    return result
