"""Bulk API 2.0 query jobs, downloaded as CSV straight into typed Arrow arrays.

``bulk_batches(transport, soql, plan)`` creates a query job (``POST
jobs/query``), polls it until ``JobComplete``, and reads each results page
(``GET jobs/query/<id>/results`` with ``maxRecords`` and ``locator``, until the
``Sforce-Locator`` header says ``null``) with ``pyarrow.csv`` and the column
types of the query's plan, so no page is held as Python objects. The job is
deleted afterwards.

Known limits: Bulk API 2.0 refuses child subqueries, aggregates, OFFSET, TYPEOF
and compound fields (``Plan.bulk_ok``); CSV cannot tell an empty string from
null, and both come back as null, as in Salesforce's own export.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import requests

from sfmagic.client import shaping
from sfmagic.client.errors import SfmagicError
from sfmagic.client.query_transport import QueryTransport

__all__ = ["MAX_RECORDS", "BulkQueryError", "bulk_batches", "read_csv_page"]

MAX_RECORDS = 10_000
"""Rows asked for per results page.

With 12 columns this is about 1.8 MB of CSV a page. Measured with
benchmarks/query.py, streaming 1,000,000 rows to Parquet peaked at 36 MB with
pages of 10,000 rows (34 MB for 100,000 rows) but at 65 MB with pages of 25,000
(52 MB for 100,000): larger pages leave more of each page's scratch memory
behind. The price is more requests: 100 results pages for a million rows.
"""

_POLL_START = 0.05
_POLL_MAX = 2.0
_POLL_TIMEOUT = 3600.0
_CSV_TYPES: dict[str, pa.DataType] = {
    "string": pa.large_string(),
    "unknown": pa.large_string(),
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "double": pa.float64(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "date": pa.date32(),
    "time": pa.string(),
}


class BulkQueryError(SfmagicError):
    """A Bulk API 2.0 query job failed, was aborted, or did not finish in time."""


def bulk_batches(
    transport: QueryTransport,
    soql: str,
    plan: shaping.Plan,
    *,
    all_rows: bool = False,
    progress: bool = True,
    max_records: int | None = None,
) -> Iterator[shaping.Extracted]:
    """Run a query as a Bulk API 2.0 job and yield its rows page by page.

    Parameters
    ----------
    transport
        The connection.
    soql
        The query (no placeholders left).
    plan
        Its column plan (``sfmagic.client.shaping.build_plan``).
    all_rows
        Run ``queryAll`` (deleted and archived rows included).
    progress
        Show a progress bar while downloading more than one page.
    max_records
        Rows per results page (``MAX_RECORDS`` when None).

    Raises
    ------
    BulkQueryError
        When the job fails or is aborted.
    """
    body = {
        "operation": "queryAll" if all_rows else "query",
        "query": soql,
        "contentType": "CSV",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }
    job = orjson.loads(transport.request("POST", "jobs/query", json=body).content)
    job_id = str(job["id"])
    try:
        finished = _wait(transport, job_id)
        page = max_records or MAX_RECORDS
        yield from _download(transport, job_id, plan, finished, progress, page)
    finally:
        _delete(transport, job_id)


def _wait(transport: QueryTransport, job_id: str) -> dict[str, Any]:
    delay, waited = _POLL_START, 0.0
    while True:
        job: dict[str, Any] = orjson.loads(
            transport.request("GET", f"jobs/query/{job_id}").content
        )
        state = job.get("state")
        if state == "JobComplete":
            return job
        if state in ("Failed", "Aborted"):
            reason = job.get("errorMessage") or state
            raise BulkQueryError(f"Bulk API 2.0 query job {job_id} {state}: {reason}")
        if waited > _POLL_TIMEOUT:
            raise BulkQueryError(f"Bulk API 2.0 query job {job_id} did not finish")
        time.sleep(delay)
        waited += delay
        delay = min(delay * 2, _POLL_MAX)


def _download(
    transport: QueryTransport,
    job_id: str,
    plan: shaping.Plan,
    job: dict[str, Any],
    progress: bool,
    max_records: int,
) -> Iterator[shaping.Extracted]:
    total = int(job.get("numberRecordsProcessed") or 0)
    bar = None
    if progress and total > max_records:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="rows", leave=False)
    locator: str | None = None
    try:
        while True:
            params: dict[str, str | int] = {"maxRecords": max_records}
            if locator:
                params["locator"] = locator
            response = transport.request(
                "GET",
                f"jobs/query/{job_id}/results",
                params=params,
                headers={"Accept": "text/csv"},
            )
            data = read_csv_page(response.content, plan)
            if bar is not None:
                bar.update(data.length)
            yield data
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return
    finally:
        if bar is not None:
            bar.close()


def _delete(transport: QueryTransport, job_id: str) -> None:
    # Salesforce deletes finished jobs after seven days; tidy up now, and never
    # let a failed clean-up hide the answer.
    try:
        transport.request("DELETE", f"jobs/query/{job_id}")
    except (SfmagicError, requests.RequestException):
        return


def read_csv_page(body: bytes, plan: shaping.Plan) -> shaping.Extracted:
    """One Bulk API 2.0 results page (CSV with a header row) as plan columns."""
    names = [column.name for column in plan.columns]
    if not body.strip():
        empty = [pa.array([], type=shaping.final_type(c.kind)) for c in plan.columns]
        return shaping.Extracted(0, empty, {})
    table = pa_csv.read_csv(
        pa.BufferReader(body),
        read_options=pa_csv.ReadOptions(
            column_names=names, skip_rows=1, use_threads=False
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={c.name: _CSV_TYPES[c.kind] for c in plan.columns},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            true_values=["true"],
            false_values=["false"],
        ),
        # Arrow's default pool (mimalloc), not shaping.memory_pool(): for
        # these larger pages it left the lower peak (benchmarks/query.py).
        memory_pool=pa.default_memory_pool(),
    )
    columns = [
        _time_column(table.column(index))
        if column.kind == "time"
        else table.column(index)
        for index, column in enumerate(plan.columns)
    ]
    return shaping.Extracted(table.num_rows, columns, {})


def _time_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    chunks = [shaping.finish(chunk, "time") for chunk in column.chunks]
    return pa.chunked_array(chunks, type=shaping.final_type("time"))
