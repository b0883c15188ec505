"""Load: 50 concurrent clients, 200 mixed requests each, no errors, no lost writes.

The org is served from this process; the clients run in a few worker processes
(threads inside each), so that the server and the clients do not share one
interpreter lock. Each client creates, updates, reads, queries and describes
accounts of its own and checks that it reads back what it wrote; afterwards every
acknowledged create and the last acknowledged value of every update must be in
the org.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from sfmagic.emulator import start
from sfmagic.emulator.settings import OrgSettings

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

CLIENTS = 50
REQUESTS_PER_CLIENT = 200
WORKER_PROCESSES = 5
PREFIX = "load"
# Operation mix, in percent.
MIX = {"create": 15, "update": 25, "get": 25, "query": 25, "describe": 10}


@dataclass
class ClientReport:
    """What one client did and saw."""

    client: int
    requests: int = 0
    written: dict[str, int] = field(default_factory=dict)  # id -> NumberOfEmployees
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, list[float]] = field(default_factory=dict)  # by operation


class Client:
    """One simulated API client with its own connection and records."""

    def __init__(self, base: str, token: str, ca_file: str, number: int) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = ca_file
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.report = ClientReport(number)
        self.random = random.Random(number)
        self.prefix = f"{PREFIX}-{number:02d}-"
        self.operation = "check"

    def call(
        self, method: str, path: str, expected: int, **kwargs: Any
    ) -> tuple[bool, Any]:
        """Send one request; whether it got ``expected``, and its JSON body."""
        started = time.perf_counter()
        response = self.http.request(
            method, f"{self.base}/{path}", timeout=60, **kwargs
        )
        operation = self.operation
        self.report.seconds.setdefault(operation, []).append(
            time.perf_counter() - started
        )
        self.report.requests += 1
        if response.status_code != expected:
            self.fail(f"{method} {path}: {response.status_code} {response.text[:300]}")
            return False, None
        return True, response.json() if response.content else None

    def fail(self, what: str) -> None:
        self.report.failures.append(what)

    def run(self, count: int) -> ClientReport:
        operations = list(MIX)
        weights = list(MIX.values())
        for _ in range(count):
            operation = self.random.choices(operations, weights)[0]
            if not self.report.written:
                operation = "create"
            self.operation = operation
            getattr(self, operation)()
        return self.report

    def pick(self) -> str:
        return self.random.choice(sorted(self.report.written))

    def create(self) -> None:
        name = f"{self.prefix}{len(self.report.written):04d}"
        body = {"Name": name, "NumberOfEmployees": 0}
        ok, created = self.call("POST", "sobjects/Account/", 201, json=body)
        if ok:
            self.report.written[created["id"]] = 0

    def update(self) -> None:
        record_id = self.pick()
        value = self.random.randrange(1, 1_000_000)
        body = {"NumberOfEmployees": value}
        ok, _ = self.call("PATCH", f"sobjects/Account/{record_id}", 204, json=body)
        if ok:
            self.report.written[record_id] = value

    def get(self) -> None:
        record_id = self.pick()
        params = {"fields": "Name,NumberOfEmployees"}
        ok, record = self.call(
            "GET", f"sobjects/Account/{record_id}", 200, params=params
        )
        expected = self.report.written[record_id]
        if ok and record["NumberOfEmployees"] != expected:
            self.fail(f"read {record['NumberOfEmployees']} after writing {expected}")

    def query(self) -> None:
        soql = (
            "SELECT Id, NumberOfEmployees FROM Account "
            f"WHERE Name LIKE '{self.prefix}%' ORDER BY Name"
        )
        ok, result = self.call("GET", "query/", 200, params={"q": soql})
        if not ok:
            return
        seen = {r["Id"]: r["NumberOfEmployees"] for r in result["records"]}
        if (
            result["totalSize"] != len(self.report.written)
            or seen != self.report.written
        ):
            self.fail(
                f"query saw {len(seen)} records, {len(self.report.written)} written"
            )

    def describe(self) -> None:
        ok, described = self.call("GET", "sobjects/Account/describe", 200)
        if ok and described.get("name") != "Account":
            self.fail("describe answered another object")


def run_clients(
    base: str, token: str, ca_file: str, numbers: list[int], count: int
) -> list[ClientReport]:
    """Run clients ``numbers`` concurrently (one thread each); their reports."""
    with ThreadPoolExecutor(len(numbers)) as pool:
        futures = [
            pool.submit(Client(base, token, ca_file, number).run, count)
            for number in numbers
        ]
        return [future.result() for future in futures]


def warm_up(number: int) -> int:
    """Nothing: running it makes a worker process import this module."""
    return number


def all_load_records(base: str, token: str, ca_file: str) -> dict[str, int]:
    """Every load-test account in the org, read through query/ and its next pages."""
    client = Client(base, token, ca_file, 99)
    soql = f"SELECT Id, NumberOfEmployees FROM Account WHERE Name LIKE '{PREFIX}-%'"
    ok, page = client.call("GET", "query/", 200, params={"q": soql})
    found: dict[str, int] = {}
    while ok:
        found.update({r["Id"]: r["NumberOfEmployees"] for r in page["records"]})
        if page["done"]:
            break
        locator = page["nextRecordsUrl"].rsplit("/", 1)[-1]
        ok, page = client.call("GET", f"query/{locator}", 200)
    assert client.report.failures == []
    return found


def test_fifty_clients_lose_nothing() -> None:
    settings = OrgSettings(daily_api_limit=1_000_000)
    with start(settings=settings) as org:
        base = f"{org.instance_url}/services/data/v59.0"
        token, ca_file = org.access_token(), str(org.ca_file)
        groups = [
            list(range(CLIENTS))[i::WORKER_PROCESSES] for i in range(WORKER_PROCESSES)
        ]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(WORKER_PROCESSES, mp_context=context) as pool:
            # Start the workers and import this module in them before the clock.
            list(pool.map(warm_up, range(WORKER_PROCESSES * 4)))
            started = time.monotonic()
            futures = [
                pool.submit(
                    run_clients, base, token, ca_file, group, REQUESTS_PER_CLIENT
                )
                for group in groups
            ]
            reports = [report for future in futures for report in future.result()]
            elapsed = time.monotonic() - started
        stored = all_load_records(base, token, ca_file)

    failures = [f"client {r.client}: {f}" for r in reports for f in r.failures]
    assert failures == []
    assert sum(r.requests for r in reports) == CLIENTS * REQUESTS_PER_CLIENT
    written = {key: value for r in reports for key, value in r.written.items()}
    assert len(stored) == len(written)
    assert stored == written

    latencies = sorted(
        t for r in reports for times in r.seconds.values() for t in times
    )
    by_operation = {
        operation: sorted(t for r in reports for t in r.seconds.get(operation, []))
        for operation in MIX
    }
    medians = ", ".join(
        f"{operation} {times[len(times) // 2] * 1000:.0f}"
        for operation, times in by_operation.items()
    )
    print(
        f"\nload: {len(latencies)} requests from {CLIENTS} clients in {elapsed:.1f}s "
        f"({len(latencies) / elapsed:.0f}/s); latency p50 "
        f"{latencies[len(latencies) // 2] * 1000:.0f} ms, p99 "
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms; p50 by operation "
        f"(ms): {medians}; {len(written)} records created"
    )
