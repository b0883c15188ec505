"""Users, the "Inbound Leads" queue, accounts and contacts of the demo org."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sfmagic.emulator.demo.rows import (
    DAY,
    QUEUE_NAME,
    USER_DOMAIN,
    WORK_START,
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
    FIRST_ASCII,
    FIRST_NAMES,
    LAST_ASCII,
    LAST_NAMES,
    LEGAL,
    SECTORS,
    TEAM,
    TITLES,
    WORDS_A,
    WORDS_B,
    fold_ascii,
)
from sfmagic.emulator.identity import Identity
from sfmagic.emulator.identity.model import ADMIN_USERNAME
from sfmagic.emulator.store import Store


def find_admin(store: Store) -> str:
    """The id of the admin user ``Identity.bootstrap`` made."""
    rows = store.execute(
        'SELECT "Id" FROM "User" WHERE "Username" = ?', (ADMIN_USERNAME,)
    )
    if not rows:
        raise ValueError(
            f"The demo org needs the admin user {ADMIN_USERNAME}: "
            "run Identity.bootstrap before seed_demo."
        )
    return str(rows[0][0])


def make_team(
    gen: Generator, identity: Identity, admin: str
) -> tuple[list[str], list[str]]:
    """Create the six team members; return the sales and the support user ids.

    Users are made by ``Identity.create_user`` (so they exist for the login
    machinery, without a password), then given their profile details and
    creation dates in the first month of the window. The admin's own record is
    dated back to the first day, so that the org's history starts with it.
    """
    opened = gen.clock.stamp(WORK_START - 3600)
    gen.update(
        "User",
        admin,
        {"CreatedDate": opened, "LastModifiedDate": opened, "SystemModstamp": opened},
    )
    rng = gen.rng("User")
    users = gen.table("User")
    sales: list[str] = []
    support: list[str] = []
    managers: dict[str, str] = {}
    zones = users.picklist("TimeZoneSidKey")
    locales = users.picklist("LocaleSidKey")
    for first, last, title, department, zone, locale, role in TEAM:
        username = demo_username(first, last)
        user = identity.create_user(
            username,
            first_name=first,
            last_name=last,
            time_zone=zone if zone in zones or not zones else zones[0],
        )
        created = gen.clock.stamp(int(rng.random() * 30) * DAY + WORK_START)
        details = {
            "Title": title,
            "Department": department,
            "CompanyName": "sfmagic Demo",
            "LocaleSidKey": locale if locale in locales or not locales else None,
            "ManagerId": managers.get(role, admin),
            "Phone": phones(rng, ["(415) 555-"])[0],
            "CreatedDate": created,
            "LastModifiedDate": created,
            "SystemModstamp": created,
            "CreatedById": admin,
            "LastModifiedById": admin,
        }
        gen.update("User", user.id, details)
        managers.setdefault(role, user.id)
        (sales if role == "sales" else support).append(user.id)
    gen.inserted["User"] = len(TEAM)
    return sales, support


def demo_username(first: str, last: str) -> str:
    return f"{fold_ascii(first)}.{fold_ascii(last)}@{USER_DOMAIN}"


def make_queue(gen: Generator, admin: str) -> str:
    """The "Inbound Leads" queue, taking leads and cases."""
    rng = gen.rng("Group")
    created = [WORK_START + 3600]
    queue_id = gen.ids("Group", 1)[0]
    columns: dict[str, Any] = {
        "Id": [queue_id],
        "Name": QUEUE_NAME,
        "DeveloperName": QUEUE_NAME.replace(" ", "_"),
        "Type": "Queue",
        "OwnerId": admin,
        "DoesSendEmailToMembers": 0,
        "DoesIncludeBosses": 0,
    }
    columns |= gen.system(rng, created, created, [admin], [admin])
    gen.insert("Group", columns, 1)
    kinds = ["Lead", "Case"]
    stamps = [created[0] + 60] * len(kinds)
    links: dict[str, Any] = {
        "Id": gen.ids("QueueSobject", len(kinds)),
        "QueueId": queue_id,
        "SobjectType": kinds,
    }
    links |= gen.system(rng, stamps, stamps, [admin] * len(kinds), [admin])
    gen.insert("QueueSobject", links, len(kinds))
    return queue_id


@dataclass
class Accounts(Parents):
    name: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    city: list[int] = field(default_factory=list)
    # The contacts of each account, by index, oldest first.
    contacts: list[list[int]] = field(default_factory=list)


def company_names(
    rng: random.Random, count: int
) -> tuple[list[str], list[str], list[str]]:
    """Company names (unique up to the word space), their web domains and sectors."""
    sectors = list(SECTORS)
    nb, ns = len(WORDS_B), len(sectors)
    space = len(WORDS_A) * nb * ns
    picks = rng.sample(range(space), min(count, space))
    if count > space:
        picks += rng.choices(range(space), k=count - space)
    legal = rng.choices(LEGAL, k=count)
    names, domains, kinds = [], [], []
    for pick, suffix in zip(picks, legal, strict=True):
        a, b, s = (
            WORDS_A[pick // (nb * ns)],
            WORDS_B[pick // ns % nb],
            sectors[pick % ns],
        )
        base = f"{a} {b} {s}"
        names.append(f"{base} {suffix}" if suffix else base)
        domains.append(f"{a}{b}{s}.com".lower())
        kinds.append(s)
    return names, domains, kinds


def company_size(rng: random.Random, count: int) -> tuple[list[int], list[float]]:
    """Employees (10 to 100,000, log-uniform) and annual revenue to match."""
    r = rng.random
    employees = [int(10 ** (1 + 4 * r())) for _ in range(count)]
    revenue = [1000.0 * int(e * (60 + 240 * r())) for e in employees]
    return employees, revenue


def plan_accounts(gen: Generator, people: People) -> tuple[Accounts, Writer]:
    """Plan the accounts (ids, names, owners, cities) and return their writer."""
    rng = gen.rng("Account")
    table = gen.table("Account")
    count = gen.counts["Account"]
    ids = gen.ids("Account", count)
    created = gen.created(rng, count)
    names, domains, sectors = company_names(rng, count)
    owners = rng.choices(
        [*people.sales, people.admin], [3] * len(people.sales) + [1], k=count
    )
    cities = rng.choices(range(len(CITIES)), CITY_WEIGHTS, k=count)
    industries = set(table.picklist("Industry"))

    def write(activity: Mapping[str, str]) -> None:
        for lo, hi in gen.batches("Account"):
            n = hi - lo
            r = rng.random
            sector_industry = [SECTORS[s] for s in sectors[lo:hi]]
            random_industry = pick_values(rng, table.picklist("Industry"), n)
            industry = [
                s if s in industries and r() < 0.85 else x
                for s, x in zip(sector_industry, random_industry, strict=True)
            ]
            ownership = pick_values(
                rng,
                table.picklist("Ownership"),
                n,
                {"Private": 5, "Public": 3},
                blank=0.3,
            )
            employees, revenue = company_size(rng, n)
            billing = gen.places.address("Billing", cities[lo:hi], rng)
            same = [r() < 0.6 for _ in range(n)]
            shipping = {
                key.replace("Billing", "Shipping", 1): (
                    [v if s else None for v, s in zip(values, same, strict=True)]
                    if isinstance(values, list)
                    else [values if s else None for s in same]
                )
                for key, values in billing.items()
            }
            prefixes = [CITIES[c][6] for c in cities[lo:hi]]
            modified = gen.modified(rng, created[lo:hi])
            columns: dict[str, Any] = {
                "LastActivityDate": [activity.get(i) for i in ids[lo:hi]],
                "Id": ids[lo:hi],
                "Name": names[lo:hi],
                "Type": pick_values(
                    rng,
                    table.picklist("Type"),
                    n,
                    {"Customer - Direct": 7, "Prospect": 6, "Customer - Channel": 2.5},
                    blank=0.05,
                ),
                "Industry": industry,
                "Rating": pick_values(
                    rng,
                    table.picklist("Rating"),
                    n,
                    {"Warm": 2, "Cold": 1.5},
                    blank=0.2,
                ),
                "Ownership": ownership,
                "AccountSource": pick_values(
                    rng, table.picklist("AccountSource"), n, {"Web": 3}, blank=0.2
                ),
                "ParentId": [
                    ids[int(r() * i)] if i > 10 and r() < 0.08 else None
                    for i in range(lo, hi)
                ],
                "Phone": phones(rng, prefixes),
                "Fax": [p if r() < 0.2 else None for p in phones(rng, prefixes)],
                "AccountNumber": [f"CD{100_000 + i}" for i in range(lo, hi)],
                "Website": ["www." + d for d in domains[lo:hi]],
                "Sic": [str(1000 + int(r() * 8_999)) for _ in range(n)],
                "TickerSymbol": [
                    ticker(name) if own == "Public" else None
                    for name, own in zip(names[lo:hi], ownership, strict=True)
                ],
                "AnnualRevenue": revenue,
                "NumberOfEmployees": employees,
                "YearStarted": [str(1950 + int(r() * 73)) for _ in range(n)],
                "Site": pick_values(
                    rng,
                    ("Headquarters", "Regional Office", "Branch", "Plant"),
                    n,
                    blank=0.5,
                ),
                "Description": [
                    f"{ind or 'Diversified'} company headquartered in {CITIES[c][0]}."
                    if r() < 0.4
                    else None
                    for ind, c in zip(industry, cities[lo:hi], strict=True)
                ],
                "OwnerId": owners[lo:hi],
                **billing,
                **shipping,
            }
            columns |= gen.system(
                rng, created[lo:hi], modified, owners[lo:hi], people.everyone
            )
            gen.insert("Account", columns, n)

    return Accounts(
        ids=ids, created=created, owner=owners, name=names, domain=domains, city=cities
    ), write


def ticker(name: str) -> str:
    letters = "".join(word[0] for word in name.split()[:3] if word[0].isalpha())
    return letters.upper()


def birthdate(rng: random.Random, year: int) -> str:
    r = rng.random
    born = year - 25 - int(r() * 35)
    return f"{born}-{1 + int(r() * 12):02d}-{1 + int(r() * 28):02d}"


def person_names(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    return rng.choices(FIRST_NAMES, k=count), rng.choices(LAST_NAMES, k=count)


@dataclass
class Contacts(Parents):
    """Contacts, with the details cases copy (filled when the rows are written)."""

    phone: list[str | None] = field(default_factory=list)
    mobile: list[str | None] = field(default_factory=list)
    email: list[str | None] = field(default_factory=list)


def plan_contacts(
    gen: Generator, people: People, accounts: Accounts
) -> tuple[Contacts, Writer]:
    """Plan the contacts, grouped by account, and return their writer."""
    rng = gen.rng("Contact")
    table = gen.table("Contact")
    count = gen.counts["Contact"]
    r = rng.random
    ids = gen.ids("Contact", count)

    # Nineteen in twenty contacts belong to an account; the rest are private.
    with_account = count - count // 20
    account = rng.choices(range(len(accounts.ids)), k=with_account)
    account += [-1] * (count - with_account)
    starts = [accounts.created[a] if a >= 0 else 0 for a in account]
    created, account = in_time_order(gen.after(rng, starts), account)
    accounts.contacts = [[] for _ in accounts.ids]
    for index, a in enumerate(account):
        if a >= 0:
            accounts.contacts[a].append(index)
    owners = [
        accounts.owner[a] if a >= 0 else people.sales[int(r() * len(people.sales))]
        for a in account
    ]

    planned = Contacts(
        ids=ids,
        created=created,
        owner=owners,
        account=account,
        phone=[None] * count,
        mobile=[None] * count,
        email=[None] * count,
    )

    def write(activity: Mapping[str, str]) -> None:
        for lo, hi in gen.batches("Contact"):
            n = hi - lo
            first, last = person_names(rng, n)
            part = account[lo:hi]
            cities = [
                accounts.city[a] if a >= 0 and r() < 0.8 else int(r() * len(CITIES))
                for a in part
            ]
            domains = [accounts.domain[a] if a >= 0 else "example.com" for a in part]
            titles = rng.choices(TITLES, k=n)
            prefixes = [CITIES[c][6] for c in cities]
            modified = gen.modified(rng, created[lo:hi])
            planned.phone[lo:hi] = phones(rng, prefixes)
            planned.mobile[lo:hi] = [
                p if r() < 0.5 else None for p in phones(rng, prefixes)
            ]
            planned.email[lo:hi] = [
                f"{FIRST_ASCII[f]}.{LAST_ASCII[s]}@{d}"
                for f, s, d in zip(first, last, domains, strict=True)
            ]
            columns: dict[str, Any] = {
                "LastActivityDate": [activity.get(i) for i in ids[lo:hi]],
                "Id": ids[lo:hi],
                "AccountId": [accounts.ids[a] if a >= 0 else None for a in part],
                "FirstName": first,
                "LastName": last,
                "Name": [f"{f} {s}" for f, s in zip(first, last, strict=True)],
                "Salutation": pick_values(
                    rng, table.picklist("Salutation"), n, {"Dr.": 3, "Prof.": 1}, 0.9
                ),
                "Title": [t[0] for t in titles],
                "Department": [t[1] for t in titles],
                "Email": planned.email[lo:hi],
                "Phone": planned.phone[lo:hi],
                "MobilePhone": planned.mobile[lo:hi],
                "LeadSource": pick_values(
                    rng, table.picklist("LeadSource"), n, blank=0.3
                ),
                "Birthdate": [
                    birthdate(rng, gen.clock.start.year) if r() < 0.15 else None
                    for _ in range(n)
                ],
                "ReportsToId": [
                    ids[accounts.contacts[a][0]]
                    if a >= 0 and accounts.contacts[a][0] != i and r() < 0.5
                    else None
                    for i, a in zip(range(lo, hi), part, strict=True)
                ],
                "OwnerId": owners[lo:hi],
                **gen.places.address("Mailing", cities, rng),
            }
            columns |= gen.system(
                rng, created[lo:hi], modified, owners[lo:hi], people.everyone
            )
            gen.insert("Contact", columns, n)

    return planned, write


def contact_of(
    accounts: Accounts, contacts: Parents, a: int, r: Callable[[], float]
) -> str | None:
    """A random contact of account ``a``, or None when it has none."""
    members = accounts.contacts[a] if a >= 0 else ()
    if not members:
        return None
    return contacts.ids[members[int(r() * len(members))]]
