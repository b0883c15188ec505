"""In-process orgs for the query engine tests.

``small_org`` is a hand-written org (a few records of every kind, with names that
test case folding, accents, LIKE wildcards, nulls and deleted rows) whose
answers the conformance table spells out. ``large_org`` is generated from a
seed: a few hundred records with dates spread over four years around ``NOW``,
for comparing every operator and date literal with a Python reference.

``NOW`` is a Thursday 03:30 UTC, which is still Wednesday 13 March 2024 in the
org's time zone (America/Los_Angeles, three days into daylight saving time), so
UTC dates and local dates differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sfmagic.emulator.query import QueryEngine
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store

NOW = datetime(2024, 3, 14, 3, 30, tzinfo=UTC)
TIME_ZONE = "America/Los_Angeles"
API = "60.0"

CUSTOM_SCHEMA = """
[objects.Invoice__c]
label = "Invoice"
plural_label = "Invoices"

[objects.Invoice__c.fields.Account__c]
type = "lookup"
reference_to = "Account"
child_relationship = "Invoices"

[objects.Invoice__c.fields.Amount__c]
type = "currency"
precision = 16
scale = 2

[fields.Account.Region__c]
type = "picklist"
values = ["North", "South", "East", "West"]

[fields.Account.Tags__c]
type = "multipicklist"
values = ["Red", "Green", "Blue", "Ünïcode"]

[fields.Account.Score__c]
type = "number"
precision = 10
scale = 2

[fields.Account.Flag__c]
type = "checkbox"
"""


@dataclass
class Org:
    """A store with an engine and the ids of its records by short name."""

    store: Store
    schema: Schema
    engine: QueryEngine
    ids: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def query(
        self,
        text: str,
        *,
        include_deleted: bool = False,
        batch_size: int = 2000,
        user: str = "U1",
    ) -> dict[str, Any]:
        return self.engine.run(
            text.format(**self.ids, **{k + "_15": v[:15] for k, v in self.ids.items()}),
            include_deleted=include_deleted,
            api_version=API,
            batch_size=batch_size,
            user_id=self.ids.get(user, user),
        )

    def insert(self, sobject: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows; a row's ``key`` names its id in ``ids``."""
        prepared = []
        for row in rows:
            values = {k: v for k, v in row.items() if k != "key"}
            values["Id"] = self.store.new_id(sobject)
            if "key" in row:
                self.ids[row["key"]] = values["Id"]
            prepared.append(values)
        self.store.insert_rows(sobject, prepared)
        self.rows.setdefault(sobject, []).extend(prepared)


def make_org(tmp: Path, fill: Callable[[Org], None]) -> Org:
    schema_file = tmp / "custom.toml"
    schema_file.write_text(CUSTOM_SCHEMA, encoding="utf-8")
    schema = Schema.standard().with_custom(schema_file)
    store = Store(schema, None)
    settings = OrgSettings(time_zone=TIME_ZONE)
    engine = QueryEngine(store, schema, settings, clock=lambda: NOW)
    org = Org(store=store, schema=schema, engine=engine)
    fill(org)
    return org


def _small(org: Org) -> None:
    ref = org.ids
    org.insert(
        "User",
        [
            _user("U1", "Ada", "Admin", "ada", active=1),
            _user("U2", "Bob", "Builder", "bob", active=1),
            _user("U3", "Cy", "Inactive", "cy", active=0),
        ],
    )
    org.insert("Group", [{"key": "G1", "Name": "Inbound Leads", "Type": "Queue"}])
    u1, u2, g1 = ref["U1"], ref["U2"], ref["G1"]
    org.insert(
        "Account",
        [
            {
                "key": "A1",
                "Name": "Acme",
                "Industry": "Energy",
                "Type": "Customer - Direct",
                "Rating": "Hot",
                "AnnualRevenue": 5000000.0,
                "NumberOfEmployees": 120,
                "OwnerId": u1,
                "CreatedDate": "2024-03-13T18:00:00.000Z",
                "BillingCity": "Paris",
                "BillingCountry": "France",
                "Phone": "555-0100",
                "Region__c": "North",
                "Tags__c": "Red;Green",
                "Score__c": 9.5,
                "Flag__c": 1,
            },
            {
                "key": "A2",
                "Name": "acme labs",
                "Industry": "Technology",
                "Type": "Prospect",
                "Rating": "Warm",
                "AnnualRevenue": 250000.0,
                "NumberOfEmployees": 12,
                "OwnerId": u2,
                "CreatedDate": "2024-03-14T02:00:00.000Z",
                "Region__c": "South",
                "Tags__c": "Blue",
                "Score__c": 3.0,
                "Flag__c": 0,
            },
            {
                "key": "A3",
                "Name": "Émile Corp",
                "OwnerId": u1,
                "CreatedDate": "2024-03-12T06:00:00.000Z",
                "BillingCity": "Zürich",
                "Flag__c": 0,
            },
            {
                "key": "A4",
                "Name": "éclair SA",
                "Industry": "Energy",
                "Rating": "Cold",
                "AnnualRevenue": 1000.0,
                "NumberOfEmployees": 3,
                "OwnerId": u2,
                "CreatedDate": "2023-12-31T23:00:00.000Z",
                "Tags__c": "Ünïcode;Red",
                "Flag__c": 1,
            },
            {
                "key": "A5",
                "Name": "100% Cotton",
                "Industry": "Apparel",
                "AnnualRevenue": 75000.5,
                "NumberOfEmployees": 40,
                "OwnerId": u1,
                "CreatedDate": "2024-01-01T09:00:00.000Z",
                "Tags__c": "Green;Blue;Red",
                "Flag__c": 0,
            },
            {
                "key": "A6",
                "Name": "under_score Ltd",
                "Industry": "Technology",
                "AnnualRevenue": 0.0,
                "NumberOfEmployees": 0,
                "OwnerId": u1,
                "CreatedDate": "2023-06-15T12:00:00.000Z",
                "Flag__c": 0,
            },
            {
                "key": "A7",
                "Name": "Zeta Deleted",
                "Industry": "Energy",
                "OwnerId": u1,
                "CreatedDate": "2024-02-01T12:00:00.000Z",
                "IsDeleted": 1,
                "Flag__c": 0,
            },
            {
                "key": "A8",
                "Name": "Beta Shipping",
                "Industry": "Transportation",
                "Rating": "Hot",
                "AnnualRevenue": 980000.0,
                "NumberOfEmployees": 500,
                "OwnerId": u2,
                "CreatedDate": "2022-07-04T16:00:00.000Z",
                "Flag__c": 0,
            },
        ],
    )
    org.store.execute(
        'UPDATE "Account" SET "ParentId" = ? WHERE "Id" IN (?, ?)',
        (ref["A1"], ref["A2"], ref["A8"]),
    )
    a1, a2, a3, a8 = ref["A1"], ref["A2"], ref["A3"], ref["A8"]
    org.insert(
        "Contact",
        [
            _contact("C1", "Jane", "Doe", a1, "jane@acme.com", "Web", "1990-05-17"),
            _contact("C2", "John", "Smith", a1, "john@acme.com", "Phone Inquiry", None),
            _contact("C3", "Zoë", "Ünal", a2, None, None, None),
            _contact("C4", "Max", "Müller", a3, "max@emile.fr", "Web", "1970-01-01"),
            _contact("C5", None, "Orphan", None, None, None, None),
            {**_contact("C6", "Dee", "Deleted", a1, None, None, None), "IsDeleted": 1},
            _contact(
                "C7", "Amy", "Adams", a8, "amy@beta.com", "Partner Referral", None
            ),
        ],
    )
    org.store.execute(
        'UPDATE "Contact" SET "ReportsToId" = ? WHERE "Id" = ?', (ref["C1"], ref["C2"])
    )
    org.insert(
        "Opportunity",
        [
            _opportunity(
                "O1", "Acme Big Deal", a1, "Closed Won", 100000.0, "2024-02-20", u1
            ),
            _opportunity(
                "O2", "Acme Renewal", a1, "Prospecting", 50000.0, "2024-04-30", u2
            ),
            _opportunity(
                "O3", "Labs Pilot", a2, "Negotiation/Review", 25000.0, "2024-03-13", u2
            ),
            _opportunity("O4", "Beta Fleet", a8, "Closed Lost", None, "2023-11-30", u1),
            _opportunity(
                "O5",
                "Cotton Expansion",
                ref["A5"],
                "Prospecting",
                75000.0,
                "2024-03-31",
                u1,
            ),
        ],
    )
    org.insert(
        "Case",
        [
            _case("K1", "00001001", a1, ref["C1"], "New", "High", u1, "Login broken"),
            _case(
                "K2", "00001002", a1, ref["C2"], "Closed", "Low", g1, "Billing question"
            ),
            _case(
                "K3", "00001003", a2, ref["C3"], "Working", "Medium", g1, "Feature ask"
            ),
            _case("K4", "00001004", None, None, "New", "Medium", u2, "Web inquiry"),
        ],
    )
    org.insert(
        "Lead",
        [
            _lead("L1", "Lee", "Lead", "Lead Co", g1, "lee@lead.co"),
            _lead("L2", "Lou", "Prospect", "Prospect Inc", u1, None),
            _lead("L3", "Lia", "Queue", "Queue Ltd", g1, None),
        ],
    )
    org.insert(
        "Task",
        [
            _task(
                "T1", "Call Jane", ref["C1"], a1, a1, u1, "Not Started", 0, "2024-03-20"
            ),
            _task(
                "T2",
                "Email Lee",
                ref["L1"],
                None,
                None,
                g1,
                "Completed",
                1,
                "2024-03-01",
            ),
            _task(
                "T3",
                "Follow up deal",
                ref["C2"],
                ref["O2"],
                a1,
                u2,
                "In Progress",
                0,
                "2024-03-15",
            ),
            _task("T4", "Case review", None, ref["K1"], a1, u1, "Completed", 1, None),
        ],
    )
    org.insert(
        "Event",
        [
            _event("E1", "Kickoff", ref["C1"], a1, u1, "2024-03-20T17:00:00.000Z", 60),
            _event(
                "E2", "Past lunch", ref["C2"], a1, u2, "2024-03-01T19:00:00.000Z", 60
            ),
        ],
    )
    org.insert(
        "Invoice__c",
        [
            {"key": "I1", "Name": "INV-1", "Account__c": a1, "Amount__c": 100.0},
            {"key": "I2", "Name": "INV-2", "Account__c": a1, "Amount__c": 250.5},
            {"key": "I3", "Name": "INV-3", "Account__c": a2, "Amount__c": 10.0},
        ],
    )
    org.insert(
        "Note",
        [
            {"key": "N1", "Title": "Note on Acme", "ParentId": a1, "OwnerId": u1},
            {"key": "N2", "Title": "Note on Lee", "ParentId": ref["L1"], "OwnerId": u1},
        ],
    )


def _user(
    key: str, first: str, last: str, alias: str, *, active: int
) -> dict[str, Any]:
    return {
        "key": key,
        "FirstName": first,
        "LastName": last,
        "Name": f"{first} {last}",
        "Alias": alias,
        "Username": f"{alias}@sfmagic.demo",
        "Email": f"{alias}@example.com",
        "IsActive": active,
    }


def _contact(
    key: str,
    first: str | None,
    last: str,
    account: str | None,
    email: str | None,
    source: str | None,
    birthdate: str | None,
) -> dict[str, Any]:
    return {
        "key": key,
        "FirstName": first,
        "LastName": last,
        "Name": f"{first} {last}" if first else last,
        "AccountId": account,
        "Email": email,
        "LeadSource": source,
        "Birthdate": birthdate,
    }


def _opportunity(
    key: str,
    name: str,
    account: str,
    stage: str,
    amount: float | None,
    close: str,
    owner: str,
) -> dict[str, Any]:
    closed = stage.startswith("Closed")
    return {
        "key": key,
        "Name": name,
        "AccountId": account,
        "StageName": stage,
        "Amount": amount,
        "CloseDate": close,
        "OwnerId": owner,
        "IsClosed": int(closed),
        "IsWon": int(stage == "Closed Won"),
    }


def _case(
    key: str,
    number: str,
    account: str | None,
    contact: str | None,
    status: str,
    priority: str,
    owner: str,
    subject: str,
) -> dict[str, Any]:
    return {
        "key": key,
        "CaseNumber": number,
        "AccountId": account,
        "ContactId": contact,
        "Status": status,
        "IsClosed": int(status == "Closed"),
        "Priority": priority,
        "OwnerId": owner,
        "Subject": subject,
    }


def _lead(
    key: str, first: str, last: str, company: str, owner: str, email: str | None
) -> dict[str, Any]:
    return {
        "key": key,
        "FirstName": first,
        "LastName": last,
        "Name": f"{first} {last}",
        "Company": company,
        "Status": "Open - Not Contacted",
        "OwnerId": owner,
        "Email": email,
    }


def _task(
    key: str,
    subject: str,
    who: str | None,
    what: str | None,
    account: str | None,
    owner: str,
    status: str,
    closed: int,
    due: str | None,
) -> dict[str, Any]:
    return {
        "key": key,
        "Subject": subject,
        "WhoId": who,
        "WhatId": what,
        "AccountId": account,
        "OwnerId": owner,
        "Status": status,
        "IsClosed": closed,
        "ActivityDate": due,
    }


def _event(
    key: str, subject: str, who: str, account: str, owner: str, start: str, minutes: int
) -> dict[str, Any]:
    begins = datetime.strptime(start, "%Y-%m-%dT%H:%M:%S.%fZ")
    ends = begins + timedelta(minutes=minutes)
    return {
        "key": key,
        "Subject": subject,
        "WhoId": who,
        "WhatId": account,
        "AccountId": account,
        "OwnerId": owner,
        "StartDateTime": start,
        "ActivityDateTime": start,
        "ActivityDate": start[:10],
        "EndDateTime": ends.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "DurationInMinutes": minutes,
        "IsAllDayEvent": 0,
    }


INDUSTRIES = ["Energy", "Technology", "Banking", "Retail", None]
NAMES = ["Acme", "acme", "ÉCOLE", "école", "Straße", "Zürich", "100% Wool", "a_b", "Z"]


def _large(org: Org) -> None:
    rng = random.Random(20240314)
    org.insert("User", [_user("U1", "Ada", "Admin", "ada", active=1)])
    owner = org.ids["U1"]
    accounts = []
    for index in range(240):
        created = NOW + timedelta(minutes=rng.randint(-2 * 365 * 1440, 365 * 1440))
        if index % 40 == 0:
            # Exactly a local midnight around today, or a millisecond before one.
            day = datetime(2024, 3, 10 + index // 40, tzinfo=ZoneInfo(TIME_ZONE))
            created = day.astimezone(UTC) - timedelta(milliseconds=index % 80 // 40)
        accounts.append(
            {
                "Name": rng.choice(NAMES) + (f" {index}" if index % 3 else ""),
                "Industry": rng.choice(INDUSTRIES),
                "AnnualRevenue": rng.choice([None, 0.0, 1000.0, 2500.5, 1e6]),
                "NumberOfEmployees": rng.choice([None, 0, 5, 10, 50]),
                "OwnerId": owner,
                "CreatedDate": f"{created:%Y-%m-%dT%H:%M:%S}."
                f"{created.microsecond // 1000:03d}Z",
                "LastActivityDate": (
                    NOW.date() + timedelta(days=rng.randint(-800, 400))
                ).isoformat()
                if index % 7
                else None,
                "Flag__c": rng.choice([0, 1]),
                "Tags__c": rng.choice(
                    [None, "Red", "Red;Green", "Blue;Green", "Ünïcode"]
                ),
                "IsDeleted": int(index % 50 == 49),
            }
        )
    org.insert("Account", accounts)


@pytest.fixture(scope="package")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    org = make_org(tmp_path_factory.mktemp("small"), _small)
    yield org
    org.store.close()


@pytest.fixture(scope="package")
def large_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    org = make_org(tmp_path_factory.mktemp("large"), _large)
    yield org
    org.store.close()


def today() -> date:
    """Today in the org's time zone at ``NOW``."""
    return date(2024, 3, 13)
