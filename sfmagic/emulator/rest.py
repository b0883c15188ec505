"""The REST data API: ``/services/data/`` and ``/services/data/vNN.N/…``.

Resources, for every version in ``API_VERSIONS`` (others answer 404 NOT_FOUND):

==========================================  =====================  ================
path (after ``/services/data/vNN.N/``)       methods                answer
==========================================  =====================  ================
(the version itself)                        GET                    resource index
``sobjects``                                GET                    describe global
``sobjects/{O}``                            GET, POST              basic info; create
``sobjects/{O}/describe``                   GET                    describe
``sobjects/{O}/updated/?start=&end=``       GET                    updated ids
``sobjects/{O}/deleted/?start=&end=``       GET                    deleted ids
``sobjects/{O}/{id}``                       GET, PATCH, DELETE     one record
``sobjects/{O}/{field}/{value}``            GET, PATCH, DELETE     by external id
``query/?q=``, ``queryAll/?q=``             GET                    first page
``query/{locator}``, ``queryAll/{…}``       GET                    next page
``limits``                                  GET                    org limits
``tooling``                                 GET                    tooling index
``tooling/sobjects``                        GET                    tooling global
``tooling/sobjects/{O}``                    GET                    basic info
``tooling/sobjects/{O}/describe``           GET                    tooling describe
``tooling/query/?q=``                       GET                    first page
``tooling/query/{locator}``                 GET                    next page
==========================================  =====================  ================

The ``tooling/`` resources are the Tooling API: the objects of
``sfmagic.emulator.tooling`` (EntityDefinition, ApexClass), with their own
schema, rows and query locators. The data API's objects are unknown there (a
query answers 400 INVALID_TYPE, a describe 404) and the tooling objects are
unknown to the data API.

Every path is accepted with and without a trailing slash, and HEAD wherever GET
is. Paths are routed on the raw request path: it is split on ``/`` first and each
segment percent-decoded after, so an external-id value may contain an encoded
``/`` (``%2F``); that value is decoded like a form value (``+`` is a space), which
is how simple-salesforce's ``get_by_custom_id`` encodes it. ``POST`` with
``?_HttpMethod=PATCH`` is read as a PATCH, as Salesforce allows for clients that
cannot send PATCH.

Conditional requests: ``If-Modified-Since`` answers 304 (no body) and
``If-Unmodified-Since`` 412 on records (against ``LastModifiedDate``), on describe
and describe global (against the time the org's schema last changed). HTTP dates
have whole seconds, so modification times are compared to the second. A header
that is not an HTTP date is answered 400 ``INVALID_HEADER_VALUE`` (the status is
Salesforce's; the error code is the emulator's choice).

External ids: the field must be an external-id field or ``Id`` (anything else is
404 NOT_FOUND, as for an unknown field); several matches answer 300 with the list
of the matching records' URLs; upsert honours ``?updateOnly=true``.

Known limits: ``X-PrettyPrint`` is ignored (answers are always compact JSON);
ETags, blob fields (``…/{id}/Body``) and relationship traversal
(``…/{id}/Contacts``) are not supported and answer 404 NOT_FOUND;
``recentItems`` lists the records the caller changed most recently (the emulator
does not track views); replication (``updated/``, ``deleted/``) ignores the
seconds of ``start`` and ``end`` and accepts start dates up to 30 days back, as
Salesforce does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from sfmagic.emulator import describe, ids, values
from sfmagic.emulator.app import (
    JsonResponse,
    conditional,
    http_date,
    last_modified_header,
    method_not_allowed,
    parse_json_object,
)
from sfmagic.emulator.auth import require_session
from sfmagic.emulator.dml import MultipleMatchesError, is_upsert_key
from sfmagic.emulator.errors import ApiError, not_found
from sfmagic.emulator.schema import SObjectDef
from sfmagic.emulator.settings import API_VERSIONS
from sfmagic.emulator.store import quote

if TYPE_CHECKING:
    from starlette.datastructures import URLPath

    from sfmagic.emulator.identity import Session
    from sfmagic.emulator.org import OrgState
    from sfmagic.emulator.query import QueryEngine

__all__ = ["ROUTES", "RestCall", "version_label"]

DATA_PREFIX = "/services/data"
_SCOPE_KEY = "sfmagic.rest"

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000
RECENT_ITEMS = 10
REPLICATION_DAYS = 30
# Salesforce counts most records as 2 KB of data storage.
RECORD_STORAGE_KB = 2
DATA_STORAGE_MB = 10240
FILE_STORAGE_MB = 10240

_BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\S+?)\s*(?:[;,]|$)", re.IGNORECASE)
_SEASONS = ("Winter", "Spring", "Summer")
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT"})


# --- the call an endpoint serves ----------------------------------------------


@dataclass(frozen=True)
class RestCall:
    """One authenticated request to a REST resource, as endpoints see it."""

    request: Request
    org: OrgState
    session: Session
    version: str
    params: Mapping[str, str]
    body: bytes

    @property
    def user_id(self) -> str:
        return self.session.user_id

    @property
    def base(self) -> str:
        """``/services/data/vNN.N``."""
        return f"{DATA_PREFIX}/v{self.version}"

    def sobject(self) -> SObjectDef:
        """The sObject named in the path; 404 NOT_FOUND when there is none."""
        found = self.org.schema.get(self.params["sobject"])
        if found is None:
            raise not_found()
        return found

    def tooling_sobject(self) -> SObjectDef:
        """The Tooling API object named in the path; 404 NOT_FOUND otherwise."""
        found = self.org.tooling.schema.get(self.params["sobject"])
        if found is None:
            raise not_found()
        return found

    def stored_sobject(self) -> SObjectDef:
        """The sObject named in the path, which must have records of its own."""
        sobject = self.sobject()
        if sobject.virtual:
            raise not_found()
        return sobject

    def json_object(self, type_name: str) -> dict[str, Any]:
        """The body read as a JSON object; 400 JSON_PARSER_ERROR otherwise."""
        return parse_json_object(self.body, type_name)


Handler = Callable[[RestCall], Response]


# --- routing ------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """A path pattern under a version and the handler of each method.

    Pattern segments are literals or ``{name}`` placeholders; ``{name+}`` takes a
    form-encoded value (``+`` decoded as a space).
    """

    pattern: tuple[str, ...]
    methods: Mapping[str, Handler]

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for expected, raw in zip(self.pattern, segments, strict=True):
            if expected.startswith("{"):
                if not raw:
                    return None
                name = expected.strip("{}+")
                decode = unquote_plus if expected.endswith("+}") else unquote
                params[name] = decode(raw)
            elif unquote(raw) != expected:
                return None
        return params

    @property
    def allowed(self) -> list[str]:
        return list(self.methods)


@dataclass(frozen=True)
class _Target:
    resource: Resource | None  # None: the version list
    version: str
    params: dict[str, str]


class RestRoute(BaseRoute):
    """Routes ``/services/data`` on the raw path (see the module docstring)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.resources = tuple(resources)

    def resolve(self, raw_path: str) -> _Target | None:
        if not raw_path.startswith(DATA_PREFIX):
            return None
        segments = raw_path[len(DATA_PREFIX) :].split("/")
        if segments[0]:  # "/services/database" is not ours
            return None
        segments = segments[1:]
        if segments in ([], [""]):
            return _Target(None, "", {})
        version = unquote(segments[0])
        if not version.startswith("v") or version[1:] not in API_VERSIONS:
            return None
        rest = segments[1:]
        if rest and rest[-1] == "":
            rest = rest[:-1]
        for resource in self.resources:
            params = resource.match(rest)
            if params is not None:
                return _Target(resource, version[1:], params)
        return None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        target = self.resolve(_raw_path(scope))
        if target is None:
            return Match.NONE, {}
        allowed = ["GET"] if target.resource is None else target.resource.allowed
        method = _method(scope)
        if method == "HEAD":
            method = "GET"
        match = Match.FULL if method in allowed else Match.PARTIAL
        return match, {_SCOPE_KEY: target}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        target: _Target = scope[_SCOPE_KEY]
        request = Request(scope, receive, send)
        method = _method(scope)
        body = await request.body() if method in _WRITE_METHODS else b""
        response = await run_in_threadpool(_serve, request, target, method, body)
        await response(scope, receive, send)


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1").split("?", 1)[0]
    return str(scope["path"])


def _method(scope: Scope) -> str:
    method = str(scope["method"]).upper()
    if method == "POST":
        override = Request(scope).query_params.get("_HttpMethod", "").upper()
        if override == "PATCH":
            return "PATCH"
    return method


def _serve(request: Request, target: _Target, method: str, body: bytes) -> Response:
    if target.resource is None:
        if method not in ("GET", "HEAD"):
            raise method_not_allowed(method, ["GET"])
        return versions()
    org: OrgState = request.app.state.org
    session = require_session(request)
    handler = target.resource.methods.get("GET" if method == "HEAD" else method)
    if handler is None:
        raise method_not_allowed(method, target.resource.allowed)
    call = RestCall(request, org, session, target.version, target.params, body)
    return handler(call)


# --- versions and the resource index ------------------------------------------


def version_label(version: str) -> str:
    """The release name of an API version: ``59.0`` is ``Winter '24``."""
    offset = int(float(version)) - 50
    return f"{_SEASONS[offset % 3]} '{21 + offset // 3:02d}"


def versions() -> Response:
    """``GET /services/data/``: every supported version, oldest first."""
    return JsonResponse(
        [
            {
                "label": version_label(version),
                "url": f"{DATA_PREFIX}/v{version}",
                "version": version,
            }
            for version in API_VERSIONS
        ]
    )


def resource_index(call: RestCall) -> Response:
    """``GET vNN.N/``: the resources this org serves, by name."""
    names = ["sobjects", "query", "queryAll", "limits", "tooling"]
    mounted: frozenset[str] = call.request.app.state.mounted
    optional = {"search": "search", "composite": "composite", "bulk": "jobs"}
    names += [resource for module, resource in optional.items() if module in mounted]
    return JsonResponse({name: f"{call.base}/{name}" for name in names})


# --- describes ----------------------------------------------------------------


def describe_global(call: RestCall) -> Response:
    """``GET sobjects``: every object, with 304/412 against the schema's date."""
    unchanged = conditional(call.request, call.org.schema_modified)
    if unchanged is not None:
        return unchanged
    body = describe.describe_global(call.org.schema, call.version)
    return JsonResponse(body, headers=last_modified_header(call.org.schema_modified))


def sobject_describe(call: RestCall) -> Response:
    """``GET sobjects/{O}/describe``: the full describe."""
    sobject = call.sobject()
    unchanged = conditional(call.request, call.org.schema_modified)
    if unchanged is not None:
        return unchanged
    body = describe.describe_sobject(
        sobject, call.version, instance_url=call.org.instance_url
    )
    return JsonResponse(body, headers=last_modified_header(call.org.schema_modified))


def sobject_info(call: RestCall) -> Response:
    """``GET sobjects/{O}``: the global entry and the caller's recent records."""
    sobject = call.sobject()
    recent = [] if sobject.virtual else _recent_items(call, sobject)
    return JsonResponse(describe.basic_info(sobject, call.version, recent))


def _recent_items(call: RestCall, sobject: SObjectDef) -> list[dict[str, Any]]:
    name_field = sobject.name_field
    stamp = sobject.field("LastModifiedDate") or sobject.field("SystemModstamp")
    editor = sobject.field("LastModifiedById")
    if stamp is None or editor is None:
        return []
    columns = ["Id"] + ([name_field.name] if name_field else [])
    rows = call.org.store.execute(
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(sobject.name)} "
        f'WHERE "IsDeleted" = 0 AND {quote(editor.name)} = ? '
        f'ORDER BY {quote(stamp.name)} DESC, "Id" DESC LIMIT {RECENT_ITEMS}',
        (call.user_id,),
    )
    return [
        values.record_json(sobject, dict(row), call.version, columns) for row in rows
    ]


# --- records ------------------------------------------------------------------


def create_record(call: RestCall) -> Response:
    """``POST sobjects/{O}``: 201 with the new id."""
    sobject = call.stored_sobject()
    payload = call.json_object(sobject.name)
    record_id = call.org.dml.create(sobject.name, payload, user_id=call.user_id)
    return JsonResponse({"id": record_id, "success": True, "errors": []}, 201)


def get_record(call: RestCall) -> Response:
    """``GET sobjects/{O}/{id}``: the record, or only ``?fields=`` and Id."""
    sobject = call.stored_sobject()
    record_id = _record_id(call, sobject, reading=True)
    return _record_response(call, sobject, record_id)


def _record_response(call: RestCall, sobject: SObjectDef, record_id: str) -> Response:
    """The live record as JSON, after the conditional headers (304, 412)."""
    row = _live_row(call, sobject, record_id)
    modified = _row_modified(row)
    if modified is not None:
        unchanged = conditional(call.request, modified)
        if unchanged is not None:
            return unchanged
    body = values.record_json(sobject, row, call.version, _fields_param(call))
    return JsonResponse(body, headers=last_modified_header(modified))


def update_record(call: RestCall) -> Response:
    """``PATCH sobjects/{O}/{id}``: 204, or 412 under ``If-Unmodified-Since``."""
    sobject = call.stored_sobject()
    record_id = _record_id(call, sobject, reading=False)
    since = http_date(call.request, "If-Unmodified-Since")
    payload = call.json_object(sobject.name)
    call.org.dml.update(
        sobject.name,
        record_id,
        payload,
        user_id=call.user_id,
        if_unmodified_since=since,
    )
    return Response(status_code=204)


def delete_record(call: RestCall) -> Response:
    """``DELETE sobjects/{O}/{id}``: 204 (soft delete)."""
    sobject = call.stored_sobject()
    record_id = _record_id(call, sobject, reading=False)
    call.org.dml.delete(sobject.name, record_id, user_id=call.user_id)
    return Response(status_code=204)


def _record_id(call: RestCall, sobject: SObjectDef, *, reading: bool) -> str:
    """The 18-character id in the path, checked against the object's key prefix.

    A segment that is not shaped like an id is taken, as Salesforce does, for an
    external-id field name with no value: 404. A well-formed id of another object
    is "not found" when reading and MALFORMED_ID when writing.
    """
    text = call.params["record"]
    if not ids.is_valid_id(text):
        if len(text) in (15, 18) and text.isalnum():
            raise malformed_id(sobject, text)
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {text}",
        )
    record_id = ids.to_18(text)
    if sobject.key_prefix and not record_id.startswith(sobject.key_prefix):
        if reading:
            raise not_found()
        raise malformed_id(sobject, text)
    return record_id


def malformed_id(sobject: SObjectDef, text: str) -> ApiError:
    """400 MALFORMED_ID for ``text`` used as an id of ``sobject``."""
    return ApiError(
        400,
        "MALFORMED_ID",
        f"{sobject.label} ID: id value of incorrect type: {text}",
        ["Id"],
    )


def _live_row(call: RestCall, sobject: SObjectDef, record_id: str) -> dict[str, Any]:
    row = call.org.store.get(sobject.name, record_id, include_deleted=True)
    if row is None:
        raise not_found()
    if row.get("IsDeleted"):
        raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
    return row


def _row_modified(row: Mapping[str, Any]) -> datetime | None:
    stamp = row.get("LastModifiedDate") or row.get("SystemModstamp")
    if not stamp:
        return None
    try:
        return values.parse_stored_datetime(str(stamp))
    except ValueError:
        return None


def _fields_param(call: RestCall) -> list[str] | None:
    text = call.request.query_params.get("fields")
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    return names or None


# --- external ids -------------------------------------------------------------


def _external_field(call: RestCall, sobject: SObjectDef) -> str:
    name = call.params["field"]
    field = sobject.field(name)
    if field is None or not is_upsert_key(sobject, field):
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return field.name


def _ids_by_external_value(call: RestCall, sobject: SObjectDef) -> list[str]:
    """Live records whose external id is the path's value, matched as upsert does."""
    name = _external_field(call, sobject)
    value = call.params["value"]
    if name == "Id":
        if not ids.is_valid_id(value):
            raise malformed_id(sobject, value)
        row = call.org.store.get(sobject.name, value)
        return [row["Id"]] if row else []
    field = sobject.fields[name]
    stored = values.from_json_value(field, value)
    return call.org.store.find_ids(sobject.name, name, stored)


def _multiple_choices(
    call: RestCall, sobject: SObjectDef, found: list[str]
) -> Response:
    """300 with the URL of every matching record, as Salesforce answers it."""
    base = f"{call.base}/sobjects/{sobject.name}"
    return JsonResponse([f"{base}/{record_id}" for record_id in found], 300)


def get_by_external_id(call: RestCall) -> Response:
    """``GET sobjects/{O}/{field}/{value}``: the one matching record."""
    sobject = call.stored_sobject()
    found = _ids_by_external_value(call, sobject)
    if len(found) != 1:
        if not found:
            raise not_found()
        return _multiple_choices(call, sobject, found)
    return _record_response(call, sobject, found[0])


def upsert_by_external_id(call: RestCall) -> Response:
    """``PATCH sobjects/{O}/{field}/{value}``: 201 created or 200 updated."""
    sobject = call.stored_sobject()
    field = _external_field(call, sobject)
    update_only = call.request.query_params.get("updateOnly", "").lower() == "true"
    payload = call.json_object(sobject.name)
    try:
        record_id, created = call.org.dml.upsert(
            sobject.name,
            field,
            call.params["value"],
            payload,
            user_id=call.user_id,
            update_only=update_only,
        )
    except MultipleMatchesError as error:
        return JsonResponse(error.urls(call.version), 300)
    body = {"id": record_id, "success": True, "errors": [], "created": created}
    return JsonResponse(body, 201 if created else 200)


def delete_by_external_id(call: RestCall) -> Response:
    """``DELETE sobjects/{O}/{field}/{value}``: 204."""
    sobject = call.stored_sobject()
    found = _ids_by_external_value(call, sobject)
    if len(found) != 1:
        if not found:
            raise not_found()
        return _multiple_choices(call, sobject, found)
    call.org.dml.delete(sobject.name, found[0], user_id=call.user_id)
    return Response(status_code=204)


# --- replication --------------------------------------------------------------


def _replication_window(call: RestCall) -> tuple[datetime, datetime]:
    """``start`` and ``end`` from the query string, without their seconds.

    Salesforce ignores the seconds of both and refuses a start more than
    ``REPLICATION_DAYS`` days back.
    """
    moments = []
    for name in ("start", "end"):
        text = call.request.query_params.get(name)
        if not text:
            raise ApiError(
                400, "MISSING_ARGUMENT", f"Missing the required parameter: {name}"
            )
        try:
            moment = values.parse_datetime(text)
        except ValueError:
            raise ApiError(
                400,
                "INVALID_REPLICATION_DATE",
                f"The {name} parameter is not a valid date and time: {text}",
            ) from None
        moments.append(moment.replace(second=0, microsecond=0))
    start, end = moments
    if start < datetime.now(UTC) - timedelta(days=REPLICATION_DAYS):
        raise ApiError(
            400,
            "INVALID_REPLICATION_DATE",
            f"startDate cannot be more than {REPLICATION_DAYS} days ago",
        )
    return start, end


def updated_records(call: RestCall) -> Response:
    """``GET sobjects/{O}/updated/?start=&end=``: ids changed in the window."""
    sobject = call.stored_sobject()
    start, end = _replication_window(call)
    return JsonResponse(call.org.dml.updated(sobject.name, start, end))


def deleted_records(call: RestCall) -> Response:
    """``GET sobjects/{O}/deleted/?start=&end=``: records deleted in it."""
    sobject = call.stored_sobject()
    start, end = _replication_window(call)
    return JsonResponse(call.org.dml.deleted(sobject.name, start, end))


# --- queries ------------------------------------------------------------------


def query(call: RestCall) -> Response:
    """``GET query/?q=``: the first page of live records."""
    return _run_query(call, include_deleted=False)


def query_all(call: RestCall) -> Response:
    """``GET queryAll/?q=``: the first page, deleted records included."""
    return _run_query(call, include_deleted=True)


def _run_query(
    call: RestCall, *, include_deleted: bool, engine: QueryEngine | None = None
) -> Response:
    text = call.request.query_params.get("q")
    if not text or not text.strip():
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    result = (engine or call.org.queries).run(
        text,
        include_deleted=include_deleted,
        api_version=call.version,
        batch_size=batch_size(call.request.headers.get("Sforce-Query-Options")),
        user_id=call.user_id,
    )
    return JsonResponse(result)


def query_more(call: RestCall) -> Response:
    """``GET query/{locator}``: a following page."""
    return _more(call, include_deleted=False)


def query_all_more(call: RestCall) -> Response:
    """``GET queryAll/{locator}``: a following page of a queryAll."""
    return _more(call, include_deleted=True)


def _more(
    call: RestCall, *, include_deleted: bool, engine: QueryEngine | None = None
) -> Response:
    result = (engine or call.org.queries).more(
        call.params["locator"],
        include_deleted=include_deleted,
        api_version=call.version,
    )
    return JsonResponse(result)


def batch_size(header: str | None) -> int:
    """The page size a ``Sforce-Query-Options`` header asks for, within 200–2000."""
    if not header:
        return DEFAULT_BATCH_SIZE
    match = _BATCH_SIZE.search(header)
    if not match or not match.group(1).isdigit():
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, int(match.group(1))))


# --- the Tooling API -----------------------------------------------------------


def tooling_index(call: RestCall) -> Response:
    """``GET tooling``: the Tooling API's resources, by name."""
    base = f"{call.base}/tooling"
    return JsonResponse({name: f"{base}/{name}" for name in ("sobjects", "query")})


def tooling_describe_global(call: RestCall) -> Response:
    """``GET tooling/sobjects``: every Tooling API object."""
    unchanged = conditional(call.request, call.org.schema_modified)
    if unchanged is not None:
        return unchanged
    body = describe.describe_global(call.org.tooling.schema, call.version)
    return JsonResponse(body, headers=last_modified_header(call.org.schema_modified))


def tooling_sobject_info(call: RestCall) -> Response:
    """``GET tooling/sobjects/{O}``: the global entry (no recent items)."""
    sobject = call.tooling_sobject()
    return JsonResponse(describe.basic_info(sobject, call.version, []))


def tooling_sobject_describe(call: RestCall) -> Response:
    """``GET tooling/sobjects/{O}/describe``: the full describe."""
    sobject = call.tooling_sobject()
    unchanged = conditional(call.request, call.org.schema_modified)
    if unchanged is not None:
        return unchanged
    body = describe.describe_sobject(
        sobject, call.version, instance_url=call.org.instance_url
    )
    return JsonResponse(body, headers=last_modified_header(call.org.schema_modified))


def tooling_query(call: RestCall) -> Response:
    """``GET tooling/query/?q=``: the first page, from the tooling objects."""
    return _run_query(call, include_deleted=False, engine=call.org.tooling.queries)


def tooling_query_more(call: RestCall) -> Response:
    """``GET tooling/query/{locator}``: a following page of a tooling query."""
    return _more(call, include_deleted=False, engine=call.org.tooling.queries)


# --- limits -------------------------------------------------------------------


def limits(call: RestCall) -> Response:
    """``GET limits``: API requests left today, data and file storage."""
    usage = call.org.usage
    records = sum(
        call.org.store.count(sobject.name, include_deleted=True)
        for sobject in call.org.schema
        if not sobject.virtual
    )
    used_mb = records * RECORD_STORAGE_KB // 1024
    return JsonResponse(
        {
            "DailyApiRequests": {"Max": usage.limit, "Remaining": usage.remaining},
            "DataStorageMB": {
                "Max": DATA_STORAGE_MB,
                "Remaining": max(DATA_STORAGE_MB - used_mb, 0),
            },
            "FileStorageMB": {"Max": FILE_STORAGE_MB, "Remaining": FILE_STORAGE_MB},
        }
    )


# --- the table ----------------------------------------------------------------

RESOURCES = (
    Resource((), {"GET": resource_index}),
    Resource(("sobjects",), {"GET": describe_global}),
    Resource(("sobjects", "{sobject}"), {"GET": sobject_info, "POST": create_record}),
    Resource(("sobjects", "{sobject}", "describe"), {"GET": sobject_describe}),
    Resource(("sobjects", "{sobject}", "updated"), {"GET": updated_records}),
    Resource(("sobjects", "{sobject}", "deleted"), {"GET": deleted_records}),
    Resource(
        ("sobjects", "{sobject}", "{record}"),
        {"GET": get_record, "PATCH": update_record, "DELETE": delete_record},
    ),
    Resource(
        ("sobjects", "{sobject}", "{field}", "{value+}"),
        {
            "GET": get_by_external_id,
            "PATCH": upsert_by_external_id,
            "DELETE": delete_by_external_id,
        },
    ),
    Resource(("query",), {"GET": query}),
    Resource(("query", "{locator}"), {"GET": query_more}),
    Resource(("queryAll",), {"GET": query_all}),
    Resource(("queryAll", "{locator}"), {"GET": query_all_more}),
    Resource(("limits",), {"GET": limits}),
    Resource(("tooling",), {"GET": tooling_index}),
    Resource(("tooling", "sobjects"), {"GET": tooling_describe_global}),
    Resource(("tooling", "sobjects", "{sobject}"), {"GET": tooling_sobject_info}),
    Resource(
        ("tooling", "sobjects", "{sobject}", "describe"),
        {"GET": tooling_sobject_describe},
    ),
    Resource(("tooling", "query"), {"GET": tooling_query}),
    Resource(("tooling", "query", "{locator}"), {"GET": tooling_query_more}),
)

ROUTES: list[BaseRoute] = [RestRoute(RESOURCES)]
