"""Benchmark the local Salesforce emulator: seeding, query paging, indexed filters.

The server runs in a child process (``multiprocessing``, spawned) that calls
``sfmagic.emulator.start(scale=N)``, so that this process, which sends the
requests and parses the JSON answers, does not take CPU time from the server's
core. Besides wall-clock figures the script reads the server process's CPU time
from ``/proc`` (Linux), which is what the goal is about: 50,000 records a second
on one core, however busy the rest of the machine is. It measures:

* seeding: records per second of the ``seed_demo`` call that ``start`` makes
  (the child wraps it to time it);
* paging: records served per second for ``SELECT Id, Name, Industry, Type,
  AnnualRevenue, NumberOfEmployees, BillingCity, CreatedDate, Owner.Name FROM
  Account`` in pages of 2,000 (``Sforce-Query-Options: batchSize=2000``,
  following ``nextRecordsUrl``), each page timed from request to parsed JSON;
* a peer measured in the same run: the same rows read with ``sqlite3`` alone
  from a copy of the org's database, as tuples and turned into JSON text, which
  bounds what any server on this storage can do;
* the latency (median and 95th percentile) of the indexed filters
  ``WHERE Id = '…'`` and ``WHERE Name = '…'``, ``--requests`` requests each.

Run it from the repository root::

    python benchmarks/emulator.py                      # 100,000 accounts
    python benchmarks/emulator.py --accounts 10000 --pages 5 --requests 100
    python benchmarks/emulator.py --data /tmp/org      # the org on disk

It prints two tables and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests

GOAL = 50_000  # records per second, on one core
API_VERSION = "68.0"
PAGE_SIZE = 2_000
FIELDS = (
    "Id, Name, Industry, Type, AnnualRevenue, NumberOfEmployees, BillingCity, "
    "CreatedDate, Owner.Name"
)
PAGE_QUERY = f"SELECT {FIELDS} FROM Account"
PEER_SQL = (
    'SELECT a."Id", a."Name", a."Industry", a."Type", a."AnnualRevenue", '
    'a."NumberOfEmployees", a."BillingCity", a."CreatedDate", u."Name" '
    'FROM "Account" a LEFT JOIN "User" u ON u."Id" = a."OwnerId" '
    'WHERE a."IsDeleted" = 0 ORDER BY a."Id"'
)


@dataclass
class Served:
    """What the server process reports once it serves."""

    pid: int
    instance_url: str
    ca_file: str
    token: str
    snapshot: str
    records: int
    seed_seconds: float
    seed_cpu: float
    start_seconds: float


def serve(scale: int, data: str | None, folder: str, pipe: Connection) -> None:
    """Child process: start the org, report, serve until told to stop.

    With ``data`` the org lives in that directory's SQLite file, which the
    peer reads; in memory, a copy is written to ``folder`` for the peer (after
    seeding, not timed).
    """
    import sfmagic.emulator.demo as demo
    from sfmagic.emulator import start
    from sfmagic.emulator.org import DATABASE_FILE

    seeded: list[tuple[Any, float]] = []
    original = demo.seed_demo

    def measured(*args: Any, **kwargs: Any) -> Any:
        began = time.process_time()
        result = original(*args, **kwargs)
        seeded.append((result, time.process_time() - began))
        return result

    demo.seed_demo = measured  # start() imports it at call time
    began = time.perf_counter()
    org = start(scale=scale, data=data)
    started = time.perf_counter() - began
    result, seed_cpu = seeded[0]
    if data is None:
        snapshot = str(Path(folder) / "snapshot.sqlite")
        store = org.state.store
        with store.lock:
            store.conn.execute("VACUUM INTO ?", (snapshot,))
    else:
        snapshot = str(Path(data) / DATABASE_FILE)
    # A plain dict: classes of a spawned __main__ do not unpickle in the parent.
    pipe.send(
        {
            "pid": os.getpid(),
            "instance_url": org.instance_url,
            "ca_file": str(org.ca_file),
            "token": org.access_token(),
            "snapshot": snapshot,
            "records": result.total,
            "seed_seconds": result.seconds,
            "seed_cpu": seed_cpu,
            "start_seconds": started,
        }
    )
    pipe.recv()
    org.stop()


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (all its threads), from /proc; 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client(served: Served) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = served.ca_file
    session.headers["Authorization"] = f"Bearer {served.token}"
    return session


def fetch_pages(
    session: requests.Session, served: Served, pages: int | None
) -> tuple[list[dict[str, Any]], list[float]]:
    """Records of up to ``pages`` pages of the paging query, and each page's time."""
    url = f"{served.instance_url}/services/data/v{API_VERSION}/query"
    headers = {"Sforce-Query-Options": f"batchSize={PAGE_SIZE}"}
    params: dict[str, str] | None = {"q": PAGE_QUERY}
    records: list[dict[str, Any]] = []
    times: list[float] = []
    while url and (pages is None or len(times) < pages):
        began = time.perf_counter()
        response = session.get(url, params=params, headers=headers)
        response.raise_for_status()
        body = response.json()
        times.append(time.perf_counter() - began)
        records += body["records"]
        following = body.get("nextRecordsUrl")
        url = f"{served.instance_url}{following}" if following else ""
        params = None
    return records, times


def soql_text(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def latencies(
    session: requests.Session, served: Served, queries: Sequence[str]
) -> list[float]:
    """Seconds each query takes, from request to parsed JSON."""
    url = f"{served.instance_url}/services/data/v{API_VERSION}/query"
    times = []
    for text in queries:
        began = time.perf_counter()
        response = session.get(url, params={"q": text})
        response.raise_for_status()
        if response.json()["totalSize"] < 1:
            raise RuntimeError(f"no row found by {text}")
        times.append(time.perf_counter() - began)
    return times


def peer_read(database: str, count: int, as_json: bool) -> tuple[float, float]:
    """Wall and CPU seconds to read ``count`` rows of the paging query with sqlite3."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    names = [f.strip() for f in FIELDS.split(",")]
    began, cpu = time.perf_counter(), time.process_time()
    cursor = conn.execute(PEER_SQL)
    read = 0
    while read < count:
        rows = cursor.fetchmany(PAGE_SIZE)
        if not rows:
            break
        if as_json:
            page = [dict(zip(names, row, strict=True)) for row in rows]
            json.dumps({"records": page})
        read += len(rows)
    spent = time.perf_counter() - began, time.process_time() - cpu
    conn.close()
    return spent


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rate_row(label: str, records: int, wall: float, cpu: float) -> list[str]:
    """Label, records, wall seconds and rate, CPU seconds and rate, CPU rate / goal."""
    wall_rate = records / wall if wall else 0.0
    cpu_rate = records / cpu if cpu else 0.0
    return [
        label,
        f"{records:,}",
        f"{wall:.2f}",
        f"{wall_rate:,.0f}",
        f"{cpu:.2f}" if cpu else "-",
        f"{cpu_rate:,.0f}" if cpu else "-",
        f"{cpu_rate / GOAL:.2f}" if cpu else "-",
    ]


def latency_row(label: str, times: Sequence[float], cpu: float) -> list[str]:
    median = statistics.median(times) * 1000
    p95 = percentile(times, 0.95) * 1000
    per_request = cpu / len(times) * 1000 if cpu else 0.0
    return [
        label,
        f"{len(times)}",
        f"{median:.1f}",
        f"{p95:.1f}",
        f"{per_request:.1f}" if cpu else "-",
    ]


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = [list(header), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        cells = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells))
        if index == 0:
            print("  ".join("-" * width for width in widths))


@dataclass
class Results:
    served: Served
    records: int
    page_wall: float
    page_cpu: float
    pages: int
    slowest_page: float
    id_times: list[float]
    id_cpu: float
    name_times: list[float]
    name_cpu: float
    peer_rows: tuple[float, float]
    peer_json: tuple[float, float]


def measure(args: argparse.Namespace, served: Served) -> Results:
    """Paging, filters and the sqlite3 peer, against the serving child."""
    session = client(served)
    fetch_pages(session, served, 1)  # warm up: connection, query planning

    cpu = cpu_seconds(served.pid)
    records, page_times = fetch_pages(session, served, args.pages)
    page_cpu = cpu_seconds(served.pid) - cpu

    picker = random.Random(1)
    sample = [picker.choice(records) for _ in range(args.requests)]
    by_id = [f"SELECT Id, Name FROM Account WHERE Id = '{r['Id']}'" for r in sample]
    by_name = [
        f"SELECT Id, Name FROM Account WHERE Name = {soql_text(r['Name'])}"
        for r in sample
    ]
    latencies(session, served, by_id[:5])
    cpu = cpu_seconds(served.pid)
    id_times = latencies(session, served, by_id)
    id_cpu = cpu_seconds(served.pid) - cpu
    name_times = latencies(session, served, by_name)
    name_cpu = cpu_seconds(served.pid) - cpu - id_cpu

    return Results(
        served=served,
        records=len(records),
        page_wall=sum(page_times),
        page_cpu=page_cpu,
        pages=len(page_times),
        slowest_page=max(page_times),
        id_times=id_times,
        id_cpu=id_cpu,
        name_times=name_times,
        name_cpu=name_cpu,
        peer_rows=peer_read(served.snapshot, len(records), as_json=False),
        peer_json=peer_read(served.snapshot, len(records), as_json=True),
    )


def report(args: argparse.Namespace, results: Results) -> None:
    served = results.served
    where = f"in {args.data}" if args.data else "in memory"
    print(
        f"sfmagic emulator benchmark: {args.accounts:,} accounts, "
        f"{served.records:,} records, org {where}, server in a child process"
    )
    print(f"goal: {GOAL:,} records per second on one core (× goal uses CPU time)")
    print()
    pages = f"query pages ({results.pages} × ≤{PAGE_SIZE:,})"
    print_table(
        ["throughput", "records", "wall s", "rec/s", "CPU s", "rec/CPU s", "× goal"],
        [
            rate_row(
                "seeding (seed_demo)",
                served.records,
                served.seed_seconds,
                served.seed_cpu,
            ),
            rate_row("  start() in all", served.records, served.start_seconds, 0.0),
            rate_row(pages, results.records, results.page_wall, results.page_cpu),
            rate_row("  peer: sqlite3 rows", results.records, *results.peer_rows),
            rate_row("  peer: sqlite3 → JSON", results.records, *results.peer_json),
        ],
    )
    print()
    print_table(
        ["indexed filter", "requests", "median ms", "p95 ms", "server CPU ms/req"],
        [
            latency_row("WHERE Id = '…'", results.id_times, results.id_cpu),
            latency_row("WHERE Name = '…'", results.name_times, results.name_cpu),
        ],
    )
    print()
    print(
        f"slowest page {results.slowest_page * 1000:.0f} ms. Page times run from "
        "request to parsed JSON in this process; CPU s is the server process's."
    )


def run(args: argparse.Namespace, folder: Path) -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    data = str(args.data) if args.data else None
    server = context.Process(
        target=serve, args=(args.accounts, data, str(folder), theirs)
    )
    server.start()
    try:
        served = Served(**ours.recv())
        results = measure(args, served)
    finally:
        ours.send("stop")
        server.join(timeout=120)
    report(args, results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark the sfmagic emulator: seeding, query pages, filters."
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=100_000,
        help="Accounts to seed (children follow in proportion); default 100,000.",
    )
    parser.add_argument(
        "--pages",
        type=int,
        default=None,
        help="Query pages of 2,000 records to fetch; default: all of them.",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="Requests per indexed filter for the latency figures; default 200.",
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="An empty directory to keep the seeded org in (SQLite file on disk); "
        "default: the org lives in memory, as with start(scale=N).",
    )
    args = parser.parse_args(argv)
    if args.data is not None:
        args.data.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="sfmagic-bench-"))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
