"""HTTP routes of the composite resources, and ``composite`` and ``batch`` themselves.

* ``POST composite``: up to 25 subrequests run in order; a later one may use an
  earlier answer through ``@{referenceId.path}`` (``@{newAccount.id}``,
  ``@{found.records[0].Id}``), in its URL or anywhere in its body. With
  ``allOrNone`` everything runs in one transaction: the first failure rolls it
  back and every other subrequest answers 400 ``PROCESSING_HALTED`` (a collections
  subrequest fails it when any of its records fails, and runs all-or-none itself).
  Without it a failure only stops the subrequests that refer to the failed one.
  Reference ids are case-sensitive.
* ``POST composite/batch``: up to 25 independent subrequests (``richInput`` is the
  body); ``haltOnError`` answers 412 ``BATCH_PROCESSING_HALTED`` for the rest
  after the first failure.
* sObject collections under ``composite/sobjects``: create (POST), update
  (PATCH), delete (DELETE ``?ids=``), upsert (PATCH ``…/{Object}/{ExtField}``) of
  up to 200 records, each answered ``{"id", "success", "errors"}`` (plus
  ``created`` for upsert), with ``allOrNone``; retrieve (GET ``…/{Object}?ids=
  &fields=``, or POST with the lists in the body) of up to 2,000 records.

Subrequests run in the request's thread through the REST API's own handlers
(``rest.RESOURCES``) and the search engine, so they validate and answer exactly as
direct calls do, and count as a single API request. The emulator's choices where
Salesforce's exact answer is not known: a body that is not the expected JSON is
400 ``JSON_PARSER_ERROR``; more than 25 subrequests 400 ``LIMIT_EXCEEDED``; more
than 200 collection records 400 ``EXCEEDED_ID_LIMIT``; an unresolvable reference
400 ``PROCESSING_HALTED`` for that subrequest.

Known limits: ``composite/tree``, ``composite/graph`` and ``collateSubrequests``
are not implemented, and the limit of five query or collection subrequests per
composite request is not enforced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfmagic.emulator.app import JsonResponse
from sfmagic.emulator.auth import require_session
from sfmagic.emulator.composite.collections import AllOrNoneError, Collections, bad_body
from sfmagic.emulator.composite.subrequests import (
    Subrequests,
    SubResponse,
    UnresolvedError,
    halted,
    resolve_text,
    substitute,
)
from sfmagic.emulator.errors import ApiError, not_found
from sfmagic.emulator.settings import API_VERSIONS

if TYPE_CHECKING:
    from sfmagic.emulator.identity import Session
    from sfmagic.emulator.org import OrgState

__all__ = ["ROUTES", "run_batch", "run_composite"]

MAX_SUBREQUESTS = 25
_REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]+$")
_INHERITED_HEADERS = frozenset({"accept", "authorization", "content-type"})
_TOO_DEEP = "The subrequest body is nested too deeply"
_HALTED = (
    "The transaction was rolled back since another operation in the same "
    "transaction failed."
)


# --- composite ------------------------------------------------------------------


@dataclass(frozen=True)
class _Subrequest:
    method: str
    url: str
    reference_id: str
    body: Any
    headers: dict[str, str]


def _subrequests(payload: Mapping[str, Any]) -> list[_Subrequest]:
    items = payload.get("compositeRequest")
    if not isinstance(items, list) or not items:
        raise bad_body("compositeRequest must be a non-empty list of subrequests")
    if len(items) > MAX_SUBREQUESTS:
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            f"A composite request can have at most {MAX_SUBREQUESTS} subrequests",
        )
    parsed: list[_Subrequest] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            raise bad_body("Each subrequest must be a JSON object")
        method, url, reference_id = (
            item.get(key) for key in ("method", "url", "referenceId")
        )
        if not all(isinstance(v, str) and v for v in (method, url, reference_id)):
            raise bad_body("Each subrequest needs a method, a url and a referenceId")
        assert isinstance(method, str)
        assert isinstance(url, str)
        assert isinstance(reference_id, str)
        if not _REFERENCE_ID.match(reference_id):
            raise bad_body(
                f"The referenceId '{reference_id}' may only contain letters, digits "
                "and underscores"
            )
        if reference_id in seen:
            raise bad_body(
                f"Duplicate ReferenceId provided in the request: {reference_id}"
            )
        seen.add(reference_id)
        headers = item.get("httpHeaders") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(v, str) for v in headers.values()
        ):
            raise bad_body("httpHeaders must map header names to strings")
        if any(name.lower() in _INHERITED_HEADERS for name in headers):
            raise bad_body(
                "Subrequests inherit the Accept, Authorization and Content-Type "
                "headers of the composite request"
            )
        parsed.append(
            _Subrequest(method.upper(), url, reference_id, item.get("body"), headers)
        )
    return parsed


def run_composite(
    request: Request, org: OrgState, session: Session, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """The answer to ``POST composite``."""
    items = _subrequests(payload)
    all_or_none = payload.get("allOrNone") is True
    runner = Subrequests(request, org, session, force_all_or_none=all_or_none)
    answers: dict[str, SubResponse] = {}
    ordered: list[SubResponse | None] = [None] * len(items)
    failed: int | None = None
    scope = org.store.transaction() if all_or_none else nullcontext()
    try:
        with scope:
            for index, item in enumerate(items):
                answer = _run_one(runner, item, answers)
                answers[item.reference_id] = ordered[index] = answer
                if all_or_none and answer.failed:
                    failed = index
                    raise AllOrNoneError
    except AllOrNoneError:
        ordered = [
            answer if index == failed else halted(_HALTED)
            for index, answer in enumerate(ordered)
        ]
    return {
        "compositeResponse": [
            {
                "body": answer.body if answer else None,
                "httpHeaders": answer.headers if answer else {},
                "httpStatusCode": answer.status if answer else 400,
                "referenceId": item.reference_id,
            }
            for item, answer in zip(items, ordered, strict=True)
        ]
    }


def _run_one(
    runner: Subrequests, item: _Subrequest, answers: Mapping[str, SubResponse]
) -> SubResponse:
    try:
        url = resolve_text(item.url, answers)
        body = substitute(item.body, answers)
        headers = {k: substitute(v, answers) for k, v in item.headers.items()}
    except UnresolvedError as problem:
        return halted(str(problem))
    except RecursionError:
        return SubResponse.of_error(bad_body(_TOO_DEEP), "")
    return runner.call(item.method, url, body, {k: str(v) for k, v in headers.items()})


# --- batch ----------------------------------------------------------------------


def run_batch(
    request: Request, org: OrgState, session: Session, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """The answer to ``POST composite/batch``."""
    items = payload.get("batchRequests")
    if not isinstance(items, list) or not items:
        raise bad_body("batchRequests must be a non-empty list of subrequests")
    if len(items) > MAX_SUBREQUESTS:
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            f"A batch request can have at most {MAX_SUBREQUESTS} subrequests",
        )
    for item in items:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item.get(key)
            for key in ("method", "url")
        ):
            raise bad_body("Each batch subrequest needs a method and a url")
    halt = payload.get("haltOnError") is True
    runner = Subrequests(request, org, session)
    results: list[dict[str, Any]] = []
    stopped = False
    for item in items:
        if stopped:
            halt_error = {
                "errorCode": "BATCH_PROCESSING_HALTED",
                "message": "Batch processing halted per request",
            }
            results.append({"statusCode": 412, "result": [halt_error]})
            continue
        answer = runner.call(item["method"], item["url"], item.get("richInput"))
        results.append({"statusCode": answer.status, "result": answer.body})
        stopped = halt and not answer.ok
    has_errors = any(result["statusCode"] >= 400 for result in results)
    return {"hasErrors": has_errors, "results": results}


# --- HTTP -----------------------------------------------------------------------


async def _handle(
    request: Request, work: Callable[[OrgState, Session, str, Any], Any]
) -> Response:
    version = str(request.path_params["version"])
    if version not in API_VERSIONS:
        raise not_found()
    raw = await request.body()

    def run() -> Any:
        session = require_session(request)
        body = _parse_body(raw) if raw.strip() else None
        return work(request.app.state.org, session, version, body)

    return JsonResponse(await run_in_threadpool(run))


def _parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise bad_body("The request body is not valid JSON") from None


async def composite_index(request: Request) -> Response:
    def index(org: OrgState, session: Session, version: str, body: Any) -> Any:
        base = f"/services/data/v{version}/composite"
        return {"batch": f"{base}/batch", "sobjects": f"{base}/sobjects"}

    return await _handle(request, index)


async def composite(request: Request) -> Response:
    return await _run_object(request, run_composite, "a compositeRequest")


async def batch(request: Request) -> Response:
    return await _run_object(request, run_batch, "batchRequests")


async def _run_object(
    request: Request,
    runner: Callable[[Request, OrgState, Session, Mapping[str, Any]], Any],
    member: str,
) -> Response:
    """Hand a JSON-object body to ``runner``; ``member`` names what it must hold."""

    def work(org: OrgState, session: Session, version: str, body: Any) -> Any:
        if not isinstance(body, dict):
            raise bad_body(f"The body must be a JSON object with {member}")
        return runner(request, org, session, body)

    return await _handle(request, work)


async def collections(request: Request) -> Response:
    segments = [
        request.path_params[key]
        for key in ("sobject", "field")
        if key in request.path_params
    ]

    method = "GET" if request.method == "HEAD" else request.method

    def work(org: OrgState, session: Session, version: str, body: Any) -> Any:
        context = Collections(org, session.user_id, version)
        return context.dispatch(method, segments, request.query_params, body)

    return await _handle(request, work)


def _routes(path: str, endpoint: Callable[..., Any], methods: list[str]) -> list[Route]:
    full = f"/services/data/v{{version}}/composite{path}"
    return [
        Route(full, endpoint, methods=methods),
        Route(full + "/", endpoint, methods=methods),
    ]


ROUTES: list[BaseRoute] = [
    *_routes("", composite_index, ["GET"]),
    *_routes("", composite, ["POST"]),
    *_routes("/batch", batch, ["POST"]),
    *_routes("/sobjects", collections, ["POST", "PATCH", "DELETE"]),
    *_routes("/sobjects/{sobject}", collections, ["GET", "POST"]),
    *_routes("/sobjects/{sobject}/{field}", collections, ["PATCH"]),
]
