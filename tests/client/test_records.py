"""sfmagic.client.records against a live demo org: checks, writes, conflicts, loads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from sfmagic.client import records
from sfmagic.emulator import start
from tests.login_support import admin_connection

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    with start(demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def conn(org: Any) -> Any:
    return admin_connection(org)


def _ids(conn: Any, soql: str) -> list[str]:
    return [row["Id"] for row in conn.get("query/", q=soql)["records"]]


class CountingConnection:
    """Passes requests through to a connection, counting them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.instance_url = inner.instance_url
        self.api_version = inner.api_version
        self.calls: list[str] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append(f"{method} {path}")
        return self.inner.request(method, path, **kwargs)


@pytest.mark.parametrize(
    ("sobject", "values", "creating", "code", "field"),
    [
        ("Account", {"Nope__c": 1, "Name": "x"}, True, "INVALID_FIELD", "Nope__c"),
        (
            "Account",
            {"CreatedDate": "2024-01-01T00:00:00Z", "Name": "x"},
            True,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "CreatedDate",
        ),
        ("Account", {"Industry": "Energy"}, True, "REQUIRED_FIELD_MISSING", "Name"),
        ("Account", {"Name": None}, False, "REQUIRED_FIELD_MISSING", "Name"),
        ("Account", {"Name": "x" * 256}, False, "STRING_TOO_LONG", "Name"),
        (
            "Account",
            {"CleanStatus": "Shiny"},
            False,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "CleanStatus",
        ),
        (
            "Contact",
            {"Email": "not-an-address"},
            False,
            "INVALID_EMAIL_ADDRESS",
            "Email",
        ),
        (
            "Account",
            {"NumberOfEmployees": "many"},
            False,
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            "NumberOfEmployees",
        ),
        (
            "Account",
            {"NumberOfEmployees": 1.5},
            False,
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            "NumberOfEmployees",
        ),
        (
            "Opportunity",
            {"Probability": 12345},
            False,
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Probability",
        ),
        (
            "Opportunity",
            {"CloseDate": "2024-13-01"},
            False,
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            "CloseDate",
        ),
        ("Contact", {"AccountId": "not an id"}, False, "MALFORMED_ID", "AccountId"),
        (
            "Account",
            {"IsPartner": "yes"},
            False,
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            "IsPartner",
        ),
    ],
)
def test_validate_reports_salesforce_codes(
    conn: Any,
    sobject: str,
    values: dict[str, Any],
    creating: bool,
    code: str,
    field: str | None,
) -> None:
    problems = records.validate(
        records.describe(conn, sobject), values, creating=creating
    )

    assert code in [p.error_code for p in problems]
    if field:
        assert any(field in p.fields for p in problems if p.error_code == code)


@pytest.mark.parametrize(
    ("values", "creating"),
    [
        ({"Name": "Acme", "Industry": "Energy", "NumberOfEmployees": 5}, True),
        ({"Phone": None, "AnnualRevenue": 10.0, "Website": "acme.example"}, False),
        ({"Name": "Acme", "Rating": "Invented value, not restricted"}, True),
    ],
)
def test_validate_accepts_good_values(
    conn: Any, values: dict[str, Any], creating: bool
) -> None:
    meta = records.describe(conn, "Account")

    assert records.validate(meta, values, creating=creating) == []


@pytest.mark.parametrize(
    ("meta_field", "value", "expected"),
    [
        ({"type": "date"}, date(2024, 1, 15), "2024-01-15"),
        (
            {"type": "datetime"},
            datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
            "2024-01-15T10:30:00.000+0000",
        ),
        (
            {"type": "datetime"},
            datetime(2024, 1, 15, 10, 30),
            "2024-01-15T10:30:00.000+0000",
        ),
        ({"type": "time"}, time(9, 5, 1), "09:05:01.000Z"),
        ({"type": "multipicklist"}, ["a", "b"], "a;b"),
        ({"type": "currency"}, Decimal("1.50"), 1.5),
        ({"type": "int"}, Decimal("7"), 7),
        ({"type": "picklist"}, "", None),
        ({"type": "string"}, "", ""),
        ({"type": "string"}, None, None),
    ],
)
def test_json_value_converts_python_values(
    meta_field: dict[str, Any], value: Any, expected: Any
) -> None:
    assert records.json_value(meta_field, value) == expected


def test_create_update_delete_round_trip(conn: Any) -> None:
    new_id = records.create(
        "Account",
        {"Name": "Round Trip Ltd", "Industry": "Energy", "NumberOfEmployees": 12},
        conn=conn,
    )
    loaded = records.get("Account", new_id, conn=conn)

    records.update("Account", new_id, {"Phone": "555-0100"}, loaded=loaded, conn=conn)
    after = records.get("Account", new_id, conn=conn)
    records.delete("Account", new_id, conn=conn)

    assert loaded["Name"] == "Round Trip Ltd"
    assert loaded["NumberOfEmployees"] == 12
    assert after["Phone"] == "555-0100"
    assert after["Industry"] == "Energy"
    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", new_id, conn=conn)
    with pytest.raises(records.RecordNotFoundError):
        records.delete("Account", new_id, conn=conn)


def test_invalid_create_sends_nothing(conn: Any) -> None:
    counting = CountingConnection(conn)
    records.describe(counting, "Account")
    counting.calls.clear()

    with pytest.raises(records.RecordError) as caught:
        records.create("Account", {"Industry": "Energy"}, conn=counting)

    assert counting.calls == []
    assert caught.value.field_errors == {
        "Name": ["Required fields are missing: [Name]"]
    }


def test_org_errors_name_their_fields(conn: Any) -> None:
    dangling = "0018a00000zzzzzAAA"

    with pytest.raises(records.RecordError) as caught:
        records.create("Contact", {"LastName": "X", "AccountId": dangling}, conn=conn)

    assert caught.value.status == 400
    assert "AccountId" in caught.value.field_errors
    assert caught.value.problems[0].error_code == "INVALID_CROSS_REFERENCE_KEY"


def test_update_of_a_record_changed_since_load_is_a_conflict(conn: Any) -> None:
    account_id = _ids(conn, "SELECT Id FROM Account ORDER BY Name LIMIT 1")[0]
    mine = records.get("Account", account_id, conn=conn)
    theirs = records.get("Account", account_id, conn=conn)

    records.update("Account", account_id, {"Phone": "111"}, loaded=theirs, conn=conn)
    with pytest.raises(records.RecordConflictError) as caught:
        records.update(
            "Account",
            account_id,
            {"Phone": "222", "Rating": "Hot"},
            loaded=mine,
            conn=conn,
        )

    conflict = caught.value
    assert conflict.remote == {"Phone": (mine["Phone"], "111")}
    assert conflict.local == {"Phone": "222", "Rating": "Hot"}
    assert conflict.overlapping == {"Phone"}
    assert conflict.current["Phone"] == "111"
    assert records.get("Account", account_id, conn=conn)["Phone"] == "111"


def test_forced_update_overwrites_a_conflict(conn: Any) -> None:
    account_id = _ids(conn, "SELECT Id FROM Account ORDER BY Name LIMIT 1 OFFSET 1")[0]
    mine = records.get("Account", account_id, conn=conn)
    records.update("Account", account_id, {"Fax": "1"}, loaded=mine, conn=conn)

    records.update(
        "Account", account_id, {"Fax": "2"}, loaded=mine, force=True, conn=conn
    )

    assert records.get("Account", account_id, conn=conn)["Fax"] == "2"


def test_get_with_related_uses_one_query_once_described(conn: Any) -> None:
    account_id = _ids(
        conn,
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) "
        "ORDER BY Name LIMIT 1",
    )[0]
    counting = CountingConnection(conn)
    records.get_with_related(counting, "Account", account_id)
    counting.calls.clear()

    loaded = records.get_with_related(counting, "Account", account_id)

    assert len(counting.calls) == 1
    assert counting.calls[0].startswith("GET query/")
    labels = [r.label for r in loaded.related]
    assert labels == [
        "Contacts",
        "Cases",
        "Opportunities",
        "Open tasks",
        "Activity history",
        "Notes",
    ]
    contacts = loaded.related[0]
    expected = _ids(conn, f"SELECT Id FROM Contact WHERE AccountId = '{account_id}'")
    assert sorted(r["Id"] for r in contacts.rows) == sorted(expected)
    assert contacts.sobject == "Contact"
    assert loaded.names["OwnerId"]


@pytest.mark.parametrize(
    ("sobject", "labels"),
    [
        ("Contact", ["Cases", "Tasks", "Notes"]),
        # The emulator's Note cannot point to a Case, so Case has no Notes list.
        ("Case", ["Tasks", "Comments"]),
        ("Lead", []),
    ],
)
def test_related_lists_per_object(conn: Any, sobject: str, labels: list[str]) -> None:
    record_id = _ids(conn, f"SELECT Id FROM {sobject} LIMIT 1")[0]

    loaded = records.get_with_related(conn, sobject, record_id)

    assert [r.label for r in loaded.related] == labels
    assert loaded.values["Id"] == record_id


def test_open_tasks_hold_only_open_tasks(conn: Any) -> None:
    account_id = _ids(conn, "SELECT Id FROM Account ORDER BY Name LIMIT 1 OFFSET 2")[0]
    task_id = records.create(
        "Task",
        {"Subject": "Call back", "WhatId": account_id, "Status": "Not Started"},
        conn=conn,
    )
    closed_id = records.create(
        "Task",
        {"Subject": "Done", "WhatId": account_id, "Status": "Completed"},
        conn=conn,
    )

    loaded = records.get_with_related(conn, "Account", account_id)

    open_tasks = next(r for r in loaded.related if r.label == "Open tasks")
    shown = {row["Id"] for row in open_tasks.rows}
    assert task_id in shown
    assert closed_id not in shown


@pytest.mark.parametrize("record_id", ["0018a00000zzzzzAAA", "nonsense"])
def test_get_with_related_of_a_missing_record(conn: Any, record_id: str) -> None:
    with pytest.raises(records.RecordNotFoundError):
        records.get_with_related(conn, "Account", record_id)


def test_find_matches_by_field_values(conn: Any) -> None:
    name = conn.get("query/", q="SELECT Name FROM Account LIMIT 1")["records"][0]

    found = records.find("Account", {"Name": name["Name"]}, conn=conn)
    none = records.find("Account", {"Name": "No 'such' account"}, conn=conn)
    several = records.find("Account", {"Industry": "Energy"}, conn=conn, limit=3)

    assert [row["Name"] for row in found] == [name["Name"]]
    assert none == []
    assert len(several) == 3


def test_find_refuses_unknown_fields(conn: Any) -> None:
    with pytest.raises(records.RecordError, match="No such column"):
        records.find("Account", {"Name = 'x' OR Name": "y"}, conn=conn)


def test_search_names_offers_records_by_name_prefix(conn: Any) -> None:
    found = records.search_names(conn, ["Account"], "Clear", limit=5)

    assert found
    assert all(name.startswith("Clear") for _, name, _ in found)
    assert {sobject for _, _, sobject in found} == {"Account"}


def test_find_and_search_names_quote_awkward_text(conn: Any) -> None:
    name = "Quote 'a' \"b\" \\c 50%_off\tend"
    record_id = records.create("Account", {"Name": name}, conn=conn)
    try:
        found = records.find("Account", {"Name": name}, conn=conn)
        offered = records.search_names(conn, ["Account"], name[:20])
        wildcard = records.search_names(conn, ["Account"], "Quote 'a' \"b\" \\c 5_")
    finally:
        records.delete("Account", record_id, conn=conn)

    assert [row["Id"] for row in found] == [record_id]
    assert [row[0] for row in offered] == [record_id]
    assert wildcard == []


def test_delete_of_a_record_changed_since_load_is_a_conflict(conn: Any) -> None:
    record_id = records.create("Account", {"Name": "Delete Race Ltd"}, conn=conn)
    mine = records.get("Account", record_id, conn=conn)
    records.update("Account", record_id, {"Site": "Moved"}, loaded=mine, conn=conn)

    with pytest.raises(records.RecordConflictError) as caught:
        records.delete("Account", record_id, loaded=mine, conn=conn)

    assert caught.value.remote == {"Site": (None, "Moved")}
    assert caught.value.local == {}
    assert records.get("Account", record_id, conn=conn)["Site"] == "Moved"
    records.delete("Account", record_id, loaded=mine, force=True, conn=conn)
    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", record_id, conn=conn)


def test_delete_of_an_unchanged_loaded_record(conn: Any) -> None:
    record_id = records.create("Account", {"Name": "Quiet Delete Ltd"}, conn=conn)
    loaded = records.get("Account", record_id, conn=conn)

    records.delete("Account", record_id, loaded=loaded, conn=conn)

    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", record_id, conn=conn)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"NumberOfEmployees": "lots"}, "NumberOfEmployees needs a whole number"),
        ({"AnnualRevenue": "1e9"}, "AnnualRevenue needs a number"),
        ({"IsPartner": "yes"}, "IsPartner needs true or false"),
        ({"LastActivityDate": "01/02/2024"}, "LastActivityDate needs a date"),
    ],
)
def test_find_checks_text_values_against_field_types(
    conn: Any, criteria: dict[str, str], message: str
) -> None:
    counting = CountingConnection(conn)
    records.describe(counting, "Account")
    counting.calls.clear()

    with pytest.raises(records.RecordError, match=message) as caught:
        records.find("Account", criteria, conn=counting)

    assert caught.value.problems[0].error_code == "BAD_CRITERIA"
    assert counting.calls == []


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"IsPartner": "false"}, True),
        ({"NumberOfEmployees": "-1"}, False),
        ({"AnnualRevenue": "0.5"}, False),
    ],
)
def test_find_accepts_typed_text_values(
    conn: Any, criteria: dict[str, str], expected: bool
) -> None:
    assert bool(records.find("Account", criteria, conn=conn)) is expected


def test_case_names_the_related_lists_the_org_lacks(conn: Any) -> None:
    case_id = _ids(conn, "SELECT Id FROM Case LIMIT 1")[0]

    loaded = records.get_with_related(conn, "Case", case_id)

    assert loaded.unavailable == ["Notes"]
