"""SQLite storage of an emulated org: one table per sObject, plus bookkeeping.

One database file per org (or an in-memory database), opened once with one
connection shared by every thread of the server. ``Store.lock`` (a re-entrant
lock) guards that connection: hold it for every access, and use
``transaction()`` to group writes so that they commit together.

Layout, following the storage contract in ``schema.py``:

* a table per sObject that is not virtual, ``"Id" TEXT PRIMARY KEY`` and one
  column per non-compound field. Every table has an ``IsDeleted`` column, even
  for objects whose describe has none (User, Group, QueueSobject), so that the
  query engine can filter soft-deleted rows uniformly; such a hidden column is
  always 0. Checkbox columns default to their describe default (0 or 1);
* indexes on every reference field, the audit datetimes and ``IsDeleted``;
  name, external-id and unique text fields are indexed ``COLLATE NOCASE``
  because Salesforce matches them case-insensitively;
* ``_deleted_log`` (sobject, id, deleted_date) feeding ``deleted/``: one entry
  per deleted record, removed again on undelete, kept after a hard delete;
* ``_delete_links`` (root_id, sobject, id, field): what a delete did besides
  the record itself (children deleted with it, field null: lookups cleared on
  other records, field named), so that undelete can put it back;
* ``_meta``, a key-value table for org-wide facts (org id, creation time).

Opening an existing file adds the columns and indexes a newer schema (custom
fields) needs; it never drops anything. Durability: WAL with
``synchronous=NORMAL``, so an acknowledged write survives the process being
killed (only an operating-system crash can lose the last transactions).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sfmagic.emulator import ids
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef
from sfmagic.emulator.values import now_stored, stored_datetime

__all__ = ["ID_POD", "Store", "quote"]

ID_POD = "8a0"
TEXT_INDEX_TYPES = frozenset(
    {"string", "email", "phone", "url", "picklist", "combobox", "textarea"}
)
AUDIT_COLUMNS = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")


def quote(identifier: str) -> str:
    """An SQL identifier in double quotes (names come from the schema)."""
    return '"' + identifier.replace('"', '""') + '"'


def _column_sql(field: FieldDef) -> str:
    sql = f"{quote(field.name)} {field.storage}"
    if field.name == "Id":
        return sql + " PRIMARY KEY"
    if field.type == "boolean":
        default = 1 if field.default_value is True else 0
        return sql + f" NOT NULL DEFAULT {default}"
    return sql


def _index_specs(sobject: SObjectDef) -> list[tuple[str, str]]:
    """``(field name, collation clause)`` of each column worth an index."""
    specs: list[tuple[str, str]] = []
    for field in sobject.stored_fields():
        if field.type == "reference" or field.name in AUDIT_COLUMNS:
            specs.append((field.name, ""))
        elif field.name_field or field.external_id or field.unique:
            nocase = field.type in TEXT_INDEX_TYPES and not field.raw.get(
                "caseSensitive"
            )
            specs.append((field.name, " COLLATE NOCASE" if nocase else ""))
    if sobject.field("IsDeleted") is None:
        specs.append(("IsDeleted", ""))
    return specs


class Store:
    """The org's records in SQLite.

    Parameters
    ----------
    schema
        The org's schema; one table is kept per non-virtual sObject.
    path
        The database file, created if missing; ``None`` keeps everything in
        memory (gone when the store is closed).
    """

    def __init__(self, schema: Schema, path: Path | None) -> None:
        self.schema = schema
        self.path = path
        self.lock = threading.RLock()
        self.ids = ids.IdGenerator(pod=ID_POD)
        self._depth = 0
        target = str(path) if path is not None else ":memory:"
        self.conn = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None
        )
        self.conn.row_factory = sqlite3.Row
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=10000")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            with self.transaction():
                self._create_bookkeeping()
                for sobject in schema:
                    if not sobject.virtual:
                        self._create_table(sobject)
            self._seed_ids()

    # --- setup ----------------------------------------------------------------

    def _create_bookkeeping(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT)"
        )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _deleted_log ("
            "sobject TEXT NOT NULL, id TEXT NOT NULL, deleted_date TEXT NOT NULL, "
            "PRIMARY KEY (sobject, id))"
        )
        self.conn.execute(
            "CREATE INDEX IF NOT EXISTS _deleted_log_date "
            "ON _deleted_log (sobject, deleted_date)"
        )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _delete_links ("
            "root_id TEXT NOT NULL, sobject TEXT NOT NULL, id TEXT NOT NULL, "
            "field TEXT)"
        )
        self.conn.execute(
            "CREATE INDEX IF NOT EXISTS _delete_links_root ON _delete_links (root_id)"
        )
        self.conn.execute(
            "INSERT OR IGNORE INTO _meta (key, value) VALUES ('created', ?)",
            (now_stored(),),
        )

    def _create_table(self, sobject: SObjectDef) -> None:
        table = quote(sobject.name)
        columns = [_column_sql(f) for f in sobject.stored_fields()]
        if sobject.field("IsDeleted") is None:
            columns.append('"IsDeleted" INTEGER NOT NULL DEFAULT 0')
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)})")

        # An existing file may predate custom fields added to the schema since.
        present = {
            row["name"] for row in self.conn.execute(f"PRAGMA table_info({table})")
        }
        for field in sobject.stored_fields():
            if field.name not in present:
                self.conn.execute(
                    f"ALTER TABLE {table} ADD COLUMN {_column_sql(field)}"
                )

        for name, collation in _index_specs(sobject):
            index = quote(f"{sobject.name}__{name}")
            self.conn.execute(
                f"CREATE INDEX IF NOT EXISTS {index} "
                f"ON {table} ({quote(name)}{collation})"
            )

    def _seed_ids(self) -> None:
        for sobject in self.schema:
            prefix = sobject.key_prefix
            if sobject.virtual or not prefix:
                continue
            pattern = f"{prefix}{ID_POD}%"
            row = self.conn.execute(
                f"SELECT max(m) FROM (SELECT max(Id) AS m FROM {quote(sobject.name)} "
                "WHERE Id LIKE ? UNION ALL SELECT max(id) FROM _deleted_log "
                "WHERE sobject = ? AND id LIKE ?)",
                (pattern, sobject.name, pattern),
            ).fetchone()
            self.ids.seed(prefix, row[0])

    def close(self) -> None:
        """Close the connection (the store cannot be used afterwards)."""
        with self.lock:
            self.conn.close()

    # --- plumbing ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error.

        Holds ``lock`` throughout. Nested use opens a savepoint, so an inner
        failure caught by the caller rolls back only the inner writes.
        """
        with self.lock:
            depth = self._depth
            savepoint = f"sfmagic_{depth}"
            if depth == 0:
                self.conn.execute("BEGIN IMMEDIATE")
            else:
                self.conn.execute(f"SAVEPOINT {savepoint}")
            self._depth = depth + 1
            try:
                yield
            except BaseException:
                self._depth = depth
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {savepoint}")
                    self.conn.execute(f"RELEASE {savepoint}")
                raise
            self._depth = depth
            if depth == 0:
                self.conn.execute("COMMIT")
            else:
                self.conn.execute(f"RELEASE {savepoint}")

    def execute(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[sqlite3.Row]:
        """Run one statement with bound parameters and return all its rows."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def meta_get(self, key: str) -> str | None:
        """A value of the org's key-value bookkeeping, or None."""
        rows = self.execute("SELECT value FROM _meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def meta_set(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO _meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _table(self, sobject: str) -> SObjectDef:
        found = self.schema.get(sobject)
        if found is None or found.virtual:
            raise KeyError(f"no table for sObject {sobject!r}")
        return found

    # --- records -----------------------------------------------------------------

    def new_id(self, sobject: str) -> str:
        """A fresh 18-character id with the sObject's key prefix."""
        return self.ids.new(self._table(sobject).key_prefix)

    def insert_rows(self, sobject: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert rows of storage values as they are; return how many.

        No validation and no system fields beyond a new ``Id`` when a row has
        none: the caller (demo data, DML) supplies finished rows. Rows sharing
        the same keys are inserted with one ``executemany``; call inside
        ``transaction()`` to make a batch atomic.
        """
        definition = self._table(sobject)
        table = quote(definition.name)
        count = 0
        with self.transaction():
            batch: list[tuple[Any, ...]] = []
            columns: tuple[str, ...] = ()
            for row in rows:
                keys = tuple(row)
                if "Id" not in row:
                    keys = ("Id", *keys)
                if keys != columns:
                    self._flush(table, columns, batch)
                    columns, batch = keys, []
                if "Id" in row:
                    batch.append(tuple(row.values()))
                else:
                    batch.append((self.ids.new(definition.key_prefix), *row.values()))
                count += 1
            self._flush(table, columns, batch)
        return count

    def _flush(
        self, table: str, columns: tuple[str, ...], batch: list[tuple[Any, ...]]
    ) -> None:
        if not batch:
            return
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)

    def update_row(
        self, sobject: str, record_id: str, values: Mapping[str, Any]
    ) -> None:
        """Set columns of one row to storage values."""
        if not values:
            return
        table = quote(self._table(sobject).name)
        assignments = ", ".join(f"{quote(name)} = ?" for name in values)
        self.execute(
            f"UPDATE {table} SET {assignments} WHERE Id = ?",
            (*values.values(), record_id),
        )

    def delete_rows(self, sobject: str, record_ids: Sequence[str]) -> None:
        """Remove rows for good (hard delete)."""
        table = quote(self._table(sobject).name)
        with self.transaction():
            self.conn.executemany(
                f"DELETE FROM {table} WHERE Id = ?", [(i,) for i in record_ids]
            )

    def get(
        self, sobject: str, record_id: str, *, include_deleted: bool = False
    ) -> dict[str, Any] | None:
        """One row's storage values by id (15 or 18 characters), or None."""
        try:
            full_id = ids.to_18(record_id)
        except ValueError:
            return None
        table = quote(self._table(sobject).name)
        sql = f"SELECT * FROM {table} WHERE Id = ?"
        if not include_deleted:
            sql += " AND IsDeleted = 0"
        rows = self.execute(sql, (full_id,))
        return dict(rows[0]) if rows else None

    def find_ids(
        self, sobject: str, field: str, value: Any, *, include_deleted: bool = False
    ) -> list[str]:
        """Ids of the rows whose ``field`` equals ``value`` (text: any case)."""
        definition = self._table(sobject)
        found = definition.field(field)
        if found is None or found.storage is None:
            raise KeyError(f"no column {field!r} on {sobject!r}")
        nocase = found.type in TEXT_INDEX_TYPES and not found.raw.get("caseSensitive")
        collation = " COLLATE NOCASE" if nocase else ""
        sql = (
            f"SELECT Id FROM {quote(definition.name)} "
            f"WHERE {quote(found.name)} = ?{collation}"
        )
        if not include_deleted:
            sql += " AND IsDeleted = 0"
        return [row[0] for row in self.execute(sql + " ORDER BY Id", (value,))]

    def count(self, sobject: str, *, include_deleted: bool = False) -> int:
        """How many rows the sObject's table holds."""
        sql = f"SELECT count(*) FROM {quote(self._table(sobject).name)}"
        if not include_deleted:
            sql += " WHERE IsDeleted = 0"
        return int(self.execute(sql)[0][0])

    # --- replication ---------------------------------------------------------------

    def log_deleted(self, sobject: str, record_id: str, deleted_date: str) -> None:
        """Remember a deletion for ``deleted/`` (storage datetime)."""
        self.execute(
            "INSERT OR REPLACE INTO _deleted_log (sobject, id, deleted_date) "
            "VALUES (?, ?, ?)",
            (self._table(sobject).name, record_id, deleted_date),
        )

    def unlog_deleted(self, sobject: str, record_id: str) -> None:
        """Forget a deletion (the record was undeleted)."""
        self.execute(
            "DELETE FROM _deleted_log WHERE sobject = ? AND id = ?",
            (self._table(sobject).name, record_id),
        )

    def updated_ids(self, sobject: str, start: datetime, end: datetime) -> list[str]:
        """Ids of live rows created or changed in ``[start, end)`` (SystemModstamp)."""
        definition = self._table(sobject)
        stamp = "SystemModstamp" if definition.field("SystemModstamp") else None
        if stamp is None:
            return []
        sql = (
            f"SELECT Id FROM {quote(definition.name)} WHERE IsDeleted = 0 "
            f"AND {quote(stamp)} >= ? AND {quote(stamp)} < ? ORDER BY Id"
        )
        rows = self.execute(sql, (stored_datetime(start), stored_datetime(end)))
        return [row[0] for row in rows]

    def deleted_records(
        self, sobject: str, start: datetime, end: datetime
    ) -> list[tuple[str, str]]:
        """``(id, deleted_date)`` of records deleted in ``[start, end)``."""
        rows = self.execute(
            "SELECT id, deleted_date FROM _deleted_log WHERE sobject = ? "
            "AND deleted_date >= ? AND deleted_date < ? ORDER BY deleted_date, id",
            (self._table(sobject).name, stored_datetime(start), stored_datetime(end)),
        )
        return [(row[0], row[1]) for row in rows]

    def earliest_deleted_date(self, sobject: str) -> str:
        """The earliest storage datetime ``deleted/`` can report on."""
        rows = self.execute(
            "SELECT min(deleted_date) FROM _deleted_log WHERE sobject = ?",
            (self._table(sobject).name,),
        )
        created = self.meta_get("created") or now_stored()
        logged = rows[0][0]
        return min(created, logged) if logged else created
