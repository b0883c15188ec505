"""Read and write single records, with describe-driven checks and no lost updates.

The functions here are what the record editor uses, and what scripts use directly
as ``sfmagic.records`` (``conn`` defaults to the notebook's current connection)::

    import sfmagic

    new_id = sfmagic.records.create("Account", {"Name": "Acme"})
    loaded = sfmagic.records.get("Account", new_id)
    sfmagic.records.update("Account", new_id, {"Industry": "Energy"}, loaded=loaded)
    sfmagic.records.delete("Account", new_id)  # loaded=… refuses if changed since

Every write is checked against the object's describe first (unknown and read-only
fields, required fields, restricted picklists, text lengths, number and date
shapes, e-mail addresses), so mistakes are reported per field before any request.
The org's own answer is read the same way: a :class:`RecordError` carries
:class:`Problem` items with Salesforce's ``errorCode`` and the fields they name.

No lost updates: :func:`update` given the record as it was loaded sends
``If-Unmodified-Since`` with its ``LastModifiedDate``. When the org answers 412,
the current record is fetched and a :class:`RecordConflictError` reports which fields
changed remotely and which the caller changed; nothing is written. Pass
``force=True`` to overwrite. :func:`delete` given the loaded record refuses the
same way (by reading the record first: DELETE takes no conditional header).

:func:`get_with_related` loads a record, the names of the records its lookups point
to, and its related lists in one SOQL query with child subqueries (plus one
describe per object the first time it is seen; describes are cached per
connection).

Known limits: HTTP dates have whole seconds, so a remote change made in the same
second as the load is not detected. Related lists show at most
:data:`RELATED_LIMIT` rows each. A related list whose relationship the object's
describe does not have (Notes on Case in orgs where Note cannot point to a Case)
is left out. Dependent picklists are not checked against their controlling field.
"""

from __future__ import annotations

import email.utils
import importlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import requests

from sfmagic.client.binding import quote_value
from sfmagic.client.describe_cache import describe_cache
from sfmagic.client.errors import LoginError, SalesforceError, SfmagicError
from sfmagic.client.query_transport import QueryTransport, as_transport
from sfmagic.client.record_checks import (
    Problem,
    is_record_id,
    json_value,
    parse_datetime,
    soql_literal,
    validate,
)

__all__ = [
    "RELATED_LIMIT",
    "LoadedRecord",
    "Problem",
    "RecordConflictError",
    "RecordError",
    "RecordNotFoundError",
    "RelatedList",
    "RelatedListSpec",
    "create",
    "delete",
    "describe",
    "find",
    "get",
    "get_with_related",
    "json_value",
    "name_field",
    "related_list_specs",
    "resolve",
    "search_names",
    "soql_literal",
    "update",
    "validate",
]

logger = logging.getLogger("sfmagic.records")

#: Rows loaded per related list.
RELATED_LIMIT = 50

# Fields whose values the org maintains; never sent, shown under "System".
SYSTEM_FIELDS = frozenset(
    {
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "LastViewedDate",
        "LastReferencedDate",
        "LastActivityDate",
        "IsArchived",
        "MasterRecordId",
    }
)


class RecordError(SfmagicError):
    """A record read or write refused by the org or by the checks before it.

    Parameters
    ----------
    message
        One sentence saying what went wrong.
    problems
        The individual errors; those naming fields belong next to those fields.
    status
        The HTTP status, or None when the request was never sent.
    """

    def __init__(
        self,
        message: str,
        problems: Sequence[Problem] = (),
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.status = status

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Messages keyed by the field they name."""
        found: dict[str, list[str]] = {}
        for problem in self.problems:
            for name in problem.fields:
                found.setdefault(name, []).append(problem.message)
        return found

    @property
    def general_errors(self) -> list[str]:
        """Messages that name no field."""
        return [p.message for p in self.problems if not p.fields]


class RecordNotFoundError(RecordError):
    """The record does not exist, was deleted, or is not visible."""


class RecordConflictError(RecordError):
    """The record changed remotely since it was loaded; nothing was written.

    Attributes
    ----------
    local
        The changes the caller tried to save, field → value.
    remote
        The fields changed remotely since the load, field → (loaded, current).
    current
        The record as it is now in the org.
    """

    def __init__(
        self,
        sobject: str,
        record_id: str,
        local: Mapping[str, Any],
        remote: Mapping[str, tuple[Any, Any]],
        current: Mapping[str, Any],
    ) -> None:
        names = ", ".join(sorted(remote)) or "no field you loaded"
        super().__init__(
            f"{sobject} {record_id} was changed by someone else since it was "
            f"loaded ({names}); reload it or overwrite it.",
            [Problem("The record was modified since it was loaded.", "CONFLICT")],
            status=412,
        )
        self.sobject = sobject
        self.record_id = record_id
        self.local = dict(local)
        self.remote = dict(remote)
        self.current = dict(current)

    @property
    def overlapping(self) -> set[str]:
        """Fields changed both remotely and locally."""
        return set(self.local) & set(self.remote)


@dataclass(frozen=True)
class RelatedListSpec:
    """Which child relationship a related list shows, and how."""

    label: str
    relationship: str
    columns: tuple[str, ...]
    where: str | None = None
    order_by: str | None = None


@dataclass
class RelatedList:
    """The rows of one related list as loaded."""

    spec: RelatedListSpec
    sobject: str
    rows: list[dict[str, Any]]
    total: int

    @property
    def label(self) -> str:
        """The list's title, e.g. ``"Contacts"``."""
        return self.spec.label


@dataclass
class LoadedRecord:
    """A record with the names of the records its lookups point to.

    ``unavailable`` holds the labels of the related lists sfmagic shows for this
    object that the org's describe has no relationship for.
    """

    sobject: str
    values: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    related: list[RelatedList] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The record's 18-character id."""
        return str(self.values["Id"])


def _spec(label: str, relationship: str, *columns: str, **extra: str) -> Any:
    return RelatedListSpec(label, relationship, columns, **extra)


_ACTIVITY = ("Subject", "Status", "ActivityDate", "IsTask")
_RELATED_LISTS: dict[str, tuple[RelatedListSpec, ...]] = {
    "Account": (
        _spec("Contacts", "Contacts", "Name", "Title", "Email", "Phone"),
        _spec("Cases", "Cases", "CaseNumber", "Subject", "Status", "Priority"),
        _spec("Opportunities", "Opportunities", "Name", "StageName", "CloseDate"),
        _spec(
            "Open tasks",
            "Tasks",
            "Subject",
            "Status",
            "ActivityDate",
            "Priority",
            where="IsClosed = false",
            order_by="ActivityDate",
        ),
        _spec("Activity history", "ActivityHistories", *_ACTIVITY),
        _spec("Notes", "Notes", "Title", "CreatedDate", order_by="CreatedDate DESC"),
    ),
    "Contact": (
        _spec("Cases", "Cases", "CaseNumber", "Subject", "Status", "Priority"),
        _spec("Tasks", "Tasks", "Subject", "Status", "ActivityDate", "Priority"),
        _spec("Notes", "Notes", "Title", "CreatedDate", order_by="CreatedDate DESC"),
    ),
    "Case": (
        _spec("Tasks", "Tasks", "Subject", "Status", "ActivityDate", "Priority"),
        _spec("Notes", "Notes", "Title", "CreatedDate", order_by="CreatedDate DESC"),
        _spec(
            "Comments",
            "CaseComments",
            "CommentBody",
            "IsPublished",
            "CreatedDate",
            order_by="CreatedDate DESC",
        ),
    ),
}


def related_list_specs(sobject: str) -> tuple[RelatedListSpec, ...]:
    """The related lists shown for ``sobject`` (none for other objects)."""
    return _RELATED_LISTS.get(sobject, ())


# -- connection and describe ------------------------------------------------------


def resolve(conn: object | None) -> object:
    """``conn``, or the notebook's current connection when it is None.

    A connection is an sfmagic ``Connection`` or any ``QueryTransport`` (for
    instance ``SessionTransport`` over a ``requests.Session``).
    """
    if conn is None:
        package: Any = importlib.import_module("sfmagic")
        conn = package.connection()
    return conn


def _call(
    conn: object | None,
    method: str,
    path: str,
    *,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
) -> Any:
    transport: QueryTransport = as_transport(resolve(conn))
    with _record_errors():
        response = transport.request(
            method, path, params=params, headers=headers, json=json
        )
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


@contextmanager
def _record_errors() -> Iterator[None]:
    """The org's error answers, a lost session and an unreachable org as
    :class:`RecordError`, so callers handle one family."""
    try:
        yield
    except SalesforceError as exc:
        raise _error_from(exc) from exc
    except LoginError as exc:
        message = f"The session expired and could not be renewed ({exc})."
        problem = Problem(message, "INVALID_SESSION_ID")
        raise RecordError(message, [problem], status=401) from exc
    except requests.RequestException as exc:
        message = f"The org could not be reached ({type(exc).__name__})."
        raise RecordError(message, [Problem(message, "UNREACHABLE")]) from exc


def _error_from(exc: SalesforceError) -> RecordError:
    problems = list(_problems(exc.errors)) or [
        Problem(exc.message, exc.error_code or "UNKNOWN")
    ]
    message = "; ".join(p.message for p in problems)
    if exc.status == 404:
        return RecordNotFoundError(message, problems, status=exc.status)
    return RecordError(message, problems, status=exc.status)


def _problems(items: Iterable[Mapping[str, Any]]) -> Iterable[Problem]:
    for item in items:
        yield Problem(
            str(item.get("message", "")),
            str(item.get("errorCode", "UNKNOWN")),
            tuple(str(f) for f in item.get("fields") or ()),
        )


def describe(conn: object | None, sobject: str) -> dict[str, Any]:
    """The describe of ``sobject`` from the connection's describe cache.

    Raises :class:`RecordError` when the org has no such object.
    """
    with _record_errors():
        found = describe_cache(resolve(conn)).describe(sobject)
    if found is None:
        message = f"The org has no object called {sobject}."
        raise RecordError(message, [Problem(message, "INVALID_TYPE")], status=404)
    return dict(found)


def _fields(meta: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in meta["fields"]}


def name_field(meta: Mapping[str, Any]) -> str:
    """The object's name field (``Name``, ``CaseNumber``, ``Subject``…) or ``Id``."""
    for item in meta["fields"]:
        if item.get("nameField"):
            return str(item["name"])
    return "Id"


# -- values -----------------------------------------------------------------------


def _payload(meta: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    fields = _fields(meta)
    return {
        name: json_value(fields.get(name, {}), value) for name, value in values.items()
    }


def _refuse(action: str, sobject: str, problems: Sequence[Problem]) -> RecordError:
    detail = "; ".join(p.message for p in problems)
    return RecordError(f"Cannot {action} the {sobject}: {detail}", problems)


# -- reads ------------------------------------------------------------------------


def get(sobject: str, record_id: str, *, conn: Any = None) -> dict[str, Any]:
    """The record's fields (``GET sobjects/{sobject}/{id}``), without ``attributes``.

    Raises :class:`RecordNotFoundError` when it does not exist or was deleted.
    """
    body = _call(conn, "GET", f"sobjects/{sobject}/{record_id}")
    return {k: v for k, v in dict(body).items() if k != "attributes"}


def find(
    sobject: str, criteria: Mapping[str, Any], *, conn: Any = None, limit: int = 11
) -> list[dict[str, Any]]:
    """Records of ``sobject`` whose fields equal ``criteria`` (Id and name only).

    Field names are checked against the describe, so ``criteria`` cannot inject
    SOQL, and text values against the field's type (a number, true or false, a
    date), so a typo is reported here (``BAD_CRITERIA``) rather than as a query
    error. Returns at most ``limit`` rows.
    """
    meta = describe(conn, sobject)
    fields = _fields(meta)
    conditions = []
    for name, value in criteria.items():
        if name not in fields:
            message = f"No such column '{name}' on sobject of type {meta['name']}"
            raise RecordError(message, [Problem(message, "INVALID_FIELD", (name,))])
        if (problem := _criterion_problem(fields[name], value)) is not None:
            raise RecordError(problem.message, [problem])
        conditions.append(f"{name} = {soql_literal(fields[name], value)}")
    display = name_field(meta)
    columns = "Id" if display == "Id" else f"Id, {display}"
    soql = f"SELECT {columns} FROM {meta['name']}"
    if conditions:
        soql += " WHERE " + " AND ".join(conditions)
    soql += f" ORDER BY {display} LIMIT {int(limit)}"
    result = _call(conn, "GET", "query/", params={"q": soql})
    return [_plain(row) for row in result["records"]]


def _criterion_problem(item: Mapping[str, Any], value: Any) -> Problem | None:
    """Whether a text value can be compared with the field at all."""
    if not isinstance(value, str) or value == "":
        return None
    kind = item["type"]
    wanted = {
        "int": ("a whole number", r"-?\d+"),
        "double": ("a number", r"-?\d+(\.\d+)?"),
        "currency": ("a number", r"-?\d+(\.\d+)?"),
        "percent": ("a number", r"-?\d+(\.\d+)?"),
        "boolean": ("true or false", r"(?i:true|false)"),
        "date": ("a date as YYYY-MM-DD", r"\d{4}-\d{2}-\d{2}"),
        "datetime": ("a date-time as YYYY-MM-DDThh:mm:ssZ", r"\d{4}-\d{2}-\d{2}T.+"),
    }.get(kind)
    if wanted is None or re.fullmatch(wanted[1], value):
        return None
    message = f"{item['name']} needs {wanted[0]}, not {value!r}"
    return Problem(message, "BAD_CRITERIA", (item["name"],))


def search_names(
    conn: Any, targets: Sequence[str], text: str, *, limit: int = 10
) -> list[tuple[str, str, str]]:
    """Records of ``targets`` whose name starts with ``text``: (id, name, sobject)."""
    prefix = quote_value(text)[1:-1].replace("%", "\\%").replace("_", "\\_")
    found: list[tuple[str, str, str]] = []
    for target in targets:
        meta = describe(conn, target)
        display = name_field(meta)
        if display == "Id":
            continue
        soql = (
            f"SELECT Id, {display} FROM {meta['name']} WHERE {display} LIKE "
            f"'{prefix}%' ORDER BY {display} LIMIT {int(limit)}"
        )
        result = _call(conn, "GET", "query/", params={"q": soql})
        found.extend(
            (row["Id"], str(row[display]), meta["name"]) for row in result["records"]
        )
    return found[:limit]


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "attributes"}


def _lookup_name_column(conn: object, item: Mapping[str, Any]) -> str | None:
    targets = item.get("referenceTo") or []
    relationship = item.get("relationshipName")
    if not targets or not relationship:
        return None
    if len(targets) > 1 or item.get("polymorphicForeignKey"):
        return f"{relationship}.Name"
    try:
        target = describe(conn, targets[0])
    except RecordError:
        return None
    display = name_field(target)
    return None if display == "Id" else f"{relationship}.{display}"


def _subquery(spec: RelatedListSpec) -> str:
    columns = ["Id", *spec.columns]
    soql = f"SELECT {', '.join(dict.fromkeys(columns))} FROM {spec.relationship}"
    if spec.where:
        soql += f" WHERE {spec.where}"
    if spec.order_by:
        soql += f" ORDER BY {spec.order_by}"
    return f"({soql} LIMIT {RELATED_LIMIT})"


def get_with_related(conn: Any, sobject: str, record_id: str) -> LoadedRecord:
    """Load a record, its lookups' names and its related lists.

    One SOQL query with a child subquery per related list (see
    :func:`related_list_specs`); the object's describe is fetched once per
    connection. Raises :class:`RecordNotFoundError` when there is no such live record.
    """
    if not is_record_id(record_id):
        message = f"{sobject} ID: id value of incorrect type: {record_id}"
        raise RecordNotFoundError(message, [Problem(message, "MALFORMED_ID", ("Id",))])
    conn = resolve(conn)
    meta = describe(conn, sobject)
    children = {
        c["relationshipName"]: c["childSObject"]
        for c in meta.get("childRelationships") or ()
        if c.get("relationshipName")
    }
    specs = [s for s in related_list_specs(meta["name"]) if s.relationship in children]
    unavailable = [s.label for s in related_list_specs(meta["name"]) if s not in specs]

    columns = [
        f["name"] for f in meta["fields"] if f["type"] not in ("address", "location")
    ]
    lookups = {
        f["name"]: column
        for f in meta["fields"]
        if f["type"] == "reference" and (column := _lookup_name_column(conn, f))
    }
    selected = [*columns, *dict.fromkeys(lookups.values())]
    selected += [_subquery(s) for s in specs]
    soql = f"SELECT {', '.join(selected)} FROM {meta['name']} WHERE Id = '{record_id}'"
    result = _call(conn, "GET", "query/", params={"q": soql})
    if not result["records"]:
        message = f"There is no {sobject} with id {record_id} (or it was deleted)."
        raise RecordNotFoundError(message, [Problem(message, "NOT_FOUND")], status=404)
    row = result["records"][0]

    values = {name: row.get(name) for name in columns}
    names = {}
    for name, column in lookups.items():
        relationship, display = column.split(".", 1)
        parent = row.get(relationship)
        if isinstance(parent, Mapping) and parent.get(display) is not None:
            names[name] = str(parent[display])
    related = []
    for spec in specs:
        block = row.get(spec.relationship) or {}
        rows = [_plain(r) for r in block.get("records") or ()]
        total = int(block.get("totalSize") or 0)
        related.append(RelatedList(spec, children[spec.relationship], rows, total))
    return LoadedRecord(meta["name"], values, names, related, unavailable)


# -- writes -----------------------------------------------------------------------


def create(sobject: str, values: Mapping[str, Any], *, conn: Any = None) -> str:
    """Create a record after checking ``values`` against describe; its new id.

    Raises :class:`RecordError` with per-field problems when the checks or the
    org refuse it.
    """
    meta = describe(conn, sobject)
    problems = validate(meta, values, creating=True)
    if problems:
        raise _refuse("create", sobject, problems)
    body = _call(
        conn,
        "POST",
        f"sobjects/{meta['name']}/",
        json=_payload(meta, values),
    )
    logger.debug("created %s %s", sobject, body["id"])
    return str(body["id"])


def update(
    sobject: str,
    record_id: str,
    changes: Mapping[str, Any],
    *,
    loaded: Mapping[str, Any] | None = None,
    force: bool = False,
    conn: Any = None,
) -> None:
    """PATCH only ``changes``; refuse to overwrite a record changed since ``loaded``.

    Parameters
    ----------
    sobject, record_id
        The record to change.
    changes
        Field → new value (Python dates and datetimes are accepted).
    loaded
        The record as it was loaded (needs ``LastModifiedDate``). Its date is sent
        as ``If-Unmodified-Since``; on 412 the current record is fetched and
        :class:`RecordConflictError` raised, reporting remote and local changes.
    force
        Overwrite whatever changed remotely (no ``If-Unmodified-Since``).
    conn
        A Connection, a ``simple_salesforce.Salesforce``, or None for the current
        connection.
    """
    meta = describe(conn, sobject)
    problems = validate(meta, changes, creating=False)
    if problems:
        raise _refuse("update", sobject, problems)
    if not changes:
        return
    headers = {}
    stamp = (loaded or {}).get("LastModifiedDate")
    if stamp and not force:
        moment = parse_datetime(str(stamp))
        headers["If-Unmodified-Since"] = email.utils.format_datetime(
            moment.astimezone(UTC), usegmt=True
        )
    try:
        _call(
            conn,
            "PATCH",
            f"sobjects/{meta['name']}/{record_id}",
            json=_payload(meta, changes),
            headers=headers,
        )
    except RecordError as exc:
        if exc.status != 412 or loaded is None:
            raise
        current = get(meta["name"], record_id, conn=conn)
        raise _conflict(meta, record_id, changes, loaded, current) from None


def _conflict(
    meta: Mapping[str, Any],
    record_id: str,
    changes: Mapping[str, Any],
    loaded: Mapping[str, Any],
    current: Mapping[str, Any],
) -> RecordConflictError:
    ignored = {"LastModifiedDate", "SystemModstamp", "LastModifiedById"}
    remote = {
        name: (loaded.get(name), current.get(name))
        for name in loaded
        if name in current
        and name not in ignored
        and not isinstance(current.get(name), Mapping)
        and loaded.get(name) != current.get(name)
    }
    return RecordConflictError(meta["name"], record_id, changes, remote, current)


def delete(
    sobject: str,
    record_id: str,
    *,
    loaded: Mapping[str, Any] | None = None,
    force: bool = False,
    conn: Any = None,
) -> None:
    """Delete the record (to the recycle bin).

    Parameters
    ----------
    sobject, record_id
        The record to delete.
    loaded
        The record as it was loaded (needs ``LastModifiedDate``). Salesforce takes
        no conditional headers on DELETE, so the record is read first and
        :class:`RecordConflictError` raised, nothing deleted, when it changed
        since ``loaded``. A change landing between that read and the delete is
        not noticed.
    force
        Delete whatever changed remotely (no check).
    conn
        A Connection, a ``QueryTransport``, or None for the current connection.

    Raises :class:`RecordNotFoundError` when it does not exist or is already deleted.
    """
    stamp = (loaded or {}).get("LastModifiedDate")
    if stamp and not force:
        meta = describe(conn, sobject)
        current = get(meta["name"], record_id, conn=conn)
        now = current.get("LastModifiedDate")
        if now and parse_datetime(str(now)) > parse_datetime(str(stamp)):
            raise _conflict(meta, record_id, {}, loaded or {}, current)
    _call(conn, "DELETE", f"sobjects/{sobject}/{record_id}")
    logger.debug("deleted %s %s", sobject, record_id)
