"""Query jobs: which SOQL Bulk API 2.0 accepts, and results as CSV pages.

Bulk API 2.0 runs the SOQL of the REST API with these exceptions, each refused
when the job is created with 400 ``API_ERROR`` (the code is the emulator's
choice; the messages follow Salesforce's wording where it is known):

* parent-to-child subqueries ("Aggregate Relationships not supported in Bulk V2
  Query with CSV content type");
* aggregate functions, ``COUNT()``, ``GROUP BY`` and ``HAVING``;
* ``OFFSET`` and ``TYPEOF``;
* compound address and geolocation fields (query their parts instead);
* base64 (blob) fields ("Blob field not supported in Bulk V2 Query with CSV
  content type").

Child-to-parent paths are fine and come out as dotted headers (``Owner.Name``).
``FIELDS(STANDARD)`` and the like expand to compound fields on most objects and
are then refused by the query engine (400 ``MALFORMED_QUERY``).
Results are a snapshot taken when the job runs, stored one CSV line per row, and
served in pages of ``maxRecords`` rows. The ``Sforce-Locator`` of the next page is
the base64 text of its first row number, as Salesforce's locators are; the last
page carries the literal ``null``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef
from sfmagic.soql import ast

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "QueryPage",
    "check_bulk_query",
    "column_fields",
    "csv_value",
    "decode_locator",
    "encode_locator",
    "parse_max_records",
]

DEFAULT_PAGE_SIZE = 50_000
AGGREGATE_FUNCTIONS = frozenset({"AVG", "COUNT", "COUNT_DISTINCT", "MAX", "MIN", "SUM"})
_ERROR_CODE = "API_ERROR"


@dataclass(frozen=True)
class QueryPage:
    """One page of query results: CSV text, its row count, the next locator."""

    text: str
    count: int
    locator: str


def _refused(message: str) -> ApiError:
    return ApiError(400, _ERROR_CODE, message)


def check_bulk_query(query: ast.Query, schema: Schema) -> None:
    """Refuse what Bulk API 2.0 cannot run; field names are checked later.

    Raises ``ApiError`` 400 ``API_ERROR`` naming the unsupported part.
    """
    if query.group_by is not None or query.having is not None:
        raise _refused("GROUP BY is not supported in Bulk V2 Query")
    if query.offset is not None:
        raise _refused("OFFSET is not supported in Bulk V2 Query")
    root = schema.get(query.sobject)
    for item in query.select:
        if item.query is not None:
            raise _refused(
                "Aggregate Relationships not supported in Bulk V2 Query with CSV "
                "content type"
            )
        expr = item.expr
        if isinstance(expr, ast.CountAll) or (
            isinstance(expr, ast.FunctionCall) and expr.name in AGGREGATE_FUNCTIONS
        ):
            raise _refused("Aggregate queries are not supported in Bulk V2 Query")
        if isinstance(expr, ast.TypeOf):
            raise _refused("TYPEOF is not supported in Bulk V2 Query")
        if isinstance(expr, ast.FieldRef) and root is not None:
            _check_field(expr, query, root, schema)


def _check_field(
    ref: ast.FieldRef, query: ast.Query, root: SObjectDef, schema: Schema
) -> None:
    path = list(ref.path)
    prefixes = {root.name.lower()} | ({query.alias.lower()} if query.alias else set())
    if len(path) > 1 and path[0].lower() in prefixes:
        path = path[1:]
    current: SObjectDef | None = root
    for part in path[:-1]:
        lookup = current.relationship(part) if current else None
        if lookup is None or len(lookup.reference_to) != 1:
            # Unknown or polymorphic: the query engine has the last word.
            return
        current = schema.get(lookup.reference_to[0])
    field = current.field(path[-1]) if current else None
    if field is None:
        return
    if field.type in ("address", "location"):
        raise _refused(
            f"Compound field {field.name} is not supported in Bulk V2 Query; "
            "query its component fields instead"
        )
    if field.type == "base64":
        raise _refused(
            "Blob field not supported in Bulk V2 Query with CSV content type"
        )


def column_fields(
    schema: Schema, sobject: SObjectDef, columns: Iterable[str]
) -> list[FieldDef | None]:
    """The field behind each dotted result column, None where it is not known."""
    found: list[FieldDef | None] = []
    for column in columns:
        current: SObjectDef | None = sobject
        *path, name = column.split(".")
        for part in path:
            lookup = current.relationship(part) if current else None
            single = lookup is not None and len(lookup.reference_to) == 1
            current = schema.get(lookup.reference_to[0]) if single and lookup else None
        found.append(current.field(name) if current else None)
    return found


def csv_value(value: object, field: FieldDef | None = None) -> str:
    """A result value as Bulk API 2.0 writes it in CSV (null is empty).

    Datetimes end in ``Z`` (``2024-01-15T10:30:00.000Z``), as Bulk API writes
    them, where the REST API writes ``+0000``.
    """
    if value is None:
        return ""
    if field is not None and field.type == "datetime" and isinstance(value, str):
        return value[:-5] + "Z" if value.endswith("+0000") else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def encode_locator(offset: int) -> str:
    """The locator of the page starting at row ``offset``."""
    return base64.b64encode(str(offset).encode("ascii")).decode("ascii").rstrip("=")


def decode_locator(locator: str) -> int:
    """The first row of the page ``locator`` names.

    Raises ``ApiError`` 400 ``INVALID_QUERY_LOCATOR`` for anything else.
    """
    padded = locator + "=" * (-len(locator) % 4)
    try:
        text = base64.b64decode(padded.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", f"Invalid locator: {locator}")
    return int(text)


def parse_max_records(values: Iterable[str]) -> int:
    """The ``maxRecords`` parameter: a positive integer, or the default.

    Raises ``ApiError`` 400 ``INVALID_PARAMETER_VALUE`` otherwise.
    """
    given = [value for value in values if value != ""]
    if not given:
        return DEFAULT_PAGE_SIZE
    text = given[-1].strip()
    if not text.isdigit() or int(text) < 1:
        raise ApiError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"maxRecords must be a positive integer, not {given[-1]!r}",
        )
    return int(text)
