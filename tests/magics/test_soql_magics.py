"""%%soql, %soql, %sf_describe, %sf_search and %sf_limits through an IPython
shell logged in to a live demo org (``%sf_login --local``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import CapturedIO, capture_output

import sfmagic
from sfmagic.client.connection import Connection
from sfmagic.emulator.org import RunningOrg
from tests.magics.helpers import shown, usage_error
from tests.magics.query_support import demo_org

pytestmark = pytest.mark.live

TEXT = pd.StringDtype("pyarrow")
UTC_TIME = pd.DatetimeTZDtype("ms", "UTC")
DATE = pd.ArrowDtype(pa.date32())
TIME = pd.ArrowDtype(pa.time32("ms"))
HOSTILE = [
    "O'Brien's \"quoted\" account",
    "back\\slash \\' and \\\\ twice",
    "100% sure_ of LIKE wildcards",
    "naïve café — 日本語 🚀",
    "two\nlines\r\nand\ttab",
    "trailing backslash \\",
    ":notaplaceholder and {braces}",
]


@pytest.fixture(scope="session")
def org() -> RunningOrg:
    """The demo org with custom fields, in place of the shared empty one."""
    return demo_org()


@pytest.fixture(autouse=True)
def _forget_query_options(shell: InteractiveShell) -> Iterator[None]:
    yield
    shell.config.pop("SoqlMagic", None)


@pytest.fixture
def conn(ip_logged_in: InteractiveShell) -> Connection:
    return sfmagic.connection()


def cell(ip: InteractiveShell, line: str, body: str) -> CapturedIO:
    """Run ``%%soql line`` over ``body`` and capture what it showed."""
    with capture_output() as captured:
        ip.run_cell_magic("soql", line, body)
    return captured


def line(ip: InteractiveShell, text: str) -> Any:
    """The value of ``%soql text``."""
    with capture_output():
        return ip.run_line_magic("soql", text)


def soql_error(ip: InteractiveShell, options: str, body: str | None = None) -> str:
    """The message of the UsageError ``%soql`` or ``%%soql`` raises."""

    def run() -> None:
        if body is None:
            ip.run_line_magic("soql", options)
        else:
            ip.run_cell_magic("soql", options, body)

    with capture_output(), pytest.raises(UsageError) as caught:
        run()
    assert type(caught.value) is UsageError
    message = str(caught.value)
    first = message.split("\n")[0]
    assert first.startswith("%soql: ")
    assert first.endswith("."), first
    assert "Traceback" not in message
    return message


def caret_column(message: str) -> tuple[str, int]:
    """The query line of an error message and the column its caret points at."""
    _, query_line, caret = message.split("\n")
    assert query_line.startswith("    ")
    assert caret.rstrip().endswith("^")
    return query_line[4:], len(caret.rstrip()) - 4


# -- shaping as seen through the magics ----------------------------------------


ACCOUNT_KINDS = [
    ("Id", TEXT),
    ("Name", TEXT),
    ("Owner.Name", TEXT),
    ("Industry", TEXT),
    ("CreatedDate", UTC_TIME),
    ("LastActivityDate", DATE),
    ("AnnualRevenue", np.dtype("float64")),
    ("NumberOfEmployees", pd.Int64Dtype()),
    ("IsDeleted", pd.BooleanDtype()),
    ("BillingAddress.city", TEXT),
    ("BillingAddress.latitude", np.dtype("float64")),
    ("Opens_At__c", TIME),
    ("Score__c", np.dtype("float64")),
    ("Share__c", np.dtype("float64")),
    ("Region__c", TEXT),
]


def test_every_column_kind_gets_its_dtype(
    ip_logged_in: InteractiveShell, conn: Connection
) -> None:
    conn.request(
        "POST",
        "sobjects/Account",
        json={
            "Name": "Kinds Ltd",
            "Opens_At__c": "08:30:15.250Z",
            "Score__c": 3.25,
            "Share__c": 12.5,
            "Region__c": "North",
            "NumberOfEmployees": 42,
            "BillingCity": "Lyon",
        },
    )
    fields = ", ".join(
        name for name, _ in ACCOUNT_KINDS if not name.startswith("BillingAddress")
    )
    cell(ip_logged_in, "kinds", f"SELECT {fields}, BillingAddress FROM Account")
    frame = ip_logged_in.user_ns["kinds"]
    assert dict(frame.dtypes) == {
        **dict(ACCOUNT_KINDS),
        **{
            column: frame.dtypes[column]
            for column in frame.columns
            if column.startswith("BillingAddress")
            and column not in ("BillingAddress.city", "BillingAddress.latitude")
        },
    }
    assert "attributes" not in " ".join(frame.columns)
    row = frame[frame["Name"] == "Kinds Ltd"].iloc[0]
    assert row["Opens_At__c"] == dt.time(8, 30, 15, 250_000)
    assert row["Score__c"] == 3.25
    assert row["Share__c"] == 12.5
    assert row["NumberOfEmployees"] == 42
    assert row["BillingAddress.city"] == "Lyon"
    assert row["CreatedDate"].tzinfo is not None
    assert frame["IsDeleted"].isna().sum() == 0


def test_values_match_the_rest_api(
    ip_logged_in: InteractiveShell, conn: Connection
) -> None:
    soql = (
        "SELECT Id, Account.Owner.Name, LastName, Owner.Name, Account.Name, "
        "CreatedDate, Birthdate FROM Contact ORDER BY Id LIMIT 150"
    )
    frame = line(ip_logged_in, soql)
    records = conn.get("query/", q=soql)["records"]
    assert list(frame.columns) == [
        "Id",
        "Account.Owner.Name",
        "LastName",
        "Owner.Name",
        "Account.Name",
        "CreatedDate",
        "Birthdate",
    ]

    def plain(value: Any) -> Any:
        return None if value is pd.NA or value is pd.NaT else value

    for row, record in zip(frame.itertuples(index=False), records, strict=True):
        account = record["Account"] or {}
        got = [plain(value) for value in row]
        assert got[:5] == [
            record["Id"],
            (account.get("Owner") or {}).get("Name"),
            record["LastName"],
            record["Owner"]["Name"],
            account.get("Name"),
        ]
        assert got[5].to_pydatetime() == dt.datetime.fromisoformat(
            record["CreatedDate"]
        )
        birthdate = record["Birthdate"]
        assert got[6] == (dt.date.fromisoformat(birthdate) if birthdate else None)


def test_columns_exist_without_rows(ip_logged_in: InteractiveShell) -> None:
    captured = cell(
        ip_logged_in,
        "none",
        "SELECT Name, Owner.Name, CreatedDate, AnnualRevenue, "
        "(SELECT LastName FROM Contacts)\nFROM Account WHERE Name = 'No such account'",
    )
    frame = ip_logged_in.user_ns["none"]
    assert frame.empty
    assert list(frame.columns) == ["Name", "Owner.Name", "CreatedDate", "AnnualRevenue"]
    assert list(frame.dtypes) == [TEXT, TEXT, UTC_TIME, np.dtype("float64")]
    children = ip_logged_in.user_ns["none_Contacts"]
    assert list(children.columns) == ["parent_row", "LastName"]
    assert "0 rows" in shown(captured)


@pytest.fixture
def big_account(conn: Connection) -> str:
    """A new account with 450 contacts: more than one page of children."""
    account = conn.request("POST", "sobjects/Account", json={"Name": "Big Kids"})
    account_id = str(account.json()["id"])
    for start in range(0, 450, 200):
        records = [
            {"attributes": {"type": "Contact"}, "LastName": f"K{n:03}"}
            | {"AccountId": account_id}
            for n in range(start, min(start + 200, 450))
        ]
        conn.request(
            "POST", "composite/sobjects", json={"allOrNone": True, "records": records}
        )
    return account_id


def test_children_of_every_page_become_a_table_keyed_by_parent_id(
    ip_logged_in: InteractiveShell, big_account: str
) -> None:
    ip_logged_in.user_ns["big"] = big_account
    captured = cell(
        ip_logged_in,
        "accounts",
        "SELECT Id, Name, (SELECT LastName, CreatedDate FROM Contacts ORDER BY "
        "LastName) FROM Account WHERE Id = :big OR Name LIKE 'Falcon%'",
    )
    contacts = ip_logged_in.user_ns["accounts_Contacts"]
    mine = contacts[contacts["parent_id"] == big_account]
    assert mine["LastName"].tolist() == [f"K{n:03}" for n in range(450)]
    assert list(contacts.columns) == ["parent_id", "LastName", "CreatedDate"]
    assert contacts["CreatedDate"].dtype == UTC_TIME
    assert set(contacts["parent_id"]) <= set(ip_logged_in.user_ns["accounts"]["Id"])
    result = ip_logged_in.user_ns["_soql"]
    assert result.children["Contacts"] is contacts
    assert result.api_calls > 1
    assert "Contacts (" in shown(captured)
    assert "accounts_Contacts" in shown(captured)


def test_a_new_query_into_var_drops_its_old_child_tables(
    ip_logged_in: InteractiveShell,
) -> None:
    cell(ip_logged_in, "acc", "SELECT Id, (SELECT Id FROM Cases) FROM Account")
    assert "acc_Cases" in ip_logged_in.user_ns
    ip_logged_in.user_ns["acc_Notes"] = "mine"
    cell(ip_logged_in, "acc", "SELECT Id, (SELECT Id FROM Contacts) FROM Account")
    assert "acc_Cases" not in ip_logged_in.user_ns
    assert "acc_Contacts" in ip_logged_in.user_ns
    assert ip_logged_in.user_ns["acc_Notes"] == "mine"


def test_explode_gives_one_row_per_child(
    ip_logged_in: InteractiveShell, big_account: str
) -> None:
    ip_logged_in.user_ns["big"] = big_account
    frame = line(
        ip_logged_in,
        "--children explode SELECT Id, Name, (SELECT LastName FROM Contacts) "
        "FROM Account WHERE Id = :big",
    )
    assert list(frame.columns) == ["Id", "Name", "Contacts.LastName"]
    assert len(frame) == 450
    assert set(frame["Id"]) == {big_account}


def test_explode_is_the_configured_default(
    ip_logged_in: InteractiveShell, big_account: str
) -> None:
    ip_logged_in.run_line_magic("config", "SoqlMagic.children = 'explode'")
    ip_logged_in.user_ns["big"] = big_account
    cell(
        ip_logged_in,
        "kids",
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id = :big",
    )
    assert len(ip_logged_in.user_ns["kids"]) == 450
    assert "kids_Contacts" not in ip_logged_in.user_ns


def test_aggregates_are_typed_from_their_field(ip_logged_in: InteractiveShell) -> None:
    cell(
        ip_logged_in,
        "agg",
        "SELECT Industry, MAX(CreatedDate) latest, MIN(LastActivityDate) first_act, "
        "SUM(AnnualRevenue) revenue, AVG(NumberOfEmployees) staff, COUNT(Id) n\n"
        "FROM Account GROUP BY Industry",
    )
    frame = ip_logged_in.user_ns["agg"]
    assert dict(frame.dtypes) == {
        "Industry": TEXT,
        "latest": UTC_TIME,
        "first_act": DATE,
        "revenue": np.dtype("float64"),
        "staff": np.dtype("float64"),
        "n": pd.Int64Dtype(),
    }
    everything = line(ip_logged_in, "SELECT Id, Industry FROM Account")
    assert frame["n"].sum() == len(everything)
    counted = line(ip_logged_in, "SELECT COUNT() FROM Account")
    assert counted["count"].dtype == pd.Int64Dtype()
    assert counted["count"].tolist() == [len(everything)]


def test_display_caps_rows_and_reports_cost(ip_logged_in: InteractiveShell) -> None:
    ip_logged_in.run_line_magic("config", "SoqlMagic.display_rows = 7")
    line(ip_logged_in, "SELECT Id FROM Account LIMIT 1")  # describe Account once
    captured = cell(
        ip_logged_in, "--batch-size 200 accts", "SELECT Id, Name FROM Account"
    )
    rows = len(ip_logged_in.user_ns["accts"])
    assert rows > 200
    html = captured.outputs[0].data["text/html"]
    assert html.count("<tr") == 1 + 7
    text = shown(captured)
    assert f"{rows:,} rows in " in text
    assert " s, 2 API requests" in text
    assert "first 7 shown" in text
    assert f"/{rows} [" in captured.stderr  # the progress bar of two pages


def test_describe_requests_are_counted_once_per_connection(
    ip_logged_in: InteractiveShell,
) -> None:
    with capture_output():
        ip_logged_in.run_line_magic("sf_login", "--local --alias fresh")
    soql = "--conn fresh SELECT Id, Owner.Name FROM Account LIMIT 1"
    line(ip_logged_in, soql)
    # describe Account, describe User (for Owner.Name), then the query.
    assert ip_logged_in.user_ns["_soql"].api_calls == 3
    line(ip_logged_in, soql)
    assert ip_logged_in.user_ns["_soql"].api_calls == 1


def test_line_magic_returns_the_frame_and_shows_the_summary(
    ip_logged_in: InteractiveShell,
) -> None:
    line(ip_logged_in, "SELECT Id FROM Account LIMIT 1")  # describe Account once
    with capture_output() as captured:
        ip_logged_in.run_cell("few = %soql SELECT Id, Name FROM Account LIMIT 3")
    assert len(ip_logged_in.user_ns["few"]) == 3
    assert "3 rows in " in shown(captured)
    assert "1 API request" in shown(captured)
    assert captured.stderr == ""  # one page: no progress bar


def test_progress_bar_can_be_turned_off(ip_logged_in: InteractiveShell) -> None:
    ip_logged_in.run_line_magic("config", "SoqlMagic.progress = False")
    captured = cell(ip_logged_in, "--batch-size 200 quiet", "SELECT Id FROM Account")
    assert len(ip_logged_in.user_ns["quiet"]) > 200
    assert captured.stderr == ""


# -- binding -------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_strings_round_trip_through_create_and_query(
    ip_logged_in: InteractiveShell, conn: Connection, name: str
) -> None:
    created = conn.request("POST", "sobjects/Account", json={"Name": name})
    ip_logged_in.user_ns["name"] = name
    cell(ip_logged_in, "found", "SELECT Id, Name FROM Account WHERE Name = :name")
    found = ip_logged_in.user_ns["found"]
    assert found["Id"].tolist() == [created.json()["id"]]
    assert found["Name"].tolist() == [name]
    assert sfmagic.query(
        "SELECT Name FROM Account WHERE Name = :name AND Id = :id",
        name=name,
        id=created.json()["id"],
    )["Name"].tolist() == [name]


def test_every_kind_of_value_binds(ip_logged_in: InteractiveShell) -> None:
    everything = line(
        ip_logged_in,
        "SELECT Id, Industry, NumberOfEmployees, AnnualRevenue, CreatedDate, "
        "LastActivityDate, ParentId FROM Account",
    )
    created = everything["CreatedDate"].sort_values()
    middle = created.iloc[len(created) // 2].to_pydatetime()
    industries = {"Energy", "Banking", "Retail"}
    ip_logged_in.user_ns.update(
        staff=100,
        revenue=1.5,
        when=middle,
        day=dt.date(2020, 1, 1),
        inds=industries,
        nothing=None,
        yes=False,
    )
    frame = line(
        ip_logged_in,
        "SELECT Id FROM Account WHERE NumberOfEmployees > :staff AND AnnualRevenue "
        "> :revenue AND CreatedDate < :when AND LastActivityDate > :day AND "
        "Industry IN :inds AND ParentId = :nothing AND IsDeleted = :yes",
    )
    conditions = [
        everything["NumberOfEmployees"] > 100,
        everything["AnnualRevenue"] > 1.5,
        everything["CreatedDate"] < pd.Timestamp(middle),
        everything["LastActivityDate"] > dt.date(2020, 1, 1),
        everything["Industry"].isin(industries),
        everything["ParentId"].isna(),
    ]
    mask = np.logical_and.reduce(
        [condition.fillna(False).to_numpy(dtype=bool) for condition in conditions]
    )
    wanted = everything[mask]
    assert sorted(frame["Id"]) == sorted(wanted["Id"])
    assert len(frame) > 0


def test_placeholders_inside_string_literals_stay_text(
    ip_logged_in: InteractiveShell,
) -> None:
    frame = line(ip_logged_in, "SELECT Id FROM Account WHERE Name = ':nobody is here'")
    assert frame.empty


def test_ipython_expansions_leave_the_query_alone(
    ip_logged_in: InteractiveShell, conn: Connection
) -> None:
    ip_logged_in.user_ns["kept"] = "expanded"
    conn.request("POST", "sobjects/Account", json={"Name": "Braces {kept} $kept"})
    soql = "SELECT Name FROM Account WHERE Name = 'Braces {kept} $kept'"
    assert line(ip_logged_in, soql)["Name"].tolist() == ["Braces {kept} $kept"]
    with capture_output():
        ip_logged_in.run_cell(f"%soql {soql}")
    assert ip_logged_in.user_ns["_soql"].rows == 1


def test_a_series_of_50000_ids_is_queried_in_several_requests(
    ip_logged_in: InteractiveShell,
) -> None:
    real = line(ip_logged_in, "SELECT Id FROM Account")["Id"]
    fake = pd.Series([f"001000{n:09}AAA" for n in range(50_000 - len(real))])
    ip_logged_in.user_ns["ids"] = pd.concat([fake, real], ignore_index=True)
    assert len(ip_logged_in.user_ns["ids"]) == 50_000
    cell(ip_logged_in, "hits", "SELECT Id, Name FROM Account WHERE Id IN :ids")
    assert sorted(ip_logged_in.user_ns["hits"]["Id"]) == sorted(real)
    assert ip_logged_in.user_ns["_soql"].api_calls > 10


# -- bulk and Parquet ----------------------------------------------------------


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("Id").reset_index(drop=True)


BULK_QUERY = "SELECT Id, Name, Owner.Name, AnnualRevenue, CreatedDate FROM Account"


def test_bulk_gives_the_rest_frame(ip_logged_in: InteractiveShell) -> None:
    rest = line(ip_logged_in, "--no-bulk " + BULK_QUERY)
    captured = cell(ip_logged_in, "--bulk viabulk", BULK_QUERY)
    assert ip_logged_in.user_ns["_soql"].bulk
    assert "via Bulk API 2.0" in shown(captured)
    pd.testing.assert_frame_equal(by_id(ip_logged_in.user_ns["viabulk"]), by_id(rest))


def test_large_results_switch_to_bulk_on_their_own(
    ip_logged_in: InteractiveShell,
) -> None:
    ip_logged_in.run_line_magic("config", "SoqlMagic.bulk_threshold = 100")
    line(ip_logged_in, BULK_QUERY)
    assert ip_logged_in.user_ns["_soql"].bulk
    line(ip_logged_in, BULK_QUERY + " LIMIT 50")
    assert not ip_logged_in.user_ns["_soql"].bulk
    line(ip_logged_in, "--no-bulk " + BULK_QUERY)
    assert not ip_logged_in.user_ns["_soql"].bulk
    line(ip_logged_in, "SELECT Id, (SELECT Id FROM Contacts) FROM Account")
    assert not ip_logged_in.user_ns["_soql"].bulk


@pytest.mark.parametrize("options", ["", "--bulk "])
def test_to_parquet_writes_every_row(
    ip_logged_in: InteractiveShell, tmp_path: Path, options: str
) -> None:
    rest = line(ip_logged_in, BULK_QUERY)
    target = tmp_path / "accounts.parquet"
    captured = cell(ip_logged_in, f"{options}--to {target} out", BULK_QUERY)
    assert ip_logged_in.user_ns["out"] == target
    written = pd.read_parquet(target, dtype_backend="pyarrow")
    assert list(written.columns) == list(rest.columns)
    assert sorted(written["Id"].astype(str)) == sorted(rest["Id"])
    assert f"{len(rest):,} rows" in shown(captured)
    assert str(target) in shown(captured)
    path = line(ip_logged_in, f"--to {tmp_path / 'again.parquet'} {BULK_QUERY}")
    assert pd.read_parquet(path).shape == rest.shape


def test_all_rows_includes_deleted_records(
    ip_logged_in: InteractiveShell, conn: Connection
) -> None:
    created = conn.request("POST", "sobjects/Account", json={"Name": "Gone Soon"})
    account_id = created.json()["id"]
    conn.request("DELETE", f"sobjects/Account/{account_id}")
    ip_logged_in.user_ns["gone"] = account_id
    soql = "SELECT Id, IsDeleted FROM Account WHERE Id = :gone"
    assert line(ip_logged_in, soql).empty
    found = line(ip_logged_in, "--all-rows " + soql)
    assert found["IsDeleted"].tolist() == [True]


def test_tooling_queries_go_to_the_tooling_api(
    ip_logged_in: InteractiveShell, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sfmagic.client")
    frame = line(
        ip_logged_in,
        "--tooling SELECT QualifiedApiName, Label, IsQueryable FROM EntityDefinition "
        "WHERE QualifiedApiName = 'Account'",
    )
    assert frame.to_dict("records") == [
        {"QualifiedApiName": "Account", "Label": "Account", "IsQueryable": True}
    ]
    assert list(frame.dtypes) == [TEXT, TEXT, pd.BooleanDtype()]
    paths = [record.getMessage() for record in caplog.records]
    assert any("/tooling/sobjects/EntityDefinition/describe" in path for path in paths)
    assert any("/tooling/query" in path for path in paths)
    # The data API's objects are not the Tooling API's.
    message = soql_error(ip_logged_in, "--tooling SELECT Id FROM Account")
    assert "INVALID_TYPE" in message


def test_conn_picks_another_connection(ip_logged_in: InteractiveShell) -> None:
    with capture_output():
        ip_logged_in.run_line_magic("sf_login", "--local --alias second")
        ip_logged_in.run_line_magic("sf_use", "default")
    frame = line(ip_logged_in, "--conn second SELECT Id FROM Account LIMIT 2")
    assert len(frame) == 2
    message = soql_error(ip_logged_in, "--conn nowhere SELECT Id FROM Account")
    assert "nowhere" in message


# -- errors --------------------------------------------------------------------


def test_unbound_names_are_listed(ip_logged_in: InteractiveShell) -> None:
    message = soql_error(
        ip_logged_in,
        "",
        "SELECT Id FROM Account WHERE Name = :who AND Industry IN :kinds\n"
        "AND Name != ':quoted' AND Type = :who",
    )
    assert ":who, :kinds" in message
    assert "quoted" not in message
    assert "\n" not in message


def test_values_soql_cannot_express_are_refused(
    ip_logged_in: InteractiveShell,
) -> None:
    ip_logged_in.user_ns["thing"] = object()
    message = soql_error(ip_logged_in, "SELECT Id FROM Account WHERE Name = :thing")
    assert "cannot quote a object" in message
    assert "\n" not in message


def test_lists_that_cannot_be_split_are_refused(ip_logged_in: InteractiveShell) -> None:
    ip_logged_in.user_ns["many"] = [f"001000{n:09}AAA" for n in range(5000)]
    message = soql_error(ip_logged_in, "SELECT Id FROM Account WHERE Id NOT IN :many")
    assert "NOT IN list :many is too long" in message
    assert "\n" not in message


def test_malformed_query_shows_line_and_caret(ip_logged_in: InteractiveShell) -> None:
    message = soql_error(
        ip_logged_in, "", "SELECT Id, Name\nFROM Account\nWHERE Name = 'x' LIMT 5"
    )
    assert "MALFORMED_QUERY at line 3, column 18" in message
    query_line, column = caret_column(message)
    assert query_line == "WHERE Name = 'x' LIMT 5"
    assert query_line[column - 1 :].startswith("LIMT")


@pytest.mark.parametrize(
    ("soql", "code", "token", "hint"),
    [
        ("SELECT Id, Nmae FROM Account", "INVALID_FIELD", "Nmae", "Name"),
        (
            "SELECT Id, Owner.Emial FROM Account",
            "INVALID_FIELD",
            "Owner.Emial",
            "Email",
        ),
        ("SELECT Id, Ownr.Name FROM Account", "INVALID_FIELD", "Ownr.Name", "Owner"),
        (
            "SELECT Id, (SELECT Id FROM Contcts) FROM Account",
            "INVALID_TYPE",
            "Contcts",
            "Contacts",
        ),
        ("SELECT Id FROM Acount", "INVALID_TYPE", "Acount", "Account"),
        ("SELECT Id FROM Opportunty", "INVALID_TYPE", "Opportunty", "Opportunity"),
    ],
)
def test_unknown_names_get_caret_and_did_you_mean(
    ip_logged_in: InteractiveShell, soql: str, code: str, token: str, hint: str
) -> None:
    message = soql_error(ip_logged_in, soql)
    first = message.split("\n")[0]
    assert first.startswith(f"%soql: {code} at line 1, column ")
    assert "did you mean " in first
    assert hint in first.split("did you mean ")[1]
    query_line, column = caret_column(message)
    assert query_line == soql
    assert query_line[column - 1 :].startswith(token)


def test_errors_point_into_the_bound_query(ip_logged_in: InteractiveShell) -> None:
    ip_logged_in.user_ns["who"] = "O'Hara"
    message = soql_error(
        ip_logged_in, "", "SELECT Id\nFROM Account\nWHERE Name = :who AND Nmae = 'x'"
    )
    query_line, column = caret_column(message)
    assert query_line == "WHERE Name = 'O\\'Hara' AND Nmae = 'x'"
    assert query_line[column - 1 :].startswith("Nmae")
    assert "line 3" in message


def test_salesforce_malformed_query_shows_line_and_caret(
    ip_logged_in: InteractiveShell,
) -> None:
    # Parses, but Salesforce refuses it: the caret comes from its answer.
    message = soql_error(ip_logged_in, "", "SELECT COUNT(Id),\n  Name\nFROM Account")
    first = message.split("\n")[0]
    assert first == (
        "%soql: MALFORMED_QUERY at line 2, column 3: Field must be grouped or "
        "aggregated: Name."
    )
    query_line, column = caret_column(message)
    assert query_line == "  Name"
    assert query_line[column - 1 :].startswith("Name")


def test_errors_without_position_are_one_sentence(
    ip_logged_in: InteractiveShell,
) -> None:
    message = soql_error(ip_logged_in, "SELECT Id FROM Account LIMIT 5 OFFSET 3000")
    assert message == (
        "%soql: Salesforce refused the query (NUMBER_OUTSIDE_VALID_RANGE): "
        "Maximum SOQL offset allowed is 2000."
    )


def test_filter_type_errors_show_the_caret(ip_logged_in: InteractiveShell) -> None:
    message = soql_error(ip_logged_in, "SELECT Id FROM Account WHERE Name = 5")
    assert "INVALID_QUERY_FILTER_OPERATOR" in message
    query_line, column = caret_column(message)
    assert query_line[column - 1 :] == "5"


@pytest.mark.parametrize(
    ("options", "body", "words"),
    [
        ("--bulk --no-bulk", None, "contradict"),
        ("--tooling --bulk", None, "Tooling API"),
        ("--batch-size 5", None, "200 to 2000"),
        ("--batch-size lots", None, "--batch-size"),
        ("--to out.csv", None, ".parquet"),
        ("--to /no/such/folder/out.parquet", None, "does not exist"),
        ("--children sideways", None, "--children"),
        ("--frobnicate", None, "unknown option --frobnicate"),
        ("--bulk", "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry", "Bulk"),
        (
            "--children explode",
            "SELECT Id, (SELECT Id FROM Contacts), (SELECT Id FROM Cases) FROM Account",
            "--children tables",
        ),
        (
            "--to x.parquet",
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
            "Parquet",
        ),
        ("not-a-name!", "SELECT Id FROM Account", "variable name"),
        ("", "   \n  ", "no query"),
    ],
)
def test_bad_options_are_one_sentence(
    ip_logged_in: InteractiveShell, options: str, body: str | None, words: str
) -> None:
    query = body if body is not None else "SELECT Id FROM Account"
    message = soql_error(ip_logged_in, options, query)
    assert words in message
    assert "\n" not in message


def test_line_magic_without_a_query(ip_logged_in: InteractiveShell) -> None:
    assert "no query" in soql_error(ip_logged_in, "--bulk --conn default")


def test_expired_session_is_a_usage_error(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = org.access_token()
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    with capture_output():
        ip.run_line_magic(
            "sf_login",
            f"--access-token-env --instance-url {org.instance_url} "
            f"--ca-file {org.ca_file}",
        )
    # Ended now at the org: Salesforce answers it as it answers an expiry.
    org.state.identity.revoke(token)
    message = soql_error(ip, "SELECT Id FROM Account LIMIT 1")
    assert "expired and cannot be renewed" in message
    assert "%sf_login" in message


def test_not_logged_in_is_a_usage_error(ip: InteractiveShell) -> None:
    message = soql_error(ip, "SELECT Id FROM Account")
    assert "%sf_login" in message


# -- %sf_describe, %sf_search, %sf_limits ----------------------------------------


def test_describe_lists_fields_with_their_facts(
    ip_logged_in: InteractiveShell, conn: Connection
) -> None:
    with capture_output():
        fields = ip_logged_in.run_line_magic("sf_describe", "Account")
    assert list(fields.columns) == [
        "name",
        "label",
        "type",
        "length",
        "required",
        "updateable",
        "picklist_values",
        "reference_to",
    ]
    by_name = fields.set_index("name")
    describe = conn.get("sobjects/Account/describe")
    assert list(fields["name"]) == [f["name"] for f in describe["fields"]]
    industry = next(f for f in describe["fields"] if f["name"] == "Industry")
    assert by_name.loc["Industry", "picklist_values"] == [
        v["value"] for v in industry["picklistValues"] if v["active"]
    ]
    assert by_name.loc["OwnerId", "reference_to"] == ["User"]
    assert by_name.loc["Name", "required"]
    assert not by_name.loc["Id", "updateable"]
    assert by_name.loc["Name", "length"] == 255
    assert by_name.loc["Opens_At__c", "type"] == "time"


def test_describe_without_object_lists_objects(ip_logged_in: InteractiveShell) -> None:
    with capture_output():
        objects = ip_logged_in.run_line_magic("sf_describe", "")
    assert {"Account", "Contact", "Opportunity"} <= set(objects["name"])


def test_describe_of_unknown_object_suggests(ip_logged_in: InteractiveShell) -> None:
    message = usage_error(ip_logged_in, "sf_describe", "Acount")
    assert "did you mean Account" in message


def test_search_gives_a_typed_frame_per_object(ip_logged_in: InteractiveShell) -> None:
    with capture_output():
        found = ip_logged_in.run_line_magic(
            "sf_search",
            "FIND {Falcon} IN NAME FIELDS RETURNING Account(Id, Name, Owner.Name, "
            "AnnualRevenue, CreatedDate WHERE AnnualRevenue > 0 ORDER BY Name), "
            "Lead(Name, Company), Contact",
        )
    assert list(found) == ["Account", "Lead", "Contact"]
    accounts = found["Account"]
    assert list(accounts.columns) == [
        "Id",
        "Name",
        "Owner.Name",
        "AnnualRevenue",
        "CreatedDate",
    ]
    assert accounts["CreatedDate"].dtype == UTC_TIME
    assert len(accounts) > 0
    assert all("falcon" in name.lower() for name in accounts["Name"])
    assert accounts["Name"].tolist() == sorted(accounts["Name"])
    assert list(found["Contact"].columns) == ["Id"]
    assert list(found["Lead"].columns) == ["Name", "Company"]


def test_search_cell_stores_the_frames(ip_logged_in: InteractiveShell) -> None:
    with capture_output() as captured:
        ip_logged_in.run_cell_magic(
            "sf_search", "hits", "FIND {Nothingmatchesthis} RETURNING Account(Name)"
        )
    hits = ip_logged_in.user_ns["hits"]
    assert list(hits) == ["Account"]
    assert hits["Account"].empty
    assert "Account (0 rows)" in shown(captured)


def test_search_errors_are_usage_errors(ip_logged_in: InteractiveShell) -> None:
    with capture_output(), pytest.raises(UsageError) as caught:
        ip_logged_in.run_line_magic(
            "sf_search", "FIND {Falcon} RETURNING Account(Nmae)"
        )
    assert type(caught.value) is UsageError
    assert str(caught.value).startswith("%sf_search: INVALID_FIELD")
    assert "did you mean Name" in str(caught.value)
    assert usage_error(ip_logged_in, "sf_search", "").startswith("%sf_search: there")


def test_limits_are_a_frame(ip_logged_in: InteractiveShell, conn: Connection) -> None:
    with capture_output():
        limits = ip_logged_in.run_line_magic("sf_limits", "")
    row = limits.set_index("limit").loc["DailyApiRequests"]
    assert row["max"] == 15_000
    assert row["used"] == row["max"] - row["remaining"]
    assert limits["max"].dtype == pd.Int64Dtype()


# -- the Python API --------------------------------------------------------------


def test_python_api_select_get_and_list(
    ip_logged_in: InteractiveShell, conn: Connection
) -> None:
    top = sfmagic.select(
        "Account",
        ["Name", "Owner.Name", "AnnualRevenue"],
        where={"Industry": ["Energy", "Banking"]},
        order_by="AnnualRevenue DESC",
        limit=5,
    )
    assert list(top.columns) == ["Name", "Owner.Name", "AnnualRevenue"]
    assert top["AnnualRevenue"].is_monotonic_decreasing
    name = top["Name"].iloc[0]
    record = sfmagic.get_record("Account", "Name", name)
    assert record["Name"] == name
    assert record["Industry"] in ("Energy", "Banking")
    with pytest.raises(sfmagic.client.api.RecordLookupError) as none:
        sfmagic.get_record("Account", "Name", "No such account at all")
    assert none.value.count == 0
    for _ in range(2):
        conn.request("POST", "sobjects/Account", json={"Name": "Twin Peaks"})
    with pytest.raises(LookupError, match="more than one"):
        sfmagic.get_record("Account", "Name", "Twin Peaks", fields=["Id"])
    twins = sfmagic.list_records("Account", "Name", "like", "Twin%", fields="Id, Name")
    assert twins["Name"].tolist() == ["Twin Peaks", "Twin Peaks"]
    big = sfmagic.list_records(
        "Account", "NumberOfEmployees", ">=", 1000, conn="default"
    )
    assert (big["NumberOfEmployees"] >= 1000).all()
    assert "CreatedDate" in big.columns
    with pytest.raises(ValueError, match="not a SOQL operator"):
        sfmagic.list_records("Account", "Name", "~", "x")


def test_python_api_query_binds_keywords(ip_logged_in: InteractiveShell) -> None:
    from sfmagic.client.binding import UnboundNamesError

    frame = sfmagic.query(
        "SELECT Id, Industry FROM Account WHERE Industry IN :kinds", kinds=("Energy",)
    )
    assert set(frame["Industry"]) == {"Energy"}
    with pytest.raises(UnboundNamesError) as caught:
        sfmagic.query("SELECT Id FROM Account WHERE Name = :missing")
    assert caught.value.names == ["missing"]
    result = sfmagic.query_result(
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account LIMIT 5", progress=False
    )
    assert set(result.children["Contacts"]["parent_id"]) <= set(result.frame["Id"])
