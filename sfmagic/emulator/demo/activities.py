"""Tasks, events and notes of the demo org, and the LastActivityDate they imply."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sfmagic.emulator.demo.accounts import Accounts, contact_of
from sfmagic.emulator.demo.deals import Opportunities
from sfmagic.emulator.demo.rows import (
    DAY,
    WINDOW_DAYS,
    Generator,
    Parents,
    People,
    in_time_order,
    pick_values,
)
from sfmagic.emulator.demo.service import Cases
from sfmagic.emulator.demo.words import (
    EVENT_EXTRA,
    LOCATIONS,
    NOTE_BODIES,
    NOTE_TITLES,
    TASK_EXTRA,
)


@dataclass
class Targets:
    """What each activity is about: WhatId, WhoId, AccountId, owner, earliest start."""

    what: Sequence[str | None]
    who: Sequence[str | None]
    account: Sequence[str | None]
    owner: Sequence[str]
    start: Sequence[int]
    kind: Sequence[int] = ()

    def part(self, lo: int, hi: int) -> Targets:
        return Targets(
            self.what[lo:hi],
            self.who[lo:hi],
            self.account[lo:hi],
            self.owner[lo:hi],
            self.start[lo:hi],
            self.kind[lo:hi],
        )


_ACCOUNT, _OPPORTUNITY, _CASE, _LEAD, _CONTACT = range(5)


@dataclass
class World:
    """Everything activities can be about, planned before any activity is made."""

    people: People
    accounts: Accounts
    contacts: Parents
    opportunities: Opportunities
    cases: Cases
    leads: Parents
    kinds: list[Targets] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kinds = kind_tables(self)


def kind_tables(world: World) -> list[Targets]:
    """Per kind of parent: each parent's WhatId, WhoId, AccountId, owner, creation.

    Activities cannot be owned by a queue here, so records the queue owns hand
    their activities to a team member.
    """
    w, people = world, world.people
    acc = w.accounts.ids
    opp, case, lead, contact = w.opportunities, w.cases, w.leads, w.contacts

    def owners(ids: list[str], team: list[str]) -> list[str]:
        return [
            team[i % len(team)] if o == people.queue else o for i, o in enumerate(ids)
        ]

    no_leads: list[str | None] = [None] * len(lead.ids)
    contact_account = [acc[a] if a >= 0 else None for a in contact.account]
    return [
        Targets(
            list(acc),
            [None] * len(acc),
            list(acc),
            w.accounts.owner,
            w.accounts.created,
        ),
        Targets(
            list(opp.ids),
            opp.contact,
            [acc[a] for a in opp.account],
            opp.owner,
            opp.created,
        ),
        Targets(
            list(case.ids),
            [contact.ids[c] if c >= 0 else None for c in case.contact],
            [acc[a] if a >= 0 else None for a in case.account],
            owners(case.owner, people.support),
            case.created,
        ),
        Targets(
            no_leads,
            list(lead.ids),
            no_leads,
            owners(lead.owner, people.sales),
            lead.created,
        ),
        Targets(
            contact_account,
            list(contact.ids),
            contact_account,
            contact.owner,
            contact.created,
        ),
    ]


def pick_targets(
    rng: random.Random, world: World, count: int, shares: Sequence[float]
) -> Targets:
    """Pick parents for ``count`` activities: account, opportunity, case, lead, contact.

    ``shares`` are the cumulative shares of the first four kinds; contacts take
    the rest. Activities on an account name one of its contacts seven times in
    ten.
    """
    r = rng.random
    tables = world.kinds
    kinds = rng.choices(range(len(tables)), cum_weights=[*shares, 1.0], k=count)
    sizes = [len(t.what) for t in tables]
    index = [int(r() * sizes[k]) for k in kinds]
    pairs = list(zip(kinds, index, strict=True))
    whats = [t.what for t in tables]
    whos = [t.who for t in tables]
    accounts, contacts = world.accounts, world.contacts
    return Targets(
        what=[whats[k][i] for k, i in pairs],
        who=[
            (contact_of(accounts, contacts, i, r) if r() < 0.7 else None)
            if k == _ACCOUNT
            else whos[k][i]
            for k, i in pairs
        ],
        account=[tables[k].account[i] for k, i in pairs],
        owner=[tables[k].owner[i] for k, i in pairs],
        start=[tables[k].start[i] for k, i in pairs],
        kind=kinds,
    )


def planned(
    gen: Generator, rng: random.Random, world: World, name: str, shares: Sequence[float]
) -> tuple[list[int], Targets]:
    """Parents and creation moments of all of an object's activities, in time order."""
    target = pick_targets(rng, world, gen.counts[name], shares)
    created = gen.after(rng, target.start)
    created, *columns = in_time_order(
        created,
        list(target.what),
        list(target.who),
        list(target.account),
        list(target.owner),
        list(target.start),
        list(target.kind),
    )
    return created, Targets(*columns)


def touch(last: dict[str, str], day: str, *ids: str | None) -> None:
    """Remember ``day`` as the latest activity of each record in ``ids``."""
    for record_id in ids:
        if record_id is not None and last.get(record_id, "") < day:
            last[record_id] = day


def write_tasks(gen: Generator, world: World, last: dict[str, str]) -> None:
    """Tasks on accounts, opportunities, cases and leads; completed ones go to ``last``.

    Completed tasks are due on the day they were done; open ones are due from
    ten days ago to five weeks ahead.
    """
    rng = gen.rng("Task")
    table = gen.table("Task")
    people = world.people
    subjects = [*table.picklist("Subject"), *TASK_EXTRA]
    subtypes = set(table.picklist("TaskSubtype"))
    ids = gen.ids("Task", gen.counts["Task"])
    moments, targets = planned(gen, rng, world, "Task", (0.35, 0.6, 0.85, 1.0))
    for lo, hi in gen.batches("Task"):
        n = hi - lo
        r = rng.random
        target = targets.part(lo, hi)
        created = moments[lo:hi]
        status = pick_values(
            rng,
            table.picklist("Status"),
            n,
            {"Completed": 11, "Not Started": 4, "In Progress": 3},
        )
        done = [s == "Completed" for s in status]
        finished = gen.after(rng, created)
        modified = [
            f if d else m
            for f, d, m in zip(finished, done, gen.modified(rng, created), strict=True)
        ]
        due = [
            f // DAY if d else max(c // DAY, WINDOW_DAYS - 10 + int(r() * 45))
            for f, d, c in zip(finished, done, created, strict=True)
        ]
        subject = rng.choices(subjects, k=n)
        priority = pick_values(
            rng, table.picklist("Priority"), n, {"Normal": 7, "High": 2, "Low": 1}
        )
        days = gen.clock.days
        for d, day, t in zip(done, due, range(n), strict=True):
            if d:
                touch(last, days[day], target.what[t], target.who[t], target.account[t])
        columns: dict[str, Any] = {
            "Id": ids[lo:hi],
            "WhatId": target.what,
            "WhoId": target.who,
            "AccountId": target.account,
            "Subject": subject,
            "ActivityDate": [days[d] for d in due],
            "Status": status,
            "Priority": priority,
            "IsHighPriority": [int(p == "High") for p in priority],
            "IsClosed": [int(d) for d in done],
            "CompletedDateTime": [
                gen.clock.stamp(f) if d else None
                for f, d in zip(finished, done, strict=True)
            ],
            "TaskSubtype": [
                s if s in ("Call", "Email") and s in subtypes else "Task"
                for s in subject
            ]
            if subtypes
            else None,
            "Description": [
                NOTE_BODIES[int(r() * len(NOTE_BODIES))] if r() < 0.3 else None
                for _ in range(n)
            ],
            "OwnerId": target.owner,
        }
        columns |= gen.system(rng, created, modified, target.owner, people.everyone)
        gen.insert("Task", columns, n)


def write_events(gen: Generator, world: World, last: dict[str, str]) -> None:
    """Meetings and calls, one to three weeks after they were booked.

    Events that took place before today go to ``last``; one in twenty lasts all
    day.
    """
    rng = gen.rng("Event")
    table = gen.table("Event")
    subjects = [*table.picklist("Subject"), *EVENT_EXTRA]
    ids = gen.ids("Event", gen.counts["Event"])
    days = gen.clock.days
    moments, targets = planned(gen, rng, world, "Event", (0.45, 0.85, 0.85, 0.85))
    for lo, hi in gen.batches("Event"):
        n = hi - lo
        r = rng.random
        target = targets.part(lo, hi)
        created = moments[lo:hi]
        all_day = [r() < 0.05 for _ in range(n)]
        start_day = [c // DAY + 1 + int(r() * 21) for c in created]
        minutes = [1440 if a else rng.choice((30, 60, 60, 90, 120)) for a in all_day]
        start = [
            d * DAY + (0 if a else 15 * 3600 + 1800 * int(r() * 16))
            for d, a in zip(start_day, all_day, strict=True)
        ]
        end = [s + 60 * m for s, m in zip(start, minutes, strict=True)]
        for s, t in zip(start, range(n), strict=True):
            if s // DAY < WINDOW_DAYS:
                day = days[s // DAY]
                touch(last, day, target.what[t], target.who[t], target.account[t])
        columns: dict[str, Any] = {
            "Id": ids[lo:hi],
            "WhatId": target.what,
            "WhoId": target.who,
            "AccountId": target.account,
            "Subject": rng.choices(subjects, k=n),
            "Location": rng.choices(LOCATIONS, k=n),
            "IsAllDayEvent": [int(a) for a in all_day],
            "ActivityDateTime": gen.clock.stamps(start),
            "ActivityDate": gen.clock.dates(start),
            "StartDateTime": gen.clock.stamps(start),
            "EndDateTime": gen.clock.stamps(end),
            "EndDate": gen.clock.dates(end),
            "DurationInMinutes": minutes,
            "ShowAs": pick_values(rng, table.picklist("ShowAs"), n, {"Busy": 9}),
            "Description": [
                NOTE_BODIES[int(r() * len(NOTE_BODIES))] if r() < 0.2 else None
                for _ in range(n)
            ],
            "OwnerId": target.owner,
        }
        modified = gen.modified(rng, created)
        columns |= gen.system(
            rng, created, modified, target.owner, world.people.everyone
        )
        gen.insert("Event", columns, n)


def write_notes(gen: Generator, world: World) -> None:
    """Notes on accounts, opportunities, leads and contacts."""
    rng = gen.rng("Note")
    ids = gen.ids("Note", gen.counts["Note"])
    # Notes hang off accounts (half), opportunities, leads and contacts;
    # Salesforce has no notes on cases.
    moments, targets = planned(gen, rng, world, "Note", (0.5, 0.7, 0.7, 0.8))
    for lo, hi in gen.batches("Note"):
        n = hi - lo
        target = targets.part(lo, hi)
        created = moments[lo:hi]
        columns: dict[str, Any] = {
            "Id": ids[lo:hi],
            "ParentId": [
                who if kind in (_CONTACT, _LEAD) else what
                for what, who, kind in zip(
                    target.what, target.who, target.kind, strict=True
                )
            ],
            "Title": rng.choices(NOTE_TITLES, k=n),
            "Body": rng.choices(NOTE_BODIES, k=n),
            "IsPrivate": 0,
            "OwnerId": target.owner,
        }
        modified = gen.modified(rng, created)
        columns |= gen.system(
            rng, created, modified, target.owner, world.people.everyone
        )
        gen.insert("Note", columns, n)
