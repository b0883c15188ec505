"""The demo org generator: deterministic, consistent, realistic data.

Most checks run against two orgs seeded once per module: the 300-account demo
org and a ``scale=1600`` org (large enough for ids to be made in blocks). Dates
are generated for a fixed day, and the SOQL engine gets a clock on that day, so
that date literals are checked without depending on the calendar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from sfmagic.emulator.demo import (
    ADMIN_USERNAME,
    OBJECTS,
    QUEUE_NAME,
    DemoOrg,
    seed_demo,
)
from sfmagic.emulator.demo.rows import BASE_COUNTS, id_block
from sfmagic.emulator.demo.words import TEAM
from sfmagic.emulator.identity import Identity
from sfmagic.emulator.ids import IdGenerator, is_valid_id, to_18
from sfmagic.emulator.query import QueryEngine
from sfmagic.emulator.schema import Schema, SObjectDef
from sfmagic.emulator.settings import CURRENT_API_VERSION, OrgSettings
from sfmagic.emulator.store import Store

SCHEMA = Schema.standard()
TODAY = date(2025, 6, 18)
WINDOW_START = f"{TODAY - timedelta(days=730)}T00:00:00.000Z"
WINDOW_END = f"{TODAY}T00:00:00.000Z"
NOW = datetime(2025, 6, 18, 19, 30, tzinfo=UTC)
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
SCALED = 1600


@dataclass
class Seeded:
    store: Store
    identity: Identity
    org: DemoOrg

    def rows(self, sobject: str, where: str = "1 = 1") -> list[dict[str, Any]]:
        sql = f'SELECT * FROM "{sobject}" WHERE {where}'
        return [dict(row) for row in self.store.execute(sql)]

    def column(self, sobject: str, field: str) -> list[Any]:
        sql = f'SELECT "{field}" FROM "{sobject}"'
        return [row[0] for row in self.store.execute(sql)]


def seed(scale: int | None = None, seed: int = 7, today: date | None = TODAY) -> Seeded:
    store = Store(SCHEMA, None)
    identity = Identity(store, OrgSettings())
    identity.bootstrap(instance_url="https://127.0.0.1:1")
    org = seed_demo(store, SCHEMA, identity, scale=scale, seed=seed, today=today)
    return Seeded(store, identity, org)


@pytest.fixture(scope="module")
def demo() -> Iterator[Seeded]:
    seeded = seed()
    yield seeded
    seeded.store.close()


@pytest.fixture(scope="module")
def scaled() -> Iterator[Seeded]:
    seeded = seed(scale=SCALED)
    yield seeded
    seeded.store.close()


@pytest.fixture(params=["demo", "scaled"])
def any_org(request: pytest.FixtureRequest) -> Seeded:
    seeded: Seeded = request.getfixturevalue(request.param)
    return seeded


def sobjects() -> list[SObjectDef]:
    found = [SCHEMA.get(name) for name in OBJECTS]
    return [s for s in found if s is not None]


def picklist(sobject: str, field: str) -> list[str]:
    found = SCHEMA.get(sobject)
    definition = found.field(field) if found else None
    assert definition is not None
    return [p.value for p in definition.picklist_values if p.active]


# --- counts and determinism -------------------------------------------------------

EXPECTED = {
    "User": 7,
    "Group": 1,
    "QueueSobject": 2,
    "Account": 300,
    "Contact": 1000,
    "Opportunity": 500,
    "Case": 600,
    "CaseComment": 400,
    "Lead": 300,
    "Task": 800,
    "Event": 300,
    "Note": 200,
}


@pytest.mark.parametrize(("sobject", "count"), EXPECTED.items())
def test_demo_org_has_the_documented_size(
    demo: Seeded, sobject: str, count: int
) -> None:
    assert demo.store.count(sobject) == count
    made = demo.org.counts[sobject]
    # The admin user is made by Identity.bootstrap, not by the demo generator.
    assert made == (count - 1 if sobject == "User" else count)


@pytest.mark.parametrize("scale", [1, 7, SCALED])
def test_scale_keeps_the_proportions(scale: int, scaled: Seeded) -> None:
    seeded = scaled if scale == SCALED else seed(scale=scale)
    for sobject, base in BASE_COUNTS.items():
        expected = max(1, round(base * scale / 300))
        assert seeded.org.counts[sobject] == expected, sobject
        assert seeded.store.count(sobject) == expected, sobject
    assert seeded.org.counts["Account"] == scale


def test_same_seed_gives_the_same_rows(demo: Seeded) -> None:
    again = seed()
    for sobject in OBJECTS:
        assert again.rows(sobject) == demo.rows(sobject), sobject
    assert again.org == demo.org


def test_another_seed_gives_other_rows(demo: Seeded) -> None:
    other = seed(seed=8)
    assert other.column("Account", "Name") != demo.column("Account", "Name")
    assert other.org.counts == demo.org.counts


def test_default_day_is_today_in_utc() -> None:
    seeded = seed(scale=1, today=None)
    today = datetime.now(UTC).date()
    created = seeded.column("Account", "CreatedDate")
    assert max(created) < f"{today}T00:00:00.000Z"
    assert min(created) >= f"{today - timedelta(days=730)}T00:00:00.000Z"


@pytest.mark.parametrize("scale", [0, -3])
def test_scale_must_be_positive(scale: int) -> None:
    store = Store(SCHEMA, None)
    identity = Identity(store, OrgSettings())
    identity.bootstrap(instance_url="https://127.0.0.1:1")
    with pytest.raises(ValueError, match="scale must be a positive number"):
        seed_demo(store, SCHEMA, identity, scale=scale)


def test_demo_needs_the_bootstrapped_admin() -> None:
    store = Store(SCHEMA, None)
    identity = Identity(store, OrgSettings())
    with pytest.raises(ValueError, match=r"Identity\.bootstrap"):
        seed_demo(store, SCHEMA, identity)
    assert store.count("Account") == 0


def test_result_names_the_admin_and_the_queue(demo: Seeded) -> None:
    org = demo.org
    admin = demo.store.get("User", org.admin_user_id)
    assert admin is not None
    assert admin["Username"] == org.admin_username == ADMIN_USERNAME
    queue = demo.store.get("Group", org.queue_id)
    assert queue is not None
    assert (queue["Name"], queue["Type"]) == (QUEUE_NAME, "Queue")
    assert org.total == sum(org.counts.values()) == 4409
    assert org.records_per_second > 0


# --- integrity of every row -------------------------------------------------------


def test_references_point_to_existing_rows(any_org: Seeded) -> None:
    owner_of: dict[str, str] = {}
    for name in OBJECTS:
        for record_id in any_org.column(name, "Id"):
            owner_of[record_id] = name
    for sobject in sobjects():
        for field in sobject.stored_fields():
            if field.type != "reference":
                continue
            for value in set(any_org.column(sobject.name, field.name)) - {None}:
                target = owner_of.get(value)
                assert target in field.reference_to, (sobject.name, field.name, value)


def test_ids_are_valid_and_unique(any_org: Seeded) -> None:
    seen: set[str] = set()
    for sobject in sobjects():
        ids = any_org.column(sobject.name, "Id")
        assert all(is_valid_id(i) and i.startswith(sobject.key_prefix) for i in ids)
        assert not seen & set(ids)
        seen |= set(ids)


@pytest.mark.parametrize("sobject", OBJECTS[3:])
def test_ids_grow_with_creation_time(any_org: Seeded, sobject: str) -> None:
    sql = f'SELECT "CreatedDate" FROM "{sobject}" ORDER BY "Id"'
    created = [row[0] for row in any_org.store.execute(sql)]
    assert created == sorted(created)


@pytest.mark.parametrize("sobject", ["Account", "Contact", "Task", "Case"])
def test_new_ids_come_after_the_seeded_ones(scaled: Seeded, sobject: str) -> None:
    fresh = scaled.store.new_id(sobject)
    assert fresh > max(scaled.column(sobject, "Id"))


def test_picklists_hold_active_values(any_org: Seeded) -> None:
    for sobject in sobjects():
        for field in sobject.stored_fields():
            allowed = {p.value for p in field.picklist_values if p.active}
            if field.type != "picklist" or not allowed:
                continue
            used = set(any_org.column(sobject.name, field.name)) - {None}
            assert used <= allowed, (sobject.name, field.name, used - allowed)


def test_text_fits_the_field_length(any_org: Seeded) -> None:
    for sobject in sobjects():
        for field in sobject.stored_fields():
            if field.storage != "TEXT" or not field.length:
                continue
            sql = f'SELECT max(length("{field.name}")) FROM "{sobject.name}"'
            longest = any_org.store.execute(sql)[0][0] or 0
            assert longest <= field.length, (sobject.name, field.name, longest)


def test_required_fields_are_filled(any_org: Seeded) -> None:
    for sobject in sobjects():
        for field in sobject.stored_fields():
            if field.nillable:
                continue
            sql = f'SELECT count(*) FROM "{sobject.name}" WHERE "{field.name}" IS NULL'
            assert any_org.store.execute(sql)[0][0] == 0, (sobject.name, field.name)


@pytest.mark.parametrize(
    "field", ["CreatedDate", "CreatedById", "LastModifiedById", "SystemModstamp"]
)
def test_system_fields_are_filled(any_org: Seeded, field: str) -> None:
    for sobject in sobjects():
        if sobject.field(field) is not None:
            assert None not in any_org.column(sobject.name, field), sobject.name


def test_values_follow_the_storage_contract(any_org: Seeded) -> None:
    for sobject in sobjects():
        for field in sobject.stored_fields():
            values = set(any_org.column(sobject.name, field.name)) - {None}
            if field.type == "datetime":
                assert all(DATETIME.match(v) for v in values), (sobject.name, field)
            elif field.type == "date":
                assert all(DATE.match(v) for v in values), (sobject.name, field)
            elif field.type == "boolean":
                assert values <= {0, 1}, (sobject.name, field.name)
            elif field.type in ("double", "currency", "percent"):
                assert all(isinstance(v, float) for v in values), field.name
            elif field.type == "int":
                assert all(isinstance(v, int) for v in values), field.name


def test_records_were_made_in_the_two_years_before_today(any_org: Seeded) -> None:
    for sobject in sobjects():
        if sobject.field("CreatedDate") is None:
            continue
        for row in any_org.rows(sobject.name):
            created, modified = row["CreatedDate"], row.get("LastModifiedDate")
            assert WINDOW_START <= created < WINDOW_END, sobject.name
            if modified is not None:
                assert created <= modified < WINDOW_END, sobject.name
                assert row["SystemModstamp"] == modified, sobject.name


def test_children_were_created_after_their_parents(demo: Seeded) -> None:
    created: dict[str, str] = {}
    for name in OBJECTS:
        for found in demo.store.execute(f'SELECT "Id", "CreatedDate" FROM "{name}"'):
            created[found[0]] = found[1]
    links = [("Contact", "AccountId"), ("Case", "ContactId"), ("Task", "WhatId")]
    links += [("Opportunity", "AccountId"), ("Note", "ParentId")]
    links += [("CaseComment", "ParentId"), ("Event", "WhatId")]
    for sobject, field in links:
        for row in demo.rows(sobject, f'"{field}" IS NOT NULL'):
            assert row["CreatedDate"] >= created[row[field]], (sobject, row["Id"])


# --- realistic details ------------------------------------------------------------


def test_users_are_the_admin_and_the_team(demo: Seeded) -> None:
    users = demo.rows("User")
    assert len(users) == 1 + len(TEAM)
    zones = set(picklist("User", "TimeZoneSidKey"))
    for first, last, title, *_ in TEAM:
        (user,) = [u for u in users if u["LastName"] == last]
        assert (user["FirstName"], user["Title"]) == (first, title)
        assert user["TimeZoneSidKey"] in zones
        assert user["Email"] == user["Username"]
        assert demo.identity.find_user(user["Username"]) is not None
        assert user["ManagerId"] is not None


def test_queue_takes_leads_and_cases_and_owns_some(demo: Seeded) -> None:
    queue = demo.org.queue_id
    kinds = {row["SobjectType"] for row in demo.rows("QueueSobject")}
    assert kinds == {"Lead", "Case"}
    assert {row["QueueId"] for row in demo.rows("QueueSobject")} == {queue}
    queued = demo.rows("Lead", f"\"OwnerId\" = '{queue}'")
    assert 20 < len(queued) < 300
    assert {row["Status"] for row in queued} == {"Open - Not Contacted"}
    assert all(row["IsUnreadByOwner"] == 1 for row in queued)
    assert demo.rows("Case", f"\"OwnerId\" = '{queue}'")


@pytest.mark.parametrize("sobject", ["Contact", "Lead"])
def test_person_names_are_first_and_last(demo: Seeded, sobject: str) -> None:
    for row in demo.rows(sobject):
        assert row["Name"] == f"{row['FirstName']} {row['LastName']}"
        assert row["Email"].isascii()
        assert "@" in row["Email"]


def test_case_numbers_count_up_from_1000(demo: Seeded) -> None:
    numbers = sorted(demo.column("Case", "CaseNumber"))
    assert numbers == [f"{n:08d}" for n in range(1000, 1600)]


def test_cases_are_closed_exactly_when_their_status_says_so(any_org: Seeded) -> None:
    for row in any_org.rows("Case"):
        closed = row["Status"] == "Closed"
        assert row["IsClosed"] == int(closed)
        assert (row["ClosedDate"] is not None) == closed
        if closed:
            assert row["CreatedDate"] <= row["ClosedDate"] <= row["LastModifiedDate"]
        assert row["IsEscalated"] == int(row["Status"] == "Escalated")


def test_opportunity_flags_follow_the_stage(any_org: Seeded) -> None:
    for row in any_org.rows("Opportunity"):
        stage = row["StageName"]
        assert row["IsClosed"] == int(stage in ("Closed Won", "Closed Lost"))
        assert row["IsWon"] == int(stage == "Closed Won")
        assert row["ExpectedRevenue"] == row["Amount"] * row["Probability"] / 100
        year, month = int(row["CloseDate"][:4]), int(row["CloseDate"][5:7])
        assert (row["FiscalYear"], row["FiscalQuarter"]) == (year, (month + 2) // 3)
        if row["IsClosed"]:
            assert row["CloseDate"] < str(TODAY)


def test_tasks_are_closed_when_completed(any_org: Seeded) -> None:
    for row in any_org.rows("Task"):
        done = row["Status"] == "Completed"
        assert row["IsClosed"] == int(done)
        assert (row["CompletedDateTime"] is not None) == done
        assert row["IsHighPriority"] == int(row["Priority"] == "High")


def test_converted_leads_point_to_their_account_and_contact(demo: Seeded) -> None:
    converted = demo.rows("Lead", '"IsConverted" = 1')
    assert converted
    for row in converted:
        assert row["Status"] == "Closed - Converted"
        contact = demo.store.get("Contact", row["ConvertedContactId"])
        assert contact is not None
        assert contact["AccountId"] == row["ConvertedAccountId"]
        assert row["ConvertedDate"] is not None


def test_events_end_after_they_start(any_org: Seeded) -> None:
    for row in any_org.rows("Event"):
        assert row["StartDateTime"] < row["EndDateTime"]
        assert row["ActivityDateTime"] == row["StartDateTime"]
        assert row["ActivityDate"] == row["StartDateTime"][:10]
        assert row["EndDate"] == row["EndDateTime"][:10]
        minutes = (
            datetime.fromisoformat(row["EndDateTime"])
            - datetime.fromisoformat(row["StartDateTime"])
        ).total_seconds() / 60
        assert minutes == row["DurationInMinutes"]


def test_cases_copy_their_contact_details(demo: Seeded) -> None:
    for row in demo.rows("Case"):
        contact = demo.store.get("Contact", row["ContactId"] or "") or {}
        assert row["ContactEmail"] == contact.get("Email")
        assert row["ContactPhone"] == contact.get("Phone")
        assert row["ContactMobile"] == contact.get("MobilePhone")
        if contact:
            assert row["AccountId"] == contact["AccountId"]
        else:
            assert row["SuppliedEmail"] is not None
            assert row["Origin"] == "Web"


def test_activities_name_the_account_they_belong_to(demo: Seeded) -> None:
    for sobject in ("Task", "Event"):
        for row in demo.rows(sobject):
            what, who = row["WhatId"] or "", row["WhoId"] or ""
            if what.startswith("001"):
                assert row["AccountId"] == what
            elif what:
                parent = SCHEMA.by_key_prefix(what[:3])
                assert parent is not None
                found = demo.store.get(parent.name, what)
                assert found is not None
                assert row["AccountId"] == found["AccountId"]
            elif who.startswith("00Q"):
                assert row["AccountId"] is None


def test_last_activity_date_is_the_latest_activity(demo: Seeded) -> None:
    sql = """
        SELECT a."Id", a."LastActivityDate", (
            SELECT max(d) FROM (
                SELECT "ActivityDate" AS d FROM "Task"
                WHERE "AccountId" = a."Id" AND "IsClosed" = 1
                UNION ALL
                SELECT "ActivityDate" FROM "Event"
                WHERE "AccountId" = a."Id" AND "ActivityDate" < ?
            )
        ) FROM "Account" a
    """
    rows = demo.store.execute(sql, (str(TODAY),))
    assert all(row[1] == row[2] for row in rows)
    assert sum(row[1] is not None for row in rows) > 100


def test_store_indexes_survive_the_bulk_load(demo: Seeded) -> None:
    sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    fresh = Store(SCHEMA, None)
    Identity(fresh, OrgSettings())
    indexes = [tuple(row) for row in demo.store.execute(sql)]
    assert indexes == [tuple(row) for row in fresh.execute(sql)]
    assert len(indexes) > 100


# --- date literals find rows ------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        "Account WHERE CreatedDate = LAST_N_DAYS:30",
        "Account WHERE CreatedDate = THIS_YEAR",
        "Account WHERE CreatedDate = LAST_YEAR",
        "Account WHERE CreatedDate = LAST_QUARTER",
        "Contact WHERE CreatedDate = LAST_MONTH",
        "Contact WHERE LastModifiedDate = LAST_WEEK",
        "Case WHERE ClosedDate = LAST_90_DAYS",
        "Task WHERE ActivityDate = TODAY",
        "Task WHERE ActivityDate = NEXT_N_DAYS:7",
        "Event WHERE StartDateTime = NEXT_N_DAYS:14",
        "Opportunity WHERE CloseDate = THIS_QUARTER",
        "Opportunity WHERE CloseDate = NEXT_QUARTER",
        "Lead WHERE ConvertedDate = LAST_N_MONTHS:6",
        "Task WHERE CreatedDate = THIS_MONTH",
    ],
)
def test_date_literals_find_some_rows(demo: Seeded, where: str) -> None:
    engine = QueryEngine(demo.store, SCHEMA, OrgSettings(), clock=lambda: NOW)
    sobject = where.split()[0]
    found = engine.run(
        f"SELECT COUNT() FROM {where}",
        include_deleted=False,
        api_version=CURRENT_API_VERSION,
        user_id=demo.org.admin_user_id,
    )
    assert 0 < found["totalSize"] < demo.store.count(sobject)


# --- id blocks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "pod", "start"),
    [
        ("001", "8a0", 1),
        ("00Q", "8a0", 62**3 - 5),
        ("a0B", "XyZ", 62**6 - 3),
        ("005", "Qq9", 12_345_678),
    ],
)
def test_id_blocks_match_the_id_generator(prefix: str, pod: str, start: int) -> None:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    counter, number = "", start - 1
    for _ in range(9):
        number, rest = divmod(number, 62)
        counter = digits[rest] + counter
    generator = IdGenerator(pod)
    generator.seed(prefix, to_18(prefix + pod + counter))
    expected = [generator.new(prefix) for _ in range(300)]
    assert id_block(expected[0], 300) == expected
