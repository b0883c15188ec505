"""Bulk API 2.0 queries into the same typed frames as the REST path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sfmagic.client import bulk, shaping
from sfmagic.client.bulk import MAX_RECORDS, read_csv_page
from sfmagic.client.frames import run_query, to_pandas
from sfmagic.client.query_transport import SessionTransport
from sfmagic.emulator import start

pytestmark = pytest.mark.live

SOQL = (
    "SELECT Id, Name, Owner.Name, CreatedDate, LastActivityDate, AnnualRevenue, "
    "IsDeleted, NumberOfEmployees, Industry FROM Account"
)


@pytest.fixture(scope="module")
def conn() -> Iterator[SessionTransport]:
    with start(demo=True) as org:
        yield SessionTransport(
            org.session(), org.instance_url, "62.0", access_token=org.access_token()
        )


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("Id", ignore_index=True)


def test_bulk_gives_the_same_frame_as_rest(conn: SessionTransport) -> None:
    rest = run_query(conn, SOQL, bulk=False, progress=False)
    bulk = run_query(conn, SOQL, bulk=True, progress=False)
    assert bulk.bulk
    assert not rest.bulk
    pd.testing.assert_frame_equal(sorted_frame(bulk.frame), sorted_frame(rest.frame))
    assert "Bulk API 2.0" in bulk.summary()


def test_large_results_switch_to_bulk(conn: SessionTransport) -> None:
    result = run_query(conn, SOQL, bulk_threshold=10, progress=False)
    assert result.bulk
    assert result.rows == run_query(conn, "SELECT COUNT() FROM Account").rows


def test_small_or_unfit_results_stay_on_rest(conn: SessionTransport) -> None:
    soql = "SELECT Id, (SELECT Id FROM Contacts) FROM Account"
    assert not run_query(conn, soql, bulk_threshold=10, progress=False).bulk
    assert not run_query(conn, SOQL, progress=False).bulk


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry",
        "SELECT Id, BillingAddress FROM Account",
        "SELECT Id FROM Account LIMIT 5 OFFSET 5",
    ],
)
def test_bulk_refuses_queries_it_cannot_run(conn: SessionTransport, soql: str) -> None:
    with pytest.raises(ValueError, match=r"Bulk API 2\.0 cannot"):
        run_query(conn, soql, bulk=True)


@pytest.mark.parametrize("max_records", [MAX_RECORDS, 70])
def test_bulk_streams_to_parquet(
    conn: SessionTransport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    max_records: int,
) -> None:
    monkeypatch.setattr(bulk, "MAX_RECORDS", max_records)
    target = tmp_path / "accounts.parquet"
    result = run_query(conn, SOQL, bulk=True, to=target, progress=False)
    kept = run_query(conn, SOQL, bulk=True, progress=False)
    read_back = to_pandas(pq.read_table(target))
    assert len(read_back) == result.rows == kept.rows > 0
    pages = -(-result.rows // max_records)
    assert result.api_calls >= pages + 2  # the job, its results pages, the delete
    pd.testing.assert_frame_equal(read_back, kept.frame)
    pd.testing.assert_frame_equal(result.frame, kept.frame.iloc[:0])


def test_bulk_query_all_sees_deleted_rows(conn: SessionTransport) -> None:
    created = conn.request("POST", "sobjects/Account", json={"Name": "Bulk Gone"})
    conn.request("DELETE", f"sobjects/Account/{created.json()['id']}")
    soql = "SELECT Id, IsDeleted FROM Account WHERE Name = 'Bulk Gone'"
    assert run_query(conn, soql, bulk=True, progress=False).rows == 0
    found = run_query(conn, soql, bulk=True, all_rows=True, progress=False)
    assert found.frame["IsDeleted"].tolist() == [True]


PLAN = shaping.Plan(
    "X",
    [
        shaping.Column("Id", ("Id",), "string"),
        shaping.Column("T", ("T",), "time"),
        shaping.Column("D", ("D",), "date"),
        shaping.Column("S", ("S",), "datetime"),
        shaping.Column("B", ("B",), "boolean"),
        shaping.Column("N", ("N",), "integer"),
    ],
)


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        (b"", []),
        (b'"Id","T","D","S","B","N"\n', []),
        (
            b'"Id","T","D","S","B","N"\n'
            b'"a","08:15:00.500Z","2024-02-29","2024-01-15T10:30:00.000Z","true","7"\n'
            b'"b","","","","",""\n',
            [
                (
                    "a",
                    dt.time(8, 15, 0, 500000),
                    dt.date(2024, 2, 29),
                    dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.UTC),
                    True,
                    7,
                ),
                (None, None, None, None, None, None),
            ],
        ),
    ],
)
def test_csv_pages_are_read_with_the_plan_types(
    body: bytes, rows: list[tuple[object, ...]]
) -> None:
    page = read_csv_page(body, PLAN)
    columns = [column.to_pylist() for column in page.columns]
    read = [tuple(values) for values in zip(*columns, strict=True)]
    expected = [row if row[0] is not None else ("b", *row[1:]) for row in rows]
    assert read == expected
    assert page.length == len(rows)
