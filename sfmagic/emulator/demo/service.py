"""Cases and case comments of the demo org."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfmagic.emulator.demo.accounts import Accounts, Contacts, person_names
from sfmagic.emulator.demo.rows import (
    END,
    Generator,
    Parents,
    People,
    Writer,
    in_time_order,
    pick_values,
)
from sfmagic.emulator.demo.words import (
    CASE_DETAILS,
    CASE_SUBJECTS,
    COMMENTS,
    FIRST_ASCII,
    LAST_ASCII,
)


@dataclass
class Cases(Parents):
    contact: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


def plan_cases(
    gen: Generator, people: People, accounts: Accounts, contacts: Contacts
) -> tuple[Cases, Writer]:
    """Plan the cases and return their writer.

    The writer copies the contact's phone numbers and email into the case, as
    Salesforce does, so it must run after the contacts' writer.
    """
    rng = gen.rng("Case")
    table = gen.table("Case")
    count = gen.counts["Case"]
    r = rng.random
    ids = gen.ids("Case", count)

    # One case in ten comes from the web form and has no contact yet.
    contact = [int(r() * len(contacts.ids)) if r() < 0.9 else -1 for _ in range(count)]
    starts = [contacts.created[c] if c >= 0 else 0 for c in contact]
    created, contact = in_time_order(gen.after(rng, starts), contact)
    account = [contacts.account[c] if c >= 0 else -1 for c in contact]
    status = pick_values(
        rng,
        table.picklist("Status"),
        count,
        {"Closed": 11, "New": 3, "Working": 4, "Escalated": 2},
    )
    closed = [str(s).startswith("Closed") for s in status]
    ends = [
        e if c else END for e, c in zip(gen.after(rng, created), closed, strict=True)
    ]
    support = [*people.support, people.admin]
    owners = [
        people.queue if s == "New" and r() < 0.4 else support[int(r() * len(support))]
        for s in status
    ]

    def write(activity: Mapping[str, str]) -> None:
        for lo, hi in gen.batches("Case"):
            n = hi - lo
            part = contact[lo:hi]
            subjects = rng.choices(CASE_SUBJECTS, k=n)
            first, last = person_names(rng, n)
            modified = [
                e if c else m
                for e, c, m in zip(
                    ends[lo:hi],
                    closed[lo:hi],
                    gen.modified(rng, created[lo:hi]),
                    strict=True,
                )
            ]
            web = [c < 0 for c in part]
            columns: dict[str, Any] = {
                "Id": ids[lo:hi],
                "CaseNumber": [f"{1000 + i:08d}" for i in range(lo, hi)],
                "ContactId": [contacts.ids[c] if c >= 0 else None for c in part],
                "AccountId": [
                    accounts.ids[a] if a >= 0 else None for a in account[lo:hi]
                ],
                "SuppliedName": [
                    f"{f} {s}" if w else None
                    for f, s, w in zip(first, last, web, strict=True)
                ],
                "SuppliedEmail": [
                    f"{FIRST_ASCII[f]}.{LAST_ASCII[s]}@example.com" if w else None
                    for f, s, w in zip(first, last, web, strict=True)
                ],
                "Type": pick_values(rng, table.picklist("Type"), n, blank=0.2),
                "Status": status[lo:hi],
                "Reason": pick_values(rng, table.picklist("Reason"), n, blank=0.2),
                "Origin": [
                    "Web" if w else o
                    for w, o in zip(
                        web,
                        pick_values(
                            rng,
                            table.picklist("Origin"),
                            n,
                            {"Phone": 4, "Email": 3, "Web": 2},
                        ),
                        strict=True,
                    )
                ],
                "Subject": subjects,
                "Description": [
                    f"{s}. {CASE_DETAILS[int(r() * len(CASE_DETAILS))]}"
                    for s in subjects
                ],
                "Priority": pick_values(
                    rng,
                    table.picklist("Priority"),
                    n,
                    {"High": 2, "Medium": 5, "Low": 3},
                ),
                "IsClosed": [int(c) for c in closed[lo:hi]],
                "ClosedDate": [
                    gen.clock.stamp(e) if c else None
                    for e, c in zip(ends[lo:hi], closed[lo:hi], strict=True)
                ],
                "IsEscalated": [int(s == "Escalated") for s in status[lo:hi]],
                "ContactPhone": [contacts.phone[c] if c >= 0 else None for c in part],
                "ContactMobile": [contacts.mobile[c] if c >= 0 else None for c in part],
                "ContactEmail": [contacts.email[c] if c >= 0 else None for c in part],
                "OwnerId": owners[lo:hi],
            }
            creators = [o if o != people.queue else people.admin for o in owners[lo:hi]]
            columns |= gen.system(
                rng, created[lo:hi], modified, creators, people.everyone
            )
            gen.insert("Case", columns, n)

    return Cases(
        ids=ids,
        created=created,
        owner=owners,
        account=account,
        contact=contact,
        ends=ends,
    ), write


def write_case_comments(gen: Generator, people: People, cases: Cases) -> None:
    """Comments by the support team, made while their case was open."""
    rng = gen.rng("CaseComment")
    count = gen.counts["CaseComment"]
    r = rng.random
    ids = gen.ids("CaseComment", count)
    parents = rng.choices(range(len(cases.ids)), k=count)
    moments = [
        cases.created[p] + int(r() * (cases.ends[p] - cases.created[p]))
        for p in parents
    ]
    moments, parents = in_time_order(moments, parents)
    for lo, hi in gen.batches("CaseComment"):
        n = hi - lo
        part = parents[lo:hi]
        created = moments[lo:hi]
        authors = rng.choices(people.support, k=n)
        columns: dict[str, Any] = {
            "Id": ids[lo:hi],
            "ParentId": [cases.ids[p] for p in part],
            "CommentBody": rng.choices(COMMENTS, k=n),
            "IsPublished": [int(r() < 0.5) for _ in range(n)],
        }
        columns |= gen.system(rng, created, created, authors, authors)
        gen.insert("CaseComment", columns, n)
