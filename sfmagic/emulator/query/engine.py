"""The query engine: SOQL text in, Salesforce query results out."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.query.aggregate import AggregatePlan, CountPlan
from sfmagic.emulator.query.compile import ChildPlan, RecordPlan, RecordsPlan
from sfmagic.emulator.query.cursors import Cursor, Cursors
from sfmagic.emulator.query.plan import Plan, compile_query
from sfmagic.emulator.query.problems import Problems
from sfmagic.emulator.query.resolve import Context
from sfmagic.emulator.query.shape import (
    Compound,
    ObjectShape,
    Parent,
    Row,
    Slot,
    TypeOfEntry,
    flat_getters,
)
from sfmagic.emulator.query.sql import Sql
from sfmagic.emulator.query.sqlfuncs import register
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store
from sfmagic.soql import SoqlSyntaxError, ast, parse

__all__ = ["CHILD_BATCH", "MAX_BATCH", "MIN_BATCH", "QueryEngine"]

MIN_BATCH = 200
MAX_BATCH = 2000
# Records of one child relationship answered inline; the rest page by locator.
CHILD_BATCH = 200
# SQLite's own limits, which a legal but extreme query can reach.
_TOO_COMPLEX = re.compile(
    r"too complex|too many|too large|at most \d+ tables|too deep", re.IGNORECASE
)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class QueryEngine:
    """Runs SOQL against an org's store, with Salesforce's paging.

    Parameters
    ----------
    store, schema, settings
        The org. The engine registers its SQL functions on ``store.conn``.
    clock
        Returns the current time (timezone-aware); date literals and the
        OpenActivity/ActivityHistory split read it. Tests inject a fixed one.
    api_path
        Where the API sits below ``/services/data/vNN.N/``: ``""`` for the data
        API, ``"tooling/"`` for the Tooling API. Record urls and
        ``nextRecordsUrl`` are built under it.
    """

    def __init__(
        self,
        store: Store,
        schema: Schema,
        settings: OrgSettings,
        *,
        clock: Clock | None = None,
        api_path: str = "",
    ) -> None:
        self.store = store
        self.api_path = api_path
        self.schema = schema
        self.settings = settings
        self.clock = clock or _utc_now
        self.cursors = Cursors()
        with store.lock:
            register(store.conn)

    # --- public API ---------------------------------------------------------------

    def run(
        self,
        text: str,
        *,
        include_deleted: bool,
        api_version: str,
        batch_size: int = MAX_BATCH,
        user_id: str,
    ) -> dict[str, Any]:
        """The first page of a query: ``{"totalSize", "done"[, "nextRecordsUrl"],
        "records"}``.

        Raises ``ApiError`` 400 (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE,
        INVALID_QUERY_FILTER_OPERATOR, NUMBER_OUTSIDE_VALID_RANGE …) for a query
        Salesforce would refuse or the emulator cannot answer faithfully.
        """
        batch = max(MIN_BATCH, min(MAX_BATCH, batch_size))
        plan = self.plan(text, include_deleted=include_deleted, user_id=user_id)
        if isinstance(plan, CountPlan):
            (total,) = self._fetch(plan.sql)[0]
            return {"totalSize": total, "done": True, "records": []}
        if isinstance(plan, AggregatePlan):
            records = _build_all(plan.shape, "", self._fetch(plan.sql))
            cursor = Cursor(total=len(records), batch_size=batch, records=records)
            return self._serve(cursor, 0, batch, include_deleted, api_version)
        ids = [row[0] for row in self._fetch(plan.ids)]
        cursor = Cursor(total=len(ids), batch_size=batch, plan=plan.record, ids=ids)
        return self._serve(cursor, 0, batch, include_deleted, api_version)

    def more(
        self,
        locator: str,
        *,
        include_deleted: bool,
        api_version: str,
        batch_size: int | None = None,
    ) -> dict[str, Any]:
        """The page a ``nextRecordsUrl`` locator (``01g…-2000``) names.

        ``batch_size`` defaults to the batch size of the query that opened the
        locator. Raises ``ApiError`` 400 ``INVALID_QUERY_LOCATOR`` for an unknown,
        expired or exhausted locator.
        """
        cursor, offset = self.cursors.find(locator)
        batch = cursor.batch_size
        if batch_size is not None:
            batch = max(MIN_BATCH, min(MAX_BATCH, batch_size))
        return self._serve(cursor, offset, batch, include_deleted, api_version)

    def iter_flat_rows(
        self, text: str, *, include_deleted: bool, user_id: str
    ) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """Columns and rows of a query as flat tuples, for Bulk API CSV results.

        Columns are dotted paths as selected (``Account.Name``); values are JSON
        values as in REST results (``True``, ``1.5``, ``"…000+0000"``, None). The
        query is checked now; it runs when the iterator is first advanced,
        reading one page of 2,000 records at a time. Child subqueries, TYPEOF,
        compound fields, aggregates and ``COUNT()`` are refused (400).
        """
        plan = self.plan(text, include_deleted=include_deleted, user_id=user_id)
        if not isinstance(plan, RecordsPlan):
            raise ApiError(
                400,
                "MALFORMED_QUERY",
                "Aggregate queries can not be answered as flat rows",
            )
        _refuse_nested(plan.record.shape)
        getters = flat_getters(plan.record.shape)
        return list(getters), self._flat_rows(plan, list(getters.values()))

    def plan(self, text: str, *, include_deleted: bool, user_id: str) -> Plan:
        """Parse, check and compile a query (errors as ``ApiError`` 400)."""
        tree = _parse(text)
        ctx = Context(
            schema=self.schema,
            problems=Problems(text),
            time_zone=self.settings.time_zone,
            now=self.clock(),
            include_deleted=include_deleted,
            user_id=user_id,
        )
        return compile_query(ctx, tree)

    # --- pages --------------------------------------------------------------------

    def _serve(
        self,
        cursor: Cursor,
        offset: int,
        batch: int,
        include_deleted: bool,
        api_version: str,
    ) -> dict[str, Any]:
        """One page of a cursor, opening a locator when more pages follow."""
        if cursor.records is not None:
            records = cursor.records[offset : offset + batch]
            following = offset + len(records)
        else:
            assert cursor.ids is not None
            assert cursor.plan is not None
            records, following = self._page(
                cursor.plan,
                cursor.ids[offset : offset + batch],
                batch,
                include_deleted,
                api_version,
            )
            following += offset
        result: dict[str, Any] = {"totalSize": cursor.total, "done": True}
        if following < cursor.total:
            locator = cursor.locator or self.cursors.open(cursor)
            result["done"] = False
            result["nextRecordsUrl"] = _next_url(
                api_version, include_deleted, locator, following, self.api_path
            )
        result["records"] = records
        return result

    def _page(
        self,
        plan: RecordPlan,
        ids: Sequence[str],
        budget: int,
        include_deleted: bool,
        api_version: str,
    ) -> tuple[list[dict[str, Any]], int]:
        """Records for ``ids`` (in order) and how many ids they used.

        Child records count toward the page's ``budget``, so a page of parents
        with many children holds fewer parents (at least one).
        """
        rows = self._fetch(plan.page, ids)
        children = [
            self._child_rows(c, [row[0] for row in rows]) for c in plan.children
        ]
        used = len(ids)
        if children:
            kept = 0
            spent = 0
            for row in rows:
                cost = 1 + sum(
                    min(len(c.get(row[0], ())), CHILD_BATCH) for c in children
                )
                if kept and spent + cost > budget:
                    break
                spent += cost
                kept += 1
            if kept < len(rows):
                used = ids.index(rows[kept][0])
                rows = rows[:kept]
        records = self._records(plan, rows, children, include_deleted, api_version)
        return records, used

    def _records(
        self,
        plan: RecordPlan,
        rows: list[Row],
        children: list[dict[str, list[Row]]] | None,
        include_deleted: bool,
        api_version: str,
    ) -> list[dict[str, Any]]:
        """Build records from rows and fill in their child relationships."""
        records = _build_all(
            plan.shape, _sobjects_prefix(api_version, self.api_path), rows
        )
        if not plan.children:
            return records
        parent_ids = [row[0] for row in rows]
        if children is None:
            children = [self._child_rows(c, parent_ids) for c in plan.children]
        for child, by_parent in zip(plan.children, children, strict=True):
            results = self._child_results(
                child, by_parent, include_deleted, api_version
            )
            for record, parent_id in zip(records, parent_ids, strict=True):
                record[child.key] = results.get(parent_id)
        return records

    def _child_rows(
        self, child: ChildPlan, parent_ids: list[str]
    ) -> dict[str, list[Row]]:
        """The rows of one child relationship for many parents, by parent id."""
        by_parent: dict[str, list[Row]] = {}
        if not parent_ids:
            return by_parent
        parent_column = child.record.width
        for row in self._fetch(child.by_parents, parent_ids):
            by_parent.setdefault(row[parent_column], []).append(row)
        return by_parent

    def _child_results(
        self,
        child: ChildPlan,
        by_parent: dict[str, list[Row]],
        include_deleted: bool,
        api_version: str,
    ) -> dict[str, dict[str, Any]]:
        """Nested query results per parent id (parents without children absent)."""
        inline = [row for rows in by_parent.values() for row in rows[:CHILD_BATCH]]
        built = iter(
            self._records(child.record, inline, None, include_deleted, api_version)
        )
        results: dict[str, dict[str, Any]] = {}
        for parent_id, rows in by_parent.items():
            head = [next(built) for _ in rows[:CHILD_BATCH]]
            result: dict[str, Any] = {"totalSize": len(rows), "done": True}
            if len(rows) > CHILD_BATCH:
                cursor = Cursor(
                    total=len(rows),
                    batch_size=MAX_BATCH,
                    plan=child.record,
                    ids=[row[0] for row in rows],
                )
                locator = self.cursors.open(cursor)
                result["done"] = False
                result["nextRecordsUrl"] = _next_url(
                    api_version, include_deleted, locator, CHILD_BATCH, self.api_path
                )
            result["records"] = head
            results[parent_id] = result
        return results

    def _flat_rows(
        self, plan: RecordsPlan, getters: list[Callable[[Row], Any]]
    ) -> Iterator[tuple[Any, ...]]:
        ids = [row[0] for row in self._fetch(plan.ids)]
        for start in range(0, len(ids), MAX_BATCH):
            for row in self._fetch(plan.record.page, ids[start : start + MAX_BATCH]):
                yield tuple(get(row) for get in getters)

    def _fetch(self, sql: Sql, ids: Sequence[str] | None = None) -> list[Row]:
        """Run one statement under the store's lock; rows as tuples."""
        params = sql.bind(json.dumps(list(ids)) if ids is not None else "[]")
        with self.store.lock:
            cursor = self.store.conn.cursor()
            cursor.row_factory = None
            try:
                return cursor.execute(sql.text, params).fetchall()
            except sqlite3.OperationalError as error:
                if not _TOO_COMPLEX.search(str(error)):
                    raise
                raise ApiError(
                    400,
                    "MALFORMED_QUERY",
                    f"The query is too complex to answer: {error}",
                ) from None
            finally:
                cursor.close()


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str) -> ast.Query:
    return parse(text)


def _parse(text: str) -> ast.Query:
    try:
        return _parse_cached(text)
    except SoqlSyntaxError as error:
        raise ApiError(400, "MALFORMED_QUERY", str(error)) from None


def _build_all(
    shape: ObjectShape, prefix: str, rows: list[Row]
) -> list[dict[str, Any]]:
    """Records for rows whose record id is set (always, for top-level rows)."""
    build = shape.builder(prefix)
    return [record for row in rows if (record := build(row)) is not None]


def _sobjects_prefix(api_version: str, api_path: str) -> str:
    return f"/services/data/v{api_version}/{api_path}sobjects/"


def _next_url(
    api_version: str, include_deleted: bool, locator: str, offset: int, api_path: str
) -> str:
    resource = "queryAll" if include_deleted else "query"
    return f"/services/data/v{api_version}/{api_path}{resource}/{locator}-{offset}"


def _refuse_nested(shape: ObjectShape) -> None:
    for entry in shape.entries:
        if isinstance(entry, Parent):
            _refuse_nested(entry.shape)
        elif isinstance(entry, Slot | TypeOfEntry | Compound):
            raise ApiError(
                400,
                "MALFORMED_QUERY",
                f"{entry.key}: child relationships, TYPEOF and compound fields "
                "can not be answered as flat rows",
            )
