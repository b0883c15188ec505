"""A data-driven conformance table: SOQL text → expected answer on ``small_org``.

Each row is a query and what it must answer: a list (the values of the first
selected field of each record, in order), ``count(n)`` (``COUNT()``: totalSize
only), ``rows([...])`` (records without their attributes) or ``error(CODE)``.
Braced names (``{A1}``, ``{A1_15}``) are the 18- and 15-character ids of the
records of ``conftest._small``.

Queries without ORDER BY come back in id (creation) order in the emulator;
Salesforce guarantees no order there, so the table relies on it only where the
answer has at most one record or the test is about something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from sfmagic.emulator.errors import ApiError
from tests.emulator.query.conftest import Org

ALL = [
    "Acme",
    "acme labs",
    "Émile Corp",
    "éclair SA",
    "100% Cotton",
    "under_score Ltd",
    "Beta Shipping",
]
BY_NAME = [
    "100% Cotton",
    "Acme",
    "acme labs",
    "Beta Shipping",
    "under_score Ltd",
    "Émile Corp",
    "éclair SA",
]


@dataclass(frozen=True)
class count:  # noqa: N801 - reads as part of the table
    total: int


@dataclass(frozen=True)
class rows:  # noqa: N801
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class error:  # noqa: N801
    code: str


@dataclass(frozen=True)
class deleted:  # noqa: N801 - run as queryAll
    expected: Any


def but(*names: str) -> list[str]:
    return [n for n in ALL if n not in names]


TABLE: list[tuple[str, Any]] = [
    # --- field lists, ordering, limits --------------------------------------------
    ("SELECT Name FROM Account", ALL),
    ("select name from account", ALL),
    ("SELECT Name FROM Account ORDER BY Name", BY_NAME),
    ("SELECT Name FROM Account ORDER BY Name ASC", BY_NAME),
    ("SELECT Name FROM Account ORDER BY Name DESC", BY_NAME[::-1]),
    ("SELECT Name FROM Account ORDER BY Name LIMIT 2", BY_NAME[:2]),
    ("SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 3", BY_NAME[3:5]),
    ("SELECT Name FROM Account ORDER BY Name OFFSET 5", BY_NAME[5:]),
    ("SELECT Name FROM Account ORDER BY Name LIMIT 0", []),
    ("SELECT Name FROM Account ORDER BY Name OFFSET 2000", []),
    (
        "SELECT Name FROM Account ORDER BY Industry, Name",
        [
            "Émile Corp",
            "100% Cotton",
            "Acme",
            "éclair SA",
            "acme labs",
            "under_score Ltd",
            "Beta Shipping",
        ],
    ),
    (
        "SELECT Name FROM Account ORDER BY Rating, Name",
        [
            "100% Cotton",
            "under_score Ltd",
            "Émile Corp",
            "Acme",
            "Beta Shipping",
            "acme labs",
            "éclair SA",
        ],
    ),
    (
        "SELECT Name FROM Account ORDER BY Rating DESC, Name",
        [
            "éclair SA",
            "acme labs",
            "Acme",
            "Beta Shipping",
            "100% Cotton",
            "under_score Ltd",
            "Émile Corp",
        ],
    ),
    (
        "SELECT Name FROM Account ORDER BY Region__c NULLS LAST, Name",
        [
            "Acme",
            "acme labs",
            "100% Cotton",
            "Beta Shipping",
            "under_score Ltd",
            "Émile Corp",
            "éclair SA",
        ],
    ),
    (
        "SELECT Name FROM Account ORDER BY AnnualRevenue DESC",
        [
            "Acme",
            "Beta Shipping",
            "acme labs",
            "100% Cotton",
            "éclair SA",
            "under_score Ltd",
            "Émile Corp",
        ],
    ),
    (
        "SELECT Name FROM Account ORDER BY AnnualRevenue",
        [
            "Émile Corp",
            "under_score Ltd",
            "éclair SA",
            "100% Cotton",
            "acme labs",
            "Beta Shipping",
            "Acme",
        ],
    ),
    (
        "SELECT Name FROM Account ORDER BY AnnualRevenue ASC NULLS LAST LIMIT 1",
        ["under_score Ltd"],
    ),
    (
        "SELECT Name FROM Account ORDER BY CreatedDate DESC LIMIT 3",
        ["acme labs", "Acme", "Émile Corp"],
    ),
    (
        "SELECT Name FROM Account ORDER BY Flag__c DESC, Name LIMIT 2",
        ["Acme", "éclair SA"],
    ),
    ("SELECT Name FROM Account a ORDER BY a.Name LIMIT 1", ["100% Cotton"]),
    # --- text comparisons ---------------------------------------------------------
    ("SELECT Name FROM Account WHERE Name = 'ACME'", ["Acme"]),
    ("SELECT Name FROM Account WHERE Name = 'acme'", ["Acme"]),
    ("SELECT Name FROM Account WHERE Name = 'ÉMILE CORP'", ["Émile Corp"]),
    ("SELECT Name FROM Account WHERE Name = 'ÉCLAIR SA'", ["éclair SA"]),
    ("SELECT Name FROM Account WHERE Name != 'acme'", but("Acme")),
    ("SELECT Name FROM Account WHERE Name <> 'ACME'", but("Acme")),
    ("SELECT Name FROM Account WHERE Name != 'émile corp'", but("Émile Corp")),
    ("SELECT Name FROM Account WHERE Name = 'nobody'", []),
    ("SELECT Name FROM Account WHERE Name LIKE 'acme%'", ["Acme", "acme labs"]),
    ("SELECT Name FROM Account WHERE Name LIKE 'ACME%'", ["Acme", "acme labs"]),
    ("SELECT Name FROM Account WHERE Name LIKE '%labs'", ["acme labs"]),
    ("SELECT Name FROM Account WHERE Name LIKE '_cme'", ["Acme"]),
    ("SELECT Name FROM Account WHERE Name LIKE 'acme'", ["Acme"]),
    ("SELECT Name FROM Account WHERE Name LIKE '100\\%%'", ["100% Cotton"]),
    ("SELECT Name FROM Account WHERE Name LIKE '%\\_%'", ["under_score Ltd"]),
    ("SELECT Name FROM Account WHERE Name LIKE '%_%'", ALL),
    ("SELECT Name FROM Account WHERE Name LIKE 'é%'", ["Émile Corp", "éclair SA"]),
    ("SELECT Name FROM Account WHERE Name LIKE 'É%'", ["Émile Corp", "éclair SA"]),
    ("SELECT Name FROM Account WHERE Name LIKE '%CORP'", ["Émile Corp"]),
    ("SELECT Name FROM Account WHERE NOT Name LIKE 'a%'", but("Acme", "acme labs")),
    ("SELECT Name FROM Account WHERE Name < 'B'", ["Acme", "acme labs", "100% Cotton"]),
    (
        "SELECT Name FROM Account WHERE Name >= 'u'",
        [
            "Émile Corp",
            "éclair SA",
            "under_score Ltd",
        ],
    ),
    (
        "SELECT Name FROM Account WHERE Name IN ('acme', 'BETA SHIPPING')",
        ["Acme", "Beta Shipping"],
    ),
    ("SELECT Name FROM Account WHERE Name IN ('émile corp', 'nope')", ["Émile Corp"]),
    (
        "SELECT Name FROM Account WHERE Name NOT IN ('acme', 'acme labs')",
        but("Acme", "acme labs"),
    ),
    ("SELECT Name FROM Account WHERE Phone = '555-0100'", ["Acme"]),
    ("SELECT Name FROM Account WHERE BillingCity = 'zürich'", ["Émile Corp"]),
    ("SELECT Name FROM Account WHERE Region__c = 'north'", ["Acme"]),
    # --- nulls and two-valued logic ------------------------------------------------
    ("SELECT Name FROM Account WHERE Industry = 'Energy'", ["Acme", "éclair SA"]),
    ("SELECT Name FROM Account WHERE Industry = 'energy'", ["Acme", "éclair SA"]),
    ("SELECT Name FROM Account WHERE Industry != 'Energy'", but("Acme", "éclair SA")),
    (
        "SELECT Name FROM Account WHERE NOT Industry = 'Energy'",
        but("Acme", "éclair SA"),
    ),
    (
        "SELECT Name FROM Account WHERE NOT (NOT Industry = 'Energy')",
        ["Acme", "éclair SA"],
    ),
    ("SELECT Name FROM Account WHERE Industry = null", ["Émile Corp"]),
    ("SELECT Name FROM Account WHERE Industry != null", but("Émile Corp")),
    ("SELECT Name FROM Account WHERE Industry = ''", ["Émile Corp"]),
    ("SELECT Name FROM Account WHERE Industry != ''", but("Émile Corp")),
    (
        "SELECT Name FROM Account WHERE Industry IN ('Energy', null)",
        ["Acme", "Émile Corp", "éclair SA"],
    ),
    (
        "SELECT Name FROM Account WHERE Industry NOT IN ('Energy', 'Technology')",
        ["Émile Corp", "100% Cotton", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE NOT Industry IN ('Energy', 'Technology')",
        ["Émile Corp", "100% Cotton", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE Industry = 'Energy' OR Industry = 'Apparel'",
        ["Acme", "éclair SA", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE (Industry = 'Energy' OR "
        "Industry = 'Technology') AND NumberOfEmployees > 5",
        ["Acme", "acme labs"],
    ),
    (
        "SELECT Name FROM Account WHERE NOT (Industry = 'Energy' OR "
        "Industry = 'Technology')",
        ["Émile Corp", "100% Cotton", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE Industry = 'Energy' AND NOT Name LIKE 'a%'",
        ["éclair SA"],
    ),
    (
        "SELECT Name FROM Account WHERE NOT AnnualRevenue > 1000",
        [
            "Émile Corp",
            "éclair SA",
            "under_score Ltd",
        ],
    ),
    # --- numbers and booleans ------------------------------------------------------
    (
        "SELECT Name FROM Account WHERE AnnualRevenue > 100000",
        ["Acme", "acme labs", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE AnnualRevenue >= 250000",
        ["Acme", "acme labs", "Beta Shipping"],
    ),
    ("SELECT Name FROM Account WHERE AnnualRevenue < 1000", ["under_score Ltd"]),
    (
        "SELECT Name FROM Account WHERE AnnualRevenue <= 1000",
        ["éclair SA", "under_score Ltd"],
    ),
    ("SELECT Name FROM Account WHERE AnnualRevenue = 75000.5", ["100% Cotton"]),
    ("SELECT Name FROM Account WHERE AnnualRevenue != 0", but("under_score Ltd")),
    (
        "SELECT Name FROM Account WHERE AnnualRevenue IN (0, 1000)",
        ["éclair SA", "under_score Ltd"],
    ),
    ("SELECT Name FROM Account WHERE AnnualRevenue > -1", but("Émile Corp")),
    ("SELECT Name FROM Account WHERE AnnualRevenue = USD1000", ["éclair SA"]),
    (
        "SELECT Name FROM Account WHERE NumberOfEmployees > 10 AND "
        "NumberOfEmployees < 200",
        ["Acme", "acme labs", "100% Cotton"],
    ),
    ("SELECT Name FROM Account WHERE NumberOfEmployees = 0", ["under_score Ltd"]),
    ("SELECT Name FROM Account WHERE NumberOfEmployees >= 500", ["Beta Shipping"]),
    ("SELECT Name FROM Account WHERE NumberOfEmployees = 12.0", ["acme labs"]),
    ("SELECT Name FROM Account WHERE Score__c > 5", ["Acme"]),
    ("SELECT Name FROM Account WHERE Flag__c = true", ["Acme", "éclair SA"]),
    ("SELECT Name FROM Account WHERE Flag__c = FALSE", but("Acme", "éclair SA")),
    ("SELECT Name FROM Account WHERE Flag__c != true", but("Acme", "éclair SA")),
    # --- ids ---------------------------------------------------------------------
    ("SELECT Name FROM Account WHERE Id = '{A1}'", ["Acme"]),
    ("SELECT Name FROM Account WHERE Id = '{A1_15}'", ["Acme"]),
    (
        "SELECT Name FROM Account WHERE Id IN ('{A1_15}', '{A3}')",
        ["Acme", "Émile Corp"],
    ),
    ("SELECT Name FROM Account WHERE Id != '{A1}'", but("Acme")),
    (
        "SELECT Name FROM Account WHERE Id NOT IN ('{A1}', '{A2_15}')",
        but("Acme", "acme labs"),
    ),
    (
        "SELECT Name FROM Account WHERE OwnerId = '{U2}'",
        ["acme labs", "éclair SA", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE ParentId = '{A1_15}'",
        ["acme labs", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE ParentId = null",
        [
            "Acme",
            "Émile Corp",
            "éclair SA",
            "100% Cotton",
            "under_score Ltd",
        ],
    ),
    ("SELECT Name FROM Account WHERE ParentId != null", ["acme labs", "Beta Shipping"]),
    (
        "SELECT Name FROM Account WHERE Id > '{A5}'",
        ["under_score Ltd", "Beta Shipping"],
    ),
    # --- multi-select picklists ---------------------------------------------------
    (
        "SELECT Name FROM Account WHERE Tags__c INCLUDES ('Red')",
        ["Acme", "éclair SA", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE Tags__c INCLUDES ('red;green')",
        ["Acme", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE Tags__c INCLUDES ('Blue', 'ÜNÏCODE')",
        ["acme labs", "éclair SA", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE Tags__c EXCLUDES ('Red')",
        ["acme labs", "Émile Corp", "under_score Ltd", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE Tags__c EXCLUDES ('Red;Blue')",
        but("100% Cotton"),
    ),
    ("SELECT Name FROM Account WHERE Tags__c = 'Green;Red'", ["Acme"]),
    ("SELECT Name FROM Account WHERE Tags__c = 'Blue'", ["acme labs"]),
    ("SELECT Name FROM Account WHERE Tags__c != 'Blue'", but("acme labs")),
    (
        "SELECT Name FROM Account WHERE Tags__c = null",
        ["Émile Corp", "under_score Ltd", "Beta Shipping"],
    ),
    # --- date literals and datetimes --------------------------------------------------
    ("SELECT Name FROM Account WHERE CreatedDate = TODAY", ["Acme", "acme labs"]),
    ("SELECT Name FROM Account WHERE CreatedDate = YESTERDAY", []),
    (
        "SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:2",
        ["Acme", "acme labs", "Émile Corp"],
    ),
    ("SELECT Name FROM Account WHERE CreatedDate = N_DAYS_AGO:2", ["Émile Corp"]),
    (
        "SELECT Name FROM Account WHERE CreatedDate = THIS_WEEK",
        ["Acme", "acme labs", "Émile Corp"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate = THIS_YEAR",
        ["Acme", "acme labs", "Émile Corp", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate = LAST_YEAR",
        ["éclair SA", "under_score Ltd"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate < THIS_YEAR",
        ["éclair SA", "under_score Ltd", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate > LAST_YEAR",
        ["Acme", "acme labs", "Émile Corp", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate >= THIS_MONTH",
        ["Acme", "acme labs", "Émile Corp"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate <= LAST_MONTH",
        ["éclair SA", "100% Cotton", "under_score Ltd", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate = THIS_QUARTER",
        ["Acme", "acme labs", "Émile Corp", "100% Cotton"],
    ),
    ("SELECT Name FROM Account WHERE CreatedDate = LAST_QUARTER", ["éclair SA"]),
    (
        "SELECT Name FROM Account WHERE CreatedDate = LAST_N_YEARS:2",
        ["éclair SA", "under_score Ltd", "Beta Shipping"],
    ),
    ("SELECT Name FROM Account WHERE CreatedDate = N_YEARS_AGO:2", ["Beta Shipping"]),
    (
        "SELECT Name FROM Account WHERE CreatedDate != THIS_YEAR",
        ["éclair SA", "under_score Ltd", "Beta Shipping"],
    ),
    ("SELECT Name FROM Account WHERE CreatedDate = NEXT_WEEK", []),
    (
        "SELECT Name FROM Account WHERE CreatedDate IN (TODAY, N_YEARS_AGO:2)",
        ["Acme", "acme labs", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate > 2024-03-14T00:00:00Z",
        ["acme labs"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate >= 2024-03-13T18:00:00Z",
        ["Acme", "acme labs"],
    ),
    ("SELECT Name FROM Account WHERE CreatedDate = 2024-03-13T18:00:00Z", ["Acme"]),
    (
        "SELECT Name FROM Account WHERE CreatedDate = 2024-03-13T11:00:00-07:00",
        ["Acme"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate = 2024-03-13T18:00:00.000+0000",
        ["Acme"],
    ),
    (
        "SELECT Name FROM Account WHERE CreatedDate < 2023-01-01T00:00:00Z",
        ["Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2023",
        ["éclair SA", "under_score Ltd"],
    ),
    (
        "SELECT Name FROM Account WHERE CALENDAR_MONTH(CreatedDate) = 3",
        ["Acme", "acme labs", "Émile Corp"],
    ),
    (
        "SELECT Name FROM Account WHERE DAY_ONLY(CreatedDate) = 2024-03-14",
        ["acme labs"],
    ),
    (
        "SELECT Name FROM Account WHERE DAY_ONLY(convertTimezone(CreatedDate)) = "
        "2024-03-13",
        ["Acme", "acme labs"],
    ),
    ("SELECT Name FROM Account WHERE HOUR_IN_DAY(CreatedDate) = 18", ["Acme"]),
    (
        "SELECT Name FROM Account WHERE HOUR_IN_DAY(convertTimezone(CreatedDate)) = 11",
        ["Acme"],
    ),
    ("SELECT LastName FROM Contact WHERE Birthdate = 1990-05-17", ["Doe"]),
    ("SELECT LastName FROM Contact WHERE Birthdate < 1980-01-01", ["Müller"]),
    (
        "SELECT LastName FROM Contact WHERE Birthdate = null",
        ["Smith", "Ünal", "Orphan", "Adams"],
    ),
    ("SELECT LastName FROM Contact WHERE Birthdate = LAST_N_YEARS:40", ["Doe"]),
    ("SELECT Name FROM Opportunity WHERE CloseDate = TODAY", ["Labs Pilot"]),
    (
        "SELECT Name FROM Opportunity WHERE CloseDate = THIS_MONTH ORDER BY CloseDate",
        ["Labs Pilot", "Cotton Expansion"],
    ),
    (
        "SELECT Name FROM Opportunity WHERE CloseDate > TODAY ORDER BY CloseDate",
        ["Cotton Expansion", "Acme Renewal"],
    ),
    (
        "SELECT Name FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:30",
        ["Cotton Expansion"],
    ),
    ("SELECT Name FROM Opportunity WHERE CloseDate = NEXT_MONTH", ["Acme Renewal"]),
    (
        "SELECT Name FROM Opportunity WHERE CALENDAR_QUARTER(CloseDate) = 4",
        ["Beta Fleet"],
    ),
    # --- relationship paths --------------------------------------------------------
    (
        "SELECT LastName, Account.Name FROM Contact WHERE Account.Name = 'acme'",
        ["Doe", "Smith"],
    ),
    (
        "SELECT LastName FROM Contact WHERE Account.Industry = 'Energy'",
        ["Doe", "Smith"],
    ),
    (
        "SELECT LastName FROM Contact WHERE Account.Owner.Alias = 'bob'",
        ["Ünal", "Adams"],
    ),
    ("SELECT LastName FROM Contact WHERE AccountId = null", ["Orphan"]),
    ("SELECT LastName FROM Contact WHERE Account.Name = null", ["Orphan"]),
    (
        "SELECT LastName FROM Contact WHERE Account.Parent.Name = 'Acme'",
        ["Ünal", "Adams"],
    ),
    ("SELECT LastName FROM Contact WHERE ReportsTo.LastName = 'Doe'", ["Smith"]),
    (
        "SELECT LastName FROM Contact WHERE Account.Parent.Owner.CreatedBy.Name = null",
        ["Doe", "Smith", "Ünal", "Müller", "Orphan", "Adams"],
    ),
    (
        "SELECT LastName FROM Contact ORDER BY LastName",
        ["Adams", "Doe", "Müller", "Orphan", "Smith", "Ünal"],
    ),
    (
        "SELECT LastName FROM Contact ORDER BY Account.Name NULLS LAST, LastName",
        ["Doe", "Smith", "Ünal", "Adams", "Müller", "Orphan"],
    ),
    (
        "SELECT LastName FROM Contact ORDER BY Account.Name, LastName",
        ["Orphan", "Doe", "Smith", "Ünal", "Adams", "Müller"],
    ),
    (
        "SELECT LastName FROM Contact ORDER BY Email DESC",
        ["Müller", "Smith", "Doe", "Adams", "Ünal", "Orphan"],
    ),
    (
        "SELECT LastName FROM Contact ORDER BY Email DESC NULLS FIRST",
        ["Ünal", "Orphan", "Müller", "Smith", "Doe", "Adams"],
    ),
    ("SELECT LastName FROM Contact WHERE LeadSource = 'web'", ["Doe", "Müller"]),
    ("SELECT LastName FROM Contact WHERE FirstName = null", ["Orphan"]),
    ("SELECT LastName FROM Contact WHERE Name LIKE 'J%'", ["Doe", "Smith"]),
    ("SELECT a.Name FROM Account a WHERE a.Industry = 'Apparel'", ["100% Cotton"]),
    ("SELECT Account.Name FROM Account WHERE Account.Name = 'Acme'", ["Acme"]),
    ("SELECT c.LastName FROM Contact c WHERE c.Account.Name = 'acme labs'", ["Ünal"]),
    (
        "SELECT Name, Account__r.Name FROM Invoice__c WHERE Account__r.Name = 'Acme'",
        ["INV-1", "INV-2"],
    ),
    (
        "SELECT Name FROM Invoice__c WHERE Amount__c > 50 ORDER BY Amount__c DESC",
        ["INV-2", "INV-1"],
    ),
    # --- polymorphic relationships -------------------------------------------------
    ("SELECT Subject FROM Task WHERE What.Type = 'Account'", ["Call Jane"]),
    ("SELECT Subject FROM Task WHERE Who.Type = 'Lead'", ["Email Lee"]),
    ("SELECT Subject FROM Task WHERE Owner.Type = 'Queue'", ["Email Lee"]),
    (
        "SELECT Subject FROM Task WHERE Who.Name LIKE 'j%'",
        ["Call Jane", "Follow up deal"],
    ),
    ("SELECT Subject FROM Task WHERE What.Name = 'Acme Renewal'", ["Follow up deal"]),
    ("SELECT Subject FROM Task WHERE What.Name = '00001001'", ["Case review"]),
    ("SELECT Subject FROM Task WHERE What.Id = '{K1}'", ["Case review"]),
    (
        "SELECT Subject FROM Task ORDER BY Who.Name NULLS LAST",
        ["Call Jane", "Follow up deal", "Email Lee", "Case review"],
    ),
    ("SELECT Subject FROM Task WHERE Who.FirstName = 'Lee'", ["Email Lee"]),
    ("SELECT CaseNumber FROM Case WHERE Owner.Type = 'User'", ["00001001", "00001004"]),
    (
        "SELECT CaseNumber FROM Case WHERE Owner.Name = 'Inbound Leads'",
        ["00001002", "00001003"],
    ),
    (
        "SELECT CaseNumber FROM Case WHERE Owner.IsActive = true",
        ["00001001", "00001004"],
    ),
    ("SELECT LastName FROM Lead WHERE Owner.Type = 'Queue'", ["Lead", "Queue"]),
    ("SELECT Title FROM Note WHERE Parent.Type = 'Lead'", ["Note on Lee"]),
    # --- semi-joins and anti-joins ---------------------------------------------------
    (
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
        ["Acme", "acme labs", "Émile Corp", "Beta Shipping"],
    ),
    (
        "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact)",
        ["éclair SA", "100% Cotton", "under_score Ltd"],
    ),
    (
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity "
        "WHERE StageName = 'Prospecting')",
        ["Acme", "100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE "
        "LeadSource = 'Web') AND Industry = 'Energy'",
        ["Acme"],
    ),
    (
        "SELECT LastName FROM Contact WHERE AccountId IN (SELECT Id FROM Account "
        "WHERE Industry = 'Technology')",
        ["Ünal"],
    ),
    (
        "SELECT Name FROM Account WHERE Id IN (SELECT Account__c FROM Invoice__c)",
        ["Acme", "acme labs"],
    ),
    (
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE "
        "Account.Owner.Alias = 'ada')",
        ["Acme", "Émile Corp"],
    ),
    # --- scopes and accepted clauses -----------------------------------------------
    (
        "SELECT Name FROM Account USING SCOPE mine",
        ["Acme", "Émile Corp", "100% Cotton", "under_score Ltd"],
    ),
    (
        "SELECT Name FROM Account USING SCOPE everything WHERE Industry = 'Energy'",
        ["Acme", "éclair SA"],
    ),
    (
        "SELECT Name FROM Account WHERE Industry = 'Apparel' WITH SECURITY_ENFORCED",
        ["100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE Industry = 'Apparel' WITH USER_MODE",
        ["100% Cotton"],
    ),
    (
        "SELECT Name FROM Account WHERE Industry = 'Apparel' WITH SYSTEM_MODE",
        ["100% Cotton"],
    ),
    ("SELECT Name FROM Account WHERE Industry = 'Apparel' FOR VIEW", ["100% Cotton"]),
    (
        "SELECT Name FROM Account WHERE Industry = 'Apparel' FOR REFERENCE",
        ["100% Cotton"],
    ),
    ("SELECT Name FROM Account WHERE Industry = 'Apparel' FOR UPDATE", ["100% Cotton"]),
    (
        "SELECT Name FROM Account WHERE Industry = 'Apparel' UPDATE TRACKING",
        ["100% Cotton"],
    ),
    # --- deleted rows ----------------------------------------------------------------
    ("SELECT Name FROM Account WHERE IsDeleted = true", []),
    ("SELECT Name FROM Account WHERE IsDeleted = true", deleted(["Zeta Deleted"])),
    (
        "SELECT Name FROM Account WHERE Industry = 'Energy'",
        deleted(["Acme", "éclair SA", "Zeta Deleted"]),
    ),
    ("SELECT COUNT() FROM Account", deleted(count(8))),
    ("SELECT COUNT() FROM Contact WHERE Account.Name = 'Acme'", deleted(count(3))),
    # --- COUNT() ---------------------------------------------------------------------
    ("SELECT COUNT() FROM Account", count(7)),
    ("SELECT count() FROM Account WHERE Industry = 'Energy'", count(2)),
    ("SELECT COUNT() FROM Account LIMIT 3", count(3)),
    ("SELECT COUNT() FROM Contact WHERE Account.Name LIKE 'acme%'", count(3)),
    ("SELECT COUNT() FROM Account GROUP BY Industry", count(5)),
    ("SELECT COUNT() FROM Account WHERE Name = 'nobody'", count(0)),
    # --- aggregates -----------------------------------------------------------------
    ("SELECT COUNT(Id) FROM Account", rows([{"expr0": 7}])),
    (
        "SELECT COUNT(Id) total FROM Account WHERE Industry = 'nothing'",
        rows([{"total": 0}]),
    ),
    (
        "SELECT COUNT(Industry), COUNT_DISTINCT(Industry) FROM Account",
        rows([{"expr0": 6, "expr1": 4}]),
    ),
    (
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry",
        rows(
            [
                {"Industry": None, "expr0": 1},
                {"Industry": "Apparel", "expr0": 1},
                {"Industry": "Energy", "expr0": 2},
                {"Industry": "Technology", "expr0": 2},
                {"Industry": "Transportation", "expr0": 1},
            ]
        ),
    ),
    (
        "SELECT Industry ind, COUNT(Id) c FROM Account GROUP BY Industry "
        "HAVING COUNT(Id) > 1 ORDER BY Industry",
        rows([{"ind": "Energy", "c": 2}, {"ind": "Technology", "c": 2}]),
    ),
    (
        "SELECT Industry FROM Account GROUP BY Industry HAVING Industry LIKE 'T%'",
        rows([{"Industry": "Technology"}, {"Industry": "Transportation"}]),
    ),
    (
        "SELECT SUM(AnnualRevenue), AVG(NumberOfEmployees), MIN(Name), "
        "MAX(CreatedDate) FROM Account",
        rows(
            [
                {
                    "expr0": 6306000.5,
                    "expr1": 112.5,
                    "expr2": "100% Cotton",
                    "expr3": "2024-03-14T02:00:00.000+0000",
                }
            ]
        ),
    ),
    ("SELECT SUM(NumberOfEmployees) FROM Account", rows([{"expr0": 675}])),
    (
        "SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name "
        "ORDER BY Account.Name",
        rows(
            [
                {"Name": None, "expr0": 1},
                {"Name": "Acme", "expr0": 2},
                {"Name": "acme labs", "expr0": 1},
                {"Name": "Beta Shipping", "expr0": 1},
                {"Name": "Émile Corp", "expr0": 1},
            ]
        ),
    ),
    (
        "SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) FROM Account "
        "GROUP BY CALENDAR_YEAR(CreatedDate) ORDER BY CALENDAR_YEAR(CreatedDate)",
        rows(
            [
                {"expr0": 2022, "expr1": 1},
                {"expr0": 2023, "expr1": 2},
                {"expr0": 2024, "expr1": 4},
            ]
        ),
    ),
    (
        "SELECT DAY_ONLY(convertTimezone(CreatedDate)) d, COUNT(Id) n FROM Account "
        "WHERE CreatedDate = THIS_WEEK GROUP BY DAY_ONLY(convertTimezone(CreatedDate)) "
        "ORDER BY DAY_ONLY(convertTimezone(CreatedDate))",
        rows([{"d": "2024-03-11", "n": 1}, {"d": "2024-03-13", "n": 2}]),
    ),
    (
        "SELECT StageName, SUM(Amount) FROM Opportunity GROUP BY StageName "
        "ORDER BY SUM(Amount) DESC",
        rows(
            [
                {"StageName": "Prospecting", "expr0": 125000.0},
                {"StageName": "Closed Won", "expr0": 100000.0},
                {"StageName": "Negotiation/Review", "expr0": 25000.0},
                {"StageName": "Closed Lost", "expr0": None},
            ]
        ),
    ),
    (
        "SELECT MAX(CloseDate), AVG(Amount) FROM Opportunity",
        rows([{"expr0": "2024-04-30", "expr1": 62500.0}]),
    ),
    (
        "SELECT Owner.Name, COUNT(Id) FROM Case GROUP BY Owner.Name "
        "ORDER BY Owner.Name",
        rows(
            [
                {"Name": "Ada Admin", "expr0": 1},
                {"Name": "Bob Builder", "expr0": 1},
                {"Name": "Inbound Leads", "expr0": 2},
            ]
        ),
    ),
    (
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP(Industry)",
        rows(
            [
                {"Industry": None, "expr0": 1},
                {"Industry": "Apparel", "expr0": 1},
                {"Industry": "Energy", "expr0": 2},
                {"Industry": "Technology", "expr0": 2},
                {"Industry": "Transportation", "expr0": 1},
                {"Industry": None, "expr0": 7},
            ]
        ),
    ),
    (
        "SELECT Industry, GROUPING(Industry) g, COUNT(Id) FROM Account "
        "WHERE Industry != null GROUP BY ROLLUP(Industry)",
        rows(
            [
                {"Industry": "Apparel", "g": 0, "expr0": 1},
                {"Industry": "Energy", "g": 0, "expr0": 2},
                {"Industry": "Technology", "g": 0, "expr0": 2},
                {"Industry": "Transportation", "g": 0, "expr0": 1},
                {"Industry": None, "g": 1, "expr0": 6},
            ]
        ),
    ),
    (
        "SELECT Rating, Flag__c, COUNT(Id) FROM Account WHERE Rating != null "
        "GROUP BY CUBE(Rating, Flag__c) HAVING COUNT(Id) > 1",
        rows(
            [
                {"Rating": "Hot", "Flag__c": None, "expr0": 2},
                {"Rating": None, "Flag__c": False, "expr0": 2},
                {"Rating": None, "Flag__c": True, "expr0": 2},
                {"Rating": None, "Flag__c": None, "expr0": 4},
            ]
        ),
    ),
    (
        "SELECT toLabel(Industry) FROM Account WHERE Industry = 'Energy'",
        ["Energy", "Energy"],
    ),
    (
        "SELECT toLabel(StageName) stage, COUNT(Id) FROM Opportunity "
        "WHERE IsClosed = true GROUP BY StageName ORDER BY StageName",
        rows(
            [{"stage": "Closed Won", "expr0": 1}, {"stage": "Closed Lost", "expr0": 1}]
        ),
    ),
    # --- extremes ---------------------------------------------------------------------
    (
        "SELECT Name FROM Account WHERE Name = 'Acme' LIMIT 99999999999999999999",
        ["Acme"],
    ),
    (
        "SELECT Name FROM Account WHERE NumberOfEmployees < 99999999999999999999",
        but("Émile Corp"),
    ),
    (
        "SELECT Name FROM Account WHERE "
        + " AND ".join(f"Name != 'x{i}'" for i in range(1500)),
        ALL,
    ),
    (
        "SELECT Name FROM Account WHERE "
        + " OR ".join(f"Name = 'x{i}'" for i in range(1500))
        + " OR Name = 'acme'",
        ["Acme"],
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:99999999",
        error("MALFORMED_QUERY"),
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate > 9999-12-31T23:00:00-05:00",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Name LIKE '" + "%a" * 30000 + "'",
        error("MALFORMED_QUERY"),
    ),
    # --- errors ----------------------------------------------------------------------
    ("SELECT Id FROM Foo", error("INVALID_TYPE")),
    ("SELECT Foo FROM Account", error("INVALID_FIELD")),
    ("SELECT Foo.Name FROM Contact", error("INVALID_FIELD")),
    ("SELECT Account.Foo FROM Contact", error("INVALID_FIELD")),
    ("SELECT Id FROM Account WHERE Foo = 1", error("INVALID_FIELD")),
    ("SELECT Id FROM Account ORDER BY Foo", error("INVALID_FIELD")),
    ("SELECT Id, (SELECT Id FROM Foos) FROM Account", error("INVALID_TYPE")),
    ("SELECT Id, (SELECT Foo FROM Contacts) FROM Account", error("INVALID_FIELD")),
    ("SELECT Id FROM Account WHERE", error("MALFORMED_QUERY")),
    ("SELECT FROM Account", error("MALFORMED_QUERY")),
    ("SELECT Id FROM Account WHERE Name = :name", error("MALFORMED_QUERY")),
    (
        "SELECT Id FROM Account LIMIT 10 OFFSET 2001",
        error("NUMBER_OUTSIDE_VALID_RANGE"),
    ),
    ("SELECT Id FROM OpenActivity", error("INVALID_TYPE_FOR_OPERATION")),
    ("SELECT Id FROM ActivityHistory", error("INVALID_TYPE_FOR_OPERATION")),
    ("SELECT Name, COUNT(Id) FROM Account", error("MALFORMED_QUERY")),
    ("SELECT Name FROM Account GROUP BY Industry", error("MALFORMED_QUERY")),
    (
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Name",
        error("MALFORMED_QUERY"),
    ),
    ("SELECT FIELDS(ALL) FROM Account", error("MALFORMED_QUERY")),
    ("SELECT FIELDS(CUSTOM) FROM Account LIMIT 201", error("MALFORMED_QUERY")),
    ("SELECT Name n FROM Account", error("MALFORMED_QUERY")),
    ("SELECT Name, Name FROM Account", error("MALFORMED_QUERY")),
    ("SELECT Name, name FROM Account", error("MALFORMED_QUERY")),
    ("SELECT FORMAT(AnnualRevenue) FROM Account", error("MALFORMED_QUERY")),
    ("SELECT convertCurrency(AnnualRevenue) FROM Account", error("MALFORMED_QUERY")),
    ("SELECT CALENDAR_YEAR(CreatedDate) FROM Account", error("MALFORMED_QUERY")),
    ("SELECT Id FROM Account USING SCOPE team", error("MALFORMED_QUERY")),
    ("SELECT Owner.Foo FROM Case", error("INVALID_FIELD")),
    ("SELECT What.Account.Name FROM Task", error("INVALID_FIELD")),
    ("SELECT SUM(Name) FROM Account", error("INVALID_FIELD")),
    ("SELECT MAX(Flag__c) FROM Account", error("INVALID_FIELD")),
    ("SELECT Name FROM Account HAVING COUNT(Id) > 1", error("MALFORMED_QUERY")),
    ("SELECT Id FROM Account ORDER BY Description", error("INVALID_FIELD")),
    ("SELECT Id FROM Account WHERE Description = 'x'", error("INVALID_FIELD")),
    ("SELECT COUNT(Id) FROM Account GROUP BY Description", error("INVALID_FIELD")),
    ("SELECT Id FROM Account WHERE BillingAddress = 'x'", error("INVALID_FIELD")),
    (
        "SELECT Id FROM Account WHERE Id = 'garbage'",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    ("SELECT Id FROM Account WHERE Name = 5", error("INVALID_QUERY_FILTER_OPERATOR")),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue = '5'",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Flag__c = 'true'",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Flag__c > true",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate = 2024-01-01",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Contact WHERE Birthdate = 1990-05-17T00:00:00Z",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Name = TODAY",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Industry > null",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Name INCLUDES ('a')",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Tags__c LIKE 'R%'",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue LIKE '1%'",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Tags__c IN ('Red')",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT Name FROM Contact)",
        error("MALFORMED_QUERY"),
    ),
    (
        "SELECT Id FROM Account WHERE Name IN (SELECT AccountId FROM Contact)",
        error("INVALID_QUERY_FILTER_OPERATOR"),
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 1)",
        error("MALFORMED_QUERY"),
    ),
    (
        "SELECT Id FROM Account WHERE CALENDAR_YEAR(Name) = 2024",
        error("MALFORMED_QUERY"),
    ),
    (
        "SELECT Id FROM Contact WHERE HOUR_IN_DAY(Birthdate) = 1",
        error("MALFORMED_QUERY"),
    ),
    ("SELECT Id FROM Account WHERE COUNT(Id) > 1", error("MALFORMED_QUERY")),
    (
        "SELECT Id, (SELECT COUNT(Id) FROM Contacts) FROM Account",
        error("MALFORMED_QUERY"),
    ),
    (
        "SELECT Name, TYPEOF Owner WHEN User THEN Name END FROM Account",
        error("MALFORMED_QUERY"),
    ),
    ("SELECT TYPEOF What WHEN Lead THEN Name END FROM Task", error("MALFORMED_QUERY")),
    (
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP(Industry, Rating, "
        "Type, Region__c)",
        error("MALFORMED_QUERY"),
    ),
    (
        "SELECT GROUPING(Industry) FROM Account GROUP BY Industry",
        error("MALFORMED_QUERY"),
    ),
    ("SELECT toLabel(Name) FROM Account", error("INVALID_FIELD")),
    (
        "SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:1 AND Id IN "
        "(SELECT AccountId FROM Foo)",
        error("INVALID_TYPE"),
    ),
]


def _expect(org: Org, text: str, expected: Any) -> None:
    include_deleted = isinstance(expected, deleted)
    if include_deleted:
        expected = expected.expected
    if isinstance(expected, error):
        with pytest.raises(ApiError) as raised:
            org.query(text, include_deleted=include_deleted)
        assert raised.value.status == 400
        assert raised.value.error_code == expected.code, raised.value.message
        return
    result = org.query(text, include_deleted=include_deleted)
    assert result["done"] is True
    if isinstance(expected, count):
        assert result == {"totalSize": expected.total, "done": True, "records": []}
        return
    records = result["records"]
    assert result["totalSize"] == len(records)
    if isinstance(expected, rows):
        assert [_bare(r) for r in records] == expected.records
        return
    keys = [next(k for k in r if k != "attributes") for r in records]
    assert [r[k] for r, k in zip(records, keys, strict=True)] == expected


def _bare(record: dict[str, Any]) -> dict[str, Any]:
    assert record["attributes"] == {"type": "AggregateResult"}
    return {k: v for k, v in record.items() if k != "attributes"}


def test_table_is_large_enough() -> None:
    assert len(TABLE) >= 150


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t[:120] for t, _ in TABLE])
def test_conformance(small_org: Org, text: str, expected: Any) -> None:
    _expect(small_org, text, expected)
