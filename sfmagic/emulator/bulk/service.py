"""The Bulk API 2.0 job service of one org: requests in, background work out.

Requests create jobs, take uploads and change states; two background worker
threads run the jobs, moving them through Salesforce's states:

* query jobs: ``UploadComplete`` at creation, ``InProgress``, then ``JobComplete``
  or ``Failed``;
* ingest jobs: ``Open`` at creation, ``UploadComplete`` when the client closes
  the upload, ``InProgress``, then ``JobComplete`` (also when rows failed) or
  ``Failed`` (the CSV could not be read);
* any unfinished job can be ``Aborted``.

Ingest rows are applied in chunks: one transaction per chunk that holds the
rows' writes (each row in a savepoint of its own), their results and the job's
counters, so a killed emulator resumes a job exactly where it stopped when it
next serves Bulk requests on the same data directory.

State conflicts (uploading twice, closing a closed job, deleting a running one,
fetching results too early) answer 409 ``INVALIDJOBSTATE``; malformed job
requests 400 ``INVALIDJOB``. Both codes are Salesforce's names; the statuses
are the emulator's choice.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sfmagic.emulator.bulk.csvio import CsvError, CsvFormat, read_rows
from sfmagic.emulator.bulk.ingest import IngestPlan
from sfmagic.emulator.bulk.jobs import (
    FINISHED_STATES,
    INGEST_OPERATIONS,
    QUERY_OPERATIONS,
    Job,
    JobTable,
)
from sfmagic.emulator.bulk.query import (
    QueryPage,
    check_bulk_query,
    column_fields,
    csv_value,
    decode_locator,
    encode_locator,
)
from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.schema import SObjectDef
from sfmagic.soql import SoqlSyntaxError, caret_message, parse

if TYPE_CHECKING:
    from sfmagic.emulator.org import OrgState

__all__ = ["MAX_UPLOAD_BYTES", "BulkService"]

logger = logging.getLogger("sfmagic.emulator.bulk")

MAX_UPLOAD_BYTES = 150 * 1024 * 1024
LIST_PAGE_SIZE = 1000
INGEST_CHUNK = 200
QUERY_CHUNK = 2000
WORKERS = 2
_STOP_TIMEOUT = 10.0


def _invalid_job(message: str) -> ApiError:
    """400 ``INVALIDJOB``: the job request itself is wrong."""
    return ApiError(400, "INVALIDJOB", message)


def _invalid_state(message: str) -> ApiError:
    """409 ``INVALIDJOBSTATE``: the job is not in a state that allows this."""
    return ApiError(409, "INVALIDJOBSTATE", message)


class BulkService:
    """Bulk API 2.0 jobs of one org and the threads that run them.

    Parameters
    ----------
    org
        The org whose store holds the jobs and whose DML and query engine run
        them. Jobs left unfinished by a previous run are queued again.
    """

    def __init__(self, org: OrgState) -> None:
        self._org = org
        self.jobs = JobTable(org.store)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stopping = threading.Event()
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        self._threads = [
            threading.Thread(
                target=self._work, name=f"sfmagic-bulk-{number}", daemon=True
            )
            for number in range(WORKERS)
        ]
        for thread in self._threads:
            thread.start()
        for job in self.jobs.pending():
            self._queue.put(job.id)

    def stop(self) -> None:
        """Stop the workers; a job being run stays resumable."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(_STOP_TIMEOUT)

    # --- creating jobs -----------------------------------------------------------

    def create_query_job(
        self, body: Mapping[str, Any], *, user_id: str, api_version: str
    ) -> Job:
        """A new query job, validated and queued (state ``UploadComplete``)."""
        operation = body.get("operation")
        if operation not in QUERY_OPERATIONS:
            raise _invalid_job(f"Invalid operation for a query job: {operation}")
        text = body.get("query")
        if not isinstance(text, str) or not text.strip():
            raise _invalid_job("A query job needs a query")
        common = _common_fields(body, user_id=user_id, api_version=api_version)
        sobject = self._check_query(text, user_id)
        job = self.jobs.new_job(
            kind="query",
            operation=operation,
            object=sobject.name,
            state="UploadComplete",
            query=text,
            **common,
        )
        self._queue.put(job.id)
        return job

    def _check_query(self, text: str, user_id: str) -> SObjectDef:
        try:
            tree = parse(text)
        except SoqlSyntaxError as error:
            message = caret_message(text, error.line, error.column, error.detail)
            raise ApiError(400, "MALFORMED_QUERY", message) from None
        check_bulk_query(tree, self._org.schema)
        # The engine checks names and types and answers REST's errors.
        self._org.queries.iter_flat_rows(text, include_deleted=False, user_id=user_id)
        sobject = self._org.schema.get(tree.sobject)
        assert sobject is not None
        return sobject

    def create_ingest_job(
        self, body: Mapping[str, Any], *, user_id: str, api_version: str
    ) -> Job:
        """A new ingest job, open for its upload (state ``Open``)."""
        operation = body.get("operation")
        if operation not in INGEST_OPERATIONS:
            raise _invalid_job(f"Invalid operation for an ingest job: {operation}")
        name = body.get("object")
        if not isinstance(name, str) or not name:
            raise _invalid_job("An ingest job needs an object")
        sobject = self._org.schema.get(name)
        if sobject is None or sobject.virtual:
            raise _invalid_job(f"Unable to find object: {name}")
        common = _common_fields(body, user_id=user_id, api_version=api_version)
        external_id = None
        if operation == "upsert":
            external_id = _external_id_field(sobject, body.get("externalIdFieldName"))
        return self.jobs.new_job(
            kind="ingest",
            operation=operation,
            object=sobject.name,
            state="Open",
            external_id_field=external_id,
            **common,
        )

    # --- changing jobs -----------------------------------------------------------

    def upload(self, job_id: str, data: bytes) -> None:
        """Keep the CSV of an open ingest job; a job takes one upload only."""
        job = self.jobs.get(job_id, "ingest")
        if not data.strip():
            raise _invalid_job("The uploaded CSV data is empty")
        with self.jobs.write() as conn:
            state = self.jobs.state_of(conn, job.id)
            if state != "Open":
                raise _invalid_state(f"Job {job.id} is not open for uploads: {state}")
            if conn.execute(
                "SELECT 1 FROM _bulk_uploads WHERE job_id = ?", (job.id,)
            ).fetchone():
                raise _invalid_state(
                    f"Found multiple contents for job: <{job.id}>, please 'Close' / "
                    "'Abort' / 'Delete' the current Job then create a new Job and "
                    "make sure you only do 'PUT' once on a given Job."
                )
            conn.execute(
                "INSERT INTO _bulk_uploads (job_id, data) VALUES (?, ?)",
                (job.id, data),
            )

    def change_state(self, kind: str, job_id: str, body: Mapping[str, Any]) -> Job:
        """Close (``UploadComplete``, ingest only) or abort (``Aborted``) a job."""
        job = self.jobs.get(job_id, kind)
        target = body.get("state")
        if target == "Aborted":
            return self._abort(job)
        if target == "UploadComplete" and kind == "ingest":
            return self._close(job)
        raise ApiError(400, "INVALIDJOBSTATE", f"Invalid state for the job: {target}")

    def _abort(self, job: Job) -> Job:
        with self.jobs.write() as conn:
            # Read the job again under the lock: the worker may have counted more
            # records since the request read it, and those counts must survive.
            stored = self.jobs.current(conn, job.id) or job
            state = stored.state
            if state in FINISHED_STATES:
                word = "Completed" if state == "JobComplete" else state
                raise _invalid_state(f"Aborting already {word} Job not allowed")
            changed = self.jobs.update(
                conn, stored, expect_state=state, state="Aborted"
            )
        if changed is None:
            raise _invalid_state("The job changed state while being aborted")
        return changed

    def _close(self, job: Job) -> Job:
        with self.jobs.write() as conn:
            changed = self.jobs.update(
                conn, job, expect_state="Open", state="UploadComplete"
            )
        if changed is None:
            raise _invalid_state(f"Job {job.id} is not open; its state is {job.state}")
        self._queue.put(job.id)
        return changed

    def delete(self, kind: str, job_id: str) -> Job:
        """Forget a finished job and its data (ingest jobs also when closed)."""
        job = self.jobs.get(job_id, kind)
        allowed = FINISHED_STATES | (set() if kind == "query" else {"UploadComplete"})
        if job.state not in allowed:
            raise _invalid_state(f"Deleting a job in state {job.state} is not allowed")
        self.jobs.delete(job.id)
        return job

    # --- reading results ---------------------------------------------------------

    def query_page(
        self, job_id: str, locator: str | None, max_records: int
    ) -> QueryPage:
        """A page of a completed query job's results, header line first."""
        job = self.jobs.get(job_id, "query")
        if job.state != "JobComplete":
            raise _invalid_state(f"The job is not complete; its state is {job.state}")
        start = decode_locator(locator) if locator else 0
        total = job.records_processed
        if start > total:
            raise ApiError(400, "INVALID_QUERY_LOCATOR", f"Invalid locator: {locator}")
        rows = self.jobs.read(
            "SELECT line FROM _bulk_query_rows WHERE job_id = ? AND seq >= ? "
            "AND seq < ? ORDER BY seq",
            (job.id, start, start + max_records),
        )
        csv_format = CsvFormat(job.column_delimiter, job.line_ending)
        text = csv_format.line(job.columns) + "".join(row[0] for row in rows)
        end = start + len(rows)
        next_locator = encode_locator(end) if end < total else "null"
        return QueryPage(text, len(rows), next_locator)

    def ingest_results(self, job_id: str, which: str) -> str:
        """``successfulResults``, ``failedResults`` or ``unprocessedrecords`` CSV."""
        job = self.jobs.get(job_id, "ingest")
        csv_format = CsvFormat(job.column_delimiter, job.line_ending)
        uploads = self.jobs.read(
            "SELECT data FROM _bulk_uploads WHERE job_id = ?", (job.id,)
        )
        header: list[str] = []
        rows: list[list[str]] = []
        if uploads:
            try:
                header, rows = read_rows(bytes(uploads[0][0]), csv_format)
            except CsvError:
                if which == "unprocessedrecords":
                    return bytes(uploads[0][0]).decode("utf-8", "replace")
        results = {
            int(seq): (bool(success), record_id or "", bool(created), error or "")
            for seq, success, record_id, created, error in self.jobs.read(
                "SELECT seq, success, record_id, created, error "
                "FROM _bulk_ingest_results WHERE job_id = ?",
                (job.id,),
            )
        }
        if which == "unprocessedrecords":
            lines = [header] + [r for n, r in enumerate(rows) if n not in results]
        elif which == "successfulresults":
            lines = [["sf__Id", "sf__Created", *header]]
            for number, row in enumerate(rows):
                outcome = results.get(number)
                if outcome and outcome[0]:
                    created = "true" if outcome[2] else "false"
                    lines.append([outcome[1], created, *row])
        else:
            lines = [["sf__Id", "sf__Error", *header]]
            for number, row in enumerate(rows):
                outcome = results.get(number)
                if outcome and not outcome[0]:
                    lines.append([outcome[1], outcome[3], *row])
        if not lines[0]:
            return ""
        return "".join(csv_format.lines(lines))

    def list_jobs(
        self, kind: str, *, api_version: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """``GET jobs/query`` or ``GET jobs/ingest``: a page of jobs, oldest first."""
        locator = params.get("queryLocator")
        start = decode_locator(locator) if locator else 0
        job_type = params.get("jobType")
        own_type = "V2Query" if kind == "query" else "V2Ingest"
        if job_type and job_type != own_type:
            return {"done": True, "records": [], "nextRecordsUrl": None}
        jobs = self.jobs.page(kind, offset=start, limit=LIST_PAGE_SIZE + 1)
        done = len(jobs) <= LIST_PAGE_SIZE
        records = [job.list_json() for job in jobs[:LIST_PAGE_SIZE]]
        next_url = None
        if not done:
            next_locator = encode_locator(start + LIST_PAGE_SIZE)
            next_url = (
                f"/services/data/v{api_version}/jobs/{kind}?queryLocator={next_locator}"
            )
        return {"done": done, "records": records, "nextRecordsUrl": next_url}

    # --- running jobs ------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopping.is_set():
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return
            with self._running_lock:
                if job_id in self._running:
                    continue
                self._running.add(job_id)
            try:
                self._run(job_id)
            except Exception:
                if self._stopping.is_set():
                    return
                logger.exception("bulk job %s stopped unexpectedly", job_id)
                self._fail(job_id)
            finally:
                with self._running_lock:
                    self._running.discard(job_id)

    def _fail(self, job_id: str) -> None:
        """Mark a job that broke unexpectedly as failed, if it still can be."""
        message = "UNKNOWN_EXCEPTION : An unexpected error occurred"
        try:
            job = self.jobs.find(job_id)
            if job is None or job.state in FINISHED_STATES:
                return
            with self.jobs.write() as conn:
                self.jobs.update(
                    conn,
                    job,
                    expect_state=job.state,
                    state="Failed",
                    error_message=message,
                )
        except Exception:
            logger.exception("could not mark bulk job %s as failed", job_id)

    def _run(self, job_id: str) -> None:
        job = self.jobs.find(job_id)
        if job is None or job.state not in ("UploadComplete", "InProgress"):
            return
        started = time.monotonic()
        with self.jobs.write() as conn:
            running = self.jobs.update(
                conn, job, expect_state=job.state, state="InProgress"
            )
        if running is None:
            return
        if running.is_query:
            self._run_query(running, started)
        else:
            self._run_ingest(running, started)

    def _finish(self, job: Job, started: float, **changes: Any) -> None:
        elapsed = job.processing_ms + int((time.monotonic() - started) * 1000)
        with self.jobs.write() as conn:
            self.jobs.update(
                conn,
                job,
                expect_state="InProgress",
                processing_ms=elapsed,
                **changes,
            )

    def _run_query(self, job: Job, started: float) -> None:
        assert job.query is not None
        csv_format = CsvFormat(job.column_delimiter, job.line_ending)
        with self.jobs.write() as conn:
            conn.execute("DELETE FROM _bulk_query_rows WHERE job_id = ?", (job.id,))
        try:
            columns, rows = self._org.queries.iter_flat_rows(
                job.query,
                include_deleted=job.operation == "queryAll",
                user_id=job.created_by,
            )
            sobject = self._org.schema.get(job.object)
            assert sobject is not None
            fields = column_fields(self._org.schema, sobject, columns)
            count = 0
            batch: list[tuple[str, int, str]] = []
            lines = csv_format.lines(
                [csv_value(value, f) for value, f in zip(row, fields, strict=True)]
                for row in rows
            )
            for line in lines:
                batch.append((job.id, count, line))
                count += 1
                if len(batch) >= QUERY_CHUNK and not self._save_rows(job, batch):
                    return
            if not self._save_rows(job, batch):
                return
        except ApiError as error:
            self._finish(job, started, state="Failed", error_message=error.message)
            return
        self._finish(
            job,
            started,
            state="JobComplete",
            records_processed=count,
            columns=tuple(columns),
        )

    def _save_rows(self, job: Job, batch: list[tuple[str, int, str]]) -> bool:
        """Store a batch of result lines; False once the job was aborted."""
        if self._stopping.is_set():
            return False
        with self.jobs.write() as conn:
            if self.jobs.state_of(conn, job.id) != "InProgress":
                return False
            conn.executemany(
                "INSERT INTO _bulk_query_rows (job_id, seq, line) VALUES (?, ?, ?)",
                batch,
            )
        batch.clear()
        return True

    def _run_ingest(self, job: Job, started: float) -> None:
        uploads = self.jobs.read(
            "SELECT data FROM _bulk_uploads WHERE job_id = ?", (job.id,)
        )
        if not uploads:
            self._finish(
                job,
                started,
                state="Failed",
                error_message="InvalidBatch : No data was uploaded for the job",
            )
            return
        sobject = self._org.schema.get(job.object)
        try:
            if sobject is None:
                raise CsvError(f"InvalidJob : Unable to find object: {job.object}")
            csv_format = CsvFormat(job.column_delimiter, job.line_ending)
            header, rows = read_rows(bytes(uploads[0][0]), csv_format)
            plan = IngestPlan(
                self._org.schema, sobject, job.operation, header, job.external_id_field
            )
        except CsvError as problem:
            self._finish(job, started, state="Failed", error_message=str(problem))
            return

        done = self.jobs.read(
            "SELECT count(*), coalesce(sum(1 - success), 0) "
            "FROM _bulk_ingest_results WHERE job_id = ?",
            (job.id,),
        )[0]
        processed, failed = int(done[0]), int(done[1])
        for first in range(processed, len(rows), INGEST_CHUNK):
            chunk = rows[first : first + INGEST_CHUNK]
            saved = self._apply_chunk(job, plan, first, chunk, processed, failed)
            if saved is None:
                return
            job, processed, failed = saved
        self._finish(
            job,
            started,
            state="JobComplete",
            records_processed=processed,
            records_failed=failed,
        )

    def _apply_chunk(
        self,
        job: Job,
        plan: IngestPlan,
        first: int,
        chunk: list[list[str]],
        processed: int,
        failed: int,
    ) -> tuple[Job, int, int] | None:
        """Apply rows and save their results in one transaction; None to stop."""
        if self._stopping.is_set():
            return None
        org = self._org
        with self.jobs.write() as conn:
            if self.jobs.state_of(conn, job.id) != "InProgress":
                return None
            results = []
            for number, row in enumerate(chunk, start=first):
                outcome = plan.apply(org.dml, org.store, row, user_id=job.created_by)
                failed += 0 if outcome.success else 1
                results.append(
                    (
                        job.id,
                        number,
                        int(outcome.success),
                        outcome.record_id,
                        int(outcome.created),
                        outcome.error,
                    )
                )
            conn.executemany(
                "INSERT INTO _bulk_ingest_results "
                "(job_id, seq, success, record_id, created, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                results,
            )
            processed += len(chunk)
            updated = self.jobs.update(
                conn, job, records_processed=processed, records_failed=failed
            )
        assert updated is not None
        return updated, processed, failed


def _common_fields(
    body: Mapping[str, Any], *, user_id: str, api_version: str
) -> dict[str, Any]:
    """The fields every new job takes from its request: owner, version, CSV format."""
    content_type = body.get("contentType")
    if content_type not in (None, "CSV"):
        raise _invalid_job(
            f"The only content type supported is CSV, not {content_type}"
        )
    csv_format = CsvFormat.from_request(body)
    return {
        "created_by": user_id,
        "api_version": api_version,
        "column_delimiter": csv_format.column_delimiter,
        "line_ending": csv_format.line_ending,
    }


def _external_id_field(sobject: SObjectDef, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise _invalid_job("An upsert job needs an externalIdFieldName")
    field = sobject.field(name)
    if field is None or not (field.external_id or field.id_lookup):
        raise _invalid_job(
            f"Field name provided, {name} does not match an External ID, "
            f"Salesforce Id, or indexed field for {sobject.name}"
        )
    return field.name
