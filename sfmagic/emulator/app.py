"""The emulator's Starlette application: routes, error answers and common headers.

All failures are answered here, in one place, in Salesforce's shape: a JSON list of
``{"message", "errorCode"[, "fields"]}`` with the status Salesforce uses. Route
modules raise ``ApiError``; unknown paths get 404 ``NOT_FOUND``, wrong methods 405
``METHOD_NOT_ALLOWED``, and anything unexpected a 500 ``UNKNOWN_EXCEPTION`` (logged
with its traceback on the ``sfmagic.emulator`` logger, never shown to the client).

Every ``/services/data`` response carries ``Sforce-Limit-Info`` with the org's API
request count. Each request is logged at INFO on ``sfmagic.emulator.http`` (method,
path, status, elapsed time; never headers, query strings or bodies).
"""

from __future__ import annotations

import email.utils
import importlib
import json
import logging
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfmagic.emulator.errors import ApiError, ErrorItem

if TYPE_CHECKING:
    from sfmagic.emulator.org import OrgState

__all__ = [
    "JSON_MEDIA_TYPE",
    "JsonResponse",
    "build_app",
    "conditional",
    "error_body",
    "error_response",
    "http_date",
    "last_modified_header",
    "method_not_allowed",
    "parse_json_object",
]

logger = logging.getLogger("sfmagic.emulator")
http_logger = logging.getLogger("sfmagic.emulator.http")

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"

# Route modules of the later endpoints, mounted when present.
OPTIONAL_ROUTE_MODULES = ("oauth", "soap", "bulk", "composite", "search")

# Errors raised by the save pipeline keep an empty "fields" list, as Salesforce's
# DML errors do; API-level errors (session, query, routing) leave the key out.
_DML_ERROR_CODES = frozenset(
    {
        "DELETE_FAILED",
        "DUPLICATE_VALUE",
        "ENTITY_IS_DELETED",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "FIELD_INTEGRITY_EXCEPTION",
        "INACTIVE_OWNER_OR_USER",
        "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
        "INVALID_CROSS_REFERENCE_KEY",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "MALFORMED_ID",
        "REQUIRED_FIELD_MISSING",
        "STRING_TOO_LONG",
    }
)

_STATUS_CODES = {
    400: ("BAD_REQUEST", "The request could not be understood"),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    413: ("REQUEST_ENTITY_TOO_LARGE", "The request body is too large"),
}


class JsonResponse(Response):
    """A JSON answer with Salesforce's content type, rendered compactly."""

    media_type = JSON_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")


def error_body(items: Iterable[ErrorItem]) -> list[dict[str, Any]]:
    """Salesforce's error list for ``items``."""
    body = []
    for item in items:
        entry: dict[str, Any] = {"message": item.message, "errorCode": item.error_code}
        if item.fields or item.error_code in _DML_ERROR_CODES:
            entry["fields"] = list(item.fields)
        body.append(entry)
    return body


def error_response(error: ApiError) -> Response:
    """The response for an ``ApiError``: its status, headers and error list."""
    if error.status == 304:
        return Response(status_code=304, headers=error.headers)
    return JsonResponse(error_body(error.items), error.status, headers=error.headers)


async def _api_error_handler(request: Request, error: Exception) -> Response:
    if not isinstance(error, ApiError):
        raise error
    return error_response(error)


async def _http_exception_handler(request: Request, error: Exception) -> Response:
    # Starlette's router raises these for unknown paths (404) and methods (405).
    if not isinstance(error, HTTPException):
        raise error
    headers = dict(error.headers or {})
    if error.status_code == 405:
        allowed = headers.get("Allow", "")
        return error_response(method_not_allowed(request.method, allowed.split(", ")))
    if error.status_code in (204, 304):
        return Response(status_code=error.status_code, headers=headers)
    code, message = _STATUS_CODES.get(
        error.status_code, ("UNKNOWN_EXCEPTION", str(error.detail))
    )
    return JsonResponse(
        [{"message": message, "errorCode": code}], error.status_code, headers=headers
    )


def method_not_allowed(method: str, allowed: Iterable[str]) -> ApiError:
    """405 naming the allowed methods, HEAD first as Salesforce lists them."""
    names = {name.strip().upper() for name in allowed if name.strip()}
    if "GET" in names:
        names.add("HEAD")
    order = ["HEAD", "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    listed = [name for name in order if name in names]
    listed += sorted(names - set(order))
    return ApiError(
        405,
        "METHOD_NOT_ALLOWED",
        f"HTTP Method '{method}' not allowed. Allowed are {','.join(listed)}",
        headers={"Allow": ", ".join(listed)},
    )


def unexpected_error() -> ApiError:
    """The 500 for a failure nobody planned for, with an id to find it in the log."""
    error_id = f"{secrets.randbelow(10**10):010d}-{secrets.randbelow(10**6):06d}"
    return ApiError(
        500,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you "
        f"contact support: {error_id}",
    )


# --- reading requests -----------------------------------------------------------


def parse_json_object(body: bytes, type_name: str) -> dict[str, Any]:
    """A request body that must be one JSON object, read as Salesforce reads it.

    Raises 400 ``JSON_PARSER_ERROR`` for an empty body, text that is not JSON
    (``NaN`` and ``Infinity`` included), and JSON that is not an object.
    ``type_name`` names what was expected, in the message.
    """
    if not body.strip():
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            "The HTTP entity body is required, but this request has no entity body.",
        )
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        position = f"[line:{error.lineno}, column:{error.colno}]"
        raise ApiError(400, "JSON_PARSER_ERROR", f"{error.msg} at {position}") from None
    except (ValueError, RecursionError) as error:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unreadable JSON: {error}") from None
    if not isinstance(data, dict):
        kind = "START_ARRAY" if isinstance(data, list) else "a scalar"
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {type_name} from {kind} value "
            "at [line:1, column:1]",
        )
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def http_date(request: Request, header: str) -> datetime | None:
    """The value of a date header, or None when absent.

    Raises 400 ``INVALID_HEADER_VALUE`` when the value is not an HTTP date
    (Salesforce answers 400; the error code is the emulator's choice).
    """
    text = request.headers.get(header)
    if text is None:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        message = f"Invalid value for the {header} header: {text}"
        raise ApiError(400, "INVALID_HEADER_VALUE", message) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def conditional(request: Request, modified: datetime) -> Response | None:
    """Apply ``If-Unmodified-Since`` (412) and ``If-Modified-Since`` (304).

    ``modified`` is when the resource last changed; HTTP dates have whole
    seconds, so it is compared to the second. Returns the 304 response to send,
    or None when the request should be served.
    """
    modified = modified.astimezone(UTC).replace(microsecond=0)
    since = http_date(request, "If-Modified-Since")
    unmodified_since = http_date(request, "If-Unmodified-Since")
    if unmodified_since is not None and modified > unmodified_since:
        raise ApiError(
            412,
            "PRECONDITION_FAILED",
            "The requested resource has been modified since "
            f"{email.utils.format_datetime(unmodified_since, usegmt=True)}",
        )
    if since is not None and modified <= since:
        return Response(status_code=304, headers=last_modified_header(modified))
    return None


def last_modified_header(modified: datetime | None) -> dict[str, str]:
    """``{"Last-Modified": <HTTP date>}``, or nothing when ``modified`` is None."""
    if modified is None:
        return {}
    moment = modified.astimezone(UTC)
    return {"Last-Modified": email.utils.format_datetime(moment, usegmt=True)}


class UsageAndLogMiddleware:
    """Adds ``Sforce-Limit-Info`` to data API answers and logs one line per call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        data_api = path.startswith("/services/data")
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if data_api:
                    org: OrgState = scope["app"].state.org
                    value = org.usage.header_value().encode("latin-1")
                    headers = list(message.get("headers", []))
                    headers.append((b"sforce-limit-info", value))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            http_logger.info(
                "%s %s %d %.1fms", scope.get("method"), path, status, elapsed
            )


class UnexpectedErrorMiddleware:
    """Turns any exception that escaped the routes into a Salesforce-shaped 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def watch(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            error = unexpected_error()
            logger.exception(
                "unexpected error on %s %s (%s)",
                scope.get("method"),
                scope.get("path"),
                error.message.rsplit(" ", 1)[-1],
            )
            if not response_started:
                await error_response(error)(scope, receive, send)


def mounted_routes() -> tuple[list[BaseRoute], frozenset[str]]:
    """Routes of every route module present, and the names of those modules."""
    from sfmagic.emulator import rest

    routes: list[BaseRoute] = list(rest.ROUTES)
    mounted = {"rest"}
    for name in OPTIONAL_ROUTE_MODULES:
        qualified = f"sfmagic.emulator.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as error:
            if error.name != qualified:
                raise
            continue
        module_routes: list[BaseRoute] | None = getattr(module, "ROUTES", None)
        if module_routes is None:
            logger.warning("%s has no ROUTES; its endpoints are not served", qualified)
            continue
        routes.extend(module_routes)
        mounted.add(name)
    return routes, frozenset(mounted)


def build_app(org: OrgState) -> Starlette:
    """The ASGI app serving ``org``.

    ``app.state.org`` is the ``OrgState``; ``app.state.mounted`` names the route
    modules that are present (``rest``, and ``oauth``, ``bulk``… once they exist).
    """
    routes, mounted = mounted_routes()
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(UsageAndLogMiddleware),
            Middleware(UnexpectedErrorMiddleware),
        ],
        exception_handlers={
            ApiError: _api_error_handler,
            HTTPException: _http_exception_handler,
        },
    )
    app.state.org = org
    app.state.mounted = mounted
    return app
