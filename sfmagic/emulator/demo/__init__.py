"""Demo data: a seeded, realistic org for tutorials, tests and benchmarks.

``seed_demo`` fills an empty store with a small sales-and-service org: six users
besides the admin, a queue named "Inbound Leads" that takes leads and cases, and
300 accounts with their contacts, opportunities, cases, case comments, leads,
tasks, events and notes. ``scale=N`` makes N accounts with the same proportions of
children (about 14.7 records per account in all), which is how the benchmark seeds
100,000 accounts.

The same ``seed`` and ``today`` always give the same rows. Values follow the
schema: picklist values are the active values of the field's describe, text fits
the field's length, and fields the schema lacks are left out. Records are created
during the two years before ``today`` (UTC), with ids growing with creation time as
in Salesforce; due dates of open tasks, close dates of open opportunities and some
events lie ahead of it, as they would in a live org. Fields Salesforce computes
(names, ``IsClosed``, ``IsWon``, ``ClosedDate``, ``ExpectedRevenue``, fiscal
periods, a case's contact details, an activity's ``AccountId``,
``LastActivityDate``) are filled the way the emulator's DML fills them.

Layout: ``words`` holds the word lists, ``rows`` the machinery (clock, ids, rows
from columns), ``accounts``, ``deals``, ``service`` and ``activities`` the objects.
Speed comes from generating column by column (``random.choices`` over whole
columns, datetimes assembled from precomputed strings), inserting with
``Store.insert_rows`` in batches inside one transaction, and building the store's
indexes once at the end instead of row by row.

Known limits: team members get no password (they own records but cannot log in
until ``Identity.set_password``); account names are unique up to 163,840
accounts and repeat beyond that; ``LastActivityDate`` is computed once from the
seeded tasks and events and not maintained afterwards; converted leads point to
an existing contact and its account rather than to records made by converting
them; notes hang off accounts, opportunities, contacts and leads, not cases,
because Salesforce's ``Note.ParentId`` does not reference cases.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sfmagic.emulator.demo.accounts import (
    find_admin,
    make_queue,
    make_team,
    plan_accounts,
    plan_contacts,
)
from sfmagic.emulator.demo.activities import (
    World,
    write_events,
    write_notes,
    write_tasks,
)
from sfmagic.emulator.demo.deals import plan_leads, plan_opportunities
from sfmagic.emulator.demo.rows import (
    BASE_ACCOUNTS,
    QUEUE_NAME,
    Generator,
    People,
)
from sfmagic.emulator.demo.service import plan_cases, write_case_comments
from sfmagic.emulator.identity import Identity
from sfmagic.emulator.identity.model import ADMIN_USERNAME
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.store import Store

__all__ = ["ADMIN_USERNAME", "OBJECTS", "QUEUE_NAME", "DemoOrg", "seed_demo"]

# The objects the demo org fills, parents before children.
OBJECTS = (
    "User",
    "Group",
    "QueueSobject",
    "Account",
    "Contact",
    "Opportunity",
    "Case",
    "CaseComment",
    "Lead",
    "Task",
    "Event",
    "Note",
)


@dataclass(frozen=True)
class DemoOrg:
    """What ``seed_demo`` made: record counts and the ids tutorials need."""

    counts: Mapping[str, int]
    admin_user_id: str
    admin_username: str
    user_ids: tuple[str, ...]
    queue_id: str
    seconds: float = field(compare=False)

    @property
    def total(self) -> int:
        """Records inserted, all objects together."""
        return sum(self.counts.values())

    @property
    def records_per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0


def seed_demo(
    store: Store,
    schema: Schema,
    identity: Identity,
    *,
    scale: int | None = None,
    seed: int = 7,
    today: date | None = None,
) -> DemoOrg:
    """Fill an empty store with the demo org and say what was made.

    Parameters
    ----------
    store, schema
        The org's store (already holding the admin user made by
        ``Identity.bootstrap``) and its schema.
    identity
        The org's identity service; team members are created through it.
    scale
        Number of accounts; children follow in proportion (3.3 contacts,
        2 cases, 1.7 opportunities, 2.7 tasks, 1 lead, 1 event, 0.7 notes and
        1.3 case comments per account). None makes the 300-account demo org.
    seed
        Seed of the random choices: the same seed and ``today`` give the same rows.
    today
        The day the data is generated for (default: today in UTC). Records are
        created during the 730 days before it.

    Examples
    --------
    >>> org = seed_demo(store, schema, identity)            # doctest: +SKIP
    >>> org.counts["Account"], org.counts["Contact"]          # doctest: +SKIP
    (300, 1000)
    """
    size = BASE_ACCOUNTS if scale is None else scale
    if size < 1:
        raise ValueError(f"scale must be a positive number of accounts, not {scale}.")
    started = time.perf_counter()
    gen = Generator(store, schema, seed, today or datetime.now(UTC).date(), size)
    # Millions of new strings and lists, none of them in a reference cycle: the
    # cyclic garbage collector would only walk them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with store.transaction():
            people = _seed(gen, store, identity)
    finally:
        if collecting:
            gc.enable()
    return DemoOrg(
        counts={name: gen.inserted[name] for name in OBJECTS},
        admin_user_id=people.admin,
        admin_username=ADMIN_USERNAME,
        user_ids=tuple(people.everyone),
        queue_id=people.queue,
        seconds=time.perf_counter() - started,
    )


def _seed(gen: Generator, store: Store, identity: Identity) -> People:
    admin = find_admin(store)
    sales, support = make_team(gen, identity, admin)
    people = People(admin, sales, support, make_queue(gen, admin))

    # Plan the records that activities hang off, then write the activities, then
    # the records themselves: that way each row is written once, with its
    # LastActivityDate already known.
    accounts, write_accounts = plan_accounts(gen, people)
    contacts, write_contacts = plan_contacts(gen, people, accounts)
    opportunities, write_opportunities = plan_opportunities(
        gen, people, accounts, contacts
    )
    cases, write_cases = plan_cases(gen, people, accounts, contacts)
    leads, write_leads = plan_leads(gen, people, accounts, contacts)
    world = World(people, accounts, contacts, opportunities, cases, leads)
    last: dict[str, str] = {}
    write_tasks(gen, world, last)
    write_events(gen, world, last)
    write_notes(gen, world)
    write_case_comments(gen, people, cases)
    for write in (
        write_accounts,
        write_contacts,
        write_opportunities,
        write_cases,
        write_leads,
    ):
        write(last)
    gen.reindex()
    return people
