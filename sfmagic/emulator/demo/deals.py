"""Opportunities and leads of the demo org."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sfmagic.emulator.demo.accounts import (
    Accounts,
    company_names,
    company_size,
    contact_of,
    person_names,
)
from sfmagic.emulator.demo.rows import (
    DAY,
    WINDOW_DAYS,
    Generator,
    Parents,
    People,
    Writer,
    in_time_order,
    phones,
    pick_values,
)
from sfmagic.emulator.demo.words import (
    CITIES,
    CITY_WEIGHTS,
    DEALS,
    FIRST_ASCII,
    LAST_ASCII,
    NEXT_STEPS,
    TITLES,
)

# A new org's sales process: probability, forecast category and how often the
# demo data uses each stage.
STAGES = {
    "Prospecting": (10, "Pipeline", 8),
    "Qualification": (10, "Pipeline", 8),
    "Needs Analysis": (20, "Pipeline", 6),
    "Value Proposition": (50, "Pipeline", 6),
    "Id. Decision Makers": (60, "Pipeline", 5),
    "Perception Analysis": (70, "Pipeline", 4),
    "Proposal/Price Quote": (75, "Pipeline", 5),
    "Negotiation/Review": (90, "Pipeline", 4),
    "Closed Won": (100, "Closed", 30),
    "Closed Lost": (0, "Omitted", 20),
}


FORECAST_API = {
    "Pipeline": "Pipeline",
    "Best Case": "BestCase",
    "Commit": "Forecast",
    "Closed": "Closed",
    "Omitted": "Omitted",
}


@dataclass
class Opportunities(Parents):
    contact: list[str | None] = field(default_factory=list)


def plan_opportunities(
    gen: Generator, people: People, accounts: Accounts, contacts: Parents
) -> tuple[Opportunities, Writer]:
    """Plan the opportunities (account, contact, owner) and return their writer."""
    rng = gen.rng("Opportunity")
    table = gen.table("Opportunity")
    count = gen.counts["Opportunity"]
    r = rng.random
    ids = gen.ids("Opportunity", count)
    account = rng.choices(range(len(accounts.ids)), k=count)
    created = gen.after(rng, [accounts.created[a] for a in account])
    created, account = in_time_order(created, account)
    owners = [
        accounts.owner[a] if r() < 0.85 else people.sales[int(r() * len(people.sales))]
        for a in account
    ]
    contact = [contact_of(accounts, contacts, a, r) for a in account]
    stages = table.picklist("StageName") or tuple(STAGES)
    weights = {name: info[2] for name, info in STAGES.items()}

    def write(activity: Mapping[str, str]) -> None:
        for lo, hi in gen.batches("Opportunity"):
            n = hi - lo
            stage = pick_values(rng, stages, n, weights)
            closed = [str(s).startswith("Closed") for s in stage]
            modified = gen.modified(rng, created[lo:hi])
            # A closed deal closes on the day it was last edited; an open one is due
            # between three weeks ago and five months ahead, never before it began.
            close_day = [
                m // DAY if c else max(s // DAY + 7, WINDOW_DAYS - 21 + int(r() * 170))
                for m, c, s in zip(modified, closed, created[lo:hi], strict=True)
            ]
            close = [gen.clock.days[d] for d in close_day]
            probability = [probability_of(str(s), stages) for s in stage]
            amount = [100.0 * int(50 + 4_950 * r() ** 2) for _ in range(n)]
            category = [STAGES.get(str(s), (0, "Pipeline", 0))[1] for s in stage]
            columns: dict[str, Any] = {
                "LastActivityDate": [activity.get(i) for i in ids[lo:hi]],
                "Id": ids[lo:hi],
                "AccountId": [accounts.ids[a] for a in account[lo:hi]],
                "ContactId": contact[lo:hi],
                "Name": [
                    f"{accounts.name[a]} - {deal}"[:120]
                    for a, deal in zip(
                        account[lo:hi], rng.choices(DEALS, k=n), strict=True
                    )
                ],
                "StageName": stage,
                "Probability": probability,
                "Amount": amount,
                "ExpectedRevenue": [
                    a * p / 100 for a, p in zip(amount, probability, strict=True)
                ],
                "CloseDate": close,
                "Type": pick_values(
                    rng, table.picklist("Type"), n, {"New Customer": 3}, blank=0.1
                ),
                "LeadSource": pick_values(
                    rng, table.picklist("LeadSource"), n, blank=0.3
                ),
                "NextStep": [
                    None if c else NEXT_STEPS[int(r() * len(NEXT_STEPS))]
                    for c in closed
                ],
                "IsClosed": [int(c) for c in closed],
                "IsWon": [int(s == "Closed Won") for s in stage],
                "ForecastCategoryName": category,
                "ForecastCategory": [FORECAST_API[c] for c in category],
                "LastStageChangeDate": gen.clock.stamps(modified),
                "FiscalYear": [int(d[:4]) for d in close],
                "FiscalQuarter": [(int(d[5:7]) + 2) // 3 for d in close],
                "Fiscal": [f"{d[:4]} {(int(d[5:7]) + 2) // 3}" for d in close],
                "IsPrivate": 0,
                "OwnerId": owners[lo:hi],
            }
            columns |= gen.system(
                rng, created[lo:hi], modified, owners[lo:hi], people.everyone
            )
            gen.insert("Opportunity", columns, n)

    return Opportunities(
        ids=ids, created=created, owner=owners, account=account, contact=contact
    ), write


def probability_of(stage: str, stages: Sequence[str]) -> float:
    """The default probability of ``stage``; stages of a custom process climb."""
    if stage in STAGES:
        return float(STAGES[stage][0])
    if stage.startswith("Closed"):
        return 100.0 if "Won" in stage else 0.0
    return float(10 + 80 * stages.index(stage) // max(1, len(stages)))


def plan_leads(
    gen: Generator, people: People, accounts: Accounts, contacts: Parents
) -> tuple[Parents, Writer]:
    """Plan the leads (status, owner: the queue or a seller) and return their writer.

    Converted leads name a contact with an account as what they became.
    """
    rng = gen.rng("Lead")
    table = gen.table("Lead")
    count = gen.counts["Lead"]
    r = rng.random
    ids = gen.ids("Lead", count)
    created = gen.created(rng, count)
    companies, domains, _ = company_names(rng, count)
    status = pick_values(
        rng,
        table.picklist("Status"),
        count,
        {
            "Open - Not Contacted": 7,
            "Working - Contacted": 6,
            "Closed - Converted": 3,
            "Closed - Not Converted": 4,
        },
    )
    # New, untouched leads wait in the "Inbound Leads" queue more often than not.
    owners = [
        people.queue
        if s == table.defaults.get("Status", "Open - Not Contacted") and r() < 0.6
        else people.sales[int(r() * len(people.sales))]
        for s in status
    ]
    linked = [c for c in range(len(contacts.ids)) if contacts.account[c] >= 0]

    def write(activity: Mapping[str, str]) -> None:
        for lo, hi in gen.batches("Lead"):
            n = hi - lo
            first, last = person_names(rng, n)
            cities = rng.choices(range(len(CITIES)), CITY_WEIGHTS, k=n)
            employees, revenue = company_size(rng, n)
            converted = [s == "Closed - Converted" for s in status[lo:hi]]
            done = [str(s).startswith("Closed") for s in status[lo:hi]]
            modified = [
                a if d else m
                for a, d, m in zip(
                    gen.after(rng, created[lo:hi]),
                    done,
                    gen.modified(rng, created[lo:hi]),
                    strict=True,
                )
            ]
            into = [
                linked[int(r() * len(linked))] if c and linked else -1
                for c in converted
            ]
            titles = rng.choices(TITLES, k=n)
            columns: dict[str, Any] = {
                "LastActivityDate": [activity.get(i) for i in ids[lo:hi]],
                "Id": ids[lo:hi],
                "FirstName": first,
                "LastName": last,
                "Name": [f"{f} {s}" for f, s in zip(first, last, strict=True)],
                "Title": [t[0] for t in titles],
                "Company": companies[lo:hi],
                "Email": [
                    f"{FIRST_ASCII[f]}.{LAST_ASCII[s]}@{d}"
                    for f, s, d in zip(first, last, domains[lo:hi], strict=True)
                ],
                "Website": ["www." + d for d in domains[lo:hi]],
                "Phone": phones(rng, [CITIES[c][6] for c in cities]),
                "LeadSource": pick_values(
                    rng, table.picklist("LeadSource"), n, {"Web": 4}, blank=0.1
                ),
                "Status": status[lo:hi],
                "Industry": pick_values(rng, table.picklist("Industry"), n, blank=0.2),
                "Rating": pick_values(rng, table.picklist("Rating"), n, blank=0.3),
                "AnnualRevenue": [v if r() < 0.7 else None for v in revenue],
                "NumberOfEmployees": [e if r() < 0.7 else None for e in employees],
                "OwnerId": owners[lo:hi],
                "IsUnreadByOwner": [int(o == people.queue) for o in owners[lo:hi]],
                "IsConverted": [int(c) for c in converted],
                "ConvertedDate": [
                    gen.clock.days[m // DAY] if c else None
                    for m, c in zip(modified, converted, strict=True)
                ],
                "ConvertedContactId": [
                    contacts.ids[i] if i >= 0 else None for i in into
                ],
                "ConvertedAccountId": [
                    accounts.ids[contacts.account[i]] if i >= 0 else None for i in into
                ],
                **gen.places.address("", cities, rng),
            }
            creators = [o if o != people.queue else people.admin for o in owners[lo:hi]]
            columns |= gen.system(
                rng, created[lo:hi], modified, creators, people.everyone
            )
            gen.insert("Lead", columns, n)

    return Parents(ids=ids, created=created, owner=owners), write
