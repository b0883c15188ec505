"""SOSL for the emulated org: the ``search/`` resource and the search itself.

``GET /services/data/vNN.N/search/?q=FIND {Acme} IN NAME FIELDS RETURNING
Account(Id, Name WHERE Industry = 'Energy' ORDER BY Name LIMIT 10)`` answers
``{"searchRecords": [...]}``, the shape Salesforce uses from API version 38.0 on.
The statement is parsed by ``sosl.parse_sosl`` (see there for the grammar).

How records are found, imitating Salesforce's search index: the text of the
searched fields is cut into words at spaces, punctuation and changes between
letters and digits, compared case-insensitively; a phrase must match consecutive
words of one field, while the terms of a query may match in different fields of a
record. Phone fields also match a query made only of digits against the number's
digits (all of them, the last ten or the last seven), so ``{4155551212}`` finds
``(415) 555-1212``. Deleted records are never found.

Scopes: ``ALL`` (the default) searches text, text area, email, phone and URL fields
and combo boxes; ``NAME`` the name fields plus the fields Salesforce adds for some
objects (Account Website and Site, Case Subject, Lead Company …); ``EMAIL`` and
``PHONE`` the fields of those types. Without RETURNING every searchable object is
searched, and each record carries only ``attributes`` and ``Id``, as does an object
named without a field list.

A RETURNING object with a field list is answered by the org's SOQL engine:
``SELECT <fields> FROM <Object> WHERE (<its WHERE>) AND Id IN (<found ids>)
[ORDER BY …]``, so fields, relationship paths, ``toLabel()``, filters and ordering
behave as in SOQL, and its errors (``INVALID_FIELD`` …) point into the SOSL text.

There is no search index: each search reads the searched columns of every object
it names, narrowed first by a LIKE filter in SQLite, so a search of an org of
100,000 records takes up to about a second.

Known limits: no stemming, synonyms, accent folding, spell correction or CJK bigram
words; relevance is approximated (records matching in a name field first, then by
Id); per object at most 2,000 records (Salesforce's limit) are ordered and returned,
the most relevant ones that pass the object's WHERE; the overall ``LIMIT`` is filled
in RETURNING order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfmagic.emulator.app import JsonResponse
from sfmagic.emulator.auth import require_session
from sfmagic.emulator.errors import ApiError, ErrorItem, not_found
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef
from sfmagic.emulator.settings import API_VERSIONS
from sfmagic.emulator.sosl import (
    SEARCH_LIMIT,
    AllOf,
    MappedText,
    ReturningObject,
    SearchExpression,
    SearchStatement,
    Term,
    Without,
    parse_sosl,
    pointed_error,
    search_words,
    terms,
)

if TYPE_CHECKING:
    from sfmagic.emulator.org import OrgState
    from sfmagic.emulator.query import QueryEngine
    from sfmagic.emulator.store import Store

__all__ = ["ROUTES", "SearchEngine", "searched_fields"]

# Salesforce also searches these with IN NAME FIELDS (SOSL guide, "IN SearchGroup");
# each object's own name field comes from describe.
_EXTRA_NAME_FIELDS = {
    "account": ("Website", "Site", "NameLocal"),
    "asset": ("SerialNumber",),
    "case": ("SuppliedName", "SuppliedCompany", "Subject"),
    "contact": ("AssistantName", "FirstNameLocal", "LastNameLocal"),
    "event": ("Subject",),
    "lead": ("Company", "CompanyLocal", "FirstNameLocal", "LastNameLocal"),
    "note": ("Title",),
    "task": ("Subject",),
    "user": ("CommunityNickname",),
}
_TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "combobox"})
# An id no record has: the SOQL run still checks the fields when nothing matched.
_NO_RECORD_ID = "000000000000000AAA"
_CARET = re.compile(r"ERROR at Row:(\d+):Column:(\d+)\n(.*)\Z", re.DOTALL)
_WILDCARD = re.compile(r"[*?]")
_DIGIT_WORD = re.compile(r"[\d*?]+")
_NOT_DIGIT = re.compile(r"\D")
# Runs for LIKE avoid wildcards, and "i" and "k": Python lower-cases "İ" and the
# Kelvin sign to them, SQLite's LIKE does not.
_NOT_FOR_LIKE = re.compile(r"[*?ik]")
# A phone column holds the digits: as written, without the usual punctuation, or
# it has other characters and must be looked at.
_PHONE_DIGITS_LIKE = (
    "({column} LIKE ? OR REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE({column}, "
    "' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', '') LIKE ? "
    "OR {column} GLOB '*[^0-9 ()+.-]*')"
)
_OBJECT_HINT = (
    "If you are attempting to use a custom object, be sure to append the '__c' "
    "after the entity name. Please reference your WSDL or the describe call for "
    "the appropriate names."
)


# --- which fields a search looks at ------------------------------------------


@dataclass(frozen=True)
class SearchedField:
    """A field a search looks at."""

    name: str
    phone: bool
    name_scope: bool
    """Whether ``IN NAME FIELDS`` searches it; records matching there rank first."""


def searched_fields(sobject: SObjectDef, scope: str) -> list[SearchedField]:
    """The fields of ``sobject`` a search in ``scope`` looks at, in describe order."""
    extra = {name.lower() for name in _EXTRA_NAME_FIELDS.get(sobject.name.lower(), ())}

    def name_scope(field: FieldDef) -> bool:
        return field.name_field or field.name.lower() in extra

    def wanted(field: FieldDef) -> bool:
        if field.storage is None or field.type not in _TEXT_TYPES:
            return False
        if scope == "NAME":
            return name_scope(field)
        if scope in ("EMAIL", "PHONE"):
            return field.type == scope.lower()
        return not field.calculated or field.name_field

    return [
        SearchedField(field.name, field.type == "phone", name_scope(field))
        for field in sobject.fields.values()
        if wanted(field)
    ]


# --- matching one record ------------------------------------------------------------


def _wildcard_regex(word: str, any_char: str) -> str:
    parts = []
    for char in word:
        if char == "*":
            parts.append(f"{any_char}*")
        elif char == "?":
            parts.append(any_char)
        else:
            parts.append(re.escape(char))
    return "".join(parts)


class _CompiledTerm:
    """A term ready to test against the words and phone numbers of a field."""

    def __init__(self, term: Term) -> None:
        self.tests = [self._word_test(word) for word in term.words]
        self.digits: re.Pattern[str] | None = None
        if all(_DIGIT_WORD.fullmatch(word) for word in term.words):
            self.digits = re.compile(_wildcard_regex("".join(term.words), r"\d"))

    @staticmethod
    def _word_test(word: str) -> Callable[[str], object]:
        if _WILDCARD.search(word):
            return re.compile(_wildcard_regex(word, ".")).fullmatch
        return word.__eq__

    def in_words(self, words: Sequence[str]) -> bool:
        width = len(self.tests)
        return any(
            all(test(words[start + i]) for i, test in enumerate(self.tests))
            for start in range(len(words) - width + 1)
        )

    def in_phone(self, forms: Sequence[str]) -> bool:
        digits = self.digits
        return digits is not None and any(digits.fullmatch(form) for form in forms)


@dataclass(frozen=True)
class _FieldText:
    """A field value as the search index sees it."""

    words: list[str]
    phone_forms: list[str]
    name_scope: bool


def _field_text(value: str, field: SearchedField) -> _FieldText:
    forms: list[str] = []
    if field.phone:
        digits = _NOT_DIGIT.sub("", value)
        forms = [digits[-size:] for size in {len(digits), 10, 7} if len(digits) >= size]
    return _FieldText(search_words(value), forms, field.name_scope)


class _Matcher:
    """Evaluates a search expression against the fields of one record."""

    def __init__(self, expression: SearchExpression) -> None:
        self.expression = expression
        self.compiled = {term: _CompiledTerm(term) for term in terms(expression)}
        self.whole_number = _whole_number(expression)

    def matches(self, fields: Sequence[_FieldText]) -> bool:
        if self._eval(self.expression, fields):
            return True
        number = self.whole_number
        return number is not None and any(
            number.in_phone(f.phone_forms) for f in fields
        )

    def _eval(self, expression: SearchExpression, fields: Sequence[_FieldText]) -> bool:
        if isinstance(expression, Term):
            term = self.compiled[expression]
            return any(
                term.in_words(f.words) or term.in_phone(f.phone_forms) for f in fields
            )
        if isinstance(expression, Without):
            return not self._eval(expression.item, fields)
        if isinstance(expression, AllOf):
            return all(self._eval(item, fields) for item in expression.items)
        return any(self._eval(item, fields) for item in expression.items)


def _whole_number(expression: SearchExpression) -> _CompiledTerm | None:
    """``{(415) 555-1212}`` is two terms side by side, but one phone number."""
    if not isinstance(expression, AllOf):
        return None
    parts = [item for item in expression.items if isinstance(item, Term)]
    if len(parts) != len(expression.items):
        return None
    number = _CompiledTerm(Term(tuple(word for part in parts for word in part.words)))
    return number if number.digits is not None else None


def _prefilter(
    expression: SearchExpression, fields: Sequence[SearchedField]
) -> tuple[str, list[str]] | None:
    """A cheap SQL condition that every matching row meets (None: no condition).

    A term's longest plain ASCII run must appear in one of the fields; SQLite's
    LIKE ignores ASCII case, as the search does. In phone fields a run of digits
    may also appear once the usual punctuation is taken out, and a number with any
    other character is always looked at.
    """
    if isinstance(expression, Term):
        words = expression.words
        runs = [run for word in words for run in _NOT_FOR_LIKE.split(word)]
        run = max(runs, key=len, default="")
        if len(run) < 2 or not run.isascii():
            return None
        conditions, params = [], []
        for field in fields:
            if field.phone and run.isdigit():
                conditions.append(_PHONE_DIGITS_LIKE.format(column=f'"{field.name}"'))
                params += [f"%{run}%", f"%{run}%"]
            else:
                conditions.append(f'"{field.name}" LIKE ?')
                params.append(f"%{run}%")
        return "(" + " OR ".join(conditions) + ")", params
    if isinstance(expression, Without):
        return None
    parts = [_prefilter(item, fields) for item in expression.items]
    known = [part for part in parts if part is not None]
    if isinstance(expression, AllOf) and known:
        return _joined(" AND ", known)
    if not isinstance(expression, AllOf) and len(known) == len(parts):
        return _joined(" OR ", known)
    return None


def _joined(
    operator: str, parts: Sequence[tuple[str, list[str]]]
) -> tuple[str, list[str]]:
    sql = operator.join(part for part, _ in parts)
    return f"({sql})", [param for _, params in parts for param in params]


# --- the search -------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    sobject: SObjectDef
    spec: ReturningObject | None  # None: searched without RETURNING


class SearchEngine:
    """Runs SOSL statements against an org's store.

    Parameters
    ----------
    store, schema
        The org's records and their schema.
    queries
        The org's SOQL engine, which answers the field lists, filters and orders
        of RETURNING objects.
    """

    def __init__(self, store: Store, schema: Schema, queries: QueryEngine) -> None:
        self.store = store
        self.schema = schema
        self.queries = queries

    def search(self, text: str, *, api_version: str, user_id: str) -> dict[str, Any]:
        """Answer a SOSL statement: ``{"searchRecords": [...]}``.

        Raises
        ------
        ApiError
            400 ``MALFORMED_SEARCH`` for a statement that does not parse,
            ``INVALID_TYPE`` for an unknown or unsearchable object, and the SOQL
            engine's errors (``INVALID_FIELD`` …) for RETURNING field lists.
        """
        statement = parse_sosl(text)
        records: list[dict[str, Any]] = []
        for target in self._targets(statement):
            found = self._search_object(statement, target, api_version, user_id)
            records.extend(found)
        return {"searchRecords": records[: statement.limit]}

    def _targets(self, statement: SearchStatement) -> list[_Target]:
        if not statement.returning:
            return [
                _Target(sobject, None)
                for sobject in self.schema
                if sobject.raw.get("searchable") and not sobject.virtual
            ]
        targets: list[_Target] = []
        for spec in statement.returning:
            sobject = self.schema.get(spec.name.text)
            text, offset = statement.text, spec.name.offset
            if sobject is None:
                detail = (
                    f"sObject type '{spec.name.text}' is not supported. {_OBJECT_HINT}"
                )
                raise pointed_error("INVALID_TYPE", text, offset, detail)
            if sobject.virtual or not sobject.raw.get("searchable"):
                detail = f"entity type {sobject.name} does not support search"
                raise pointed_error("INVALID_TYPE", text, offset, detail)
            if any(target.sobject is sobject for target in targets):
                detail = f"duplicate entity: {sobject.name}"
                raise pointed_error("MALFORMED_SEARCH", text, offset, detail)
            targets.append(_Target(sobject, spec))
        return targets

    def _search_object(
        self,
        statement: SearchStatement,
        target: _Target,
        api_version: str,
        user_id: str,
    ) -> list[dict[str, Any]]:
        found = self._matching_ids(statement, target.sobject)
        spec = target.spec
        if spec is None or spec.fields is None:
            return [
                _id_record(target.sobject.name, record_id, api_version)
                for record_id in found[:SEARCH_LIMIT]
            ]
        run = _SoqlRunner(self.queries, statement.text, api_version, user_id)
        if spec.where is not None and len(found) > SEARCH_LIMIT:
            found = run.filter_ids(spec, found)
        found = found[:SEARCH_LIMIT]
        ordered = spec.order_by is not None
        records = run.records(spec, found, ordered=ordered)
        if ordered:
            return records
        rank = {record_id: index for index, record_id in enumerate(found)}
        records.sort(key=lambda record: rank.get(_record_id(record), len(rank)))
        start = spec.offset or 0
        stop = None if spec.limit is None else start + spec.limit
        return records[start:stop]

    def _matching_ids(
        self, statement: SearchStatement, sobject: SObjectDef
    ) -> list[str]:
        """Ids of the records of ``sobject`` the search finds, most relevant first."""
        expression = statement.expression
        fields = searched_fields(sobject, statement.scope)
        if expression is None or not fields:
            return []
        columns = ", ".join(f'"{field.name}"' for field in fields)
        sql = f'SELECT "Id", {columns} FROM "{sobject.name}" WHERE "IsDeleted" = 0'
        params: list[str] = []
        prefilter = _prefilter(expression, fields)
        if prefilter is not None:
            sql += f" AND {prefilter[0]}"
            params = prefilter[1]
        rows = self.store.execute(sql, params)

        matcher = _Matcher(expression)
        ranked: list[tuple[bool, str]] = []
        for row in rows:
            texts = [
                _field_text(value, field)
                for field, value in zip(fields, tuple(row)[1:], strict=True)
                if isinstance(value, str) and value
            ]
            if matcher.matches(texts):
                in_name = matcher.matches([t for t in texts if t.name_scope])
                ranked.append((not in_name, str(row[0])))
        ranked.sort()
        return [record_id for _, record_id in ranked]


class _SoqlRunner:
    """Runs the SOQL of a RETURNING object, restricted to the records found."""

    def __init__(
        self, queries: QueryEngine, statement: str, api_version: str, user_id: str
    ) -> None:
        self.queries = queries
        self.statement = statement
        self.api_version = api_version
        self.user_id = user_id

    def filter_ids(self, spec: ReturningObject, found: Sequence[str]) -> list[str]:
        """The ids of ``found`` that pass the object's WHERE, up to the search limit."""
        kept: list[str] = []
        for chunk in _chunks(found, SEARCH_LIMIT):
            passing = {
                _record_id(record)
                for record in self._run(_soql(spec, chunk, fields="Id", ordered=False))
            }
            kept.extend(record_id for record_id in chunk if record_id in passing)
            if len(kept) >= SEARCH_LIMIT:
                break
        return kept

    def records(
        self, spec: ReturningObject, found: Sequence[str], *, ordered: bool
    ) -> list[dict[str, Any]]:
        return self._run(_soql(spec, found, fields=None, ordered=ordered))

    def _run(self, soql: MappedText) -> list[dict[str, Any]]:
        try:
            result = self.queries.run(
                soql.text,
                include_deleted=False,
                api_version=self.api_version,
                user_id=self.user_id,
            )
        except ApiError as error:
            raise _pointing_into(error, self.statement, soql) from None
        records: list[dict[str, Any]] = result.get("records", [])
        return records


def _soql(
    spec: ReturningObject, found: Sequence[str], *, fields: str | None, ordered: bool
) -> MappedText:
    assert spec.fields is not None
    ids = ", ".join(f"'{record_id}'" for record_id in found or [_NO_RECORD_ID])
    parts: list[Any] = [
        "SELECT ",
        fields or spec.fields,
        " FROM ",
        spec.name,
        " WHERE ",
    ]
    if spec.where is not None:
        parts += ["(", spec.where, ") AND "]
    parts.append(f"Id IN ({ids})")
    if ordered and spec.order_by is not None:
        parts += [" ORDER BY ", spec.order_by]
        if spec.limit is not None:
            parts.append(f" LIMIT {spec.limit}")
        if spec.offset is not None:
            parts.append(f" OFFSET {spec.offset}")
    return MappedText.build(parts)


def _pointing_into(error: ApiError, statement: str, soql: MappedText) -> ApiError:
    """``error`` with its carets moved from the SOQL text into the SOSL statement."""
    items = []
    for item in error.items:
        found = _CARET.search(item.message)
        if found is None:
            items.append(item)
            continue
        offset = soql.origin(int(found[1]), int(found[2]))
        moved = pointed_error(item.error_code, statement, offset, found[3])
        items.append(ErrorItem(item.error_code, moved.message, item.fields))
    moved_error = ApiError.many(error.status, items)
    moved_error.headers = error.headers
    return moved_error


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_id(record: dict[str, Any]) -> str:
    if isinstance(record.get("Id"), str):
        return str(record["Id"])
    url = str(record.get("attributes", {}).get("url", ""))
    return url.rsplit("/", 1)[-1]


def _id_record(sobject: str, record_id: str, api_version: str) -> dict[str, Any]:
    url = f"/services/data/v{api_version}/sobjects/{sobject}/{record_id}"
    return {"attributes": {"type": sobject, "url": url}, "Id": record_id}


# --- the resource ---------------------------------------------------------------------


def _search_resource(request: Request) -> Response:
    # A plain function: Starlette runs it in its thread pool (SQLite blocks).
    version = str(request.path_params["version"])
    if version not in API_VERSIONS:
        raise not_found()
    session = require_session(request)
    org: OrgState = request.app.state.org
    engine = SearchEngine(org.store, org.schema, org.queries)
    text = request.query_params.get("q", "")
    body = engine.search(text, api_version=version, user_id=session.user_id)
    return JsonResponse(body)


ROUTES: list[BaseRoute] = [
    Route(path, _search_resource, methods=["GET"])
    for path in (
        "/services/data/v{version}/search",
        "/services/data/v{version}/search/",
    )
]
