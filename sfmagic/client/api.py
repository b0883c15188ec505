"""sfmagic's Python API for scripts: queries without magics.

Each function takes ``conn``: a ``Connection``, an alias of an open
connection, or None for the active one (``sfmagic.connection()``).

* ``query(soql, conn=None, **binds)``: the rows as a typed, flat DataFrame;
  ``:name`` placeholders are bound from the keyword arguments.
* ``query_result(soql, conn=None, params=None, …)``: the whole
  ``QueryResult`` (child tables, cost, bulk, Parquet), with every option of
  ``%%soql``.
* ``select(sobject, fields, where=None, order_by=None, limit=None)``: builds
  the SOQL for you.
* ``get_record(sobject, field, value)``: the one record whose field equals the
  value, as a Series; ``RecordLookupError`` when none or several match.
* ``list_records(sobject, field, op, value)``: every record matching one
  condition.

Examples
--------
>>> import sfmagic
>>> sfmagic.query(
...     "SELECT Id, Name FROM Account WHERE Industry = :industry", industry="Energy"
... )  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sfmagic.client.errors import SfmagicError

if TYPE_CHECKING:
    import pandas as pd

    from sfmagic.client.frames import QueryResult

__all__ = [
    "OPERATORS",
    "RecordLookupError",
    "get_record",
    "list_records",
    "query",
    "query_result",
    "select",
]

OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "LIKE",
        "IN",
        "NOT IN",
        "INCLUDES",
        "EXCLUDES",
    }
)
"""The comparison operators ``list_records`` accepts."""

_SKIPPED_TYPES = frozenset({"base64", "address", "location"})


class RecordLookupError(SfmagicError, LookupError):
    """``get_record`` found no record, or more than one.

    Attributes
    ----------
    count : int
        How many records matched (0, or 2 meaning "more than one").
    """

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


def _connection(conn: object) -> object:
    if conn is None or isinstance(conn, str):
        from sfmagic.client.registry import CONNECTIONS

        return CONNECTIONS.get(conn)
    return conn


def query_result(
    soql: str,
    conn: object = None,
    *,
    params: Mapping[str, object] | None = None,
    all_rows: bool = False,
    bulk: bool | None = None,
    batch_size: int | None = None,
    children: Literal["tables", "explode"] = "tables",
    to: str | Path | None = None,
    tooling: bool = False,
    progress: bool = True,
) -> QueryResult:
    """Run a query with every option of ``%%soql``; see ``frames.run_query``."""
    from sfmagic.client.frames import run_query

    return run_query(
        _connection(conn),
        soql,
        params=params if params is not None else {},
        all_rows=all_rows,
        bulk=bulk,
        batch_size=batch_size,
        children=children,
        to=to,
        tooling=tooling,
        progress=progress,
    )


def query(soql: str, conn: object = None, **binds: object) -> pd.DataFrame:
    """The rows of a SOQL query as a typed, flat DataFrame.

    Parameters
    ----------
    soql
        The query; ``:name`` placeholders take the keyword argument ``name``.
    conn
        A ``Connection``, an alias, or None for the active connection.
    **binds
        Placeholder values (strings, numbers, booleans, None, dates,
        datetimes; lists, tuples, sets or Series for ``IN``).

    Child subqueries are fetched in full but only the parent rows are
    returned; use ``query_result`` for the child tables.

    Raises
    ------
    sfmagic.client.binding.UnboundNamesError
        When a placeholder has no keyword argument.
    sfmagic.client.errors.SalesforceError
        When Salesforce refuses the query.
    """
    return query_result(soql, conn, params=binds, progress=False).frame


def _quote(value: object) -> str:
    from sfmagic.client.binding import quote_value

    return quote_value(value)


def _names(fields: str | Iterable[str]) -> str:
    return fields if isinstance(fields, str) else ", ".join(fields)


def _where(where: str | Mapping[str, object] | None) -> str:
    if where is None:
        return ""
    if isinstance(where, str):
        return f" WHERE {where}"
    terms = []
    for name, value in where.items():
        listed = isinstance(value, list | tuple | set | frozenset)
        terms.append(f"{name} {'IN' if listed else '='} {_quote(value)}")
    return " WHERE " + " AND ".join(terms) if terms else ""


def select(
    sobject: str,
    fields: str | Iterable[str],
    where: str | Mapping[str, object] | None = None,
    order_by: str | Iterable[str] | None = None,
    limit: int | None = None,
    *,
    conn: object = None,
) -> pd.DataFrame:
    """Query ``fields`` of ``sobject`` without writing the SOQL.

    Parameters
    ----------
    sobject
        The object, such as ``"Account"``.
    fields
        Field names and paths (``["Name", "Owner.Name"]``) or one string.
    where
        A SOQL condition, or a mapping of field to value: ``=`` for scalars,
        ``IN`` for lists, tuples and sets, joined with ``AND``.
    order_by
        ``"Name DESC"`` or a list of such terms.
    limit
        At most this many rows.
    conn
        A ``Connection``, an alias, or None for the active connection.

    Examples
    --------
    >>> sfmagic.select("Account", ["Name", "Owner.Name"], where={"Industry":
    ...     "Energy"}, order_by="Name", limit=5)  # doctest: +SKIP
    """
    soql = f"SELECT {_names(fields)} FROM {sobject}{_where(where)}"
    if order_by is not None:
        soql += f" ORDER BY {_names(order_by)}"
    if limit is not None:
        soql += f" LIMIT {int(limit)}"
    return query_result(soql, conn, progress=False).frame


def _all_fields(conn: object, sobject: str) -> list[str]:
    from sfmagic.client.describe_cache import describe_cache

    info = describe_cache(conn).describe(sobject)
    if info is None:
        return ["Id"]
    return [
        str(field["name"])
        for field in info.get("fields", ())
        if field.get("type") not in _SKIPPED_TYPES
    ]


def list_records(
    sobject: str,
    field: str,
    op: str,
    value: object,
    *,
    fields: str | Iterable[str] | None = None,
    conn: object = None,
) -> pd.DataFrame:
    """Every record of ``sobject`` where ``field op value``.

    Parameters
    ----------
    sobject, field
        The object and the field compared.
    op
        One of ``OPERATORS`` (``=``, ``!=``, ``<``, ``LIKE``, ``IN`` …).
    value
        Quoted as a SOQL literal (a list for ``IN``).
    fields
        The columns; every field of the object (except base64 and compound
        fields) when None.
    conn
        A ``Connection``, an alias, or None for the active connection.

    Raises
    ------
    ValueError
        For an operator SOQL does not have.
    """
    operator = " ".join(op.split()).upper()
    if operator not in OPERATORS:
        known = ", ".join(sorted(OPERATORS))
        raise ValueError(f"{op!r} is not a SOQL operator (use one of {known})")
    connection = _connection(conn)
    names = _names(fields if fields is not None else _all_fields(connection, sobject))
    soql = f"SELECT {names} FROM {sobject} WHERE {field} {operator} {_quote(value)}"
    return query_result(soql, connection, progress=False).frame


def get_record(
    sobject: str,
    field: str,
    value: object,
    *,
    fields: str | Iterable[str] | None = None,
    conn: object = None,
) -> pd.Series:
    """The one record of ``sobject`` whose ``field`` equals ``value``.

    Returns a Series indexed by column name (typed values).

    Raises
    ------
    RecordLookupError
        When no record matches, or more than one does.
    """
    connection = _connection(conn)
    names = _names(fields if fields is not None else _all_fields(connection, sobject))
    soql = f"SELECT {names} FROM {sobject} WHERE {field} = {_quote(value)} LIMIT 2"
    frame = query_result(soql, connection, progress=False).frame
    if len(frame) != 1:
        what = "no record" if frame.empty else "more than one record"
        raise RecordLookupError(
            f"{sobject} has {what} with {field} = {_quote(value)}", len(frame)
        )
    row: pd.Series = frame.iloc[0]
    return row
