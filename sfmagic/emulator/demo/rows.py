"""Machinery of the demo generator: the clock, ids, rows from columns, shared pools.

Everything is generated column by column: a ``Generator`` hands out seeded random
streams per object, blocks of ids, creation and modification moments (seconds
since the start of the two-year window, turned into storage text by ``Clock``),
and writes the columns through ``Table``, which fills describe defaults and drops
what the schema lacks.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import repeat
from typing import Any

from sfmagic.emulator.demo.words import CITIES, STREET_KINDS, STREETS
from sfmagic.emulator.schema import Schema, SObjectDef
from sfmagic.emulator.store import Store, quote

QUEUE_NAME = "Inbound Leads"
USER_DOMAIN = "sfmagic.demo"
WINDOW_DAYS = 730  # records are created during the two years before today
FUTURE_DAYS = 200  # how far ahead due dates, close dates and events may lie
BASE_ACCOUNTS = 300
# Records per 300 accounts; scale=N multiplies each by N / 300.
BASE_COUNTS = {
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
BATCH = 20_000  # records generated and inserted at a time
ID_BLOCK = 5_000  # from this many ids on, make them as one block
DAY = 86_400
END = WINDOW_DAYS * DAY - 1  # the last second before today 00:00 UTC
WORK_START = 14 * 3600  # 14:00 UTC, morning on the American east coast


@cache
def times_of_day() -> tuple[str, ...]:
    """'HH:MM:SS.000Z' for every second of a day, indexed by the second."""
    rest = [f":{m:02d}:{s:02d}.000Z" for m in range(60) for s in range(60)]
    return tuple(f"{h:02d}" + tail for h in range(24) for tail in rest)


class Clock:
    """Seconds since the window start (UTC midnight two years before today) → text.

    Second 0 is ``today - 730 days`` at 00:00 UTC; ``END`` is the last second
    before today; days up to ``FUTURE_DAYS`` after today can be written.
    """

    def __init__(self, today: date) -> None:
        self.start = today - timedelta(days=WINDOW_DAYS)
        span = WINDOW_DAYS + FUTURE_DAYS + 2
        self.days = tuple(
            (self.start + timedelta(days=d)).isoformat() for d in range(span)
        )
        self.day_t = tuple(day + "T" for day in self.days)
        self.tod = times_of_day()

    def stamp(self, second: int) -> str:
        return self.day_t[second // DAY] + self.tod[second % DAY]

    def stamps(self, seconds: Sequence[int]) -> list[str]:
        day_t, tod = self.day_t, self.tod
        return [day_t[s // DAY] + tod[s % DAY] for s in seconds]

    def dates(self, seconds: Sequence[int]) -> list[str]:
        days = self.days
        return [days[s // DAY] for s in seconds]


def drop_indexes(store: Store, name: str) -> list[str]:
    """Drop the secondary indexes of an empty table; return how to make them again.

    Building an index over loaded rows is several times faster than keeping it
    up to date row by row, so a bulk load drops the store's indexes first and
    re-creates them from their own SQL afterwards. Tables that already hold
    rows keep their indexes.
    """
    with store.lock:
        if store.conn.execute(f"SELECT 1 FROM {quote(name)} LIMIT 1").fetchone():
            return []
        found = store.conn.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (name,),
        ).fetchall()
        for index_name, _ in found:
            store.conn.execute(f"DROP INDEX {quote(index_name)}")
    return [sql for _, sql in found]


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_TRIPLE = 62**3


@cache
def _triples() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Every 3-character base-62 string, and the bit mask of its upper-case letters."""
    upper = [int(c.isupper()) for c in _BASE62]
    texts = tuple(a + b + c for a in _BASE62 for b in _BASE62 for c in _BASE62)
    masks = tuple(
        ua | ub << 1 | uc << 2 for ua in upper for ub in upper for uc in upper
    )
    return texts, masks


def id_block(first: str, count: int) -> list[str]:
    """``first`` and the ``count - 1`` ids that ``IdGenerator`` would make after it.

    Ids are key prefix, pod and a 9-digit base-62 counter, then the checksum of
    ``ids.to_18``. Making them a block at a time keeps seeding fast: the
    checksum of the last five characters comes from precomputed masks.
    """
    texts, masks = _triples()
    head = first[:6]
    start = 0
    for char in first[6:15]:
        start = start * 62 + _BASE62.index(char)
    mask0 = sum(1 << i for i, c in enumerate(head[:5]) if c.isupper())
    pod_upper = int(head[5].isupper())
    made: list[str] = []
    number, end = start, start + count
    while number < end:
        high, low = divmod(number, _TRIPLE)
        i0, i1 = divmod(high, _TRIPLE)
        stop = min(end, (high + 1) * _TRIPLE)
        mask1 = pod_upper | masks[i0] << 1 | (masks[i1] & 1) << 4
        prefix = head + texts[i0] + texts[i1]
        checksum = _SUFFIX[mask0] + _SUFFIX[mask1]
        rest = masks[i1] >> 1
        made += [
            prefix + texts[k] + checksum + _SUFFIX[rest | masks[k] << 2]
            for k in range(low, low + stop - number)
        ]
        number = stop
    return made


class Table:
    """Turns generated columns into storage rows for one sObject.

    Columns the schema lacks are dropped, and so are columns whose value is
    None for every row. Defaulted picklists nobody generated get their default
    value; checkbox columns nobody generated get the store's column default,
    which is the describe default.
    """

    def __init__(self, sobject: SObjectDef) -> None:
        self.name = sobject.name
        self.sobject = sobject
        self.columns = [f.name for f in sobject.stored_fields()]
        self.defaults: dict[str, Any] = {}
        for f in sobject.stored_fields():
            if f.type == "picklist" and f.defaulted_on_create:
                default = next((p.value for p in f.picklist_values if p.default), None)
                if default is not None:
                    self.defaults[f.name] = default

    def picklist(self, name: str) -> tuple[str, ...]:
        f = self.sobject.field(name)
        if f is None:
            return ()
        return tuple(p.value for p in f.picklist_values if p.active)

    def has(self, name: str) -> bool:
        return self.sobject.field(name) is not None

    def rows(
        self, columns: Mapping[str, Any], count: int
    ) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
        """Column names and row tuples for ``count`` rows given column by column.

        A column is a list of ``count`` values or one value for every row.
        """
        names: list[str] = []
        sources: list[Any] = []
        for name in self.columns:
            if name in columns:
                value = columns[name]
            elif name in self.defaults:
                value = self.defaults[name]
            else:
                continue
            if value is None:
                continue
            names.append(name)
            sources.append(value if isinstance(value, list) else repeat(value, count))
        return names, zip(*sources, strict=True)


@dataclass
class Parents:
    """What children need to know about already generated parents."""

    ids: list[str]
    created: list[int]
    owner: list[str] = field(default_factory=list)
    account: list[int] = field(default_factory=list)


class Generator:
    """The state of one seeding run: counts, random streams, clock and tables.

    Each object draws from its own random stream, seeded by the run's seed and
    the object's name, so that objects do not disturb each other's values.
    """

    def __init__(
        self, store: Store, schema: Schema, seed: int, today: date, scale: int
    ) -> None:
        self.store = store
        self.schema = schema
        self.seed = seed
        self.clock = Clock(today)
        self.counts = {
            name: max(1, round(base * scale / BASE_ACCOUNTS))
            for name, base in BASE_COUNTS.items()
        }
        self.counts["Account"] = scale
        self.inserted: dict[str, int] = {}
        self.unindexed: dict[str, list[str]] = {}
        self.places = Places(self.rng("places"), min(20_000, 1_000 + 5 * scale))
        self.tables: dict[str, Table] = {}

    def rng(self, topic: str) -> random.Random:
        return random.Random(f"sfmagic-demo/{self.seed}/{topic}")

    def table(self, name: str) -> Table:
        if name not in self.tables:
            sobject = self.schema.get(name)
            if sobject is None:
                raise ValueError(f"The schema has no {name} object for the demo data.")
            self.tables[name] = Table(sobject)
        return self.tables[name]

    def ids(self, name: str, count: int) -> list[str]:
        """``count`` new ids from the store's id generator.

        Large runs are made as one block (``id_block``) after which the store's
        generator is moved past them; small ones one by one.
        """
        if count < ID_BLOCK:
            return [self.store.new_id(name) for _ in range(count)]
        first = self.store.new_id(name)
        made = id_block(first, count)
        self.store.ids.seed(first[:3], made[-1])
        return made

    def update(self, name: str, record_id: str, values: Mapping[str, Any]) -> None:
        table = self.table(name)
        known = {k: v for k, v in values.items() if v is not None and table.has(k)}
        self.store.update_row(name, record_id, known)

    def insert(self, name: str, columns: Mapping[str, Any], count: int) -> None:
        """Append ``count`` rows given column by column (see ``Table.rows``).

        The rows go in as tuples with one ``executemany`` on the store's
        connection, inside the seeding transaction, under the store's lock.
        ``Store.insert_rows`` would take a dict per row: building and unpacking
        1.5 million dicts costs as much as a third of the whole seeding.
        """
        table = self.table(name)
        if name not in self.unindexed:
            self.unindexed[name] = drop_indexes(self.store, name)
        names, rows = table.rows(columns, count)
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        with self.store.lock:
            self.store.conn.executemany(sql, rows)
        self.inserted[name] = self.inserted.get(name, 0) + count

    def reindex(self) -> None:
        """Rebuild the indexes dropped for the bulk load, exactly as they were."""
        with self.store.lock:
            for statements in self.unindexed.values():
                for sql in statements:
                    self.store.conn.execute(sql)
        self.unindexed.clear()

    def batches(self, name: str) -> Iterator[tuple[int, int]]:
        total = self.counts[name]
        for lo in range(0, total, BATCH):
            yield lo, min(total, lo + BATCH)

    # -- dates

    def created(self, rng: random.Random, count: int) -> list[int]:
        """Creation moments in working hours, in time order."""
        r = rng.random
        return sorted(
            int(r() * WINDOW_DAYS) * DAY + WORK_START + int(r() * 36_000)
            for _ in range(count)
        )

    def after(self, rng: random.Random, starts: Sequence[int]) -> list[int]:
        """A moment between each start and the end of the window."""
        r = rng.random
        return [s + int(r() * (END - s)) for s in starts]

    def modified(self, rng: random.Random, created: Sequence[int]) -> list[int]:
        """Last-modified moments: a third of the records were never edited."""
        r = rng.random
        return [s if r() < 0.33 else s + int(r() * (END - s)) for s in created]

    def system(
        self,
        rng: random.Random,
        created: Sequence[int],
        modified: Sequence[int],
        creators: Sequence[str],
        users: Sequence[str],
    ) -> dict[str, Any]:
        stamps = self.clock.stamps(modified)
        return {
            "CreatedDate": self.clock.stamps(created),
            "LastModifiedDate": stamps,
            "SystemModstamp": stamps,
            "CreatedById": list(creators),
            "LastModifiedById": rng.choices(users, k=len(created)),
            "IsDeleted": 0,
        }


@dataclass
class People:
    """Users and the queue, by role."""

    admin: str
    sales: list[str]
    support: list[str]
    queue: str

    @property
    def everyone(self) -> list[str]:
        return [self.admin, *self.sales, *self.support]


def in_time_order(created: list[int], *columns: list[Any]) -> list[list[Any]]:
    """``created`` sorted, and each column reordered the same way.

    Records are written in the order they were created, as Salesforce's ids
    grow with time; it also makes the date indexes cheaper to build.
    """
    order = sorted(range(len(created)), key=created.__getitem__)
    return [[column[i] for i in order] for column in (created, *columns)]


def pick_values(
    rng: random.Random,
    values: Sequence[str],
    count: int,
    weights: Mapping[str, float] | None = None,
    blank: float = 0.0,
) -> list[str | None]:
    """Picklist values for ``count`` records, ``blank`` of them left empty."""
    if not values:
        return [None] * count
    chosen: list[str | None] = list(values)
    share = [weights.get(v, 1.0) if weights else 1.0 for v in values]
    if blank:
        total = sum(share)
        chosen.append(None)
        share.append(total * blank / (1 - blank))
    return rng.choices(chosen, share, k=count)


def phones(rng: random.Random, prefixes: Sequence[str]) -> list[str]:
    """Fictional numbers: North American ones in the 555-0100…0199 range."""
    suffixes = [f"01{n:02d}" for n in range(100)]
    picks = rng.choices(suffixes, k=len(prefixes))
    return [p + s for p, s in zip(prefixes, picks, strict=True)]


def street_line(rng: random.Random) -> str:
    r = rng.random
    line = f"{1 + int(r() * 9_899)} {STREETS[int(r() * len(STREETS))]} "
    line += STREET_KINDS[int(r() * len(STREET_KINDS))]
    if r() < 0.15:
        line += f"\nSuite {100 * (1 + int(r() * 9))}"
    return line


class Places:
    """Street lines and map points, drawn once and then picked from.

    Building addresses from pools keeps them cheap: up to 20,000 street lines
    (``streets``) and 64 points around each city centre (within about 3 km) are
    plenty of variety.
    """

    POINTS = 64

    def __init__(self, rng: random.Random, streets: int) -> None:
        r = rng.random
        self.streets = [street_line(rng) for _ in range(streets)]
        self.points = [
            [
                (round(c[4] + (r() - 0.5) / 20, 6), round(c[5] + (r() - 0.5) / 20, 6))
                for _ in range(self.POINTS)
            ]
            for c in CITIES
        ]

    def address(
        self, prefix: str, cities: Sequence[int], rng: random.Random
    ) -> dict[str, Any]:
        """Address columns (``BillingStreet``…) for records in ``cities``."""
        r = rng.random
        rows = [CITIES[c] for c in cities]
        points = [self.points[c][int(r() * self.POINTS)] for c in cities]
        return {
            f"{prefix}Street": rng.choices(self.streets, k=len(cities)),
            f"{prefix}City": [c[0] for c in rows],
            f"{prefix}State": [c[1] for c in rows],
            f"{prefix}PostalCode": [c[2] for c in rows],
            f"{prefix}Country": [c[3] for c in rows],
            f"{prefix}Latitude": [p[0] for p in points],
            f"{prefix}Longitude": [p[1] for p in points],
            f"{prefix}GeocodeAccuracy": "Address",
        }


# Writes the rows of a planned object, given the LastActivityDate of each record.
Writer = Callable[[Mapping[str, str]], None]
