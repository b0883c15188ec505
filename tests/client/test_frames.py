"""Query results as typed, flat DataFrames, against a live emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from sfmagic.client import shaping
from sfmagic.client.errors import MalformedRequestError
from sfmagic.client.frames import DISPLAY_ROWS, QueryResult, run_query, to_pandas
from sfmagic.client.query_transport import SessionTransport
from sfmagic.emulator import start
from sfmagic.emulator.org import RunningOrg
from sfmagic.soql import SoqlSyntaxError, parse

pytestmark = pytest.mark.live

BIG_ACCOUNT = "Many Contacts Inc."
BIG_CHILDREN = 450


@pytest.fixture(scope="module")
def org() -> Iterator[RunningOrg]:
    with start(demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def conn(org: RunningOrg) -> SessionTransport:
    return SessionTransport(
        org.session(), org.instance_url, "62.0", access_token=org.access_token()
    )


@pytest.fixture(scope="module")
def big_account(conn: SessionTransport) -> str:
    """An account with more contacts than fit in one child page."""
    created = conn.request("POST", "sobjects/Account", json={"Name": BIG_ACCOUNT})
    account_id = str(created.json()["id"])
    for start_at in range(0, BIG_CHILDREN, 200):
        records = [
            {
                "attributes": {"type": "Contact"},
                "LastName": f"C{n:04}",
                "AccountId": account_id,
            }
            for n in range(start_at, min(start_at + 200, BIG_CHILDREN))
        ]
        conn.request(
            "POST", "composite/sobjects", json={"allOrNone": True, "records": records}
        )
    return account_id


def query(conn: SessionTransport, soql: str, **options: object) -> QueryResult:
    return run_query(conn, soql, progress=False, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("column", "dtype"),
    [
        ("Id", pd.StringDtype("pyarrow")),
        ("Name", pd.StringDtype("pyarrow")),
        ("Owner.Name", pd.StringDtype("pyarrow")),
        ("CreatedDate", pd.DatetimeTZDtype("ms", "UTC")),
        ("LastActivityDate", pd.ArrowDtype(pa.date32())),
        ("AnnualRevenue", np.dtype("float64")),
        ("NumberOfEmployees", pd.Int64Dtype()),
        ("IsDeleted", pd.BooleanDtype()),
        ("Industry", pd.StringDtype("pyarrow")),
        ("BillingAddress.city", pd.StringDtype("pyarrow")),
        ("BillingAddress.latitude", np.dtype("float64")),
    ],
)
@pytest.mark.parametrize("where", ["", "WHERE Name = 'no such account'"])
def test_columns_are_typed_from_describe_even_without_rows(
    conn: SessionTransport, column: str, dtype: object, where: str
) -> None:
    soql = (
        "SELECT Id, Name, Owner.Name, CreatedDate, LastActivityDate, AnnualRevenue, "
        f"NumberOfEmployees, IsDeleted, Industry, BillingAddress FROM Account {where} "
        "LIMIT 5"
    )
    frame = query(conn, soql).frame
    assert frame[column].dtype == dtype
    assert "attributes" not in " ".join(frame.columns)


def test_columns_follow_select_order_with_describe_spelling(
    conn: SessionTransport,
) -> None:
    frame = query(conn, "SELECT owner.name, NAME, id FROM account LIMIT 1").frame
    assert list(frame.columns) == ["Owner.Name", "Name", "Id"]


def test_values_match_the_rest_api(conn: SessionTransport) -> None:
    soql = (
        "SELECT Id, Owner.Name, CreatedDate, AnnualRevenue FROM Account "
        "ORDER BY Id LIMIT 3"
    )
    frame = query(conn, soql).frame
    records = conn.request("GET", "query/", params={"q": soql}).json()["records"]
    for row, record in zip(frame.itertuples(index=False), records, strict=True):
        assert row[0] == record["Id"]
        assert row[1] == record["Owner"]["Name"]
        stamp = dt.datetime.strptime(record["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert row[2] == pd.Timestamp(stamp)
        assert row[3] == record["AnnualRevenue"] or pd.isna(row[3])


def test_null_parent_gives_null_columns(conn: SessionTransport) -> None:
    frame = query(
        conn, "SELECT Id, Account.Name, Account.Owner.Name FROM Contact"
    ).frame
    orphans = query(conn, "SELECT Id FROM Contact WHERE AccountId = null").rows
    assert frame["Account.Name"].isna().sum() == orphans
    assert list(frame.columns) == ["Id", "Account.Name", "Account.Owner.Name"]


def test_child_tables_hold_every_page_of_children(
    conn: SessionTransport, big_account: str
) -> None:
    soql = (
        "SELECT Id, Name, (SELECT Id, LastName FROM Contacts ORDER BY LastName) "
        "FROM Account"
    )
    result = query(conn, soql)
    contacts = result.children["Contacts"]
    assert list(contacts.columns) == ["parent_id", "Id", "LastName"]
    mine = contacts[contacts["parent_id"] == big_account]
    assert len(mine) == BIG_CHILDREN
    assert mine["LastName"].tolist() == [f"C{n:04}" for n in range(BIG_CHILDREN)]
    assert mine.index[-1] - mine.index[0] == BIG_CHILDREN - 1
    order = {account: row for row, account in enumerate(result.frame["Id"])}
    assert contacts["parent_id"].map(order).is_monotonic_increasing
    total = query(conn, "SELECT COUNT() FROM Contact WHERE AccountId != null").rows
    assert len(contacts) == total
    assert result.api_calls > 1


def test_children_keyed_by_row_without_parent_id(conn: SessionTransport) -> None:
    result = query(
        conn, "SELECT Name, (SELECT LastName FROM Contacts) FROM Account LIMIT 5"
    )
    contacts = result.children["Contacts"]
    assert contacts.columns[0] == "parent_row"
    assert contacts["parent_row"].between(0, 4).all()


def test_explode_gives_one_row_per_child_and_keeps_childless_parents(
    conn: SessionTransport, big_account: str
) -> None:
    soql = "SELECT Id, Name, (SELECT LastName FROM Contacts) FROM Account"
    tables = query(conn, soql)
    exploded = query(conn, soql, children="explode")
    frame = exploded.frame
    assert list(frame.columns) == ["Id", "Name", "Contacts.LastName"]
    childless = len(
        set(tables.frame["Id"]) - set(tables.children["Contacts"]["parent_id"])
    )
    assert len(frame) == len(tables.children["Contacts"]) + childless
    assert (frame["Id"] == big_account).sum() == BIG_CHILDREN
    assert frame["Id"].is_monotonic_increasing or frame["Id"].tolist() == sorted(
        frame["Id"].tolist(), key=list(tables.frame["Id"]).index
    )
    assert exploded.children == {}


def test_explode_refuses_two_relationships(conn: SessionTransport) -> None:
    soql = "SELECT Id, (SELECT Id FROM Contacts), (SELECT Id FROM Cases) FROM Account"
    with pytest.raises(ValueError, match="one child relationship"):
        query(conn, soql, children="explode")


@pytest.mark.parametrize(
    ("soql", "dtypes"),
    [
        (
            "SELECT Industry, COUNT(Id), MAX(AnnualRevenue) top, MIN(CreatedDate) "
            "FROM Account GROUP BY Industry",
            {
                "Industry": "string",
                "expr0": "Int64",
                "top": "float64",
                "expr1": "datetime64[ms, UTC]",
            },
        ),
        (
            "SELECT Owner.Name, SUM(NumberOfEmployees), AVG(AnnualRevenue) "
            "FROM Account GROUP BY Owner.Name",
            {"Name": "string", "expr0": "float64", "expr1": "float64"},
        ),
        (
            "SELECT CALENDAR_YEAR(CreatedDate) y, COUNT(Id) n FROM Account "
            "GROUP BY CALENDAR_YEAR(CreatedDate)",
            {"y": "Int64", "n": "Int64"},
        ),
    ],
)
def test_aggregate_columns_are_typed_from_their_field(
    conn: SessionTransport, soql: str, dtypes: dict[str, str]
) -> None:
    frame = query(conn, soql).frame
    assert {k: str(v) for k, v in frame.dtypes.items()} == dtypes
    assert len(frame) > 0


def test_count_gives_total_size(conn: SessionTransport) -> None:
    result = query(conn, "SELECT COUNT() FROM Account")
    listed = query(conn, "SELECT Id FROM Account")
    assert result.rows == listed.rows == int(result.frame["count"][0])


def test_all_rows_includes_deleted_records(conn: SessionTransport) -> None:
    created = conn.request("POST", "sobjects/Account", json={"Name": "Soon Gone"})
    conn.request("DELETE", f"sobjects/Account/{created.json()['id']}")
    soql = "SELECT Id, IsDeleted FROM Account WHERE Name = 'Soon Gone'"
    assert query(conn, soql).rows == 0
    result = query(conn, soql, all_rows=True)
    assert result.frame["IsDeleted"].tolist() == [True]


def test_pages_are_all_fetched_with_a_progress_bar(
    conn: SessionTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_query(conn, "SELECT Id FROM Contact", batch_size=200, progress=True)
    assert result.api_calls == -(-result.rows // 200)
    assert result.frame["Id"].is_unique
    assert "rows" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Idd FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Acount", "INVALID_TYPE"),
    ],
)
def test_salesforce_errors_keep_code_and_caret(
    conn: SessionTransport, soql: str, code: str
) -> None:
    with pytest.raises(MalformedRequestError) as raised:
        query(conn, soql)
    assert raised.value.error_code == code
    assert "^" in raised.value.message


def test_syntax_errors_are_found_before_sending(conn: SessionTransport) -> None:
    with pytest.raises(SoqlSyntaxError):
        query(conn, "SELECT Id FROM")


def test_parquet_output_streams_every_row(
    conn: SessionTransport, tmp_path: Path
) -> None:
    target = tmp_path / "contacts.parquet"
    soql = "SELECT Id, Birthdate, CreatedDate, Account.Name FROM Contact"
    result = query(conn, soql, to=target, batch_size=200)
    table = pq.read_table(target)
    assert result.path == target
    assert table.num_rows == result.rows > 200
    assert result.frame.empty
    assert list(result.frame.columns) == table.column_names
    assert table.schema.field("Birthdate").type == pa.date32()


TYPED_SOQL = (
    "SELECT Id, Name, Owner.Name, CreatedDate, LastActivityDate, AnnualRevenue, "
    "IsDeleted, NumberOfEmployees, Industry, Phone FROM Account ORDER BY Id"
)


def recipe_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The flattening recipe of a notebook, typed by hand as sfmagic types."""
    frame = pd.json_normalize(records)
    frame = frame[TYPED_SOQL.removeprefix("SELECT ").split(" FROM")[0].split(", ")]
    frame["CreatedDate"] = pd.to_datetime(
        frame["CreatedDate"], utc=True, format="ISO8601"
    ).astype("datetime64[ms, UTC]")
    frame["LastActivityDate"] = pd.array(
        [
            None if pd.isna(v) else dt.date.fromisoformat(v)
            for v in frame["LastActivityDate"]
        ],
        dtype=pd.ArrowDtype(pa.date32()),
    )
    frame["AnnualRevenue"] = frame["AnnualRevenue"].astype("float64")
    frame["IsDeleted"] = frame["IsDeleted"].astype("boolean")
    frame["NumberOfEmployees"] = frame["NumberOfEmployees"].astype("Int64")
    for column in ("Id", "Name", "Owner.Name", "Industry", "Phone"):
        frame[column] = frame[column].astype(pd.StringDtype("pyarrow"))
    return frame


def test_frame_equals_the_typed_recipe_across_pages(conn: SessionTransport) -> None:
    conn.request("POST", "sobjects/Account", json={"Name": "Nulls Everywhere"})
    result = query(conn, TYPED_SOQL, batch_size=200)
    records: list[dict[str, Any]] = []
    url: str | None = "query/"
    params: dict[str, str] | None = {"q": TYPED_SOQL}
    while url:
        page = conn.request("GET", url, params=params).json()
        records += page["records"]
        url, params = page.get("nextRecordsUrl"), None
    expected = recipe_frame(records)
    assert result.api_calls > 1
    pd.testing.assert_frame_equal(result.frame, expected)
    empty = result.frame[result.frame["Name"] == "Nulls Everywhere"].iloc[0]
    for column in ("LastActivityDate", "AnnualRevenue", "NumberOfEmployees"):
        assert pd.isna(empty[column])


@pytest.mark.parametrize(("batch_size", "one_group"), [(200, False), (2000, True)])
def test_parquet_file_reads_back_equal_to_the_frame(
    conn: SessionTransport, tmp_path: Path, batch_size: int, one_group: bool
) -> None:
    target = tmp_path / "accounts.parquet"
    written = query(conn, TYPED_SOQL, to=target, batch_size=batch_size)
    kept = query(conn, TYPED_SOQL, batch_size=batch_size)
    read_back = to_pandas(pq.read_table(target))
    assert (pq.ParquetFile(target).num_row_groups == 1) is one_group
    assert written.rows == kept.rows == len(read_back)
    pd.testing.assert_frame_equal(read_back, kept.frame)
    pd.testing.assert_frame_equal(written.frame, kept.frame.iloc[:0])


class FailingAfterFirstPage(SessionTransport):
    """Loses the connection when asked for a second query page."""

    def request(self, method: str, path_or_url: str, **options: object) -> Any:
        if "/query/" in path_or_url:
            raise requests.ConnectionError("connection reset")
        return super().request(method, path_or_url, **options)  # type: ignore[arg-type]


def test_parquet_file_of_a_failed_query_is_removed(
    org: RunningOrg, tmp_path: Path
) -> None:
    failing = FailingAfterFirstPage(
        org.session(), org.instance_url, "62.0", access_token=org.access_token()
    )
    target = tmp_path / "accounts.parquet"
    with pytest.raises(requests.ConnectionError):
        query(failing, TYPED_SOQL, to=target, batch_size=200)
    assert not target.exists()


def test_parquet_output_refuses_children(
    conn: SessionTransport, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="Parquet"):
        query(
            conn, "SELECT Id, (SELECT Id FROM Contacts) FROM Account", to=tmp_path / "x"
        )


def test_display_caps_rows_and_reports_cost(conn: SessionTransport) -> None:
    result = query(conn, "SELECT Id, Name FROM Account", batch_size=200)
    html = result._repr_html_()
    assert html.count("<tr>") <= DISPLAY_ROWS + 2
    assert f"{result.rows:,} rows" in html
    assert "API requests" in repr(result)


ARROW_AND_ORJSON_PAGES = [
    b'{"totalSize":2,"done":true,"records":[{"attributes":{"type":"X"},'
    b'"Id":"a","T":"10:30:05.250Z","D":"2024-02-29","N":3,"F":2,"B":true,'
    b'"P":{"attributes":{"type":"Y"},"Name":"p"},"Kids":{"totalSize":1,"done":false,'
    b'"nextRecordsUrl":"/next","records":[{"Id":"k"}]}},'
    b'{"attributes":{"type":"X"},"Id":"b","T":null,"D":null,"N":null,"F":null,'
    b'"B":null,"P":null,"Kids":null}]}',
]


@pytest.mark.parametrize("body", ARROW_AND_ORJSON_PAGES)
def test_both_page_readers_agree(body: bytes) -> None:
    plan = shaping.Plan(
        "X",
        [
            shaping.Column("Id", ("Id",), "string"),
            shaping.Column("T", ("T",), "time"),
            shaping.Column("D", ("D",), "date"),
            shaping.Column("N", ("N",), "integer"),
            shaping.Column("F", ("F",), "double"),
            shaping.Column("B", ("B",), "boolean"),
            shaping.Column("P.Name", ("P", "Name"), "string"),
        ],
        [
            shaping.ChildPlan(
                "Kids", shaping.Plan("K", [shaping.Column("Id", ("Id",), "string")])
            )
        ],
    )
    fast = shaping.read_page_arrow(body, plan)
    slow = shaping.read_page_orjson(body, plan)
    assert [a.to_pylist() for a in fast.data.columns] == [
        a.to_pylist() for a in slow.data.columns
    ]
    assert fast.data.columns[1].to_pylist() == [dt.time(10, 30, 5, 250000), None]
    assert fast.data.columns[2].to_pylist() == [dt.date(2024, 2, 29), None]
    kids = fast.data.children["Kids"]
    assert kids.pending == slow.data.children["Kids"].pending == [(0, "/next")]
    assert kids.parent_index.tolist() == [0]


def test_unexpected_value_kinds_fall_back_to_orjson() -> None:
    body = b'{"totalSize":1,"done":true,"records":[{"X":{"a":1}}]}'
    plan = shaping.Plan("S", [shaping.Column("X", ("X",), "unknown")])
    page = shaping.read_page(body, plan)
    assert page.data.columns[0].to_pylist() == ['{"a":1}']


def test_plan_expands_fields_macro_from_describe(conn: SessionTransport) -> None:
    from sfmagic.client.describe_cache import describe_cache

    cache = describe_cache(conn)
    plan = shaping.build_plan(
        parse("SELECT FIELDS(STANDARD) FROM Account LIMIT 1"), cache.describe
    )
    names = [c.name for c in plan.columns]
    assert "Id" in names
    assert "BillingAddress.city" in names
    frame = query(conn, "SELECT FIELDS(STANDARD) FROM Account LIMIT 2").frame
    assert list(frame.columns) == names


def test_runs_on_a_client_connection(org: RunningOrg) -> None:
    from sfmagic.client.auth.grants import AccessTokenGrant
    from sfmagic.client.connection import Connection

    grant = AccessTokenGrant(org.instance_url, org.access_token())
    connection = Connection.open(grant, ca_file=org.ca_file)
    try:
        result = run_query(connection, "SELECT Id, Owner.Name FROM Account LIMIT 3")
    finally:
        connection.close()
    assert list(result.frame.columns) == ["Id", "Owner.Name"]
    assert result.rows == 3
    assert result.api_calls == 1


class ToolingRecorder(SessionTransport):
    """Answers Tooling API paths from the data API, remembering each path."""

    paths: list[str]

    def request(self, method: str, path_or_url: str, **options: object) -> Any:
        self.paths.append(path_or_url)
        return super().request(
            method,
            path_or_url.removeprefix("tooling/"),
            **options,  # type: ignore[arg-type]
        )


def test_tooling_queries_and_describes_go_to_the_tooling_api(org: RunningOrg) -> None:
    recorder = ToolingRecorder(
        org.session(), org.instance_url, "62.0", access_token=org.access_token()
    )
    recorder.paths = []
    result = run_query(
        recorder, "SELECT Id, CreatedDate FROM Account LIMIT 2", tooling=True
    )
    assert "tooling/query/" in recorder.paths
    assert "tooling/sobjects/Account/describe" in recorder.paths
    assert str(result.frame["CreatedDate"].dtype) == "datetime64[ms, UTC]"
    with pytest.raises(ValueError, match="Tooling"):
        run_query(recorder, "SELECT Id FROM Account", tooling=True, bulk=True)


@pytest.mark.parametrize("mode", ["tables", "explode"])
def test_grandchildren_are_keyed_by_their_parent_child(
    conn: SessionTransport, mode: str
) -> None:
    soql = (
        "SELECT Id, (SELECT Id, LastName, (SELECT Id, Subject FROM Cases) "
        "FROM Contacts) FROM Account LIMIT 40"
    )
    result = query(conn, soql, children=mode)
    cases = result.children["Contacts.Cases"]
    assert list(cases.columns) == ["parent_id", "Id", "Subject"]
    contact_ids = set(query(conn, soql).children["Contacts"]["Id"])
    assert set(cases["parent_id"]) <= contact_ids
    assert len(cases) > 0
