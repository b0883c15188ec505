"""Validated writes: create, update, upsert, delete, undelete, replication."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfmagic.emulator.dml import Dml, MultipleMatchesError
from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store
from sfmagic.emulator.values import now_stored, parse_stored_datetime

CUSTOM = """
[objects.Invoice__c]
label = "Invoice"
key_prefix = "a01"
name_field = { label = "Invoice Number", type = "autonumber", format = "INV-{0000}" }

[objects.Invoice__c.fields.Account__c]
type = "lookup"
reference_to = "Account"
child_relationship = "Invoices"
delete = "cascade"

[objects.Invoice__c.fields.Amount__c]
type = "currency"

[fields.Account.External_Id__c]
type = "text"
length = 20
external_id = true

[fields.Account.Code__c]
type = "text"
length = 10
unique = true
"""


@dataclass
class Org:
    store: Store
    dml: Dml
    user: str
    queue: str

    def create(self, sobject: str, payload: dict[str, Any]) -> str:
        return self.dml.create(sobject, payload, user_id=self.user)

    def row(self, sobject: str, record_id: str) -> dict[str, Any]:
        found = self.store.get(sobject, record_id, include_deleted=True)
        assert found is not None
        return found


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    path = tmp_path_factory.mktemp("schema") / "custom.toml"
    path.write_text(CUSTOM)
    return Schema.standard().with_custom(path)


@pytest.fixture
def org(schema: Schema) -> Org:
    store = Store(schema, None)
    user = store.new_id("User")
    stamp = now_stored()
    store.insert_rows(
        "User",
        [
            {
                "Id": user,
                "Username": "admin@example.com",
                "LastName": "Admin",
                "IsActive": 1,
                "CreatedDate": stamp,
            }
        ],
    )
    queue = store.new_id("Group")
    store.insert_rows("Group", [{"Id": queue, "Name": "Inbound", "Type": "Queue"}])
    return Org(store, Dml(store, schema, OrgSettings()), user, queue)


def error_of(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- create -------------------------------------------------------------------------


def test_create_sets_system_fields(org: Org) -> None:
    record_id = org.create("Account", {"attributes": {"type": "Account"}, "Name": "A"})
    row = org.row("Account", record_id)
    assert record_id.startswith("001")
    assert len(record_id) == 18
    assert row["OwnerId"] == org.user
    assert row["CreatedById"] == row["LastModifiedById"] == org.user
    assert row["CreatedDate"] == row["LastModifiedDate"] == row["SystemModstamp"]
    assert row["CreatedDate"].endswith(".000Z")
    assert row["IsDeleted"] == 0


@pytest.mark.parametrize(
    ("sobject", "payload", "expected"),
    [
        ("Case", {"Subject": "s"}, {"Status": "New", "Priority": "Medium"}),
        ("Case", {"Status": "Closed"}, {"IsClosed": 1}),
        ("Lead", {"LastName": "L", "Company": "C"}, {"Status": "Open - Not Contacted"}),
        ("Contact", {"FirstName": "Jo", "LastName": "Smith"}, {"Name": "Jo Smith"}),
        ("Contact", {"LastName": "Smith"}, {"Name": "Smith"}),
        (
            "Task",
            {"Subject": "Call", "Priority": "High"},
            {"Status": "Not Started", "IsHighPriority": 1, "IsClosed": 0},
        ),
        ("Task", {"Status": "Completed"}, {"IsClosed": 1, "TaskSubtype": "Task"}),
        (
            "Event",
            {"StartDateTime": "2024-05-01T10:00:00+02:00", "DurationInMinutes": 90},
            {
                "ActivityDateTime": "2024-05-01T08:00:00.000Z",
                "EndDateTime": "2024-05-01T09:30:00.000Z",
                "ActivityDate": "2024-05-01",
                "ShowAs": "Busy",
            },
        ),
        (
            "Event",
            {
                "StartDateTime": "2024-05-01T10:00:00Z",
                "EndDateTime": "2024-05-01T10:45:00Z",
            },
            {"DurationInMinutes": 45},
        ),
        (
            "Opportunity",
            {"Name": "O", "StageName": "Closed Won", "CloseDate": "2024-05-02",
             "Amount": 200},
            {"IsClosed": 1, "IsWon": 1, "Probability": 100.0, "ExpectedRevenue": 200.0,
             "ForecastCategoryName": "Closed", "FiscalQuarter": 2, "Fiscal": "2024 2"},
        ),
        (
            "Opportunity",
            {"Name": "O", "StageName": "Prospecting", "CloseDate": "2024-11-02",
             "Probability": 35},
            {"IsClosed": 0, "Probability": 35.0, "ForecastCategory": "Pipeline"},
        ),
        ("Group", {"Name": "West Sales"}, {"DeveloperName": "West_Sales"}),
        ("Invoice__c", {"Amount__c": 10}, {"Name": "INV-0001"}),
    ],
)  # fmt: skip
def test_create_fills_defaults_and_derived_fields(
    org: Org, sobject: str, payload: dict[str, Any], expected: dict[str, Any]
) -> None:
    row = org.row(sobject, org.create(sobject, payload))
    assert {key: row[key] for key in expected} == expected


def test_case_numbers_count_up(org: Org) -> None:
    first = org.row("Case", org.create("Case", {}))["CaseNumber"]
    second = org.row("Case", org.create("Case", {}))["CaseNumber"]
    assert len(first) == 8
    assert int(second) == int(first) + 1


def test_activity_account_comes_from_what_or_who(org: Org) -> None:
    account = org.create("Account", {"Name": "A"})
    contact = org.create("Contact", {"LastName": "C", "AccountId": account})
    case = org.create("Case", {"AccountId": account})
    by_who = org.create("Task", {"WhoId": contact})
    by_what = org.create("Event", {"WhatId": case, "ActivityDateTime": "2024-01-01",
                                   "DurationInMinutes": 5})  # fmt: skip
    assert org.row("Task", by_who)["AccountId"] == account
    assert org.row("Event", by_what)["AccountId"] == account


def test_case_copies_contact_details(org: Org) -> None:
    contact = org.create("Contact", {"LastName": "C", "Email": "c@example.com"})
    case = org.create("Case", {"ContactId": contact})
    assert org.row("Case", case)["ContactEmail"] == "c@example.com"


@pytest.mark.parametrize(
    ("sobject", "payload", "code", "message", "fields"),
    [
        ("Account", {}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]",
         ["Name"]),
        ("Lead", {}, "REQUIRED_FIELD_MISSING",
         "Required fields are missing: [LastName, Company]", ["LastName", "Company"]),
        ("Account", {"Name": "A", "Foo": 1}, "INVALID_FIELD",
         "No such column 'Foo' on sobject of type Account", ["Foo"]),
        ("Account", {"Name": "A", "CreatedDate": "2024-01-01T00:00:00Z",
                     "IsDeleted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE",
         "Unable to create/update fields: CreatedDate, IsDeleted. Please check the "
         "security settings of this field and verify that it is read/write for your "
         "profile or permission set.", ["CreatedDate", "IsDeleted"]),
        ("Account", {"Name": "A", "Id": "001000000000001"},
         "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id.",
         ["Id"]),
        ("Contact", {"LastName": "A", "Name": "X"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
         "fields: Name.", ["Name"]),
        ("Account", {"Name": "x" * 256}, "STRING_TOO_LONG",
         "Account Name: data value too large: ", ["Name"]),
        ("Account", {"Name": "A", "BillingGeocodeAccuracy": "Moon"},
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
         "Billing Geocode Accuracy: bad value for restricted picklist field: Moon",
         ["BillingGeocodeAccuracy"]),
        ("Account", {"Name": "A", "NumberOfEmployees": "many"}, "JSON_PARSER_ERROR",
         "Cannot deserialize instance of int from VALUE_STRING value many", []),
        ("Account", {"Name": "A", "ParentId": "bogus"}, "MALFORMED_ID",
         "Parent Account ID: id value of incorrect type: bogus", ["ParentId"]),
        ("Account", {"Name": "A", "ParentId": "003000000000001AAA"}, "MALFORMED_ID",
         "id value of incorrect type", ["ParentId"]),
        ("Account", {"Name": "A", "ParentId": "0018a0000000999AAA"},
         "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["ParentId"]),
        ("Event", {"StartDateTime": "2024-01-01T00:00:00Z"}, "REQUIRED_FIELD_MISSING",
         "[DurationInMinutes]", ["DurationInMinutes"]),
        ("OpenActivity", {"Subject": "x"}, "INVALID_TYPE_FOR_OPERATION",
         "entity type cannot be inserted", []),
    ],
)  # fmt: skip
def test_create_errors(
    org: Org,
    sobject: str,
    payload: dict[str, Any],
    code: str,
    message: str,
    fields: list[str],
) -> None:
    error = error_of(org.create, sobject, payload)
    assert (error.status, error.error_code) == (400, code)
    assert message in error.message
    assert error.items[0].fields == fields


def test_create_rejects_non_object_payload(org: Org) -> None:
    error = error_of(org.create, "Account", [{"Name": "A"}])
    assert error.error_code == "JSON_PARSER_ERROR"


def test_unknown_sobject_is_not_found(org: Org) -> None:
    assert error_of(org.create, "Nope__c", {}).status == 404


def test_reference_to_deleted_record(org: Org) -> None:
    parent = org.create("Account", {"Name": "P"})
    org.dml.delete("Account", parent, user_id=org.user)
    error = error_of(org.create, "Account", {"Name": "C", "ParentId": parent})
    assert error.error_code == "ENTITY_IS_DELETED"


def test_owner_may_be_a_queue_only_where_allowed(org: Org) -> None:
    lead = org.create("Lead", {"LastName": "L", "Company": "C", "OwnerId": org.queue})
    assert org.row("Lead", lead)["OwnerId"] == org.queue
    error = error_of(org.create, "Account", {"Name": "A", "OwnerId": org.queue})
    assert error.error_code == "MALFORMED_ID"
    group = org.create("Group", {"Name": "Plain"})
    error = error_of(org.create, "Case", {"OwnerId": group})
    assert error.error_code == "INVALID_CROSS_REFERENCE_KEY"


def test_inactive_owner(org: Org) -> None:
    inactive = org.store.new_id("User")
    org.store.insert_rows("User", [{"Id": inactive, "LastName": "Gone", "IsActive": 0}])
    error = error_of(org.create, "Account", {"Name": "A", "OwnerId": inactive})
    assert error.error_code == "INACTIVE_OWNER_OR_USER"


def test_lookup_by_foreign_external_id(org: Org) -> None:
    account = org.create("Account", {"Name": "A", "External_Id__c": "EXT-1"})
    by_external_id = {"LastName": "C", "Account": {"External_Id__c": "ext-1"}}
    contact = org.create("Contact", by_external_id)
    assert org.row("Contact", contact)["AccountId"] == account
    error = error_of(
        org.create, "Contact", {"LastName": "C", "Account": {"External_Id__c": "none"}}
    )
    assert error.error_code == "INVALID_FIELD"
    assert "Foreign key external ID: none not found" in error.message


def test_unique_field_duplicate_value(org: Org) -> None:
    first = org.create("Account", {"Name": "A", "Code__c": "X1"})
    error = error_of(org.create, "Account", {"Name": "B", "Code__c": "x1"})
    assert error.error_code == "DUPLICATE_VALUE"
    assert f"duplicates value on record with id: {first[:15]}" in error.message


# --- update -------------------------------------------------------------------------


def test_update_changes_fields_and_audit(org: Org) -> None:
    record_id = org.create("Account", {"Name": "A"})
    before = org.row("Account", record_id)
    org.dml.update("Account", record_id[:15], {"Name": "B", "Phone": "1"},
                   user_id=org.user)  # fmt: skip
    after = org.row("Account", record_id)
    assert (after["Name"], after["Phone"]) == ("B", "1")
    assert after["CreatedDate"] == before["CreatedDate"]
    assert after["LastModifiedDate"] > before["LastModifiedDate"]
    assert after["SystemModstamp"] == after["LastModifiedDate"]


def test_update_recomputes_derived_fields(org: Org) -> None:
    case = org.create("Case", {})
    org.dml.update("Case", case, {"Status": "Closed"}, user_id=org.user)
    closed = org.row("Case", case)
    assert closed["IsClosed"] == 1
    assert closed["ClosedDate"] is not None
    org.dml.update("Case", case, {"Status": "Working"}, user_id=org.user)
    reopened = org.row("Case", case)
    assert reopened["IsClosed"] == 0
    assert reopened["ClosedDate"] is None
    contact = org.create("Contact", {"LastName": "Smith", "FirstName": "A"})
    org.dml.update("Contact", contact, {"FirstName": "B"}, user_id=org.user)
    assert org.row("Contact", contact)["Name"] == "B Smith"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"Name": None}, "REQUIRED_FIELD_MISSING"),
        ({"CreatedById": "0058a0000000001AAA"}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"Bogus": 1}, "INVALID_FIELD"),
        ({"NumberOfEmployees": "x"}, "JSON_PARSER_ERROR"),
    ],
)
def test_update_errors(org: Org, payload: dict[str, Any], code: str) -> None:
    record_id = org.create("Account", {"Name": "A"})
    error = error_of(org.dml.update, "Account", record_id, payload, user_id=org.user)
    assert error.error_code == code
    assert org.row("Account", record_id)["Name"] == "A"


def test_update_missing_deleted_and_malformed_ids(org: Org) -> None:
    record_id = org.create("Account", {"Name": "A"})
    org.dml.delete("Account", record_id, user_id=org.user)
    cases = [
        ("0018a0000000999AAA", 404, "NOT_FOUND"),
        (record_id, 404, "ENTITY_IS_DELETED"),
        ("003000000000001AAA", 400, "MALFORMED_ID"),
        ("garbage", 400, "MALFORMED_ID"),
    ]
    for target, status, code in cases:
        error = error_of(org.dml.update, "Account", target, {}, user_id=org.user)
        assert (error.status, error.error_code) == (status, code)
    error = error_of(org.dml.resolve_id, "Account", "003000000000001AAA")
    assert error.message == "Account ID: id value of incorrect type: 003000000000001AAA"
    assert error.items[0].fields == ["Id"]


def test_if_unmodified_since(org: Org) -> None:
    record_id = org.create("Account", {"Name": "A"})
    seen = parse_stored_datetime(org.row("Account", record_id)["LastModifiedDate"])
    org.dml.update("Account", record_id, {"Name": "B"}, user_id=org.user,
                   if_unmodified_since=seen)  # fmt: skip
    error = error_of(org.dml.update, "Account", record_id, {"Name": "C"},
                     user_id=org.user, if_unmodified_since=seen)  # fmt: skip
    assert (error.status, error.error_code) == (412, "PRECONDITION_FAILED")
    assert org.row("Account", record_id)["Name"] == "B"


def test_concurrent_stale_writers_all_fail(org: Org) -> None:
    record_id = org.create("Account", {"Name": "A"})
    seen = parse_stored_datetime(org.row("Account", record_id)["LastModifiedDate"])
    outcomes: list[str] = []

    def write(name: str) -> None:
        try:
            org.dml.update("Account", record_id, {"Name": name}, user_id=org.user,
                           if_unmodified_since=seen)  # fmt: skip
            outcomes.append("ok")
        except ApiError as error:
            outcomes.append(error.error_code)

    threads = [threading.Thread(target=write, args=(f"W{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["PRECONDITION_FAILED"] * 7 + ["ok"]


# --- upsert -------------------------------------------------------------------------


def test_upsert_creates_then_updates(org: Org) -> None:
    record_id, created = org.dml.upsert(
        "Account", "External_Id__c", "E1", {"Name": "A"}, user_id=org.user
    )
    assert created
    assert org.row("Account", record_id)["External_Id__c"] == "E1"
    again, created = org.dml.upsert(
        "Account", "external_id__c", "e1", {"Name": "B"}, user_id=org.user
    )
    assert (again, created) == (record_id, False)
    assert org.row("Account", record_id)["Name"] == "B"


def test_upsert_several_matches_is_300(org: Org) -> None:
    first = org.create("Account", {"Name": "A", "External_Id__c": "D"})
    second = org.create("Account", {"Name": "B", "External_Id__c": "D"})
    with pytest.raises(MultipleMatchesError) as caught:
        org.dml.upsert("Account", "External_Id__c", "D", {}, user_id=org.user)
    assert caught.value.status == 300
    assert caught.value.urls("59.0") == [
        f"/services/data/v59.0/sobjects/Account/{first}",
        f"/services/data/v59.0/sobjects/Account/{second}",
    ]


@pytest.mark.parametrize("field", ["Name", "Nope__c"])
def test_upsert_on_non_external_field_is_404(org: Org, field: str) -> None:
    error = error_of(org.dml.upsert, "Account", field, "x", {}, user_id=org.user)
    assert error.status == 404


def test_upsert_by_id_and_update_only(org: Org) -> None:
    record_id, created = org.dml.upsert("Account", "Id", None, {"Name": "A"},
                                        user_id=org.user)  # fmt: skip
    assert created
    same, created = org.dml.upsert("Account", "Id", record_id, {"Name": "B"},
                                   user_id=org.user)  # fmt: skip
    assert (same, created) == (record_id, False)
    error = error_of(org.dml.upsert, "Account", "External_Id__c", "new", {},
                     user_id=org.user, update_only=True)  # fmt: skip
    assert error.status == 404


def test_upsert_body_key_must_match_url(org: Org) -> None:
    body = {"Name": "x", "External_Id__c": "B"}
    error = error_of(
        org.dml.upsert, "Account", "External_Id__c", "A", body, user_id=org.user
    )
    assert error.error_code == "INVALID_FIELD"


# --- delete / undelete ---------------------------------------------------------------


def test_delete_cascades_and_undelete_restores(org: Org) -> None:
    account = org.create("Account", {"Name": "A"})
    child_account = org.create("Account", {"Name": "Child", "ParentId": account})
    contact = org.create("Contact", {"LastName": "C", "AccountId": account})
    task = org.create("Task", {"WhoId": contact})
    invoice = org.create("Invoice__c", {"Account__c": account})

    org.dml.delete("Account", account, user_id=org.user)
    for sobject, record_id in [("Account", account), ("Contact", contact),
                               ("Task", task), ("Invoice__c", invoice)]:  # fmt: skip
        assert org.row(sobject, record_id)["IsDeleted"] == 1
    assert org.row("Account", child_account)["ParentId"] is None
    assert org.row("Account", child_account)["IsDeleted"] == 0

    org.dml.undelete("Account", account, user_id=org.user)
    for sobject, record_id in [("Account", account), ("Contact", contact),
                               ("Task", task), ("Invoice__c", invoice)]:  # fmt: skip
        assert org.row(sobject, record_id)["IsDeleted"] == 0
    assert org.row("Account", child_account)["ParentId"] == account


def test_delete_restricted_by_cases(org: Org) -> None:
    account = org.create("Account", {"Name": "Acme"})
    case = org.create("Case", {"AccountId": account})
    error = error_of(org.dml.delete, "Account", account, user_id=org.user)
    assert error.error_code == "DELETE_FAILED"
    number = org.row("Case", case)["CaseNumber"]
    assert error.message == (
        "Your attempt to delete Acme could not be completed because it is "
        f"associated with the following cases.: {number}"
    )
    assert org.row("Account", account)["IsDeleted"] == 0


def test_delete_twice_and_undelete_live(org: Org) -> None:
    record_id = org.create("Account", {"Name": "A"})
    error = error_of(org.dml.undelete, "Account", record_id, user_id=org.user)
    assert error.error_code == "UNDELETE_FAILED"
    org.dml.delete("Account", record_id, user_id=org.user)
    error = error_of(org.dml.delete, "Account", record_id, user_id=org.user)
    assert (error.status, error.error_code) == (404, "ENTITY_IS_DELETED")


def test_user_cannot_be_deleted(org: Org) -> None:
    error = error_of(org.dml.delete, "User", org.user, user_id=org.user)
    assert error.error_code == "INVALID_TYPE_FOR_OPERATION"


def test_hard_delete_removes_rows(org: Org) -> None:
    account = org.create("Account", {"Name": "A"})
    contact = org.create("Contact", {"LastName": "C", "AccountId": account})
    org.dml.hard_delete("Account", account, user_id=org.user)
    assert org.store.get("Account", account, include_deleted=True) is None
    assert org.store.get("Contact", contact, include_deleted=True) is None
    soft = org.create("Account", {"Name": "B"})
    org.dml.delete("Account", soft, user_id=org.user)
    org.dml.hard_delete("Account", soft, user_id=org.user)
    assert org.store.get("Account", soft, include_deleted=True) is None


# --- replication ---------------------------------------------------------------


def test_updated_and_deleted_answers(org: Org) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = datetime.now(UTC) + timedelta(minutes=5)
    kept = org.create("Account", {"Name": "Kept"})
    gone = org.create("Account", {"Name": "Gone"})
    org.dml.delete("Account", gone, user_id=org.user)

    updated = org.dml.updated("Account", start, end)
    assert updated["ids"] == [kept]
    assert updated["latestDateCovered"].endswith(":00.000+0000")

    deleted = org.dml.deleted("Account", start, end)
    assert [r["id"] for r in deleted["deletedRecords"]] == [gone]
    assert deleted["deletedRecords"][0]["deletedDate"].endswith("+0000")
    assert set(deleted) == {"deletedRecords", "earliestDateAvailable",
                            "latestDateCovered"}  # fmt: skip

    org.dml.undelete("Account", gone, user_id=org.user)
    assert org.dml.deleted("Account", start, end)["deletedRecords"] == []


def test_replication_needs_ordered_dates(org: Org) -> None:
    now = datetime.now(UTC)
    error = error_of(org.dml.updated, "Account", now, now - timedelta(days=1))
    assert error.error_code == "INVALID_REPLICATION_DATE"


def test_writes_survive_reopen(schema: Schema, tmp_path: Path) -> None:
    store = Store(schema, tmp_path / "org.db")
    dml = Dml(store, schema, OrgSettings())
    user = store.new_id("User")
    record_id = dml.create("Account", {"Name": "Durable"}, user_id=user)
    store.close()
    reopened = Store(schema, tmp_path / "org.db")
    row = reopened.get("Account", record_id)
    assert row is not None
    assert row["Name"] == "Durable"
    reopened.close()


# --- robustness ---------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELD_NAMES = st.sampled_from(
    ["Name", "NumberOfEmployees", "AnnualRevenue", "ParentId", "Industry",
     "BillingGeocodeAccuracy", "BillingAddress", "CreatedDate", "Parent", "Nope",
     "Subject", "StartDateTime", "DurationInMinutes", "ActivityDate", "WhatId",
     "IsAllDayEvent", "EndDateTime", "Owner", "OwnerId", "attributes"]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    sobject=st.sampled_from(["Account", "Event", "Opportunity", "Task"]),
    payload=st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=5),
)
def test_random_payloads_fail_only_with_api_errors(
    schema: Schema, sobject: str, payload: dict[str, Any]
) -> None:
    store = Store(schema, None)
    dml = Dml(store, schema, OrgSettings())
    user = "0058a0000000001AAA"
    created: list[str] = []
    status = _status_of(
        lambda: created.append(dml.create(sobject, payload, user_id=user))
    )
    if created:
        status = _status_of(
            lambda: dml.update(sobject, created[0], payload, user_id=user)
        )
    assert status is None or 400 <= status < 500


def _status_of(call: Any) -> int | None:
    """None if ``call`` succeeds, the status of the ApiError it raises otherwise."""
    try:
        call()
    except ApiError as error:
        return error.status
    return None
