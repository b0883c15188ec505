"""HTTP routes of Bulk API 2.0 under ``/services/data/vNN.N/jobs/``.

Every path answers with and without a trailing slash. Job requests and answers
are JSON; uploads and results are CSV. Deleting a job answers 200 with the
deleted job's JSON rather than Salesforce's empty 204, because
simple-salesforce's ``delete_job`` reads a JSON body from the answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfmagic.emulator.app import JsonResponse
from sfmagic.emulator.auth import require_session
from sfmagic.emulator.bulk.query import parse_max_records
from sfmagic.emulator.bulk.service import MAX_UPLOAD_BYTES, BulkService
from sfmagic.emulator.errors import ApiError, not_found
from sfmagic.emulator.settings import API_VERSIONS

if TYPE_CHECKING:
    from sfmagic.emulator.identity import Session
    from sfmagic.emulator.org import OrgState

__all__ = ["ROUTES", "bulk_service"]

CSV_MEDIA_TYPE = "text/csv"
_INGEST_RESULTS = ("successfulresults", "failedresults", "unprocessedrecords")
_service_lock = threading.Lock()

T = TypeVar("T")


def bulk_service(request: Request) -> BulkService:
    """The Bulk service of the request's org, started on first use.

    Its workers stop with the org (``OrgState.on_stop``).
    """
    state = request.app.state
    service: BulkService | None = getattr(state, "bulk_service", None)
    if service is None:
        with _service_lock:
            service = getattr(state, "bulk_service", None)
            if service is None:
                org: OrgState = state.org
                service = BulkService(org)
                org.on_stop.append(service.stop)
                state.bulk_service = service
    return service


def _api_version(request: Request) -> str:
    version = str(request.path_params["version"])
    if version not in API_VERSIONS:
        raise not_found()
    return version


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            "The request body must be a JSON object describing the job",
        )
    return body


async def _begin(request: Request) -> tuple[BulkService, Session]:
    """Authenticate the request and find its org's Bulk service."""

    def run() -> tuple[BulkService, Session]:
        session = require_session(request)
        return bulk_service(request), session

    return await run_in_threadpool(run)


async def _in_thread(action: Callable[[], T]) -> T:
    """Run ``action`` off the event loop: it takes the store's lock."""
    return await run_in_threadpool(action)


# --- query jobs -----------------------------------------------------------------


async def query_jobs(request: Request) -> Response:
    return await _jobs(request, "query")


async def query_job(request: Request) -> Response:
    return await _one_job(request, "query")


async def query_results(request: Request) -> Response:
    _api_version(request)
    service, _ = await _begin(request)
    job_id = request.path_params["job_id"]
    max_records = parse_max_records(request.query_params.getlist("maxRecords"))
    locator = request.query_params.get("locator") or None
    page = await _in_thread(lambda: service.query_page(job_id, locator, max_records))
    headers = {
        "Sforce-Locator": page.locator,
        "Sforce-NumberOfRecords": str(page.count),
    }
    return Response(
        page.text.encode("utf-8"), 200, headers=headers, media_type=CSV_MEDIA_TYPE
    )


# --- ingest jobs ----------------------------------------------------------------


async def ingest_jobs(request: Request) -> Response:
    return await _jobs(request, "ingest")


async def ingest_job(request: Request) -> Response:
    return await _one_job(request, "ingest")


async def ingest_resource(request: Request) -> Response:
    _api_version(request)
    service, _ = await _begin(request)
    job_id = request.path_params["job_id"]
    resource = str(request.path_params["resource"]).lower()
    if resource == "batches" and request.method == "PUT":
        data = await _read_upload(request)
        await _in_thread(lambda: service.upload(job_id, data))
        return Response(status_code=201)
    if resource in _INGEST_RESULTS and request.method in ("GET", "HEAD"):
        text = await _in_thread(lambda: service.ingest_results(job_id, resource))
        return Response(text.encode("utf-8"), 200, media_type=CSV_MEDIA_TYPE)
    if resource == "batches" or resource in _INGEST_RESULTS:
        allowed = "PUT" if resource == "batches" else "GET"
        raise ApiError(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}",
            headers={"Allow": allowed},
        )
    raise not_found()


async def _read_upload(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise ApiError(
                413,
                "REQUEST_ENTITY_TOO_LARGE",
                "The uploaded CSV data exceeds the 150 MB limit of a job",
            )
        chunks.append(chunk)
    return b"".join(chunks)


# --- both kinds -----------------------------------------------------------------


async def _jobs(request: Request, kind: str) -> Response:
    """``GET`` lists the jobs of ``kind``; ``POST`` creates one."""
    version = _api_version(request)
    service, session = await _begin(request)
    if request.method == "GET":
        params = dict(request.query_params)
        return JsonResponse(
            await _in_thread(
                lambda: service.list_jobs(kind, api_version=version, params=params)
            )
        )
    body = await _json_body(request)
    create = service.create_query_job if kind == "query" else service.create_ingest_job
    job = await _in_thread(
        lambda: create(body, user_id=session.user_id, api_version=version)
    )
    return JsonResponse(job.summary_json())


async def _one_job(request: Request, kind: str) -> Response:
    _api_version(request)
    service, _ = await _begin(request)
    job_id = request.path_params["job_id"]
    if request.method == "GET":
        job = await _in_thread(lambda: service.jobs.get(job_id, kind))
        return JsonResponse(job.info_json())
    if request.method == "DELETE":
        job = await _in_thread(lambda: service.delete(kind, job_id))
        return JsonResponse(job.summary_json())
    body = await _json_body(request)
    job = await _in_thread(lambda: service.change_state(kind, job_id, body))
    return JsonResponse(job.summary_json())


def _routes(path: str, endpoint: Callable[..., Any], methods: list[str]) -> list[Route]:
    full = f"/services/data/v{{version}}/jobs/{path}"
    return [
        Route(full, endpoint, methods=methods),
        Route(full + "/", endpoint, methods=methods),
    ]


ROUTES: list[BaseRoute] = [
    *_routes("query", query_jobs, ["GET", "POST"]),
    *_routes("query/{job_id}", query_job, ["GET", "PATCH", "DELETE"]),
    *_routes("query/{job_id}/results", query_results, ["GET"]),
    *_routes("ingest", ingest_jobs, ["GET", "POST"]),
    *_routes("ingest/{job_id}", ingest_job, ["GET", "PATCH", "DELETE"]),
    *_routes("ingest/{job_id}/{resource}", ingest_resource, ["GET", "PUT"]),
]
