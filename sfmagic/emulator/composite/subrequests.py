"""Subrequests of the composite resources, answered as direct REST calls would be.

A subrequest runs in the calling thread: REST resources through the REST API's
own handlers (``rest.RESOURCES``), ``search`` through the search engine, and
``composite/sobjects`` through the collections. It therefore validates and
answers exactly as a direct call does, inside whatever transaction the caller
holds, and does not count as an API request of its own.

References (``@{newAccount.id}``, ``@{found.records[0].Id}``) name a value in an
earlier subrequest's answer: ``.name`` steps into an object (exact case first,
then any case), ``[n]`` into a list. A string that is exactly one reference takes
the value's JSON type; inside a longer string the value is written as text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from sfmagic.emulator import rest
from sfmagic.emulator.app import error_body, method_not_allowed, unexpected_error
from sfmagic.emulator.composite.collections import Collections, bad_body, find_key
from sfmagic.emulator.dml import MultipleMatchesError
from sfmagic.emulator.errors import ApiError, not_found
from sfmagic.emulator.search import SearchEngine
from sfmagic.emulator.settings import API_VERSIONS

if TYPE_CHECKING:
    from sfmagic.emulator.identity import Session
    from sfmagic.emulator.org import OrgState

__all__ = [
    "REFERENCE",
    "SubResponse",
    "Subrequests",
    "UnresolvedError",
    "halted",
    "resolve_text",
    "substitute",
]

logger = logging.getLogger("sfmagic.emulator.composite")

DATA_PREFIX = "/services/data/"
REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_PATH_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
_DROPPED_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})
_REST_ROUTE = rest.RestRoute(rest.RESOURCES)


@dataclass
class SubResponse:
    """The answer to one subrequest: status, JSON body (or None), headers.

    ``partial`` marks a collections answer (200) in which some record failed:
    its values can be referenced, but it fails an all-or-none composite.
    """

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    partial: bool = False

    @property
    def ok(self) -> bool:
        """Whether the answer is a success whose values can be referenced."""
        return self.status < 400

    @property
    def failed(self) -> bool:
        """Whether the subrequest, or any record of it, failed."""
        return not self.ok or self.partial

    @classmethod
    def of_error(cls, error: ApiError, version: str) -> SubResponse:
        if isinstance(error, MultipleMatchesError):
            return cls(300, error.urls(version))
        return cls(error.status, error_body(error.items), dict(error.headers))


def halted(message: str) -> SubResponse:
    """400 ``PROCESSING_HALTED``: a subrequest that was not run, or was undone."""
    return SubResponse(400, [{"errorCode": "PROCESSING_HALTED", "message": message}])


# --- running subrequests --------------------------------------------------------


class Subrequests:
    """Runs subrequests in the calling thread, as the REST API would answer them.

    Parameters
    ----------
    request
        The composite request; subrequests inherit its app and headers.
    org, session
        The org and the caller's session.
    force_all_or_none
        Run collection subrequests all-or-none whatever they ask (a composite
        request with ``allOrNone`` set).
    """

    def __init__(
        self,
        request: Request,
        org: OrgState,
        session: Session,
        *,
        force_all_or_none: bool = False,
    ) -> None:
        self._request = request
        self._org = org
        self._session = session
        self._force_all_or_none = force_all_or_none

    def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> SubResponse:
        """Answer one subrequest; errors come back as an error answer."""
        path, _, query = url.partition("?")
        if not path.startswith(DATA_PREFIX):
            path = DATA_PREFIX + path.lstrip("/")
        segments = path[len(DATA_PREFIX) :].rstrip("/").split("/")
        version = segments[0][1:] if segments[0].startswith("v") else ""
        method = method.upper()
        try:
            if version not in API_VERSIONS:
                raise not_found()
            request = self._sub_request(method, path, query, headers or {})
            if segments[1:3] == ["composite", "sobjects"]:
                context = Collections(self._org, self._session.user_id, version)
                answer = context.dispatch(
                    method,
                    [unquote(s) for s in segments[3:]],
                    request.query_params,
                    body,
                    self._force_all_or_none,
                )
                partial = any(
                    isinstance(result, dict) and result.get("success") is False
                    for result in answer
                )
                return SubResponse(200, answer, partial=partial)
            if segments[1:2] == ["search"] and len(segments) == 2:
                return self._search(method, request, version)
            return self._rest(method, path, request, body)
        except ApiError as error:
            return SubResponse.of_error(error, version)
        except RecursionError:
            too_deep = bad_body("The subrequest body is nested too deeply")
            return SubResponse.of_error(too_deep, version)
        except Exception:
            logger.exception("subrequest %s %s failed unexpectedly", method, path)
            return SubResponse.of_error(unexpected_error(), version)

    def _sub_request(
        self, method: str, path: str, query: str, headers: Mapping[str, str]
    ) -> Request:
        outer = self._request.scope
        raw_headers = [
            (name, value)
            for name, value in outer["headers"]
            if name not in _DROPPED_HEADERS
        ]
        raw_headers.append((b"content-type", b"application/json"))
        for name, value in headers.items():
            raw_headers.append(
                (
                    name.lower().encode("latin-1", "replace"),
                    value.encode("latin-1", "replace"),
                )
            )
        scope = {
            **outer,
            "method": method,
            "path": unquote(path),
            "raw_path": path.encode("utf-8"),
            "query_string": query.encode("utf-8"),
            "headers": raw_headers,
            "path_params": {},
        }
        return Request(scope)

    def _rest(self, method: str, path: str, request: Request, body: Any) -> SubResponse:
        target = _REST_ROUTE.resolve(path)
        if target is None or target.resource is None:
            raise not_found()
        handler = target.resource.methods.get("GET" if method == "HEAD" else method)
        if handler is None:
            raise method_not_allowed(method, target.resource.allowed)
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        call = rest.RestCall(
            request, self._org, self._session, target.version, target.params, data
        )
        response = handler(call)
        answer = _answer_of(response)
        if answer.status == 201 and target.resource.pattern == (
            "sobjects",
            "{sobject}",
        ):
            record_id = answer.body.get("id") if isinstance(answer.body, dict) else None
            sobject = call.sobject().name
            answer.headers["Location"] = f"{call.base}/sobjects/{sobject}/{record_id}"
        return answer

    def _search(self, method: str, request: Request, version: str) -> SubResponse:
        if method not in ("GET", "HEAD"):
            raise method_not_allowed(method, ["GET"])
        org = self._org
        engine = SearchEngine(org.store, org.schema, org.queries)
        text = request.query_params.get("q", "")
        body = engine.search(text, api_version=version, user_id=self._session.user_id)
        return SubResponse(200, body)


def _answer_of(response: Response) -> SubResponse:
    headers = {
        name.title(): value
        for name, value in response.headers.items()
        if name not in ("content-length", "content-type")
    }
    body: Any = None
    content = bytes(response.body)
    if content:
        try:
            body = json.loads(content)
        except ValueError:
            body = content.decode("utf-8", "replace")
    return SubResponse(response.status_code, body, headers)


# --- references -----------------------------------------------------------------


class UnresolvedError(Exception):
    """A reference names no value of an earlier, successful subrequest."""

    def __init__(self, expression: str, reference_id: str) -> None:
        super().__init__(
            f"Invalid reference specified. No value for {expression} found in "
            f"{reference_id}. Provided referenceId ('{reference_id}') must name an "
            "earlier subrequest that succeeded."
        )


def _lookup(match: re.Match[str], answers: Mapping[str, SubResponse]) -> Any:
    reference_id, path = match.group(1), match.group(2)
    expression = f"{reference_id}{path}"
    answer = answers.get(reference_id)
    if answer is None or not answer.ok:
        raise UnresolvedError(expression, reference_id)
    value = answer.body
    for step in _PATH_STEP.finditer(path):
        name, index = step.group(1), step.group(2)
        if name is not None and isinstance(value, dict):
            value = value.get(name, find_key(value, name))
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            value = None
        if value is None:
            raise UnresolvedError(expression, reference_id)
    if isinstance(value, dict | list):
        raise UnresolvedError(expression, reference_id)
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_text(text: str, answers: Mapping[str, SubResponse]) -> str:
    """``text`` (a URL) with every reference written out as text."""
    return REFERENCE.sub(lambda m: _as_text(_lookup(m, answers)), text)


def substitute(value: Any, answers: Mapping[str, SubResponse]) -> Any:
    """``value`` with every ``@{…}`` reference replaced by what it names.

    A string that is exactly one reference takes the referenced value's type.
    """
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole:
            return _lookup(whole, answers)
        return resolve_text(value, answers)
    if isinstance(value, list):
        return [substitute(item, answers) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, answers) for key, item in value.items()}
    return value
