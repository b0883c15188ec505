"""SOQL query results as typed, flat pandas DataFrames.

``run_query(conn, soql)`` is what ``%%soql``, ``%soql`` and ``sfmagic.query`` call.
It parses the query, builds the column plan from the SELECT list and describe
metadata (``sfmagic.client.shaping``), fetches every page with the connection's
own requests session (``GET query/?q=…`` then each ``nextRecordsUrl``), reads each
page straight into Arrow arrays with an explicit schema, and converts once to
pandas at the end:

========================  ==============================================
Salesforce type           pandas dtype
========================  ==============================================
id, reference, string,    ``string[pyarrow]`` (``pd.StringDtype``), nulls
picklist, textarea …      as ``pd.NA``
boolean                   ``boolean`` (nullable)
int, long                 ``Int64`` (nullable)
double, currency, percent ``float64``
datetime                  ``datetime64[ms, UTC]``
date                      ``date32[day][pyarrow]``
time                      ``time32[ms][pyarrow]``
address, location         one column per component (``BillingAddress.city``)
========================  ==============================================

Aggregate columns take the type of their field (``MAX(CreatedDate)`` is a
datetime, ``COUNT`` an integer, ``SUM`` and ``AVG`` floats); ``SELECT COUNT()``
gives one ``count`` column holding ``totalSize``.

Child subqueries are fetched in full, following each parent's nested
``nextRecordsUrl``. With ``children="tables"`` (the default) each relationship
becomes its own DataFrame in ``QueryResult.children``, keyed by the relationship
name (``"Contacts"``; a grandchild is ``"Contacts.Cases"``), whose first column
``parent_id`` holds the parent's Id (or, when the parent query does not select
Id, ``parent_row``: the parent's row number). With ``children="explode"`` the
one child relationship is joined onto the parent rows, one row per child, its
columns prefixed with the relationship name (``Contacts.LastName``); parents
without children keep one row with nulls. A tidy table per relationship is the
default because exploding repeats every parent column per child and cannot
represent two relationships without a cross product.

Known limits: ``children="explode"`` accepts one child relationship; deeper
levels stay in ``children``. ``to=`` (Parquet) refuses child subqueries.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from sfmagic.client import shaping
from sfmagic.client.binding import bind
from sfmagic.client.describe_cache import describe_cache
from sfmagic.client.query_transport import (
    QueryTransport,
    ToolingTransport,
    as_transport,
)
from sfmagic.soql import parse

__all__ = [
    "BULK_THRESHOLD",
    "DISPLAY_ROWS",
    "QueryResult",
    "run_query",
    "to_pandas",
]

BULK_THRESHOLD = 200_000
"""Rows above which a query that Bulk API 2.0 can run switches to it."""

DISPLAY_ROWS = 20
"""Rows shown by a ``QueryResult``'s repr and HTML display."""

PARENT_ID = "parent_id"
PARENT_ROW = "parent_row"

ChildrenMode = Literal["tables", "explode"]


@dataclass
class QueryResult:
    """The result of a query: the frame, child tables and what it cost.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows (zero rows, all columns, when written ``to`` a file).
    children : dict[str, pandas.DataFrame]
        One table per child relationship, keyed by relationship name.
    rows : int
        Rows returned (``totalSize`` for ``COUNT()``).
    elapsed : float
        Seconds from the first request to the finished frame.
    api_calls : int
        HTTP requests made.
    soql : str
        The query as sent (the first one when an IN-list was split).
    bulk : bool
        Whether Bulk API 2.0 ran the query.
    path : pathlib.Path or None
        The Parquet file written, when ``to`` was given.
    """

    frame: pd.DataFrame
    children: dict[str, pd.DataFrame] = field(default_factory=dict)
    rows: int = 0
    elapsed: float = 0.0
    api_calls: int = 0
    soql: str = ""
    bulk: bool = False
    path: Path | None = None

    def summary(self) -> str:
        """One line: rows, time and API requests."""
        how = " via Bulk API 2.0" if self.bulk else ""
        where = f", written to {self.path}" if self.path else ""
        calls = "request" if self.api_calls == 1 else "requests"
        return (
            f"{self.rows:,} rows in {self.elapsed:.2f} s, "
            f"{self.api_calls} API {calls}{how}{where}"
        )

    def __repr__(self) -> str:
        with pd.option_context("display.max_rows", DISPLAY_ROWS):
            shown = repr(self.frame.head(DISPLAY_ROWS))
        more = ", ".join(f"{k}: {len(v)} rows" for k, v in self.children.items())
        lines = [shown, self.summary()]
        if more:
            lines.append(f"children: {more}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.frame.head(DISPLAY_ROWS).to_html(max_rows=DISPLAY_ROWS)
        text = self.summary()
        if self.rows > DISPLAY_ROWS and not self.path:
            text += f" (first {DISPLAY_ROWS} shown)"
        if self.children:
            names = ", ".join(
                f"{k} ({len(v):,} rows)" for k, v in self.children.items()
            )
            text += f"; children: {names}"
        return f"{table}<p>{html.escape(text)}</p>"


def run_query(
    conn: object,
    soql: str,
    *,
    params: Mapping[str, object] | None = None,
    all_rows: bool = False,
    bulk: bool | None = None,
    batch_size: int | None = None,
    children: ChildrenMode = "tables",
    to: str | Path | None = None,
    progress: bool = True,
    bulk_threshold: int = BULK_THRESHOLD,
    tooling: bool = False,
) -> QueryResult:
    """Run a SOQL query and return its rows as a typed, flat DataFrame.

    Parameters
    ----------
    conn
        A ``Connection`` (or any ``QueryTransport``).
    soql
        The query; ``:name`` placeholders are bound from ``params``.
    params
        Values for the placeholders (see ``sfmagic.client.binding``); None
        sends the text as it is.
    all_rows
        Use ``queryAll`` (deleted and archived rows included).
    bulk
        True forces Bulk API 2.0, False forbids it, None switches to it when
        the first page reports more than ``bulk_threshold`` rows and the query
        can run in bulk.
    batch_size
        Rows per page (200 to 2000), sent as ``Sforce-Query-Options``.
    children
        ``"tables"`` or ``"explode"`` (see the module docstring).
    to
        A ``.parquet`` path: rows are streamed there page by page instead of
        being kept in memory.
    progress
        Show a progress bar when more than one page is fetched.
    bulk_threshold
        See ``bulk``.
    tooling
        Query the Tooling API (``tooling/query/``, typed from the Tooling
        API's describe); never in bulk.

    Raises
    ------
    sfmagic.soql.SoqlSyntaxError
        When the query does not parse.
    sfmagic.client.binding.UnboundNamesError
        When placeholders have no value.
    sfmagic.client.errors.SalesforceError
        When Salesforce refuses the query.
    ValueError
        For option combinations that cannot work (``bulk=True`` on a query
        Bulk API 2.0 refuses, ``to`` with child subqueries …).
    """
    if children not in ("tables", "explode"):
        raise ValueError(f"children must be 'tables' or 'explode', not {children!r}")
    if tooling and bulk:
        raise ValueError("the Tooling API has no Bulk API 2.0 queries")
    started = time.perf_counter()
    base = as_transport(conn)
    transport = _Counting(ToolingTransport(base) if tooling else base)
    texts = bind(soql, params).queries if params is not None else [soql]
    cache = describe_cache(conn, tooling=tooling)
    plan = shaping.build_plan(parse(texts[0]), cache.describe)
    if bulk and not plan.bulk_ok:
        raise ValueError(
            "Bulk API 2.0 cannot run this query: it refuses child subqueries, "
            "aggregates, COUNT(), OFFSET, TYPEOF and compound fields"
        )
    if to is not None and plan.children:
        raise ValueError("a query with child subqueries cannot be written to Parquet")
    run = _Run(transport, plan, all_rows, batch_size, progress, to)
    try:
        if bulk:
            run.run_bulk(texts[0])
        else:
            for text in texts:
                auto = bulk is None and plan.bulk_ok and not tooling
                run.run_rest(text, bulk_threshold if auto else None)
    except BaseException:
        run.discard()
        raise
    result = run.result(children)
    result.soql = texts[0]
    result.api_calls = transport.calls
    result.elapsed = time.perf_counter() - started
    return result


class _Counting:
    """A transport wrapper that counts requests."""

    def __init__(self, inner: QueryTransport) -> None:
        self.inner = inner
        self.calls = 0

    @property
    def instance_url(self) -> str:
        return self.inner.instance_url

    @property
    def api_version(self) -> str:
        return self.inner.api_version

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        self.calls += 1
        return self.inner.request(method, path_or_url, **kwargs)


class _Collector:
    """Arrow chunks of one plan's rows, with the parent row of each (children)."""

    def __init__(self, plan: shaping.Plan) -> None:
        self.plan = plan
        self.chunks: list[list[pa.Array]] = [[] for _ in plan.columns]
        self.rows = 0
        self.parent_rows: list[np.ndarray[Any, np.dtype[np.int64]]] = []
        self.pending: list[tuple[str, int, str]] = []
        self.children = {c.key: _Collector(c.plan) for c in plan.children}
        self.built: pa.Table | None = None

    def add(
        self,
        data: shaping.Extracted,
        parent_rows: np.ndarray[Any, np.dtype[np.int64]] | None = None,
    ) -> None:
        offset = self.rows
        for chunks, array in zip(self.chunks, data.columns, strict=True):
            if isinstance(array, pa.ChunkedArray):
                chunks.extend(array.chunks)
            else:
                chunks.append(_compact(array))
        self.rows += data.length
        if parent_rows is not None:
            self.parent_rows.append(parent_rows)
        for key, batch in data.children.items():
            self.children[key].add(batch.data, batch.parent_index + offset)
            self.pending.extend((key, offset + row, url) for row, url in batch.pending)

    def drain(self, fetch: Callable[[str], bytes]) -> None:
        """Fetch every child page still pending, here and below."""
        pending, self.pending = self.pending, []
        for key, row, url in pending:
            child = self.children[key]
            schema = shaping.page_schema(child.plan)
            next_url: str | None = url
            while next_url:
                page = shaping.read_page(fetch(next_url), child.plan, schema)
                child.add(page.data, np.full(page.data.length, row, dtype=np.int64))
                next_url = page.next_url
        for child in self.children.values():
            child.drain(fetch)

    def table(self) -> pa.Table:
        """The rows collected, as one table.

        Built once; the collector then drops its own list of chunks, so that
        ``to_pandas`` can free each column of the table as it converts it.
        """
        if self.built is None:
            arrays = [
                pa.chunked_array(chunks, type=shaping.final_type(column.kind))
                for chunks, column in zip(self.chunks, self.plan.columns, strict=True)
            ]
            self.chunks = [[] for _ in self.plan.columns]
            names = [column.name for column in self.plan.columns]
            self.built = pa.Table.from_arrays(arrays, names=names)
        return self.built

    def parent_index(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        if not self.parent_rows:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self.parent_rows)


def _compact(array: pa.Array) -> pa.Array:
    """A copy of a page's column in buffers of its exact size.

    The JSON reader's builders over-allocate, and the page's scratch space is
    freed around what a page keeps; copying those few hundred kilobytes costs
    little CPU and lowers the peak memory of a long query (measured with
    benchmarks/query.py). CSV pages from Bulk API 2.0 are kept as they are:
    copying their larger chunks raised the peak instead.
    """
    return pa.concat_arrays([array], memory_pool=shaping.memory_pool())


class _Run:
    """The state of one ``run_query`` call."""

    def __init__(
        self,
        transport: _Counting,
        plan: shaping.Plan,
        all_rows: bool,
        batch_size: int | None,
        progress: bool,
        to: str | Path | None,
    ) -> None:
        self.transport = transport
        self.plan = plan
        self.all_rows = all_rows
        self.headers = (
            {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        )
        self.progress = progress
        self.collector = _Collector(plan)
        self.total = 0
        self.used_bulk = False
        self.path = Path(to) if to is not None else None
        self.sink: _ParquetSink | None = None

    def fetch(self, url: str, params: Mapping[str, str] | None = None) -> bytes:
        response = self.transport.request(
            "GET", url, params=params, headers=self.headers
        )
        content: bytes = response.content
        return content

    def run_rest(self, soql: str, bulk_threshold: int | None) -> None:
        resource = "queryAll/" if self.all_rows else "query/"
        schema = shaping.page_schema(self.plan)
        page = shaping.read_page(self.fetch(resource, {"q": soql}), self.plan, schema)
        if bulk_threshold is not None and page.total_size > bulk_threshold:
            self.run_bulk(soql)
            return
        self.total += page.total_size
        bar = _progress_bar(self.progress and page.next_url, page.total_size)
        try:
            while True:
                self.take(page.data)
                if bar is not None:
                    bar.update(page.data.length)
                if not page.next_url:
                    break
                page = shaping.read_page(self.fetch(page.next_url), self.plan, schema)
        finally:
            if bar is not None:
                bar.close()
        self.collector.drain(self.fetch)

    def run_bulk(self, soql: str) -> None:
        from sfmagic.client.bulk import bulk_batches

        self.used_bulk = True
        for data in bulk_batches(
            self.transport,
            soql,
            self.plan,
            all_rows=self.all_rows,
            progress=self.progress,
        ):
            self.take(data)
            self.total += data.length

    def take(self, data: shaping.Extracted) -> None:
        if self.path is None:
            self.collector.add(data)
            return
        if self.sink is None:
            # Opened on the first page, so a refused query leaves no file.
            self.sink = _ParquetSink(self.path, self.plan.arrow_schema())
        self.sink.add(data)

    def discard(self) -> None:
        """Close and remove a Parquet file left unfinished by an error."""
        if self.sink is not None and self.path is not None:
            self.sink.writer.close()
            self.path.unlink(missing_ok=True)

    def result(self, children: ChildrenMode) -> QueryResult:
        if self.path is not None:
            schema = self.plan.arrow_schema()
            sink = self.sink or _ParquetSink(self.path, schema)
            sink.close()
            frame = to_pandas(schema.empty_table())
            return QueryResult(
                frame, rows=sink.rows, bulk=self.used_bulk, path=self.path
            )
        if self.plan.count_only:
            frame = pd.DataFrame({"count": pd.array([self.total], dtype="Int64")})
            return QueryResult(frame, rows=self.total, bulk=self.used_bulk)
        table = self.collector.table()
        tables = _child_tables(self.collector, table, "")
        if children == "explode" and self.plan.children:
            table = _explode(self.collector, table)
            tables = {key: value for key, value in tables.items() if "." in key}
        frames = {key: to_pandas(tables.pop(key)) for key in list(tables)}
        frame = to_pandas(table)
        return QueryResult(frame, frames, rows=self.collector.rows, bulk=self.used_bulk)


class _ParquetSink:
    """Pages written to a Parquet file as they arrive, one row group each.

    Measured with benchmarks/query.py (12 columns, pages of 2,000 rows): peak
    memory 13 MB above the process's baseline for 10,000 rows and 22 MB for
    1,000,000, the difference being the row groups' metadata that the writer
    keeps until the file is closed. Buffering pages into row groups of 2 MB
    of Arrow data cost the writer more while encoding each group (22 MB at
    10,000 rows, 31 MB at 1,000,000), so pages are written as they come.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        import pyarrow.parquet as pq

        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema)
        self.rows = 0

    def add(self, data: shaping.Extracted) -> None:
        self.writer.write_table(pa.Table.from_arrays(data.columns, schema=self.schema))
        self.rows += data.length

    def close(self) -> None:
        if self.rows == 0:
            self.writer.write_table(self.schema.empty_table())
        self.writer.close()


def _child_tables(
    collector: _Collector, table: pa.Table, prefix: str
) -> dict[str, pa.Table]:
    tables: dict[str, pa.Table] = {}
    id_index = collector.plan.id_index
    for key, child in collector.children.items():
        child_table = child.table()
        parent_index = child.parent_index()
        rows = pa.array(parent_index, type=pa.int64())
        if id_index is not None:
            key_column = table.column(id_index).take(rows)
            child_table = child_table.add_column(0, PARENT_ID, key_column)
        else:
            child_table = child_table.add_column(0, PARENT_ROW, rows)
        if len(parent_index) and (np.diff(parent_index) < 0).any():
            # Children fetched from later pages go next to their siblings.
            child_table = child_table.take(np.argsort(parent_index, kind="stable"))
        name = prefix + key
        tables[name] = child_table
        tables.update(_child_tables(child, child.table(), name + "."))
    return tables


def _explode(collector: _Collector, table: pa.Table) -> pa.Table:
    if len(collector.children) > 1:
        raise ValueError(
            "children='explode' joins one child relationship; this query has "
            f"{len(collector.children)}: use children='tables'"
        )
    ((key, child),) = collector.children.items()
    child_rows = child.parent_index()
    orphans = np.setdiff1d(np.arange(collector.rows, dtype=np.int64), child_rows)
    parent_rows = np.concatenate([child_rows, orphans])
    child_index = np.concatenate(
        [np.arange(len(child_rows), dtype=np.int64), np.full(len(orphans), -1)]
    )
    order = np.argsort(parent_rows, kind="stable")
    parent_take = pa.array(parent_rows[order])
    child_take = pa.array(child_index[order], mask=child_index[order] < 0)
    exploded = table.take(parent_take)
    child_table = child.table().take(child_take)
    for name, column in zip(child_table.column_names, child_table.columns, strict=True):
        exploded = exploded.append_column(f"{key}.{name}", column)
    return exploded


def _pandas_type(arrow_type: pa.DataType) -> Any:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_int64(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_date32(arrow_type) or pa.types.is_time32(arrow_type):
        return pd.ArrowDtype(arrow_type)
    return None


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of query columns as a pandas DataFrame with sfmagic's dtypes."""
    frame: pd.DataFrame = table.to_pandas(
        memory_pool=shaping.memory_pool(),
        types_mapper=_pandas_type,
        split_blocks=True,
        self_destruct=True,
    )
    return frame


def _progress_bar(show: object, total: int) -> Any:
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="rows", leave=False)
