"""Bulk API 2.0 jobs as stored rows and as the JSON Salesforce answers.

Jobs live in private tables of the org's SQLite database, so that a restarted
emulator on the same data directory still lists them and serves their results:

* ``_bulk_jobs``: one row per job (state, counters, format, query text);
* ``_bulk_uploads``: the CSV uploaded to an ingest job, as sent;
* ``_bulk_query_rows``: a query job's result rows, each already written as one
  CSV line in the job's format, numbered from 0;
* ``_bulk_ingest_results``: one row per processed ingest record (its id, whether
  it was created, or the error), numbered like the uploaded data rows.

Job ids use Salesforce's ``750`` key prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.ids import IdGenerator
from sfmagic.emulator.values import format_datetime

if TYPE_CHECKING:
    import sqlite3

    from sfmagic.emulator.store import Store

__all__ = [
    "FINISHED_STATES",
    "Job",
    "JobTable",
    "job_not_found",
]

JOB_KEY_PREFIX = "750"
QUERY_OPERATIONS = ("query", "queryAll")
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
FINISHED_STATES = frozenset({"JobComplete", "Failed", "Aborted"})

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS _bulk_jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        operation TEXT NOT NULL,
        object TEXT NOT NULL,
        state TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_date TEXT NOT NULL,
        system_modstamp TEXT NOT NULL,
        api_version TEXT NOT NULL,
        column_delimiter TEXT NOT NULL,
        line_ending TEXT NOT NULL,
        external_id_field TEXT,
        query TEXT,
        error_message TEXT,
        records_processed INTEGER NOT NULL DEFAULT 0,
        records_failed INTEGER NOT NULL DEFAULT 0,
        processing_ms INTEGER NOT NULL DEFAULT 0,
        columns TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS _bulk_uploads (
        job_id TEXT PRIMARY KEY,
        data BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS _bulk_query_rows (
        job_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        line TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS _bulk_ingest_results (
        job_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        success INTEGER NOT NULL,
        record_id TEXT,
        created INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID""",
)

_COLUMNS = (
    "id, kind, operation, object, state, created_by, created_date, "
    "system_modstamp, api_version, column_delimiter, line_ending, "
    "external_id_field, query, error_message, records_processed, records_failed, "
    "processing_ms, columns"
)


def job_not_found() -> ApiError:
    """The 404 for an unknown job id (or a job of the other kind)."""
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def now_json() -> str:
    """The current time as Salesforce writes it in job JSON."""
    return format_datetime(datetime.now(UTC))


@dataclass(frozen=True)
class Job:
    """One Bulk API 2.0 job, as stored."""

    id: str
    kind: str
    operation: str
    object: str
    state: str
    created_by: str
    created_date: str
    system_modstamp: str
    api_version: str
    column_delimiter: str
    line_ending: str
    external_id_field: str | None = None
    query: str | None = None
    error_message: str | None = None
    records_processed: int = 0
    records_failed: int = 0
    processing_ms: int = 0
    columns: tuple[str, ...] = field(default=())

    @property
    def is_query(self) -> bool:
        return self.kind == "query"

    @property
    def content_url(self) -> str:
        # Salesforce's contentUrl has no leading slash.
        return f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"

    def summary_json(self) -> dict[str, Any]:
        """The job as create, close and abort answer it."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created_date,
            "systemModstamp": self.system_modstamp,
            "state": self.state,
        }
        if self.external_id_field:
            body["externalIdFieldName"] = self.external_id_field
        body["concurrencyMode"] = "Parallel"
        body["contentType"] = "CSV"
        body["apiVersion"] = float(self.api_version)
        if not self.is_query:
            body["contentUrl"] = self.content_url
        body["lineEnding"] = self.line_ending
        body["columnDelimiter"] = self.column_delimiter
        return body

    def list_json(self) -> dict[str, Any]:
        """The job as an entry of ``GET jobs/query`` or ``GET jobs/ingest``."""
        body = self.summary_json()
        body["jobType"] = "V2Query" if self.is_query else "V2Ingest"
        return body

    def info_json(self) -> dict[str, Any]:
        """The job as ``GET jobs/<kind>/<id>`` answers it, with its counters."""
        body = self.summary_json()
        if not self.is_query and self.state != "Open":
            del body["contentUrl"]
        body["jobType"] = "V2Query" if self.is_query else "V2Ingest"
        body["numberRecordsProcessed"] = self.records_processed
        if not self.is_query:
            body["numberRecordsFailed"] = self.records_failed
        body["retries"] = 0
        body["totalProcessingTime"] = self.processing_ms
        if self.is_query:
            body["isPkChunkingSupported"] = True
        else:
            body["apiActiveProcessingTime"] = self.processing_ms
            body["apexProcessingTime"] = 0
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


class JobTable:
    """Stored jobs of one org, on the org's store.

    Every method takes the store's lock; ``write()`` yields the connection inside
    one transaction for callers that must change several tables together.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        with self.write() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
            highest = conn.execute("SELECT max(id) FROM _bulk_jobs").fetchone()[0]
        self._ids = IdGenerator()
        self._ids.seed(JOB_KEY_PREFIX, highest)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The store's connection, locked, inside one transaction."""
        with self._store.lock, self._store.transaction():
            yield self._store.conn

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a read-only statement, under the store's lock."""
        with self._store.lock:
            return list(self._store.conn.execute(sql, tuple(params)).fetchall())

    def new_job(self, **values: Any) -> Job:
        """Store a new job (``kind``, ``operation``, ``object`` … as keywords)."""
        stamp = now_json()
        job = Job(
            id=self._ids.new(JOB_KEY_PREFIX),
            created_date=stamp,
            system_modstamp=stamp,
            **values,
        )
        with self.write() as conn:
            conn.execute(
                f"INSERT INTO _bulk_jobs ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _to_row(job),
            )
        return job

    def get(self, job_id: str, kind: str | None = None) -> Job:
        """The job with ``job_id`` (of ``kind`` when given); 404 otherwise."""
        rows = self.read(f"SELECT {_COLUMNS} FROM _bulk_jobs WHERE id = ?", (job_id,))
        if not rows or (kind is not None and rows[0][1] != kind):
            raise job_not_found()
        return _from_row(rows[0])

    def find(self, job_id: str) -> Job | None:
        """The job with ``job_id``, or None."""
        rows = self.read(f"SELECT {_COLUMNS} FROM _bulk_jobs WHERE id = ?", (job_id,))
        return _from_row(rows[0]) if rows else None

    def page(self, kind: str, *, offset: int, limit: int) -> list[Job]:
        """Jobs of ``kind``, oldest first."""
        rows = self.read(
            f"SELECT {_COLUMNS} FROM _bulk_jobs WHERE kind = ? "
            "ORDER BY id LIMIT ? OFFSET ?",
            (kind, limit, offset),
        )
        return [_from_row(row) for row in rows]

    def pending(self) -> list[Job]:
        """Jobs waiting for or stopped in processing (after a restart)."""
        rows = self.read(
            f"SELECT {_COLUMNS} FROM _bulk_jobs "
            "WHERE state IN ('UploadComplete', 'InProgress') ORDER BY id"
        )
        return [_from_row(row) for row in rows]

    def update(
        self,
        conn: sqlite3.Connection,
        job: Job,
        *,
        expect_state: str | None = None,
        **changes: Any,
    ) -> Job | None:
        """Save ``changes`` to ``job`` on ``conn``; None when its state moved on.

        With ``expect_state`` the row is only changed while the stored state is
        still that one, so a worker never overwrites an abort.
        """
        changed = replace(job, system_modstamp=now_json(), **changes)
        sql = (
            "UPDATE _bulk_jobs SET state = ?, system_modstamp = ?, error_message = ?, "
            "records_processed = ?, records_failed = ?, processing_ms = ?, "
            "columns = ? WHERE id = ?"
        )
        params: list[Any] = [
            changed.state,
            changed.system_modstamp,
            changed.error_message,
            changed.records_processed,
            changed.records_failed,
            changed.processing_ms,
            json.dumps(list(changed.columns)),
            job.id,
        ]
        if expect_state is not None:
            sql += " AND state = ?"
            params.append(expect_state)
        cursor = conn.execute(sql, params)
        return changed if cursor.rowcount else None

    def delete(self, job_id: str) -> None:
        """Forget a job and everything stored for it."""
        with self.write() as conn:
            conn.execute("DELETE FROM _bulk_jobs WHERE id = ?", (job_id,))
            conn.execute("DELETE FROM _bulk_uploads WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM _bulk_query_rows WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM _bulk_ingest_results WHERE job_id = ?", (job_id,))

    def current(self, conn: sqlite3.Connection, job_id: str) -> Job | None:
        """The job as stored now, read on ``conn`` (None once deleted)."""
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM _bulk_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return _from_row(row) if row else None

    def state_of(self, conn: sqlite3.Connection, job_id: str) -> str | None:
        """The stored state of a job, read on ``conn`` (None once deleted)."""
        row = conn.execute(
            "SELECT state FROM _bulk_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return str(row[0]) if row else None


def _to_row(job: Job) -> tuple[Any, ...]:
    return (
        job.id,
        job.kind,
        job.operation,
        job.object,
        job.state,
        job.created_by,
        job.created_date,
        job.system_modstamp,
        job.api_version,
        job.column_delimiter,
        job.line_ending,
        job.external_id_field,
        job.query,
        job.error_message,
        job.records_processed,
        job.records_failed,
        job.processing_ms,
        json.dumps(list(job.columns)),
    )


def _from_row(row: Sequence[Any]) -> Job:
    columns = json.loads(row[17]) if row[17] else []
    return Job(
        id=row[0],
        kind=row[1],
        operation=row[2],
        object=row[3],
        state=row[4],
        created_by=row[5],
        created_date=row[6],
        system_modstamp=row[7],
        api_version=row[8],
        column_delimiter=row[9],
        line_ending=row[10],
        external_id_field=row[11],
        query=row[12],
        error_message=row[13],
        records_processed=int(row[14]),
        records_failed=int(row[15]),
        processing_ms=int(row[16]),
        columns=tuple(columns),
    )
