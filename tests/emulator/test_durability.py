"""Durability: an emulator killed with SIGKILL during writes loses no acknowledged one.

The emulator runs as a separate process (``python -m sfmagic emulator --data DIR``)
while a few threads create records as fast as it answers. Mid-burst the process is
killed with SIGKILL, restarted on the same data directory, and every record whose
create was acknowledged with 201 must be there, with the database intact.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pytest
import requests

pytestmark = [pytest.mark.live, pytest.mark.timeout(180)]

WRITERS = 4
KILL_AFTER_ACKS = 150
STARTUP_SECONDS = 60
CYCLES = 3


@dataclass
class Emulator:
    """An emulator process and what it printed about itself."""

    process: subprocess.Popen[str]
    instance_url: str
    ca_file: str
    access_token: str

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_file
        session.headers["Authorization"] = f"Bearer {self.access_token}"
        return session

    def url(self, path: str) -> str:
        return f"{self.instance_url}/services/data/v59.0/{path}"


def launch(data: Path, log: Path) -> Emulator:
    """Start ``python -m sfmagic emulator --data DATA`` and wait until it serves.

    Its standard error goes to ``log``, shown if it fails to start.
    """
    with log.open("a", encoding="utf-8") as errors:
        process = _spawn(data, errors)
    assert process.stdout is not None
    printed: dict[str, str] = {}
    deadline = time.monotonic() + STARTUP_SECONDS
    while "access token" not in printed:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            status = process.wait()
            tail = log.read_text(encoding="utf-8")[-2000:]
            pytest.fail(f"the emulator did not start (status {status}):\n{tail}")
        label, colon, value = line.strip().partition(":")
        if colon:
            printed[label.strip()] = value.strip()
    return Emulator(
        process, printed["instance URL"], printed["CA file"], printed["access token"]
    )


def _spawn(data: Path, errors: TextIO) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sfmagic",
            "emulator",
            "--data",
            str(data),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def stop(emulator: Emulator) -> None:
    emulator.process.send_signal(signal.SIGTERM)
    try:
        emulator.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()


@dataclass
class Burst:
    """Threads creating accounts until the server goes away."""

    emulator: Emulator
    prefix: str
    acknowledged: dict[str, str] = field(default_factory=dict)  # id -> Name
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    unexpected: list[str] = field(default_factory=list)

    def write(self, writer: int) -> None:
        session = self.emulator.session()
        number = 0
        while not self.stop.is_set():
            name = f"{self.prefix}-{writer}-{number}"
            number += 1
            try:
                response = session.post(
                    self.emulator.url("sobjects/Account/"),
                    json={"Name": name, "NumberOfEmployees": number},
                    timeout=10,
                )
            except requests.RequestException:
                return  # the server is gone: whatever was not answered is unknown
            if response.status_code != 201:
                self.unexpected.append(f"{response.status_code} {response.text[:200]}")
                return
            with self.lock:
                self.acknowledged[response.json()["id"]] = name

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def integrity(database: Path) -> str:
    connection = sqlite3.connect(database)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def kill_mid_burst(emulator: Emulator, prefix: str) -> dict[str, str]:
    """Write from several threads, SIGKILL the server mid-burst, return the acks."""
    burst = Burst(emulator, prefix)
    threads = [
        threading.Thread(target=burst.write, args=(writer,))
        for writer in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while burst.count() < KILL_AFTER_ACKS and time.monotonic() < deadline:
        if burst.unexpected:
            break
        time.sleep(0.01)
    emulator.process.send_signal(signal.SIGKILL)
    emulator.process.wait()
    burst.stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not burst.unexpected
    assert burst.count() >= KILL_AFTER_ACKS
    return burst.acknowledged


def stored_accounts(emulator: Emulator, prefix: str) -> dict[str, str]:
    """Every account whose name starts with ``prefix``, read through the API."""
    session = emulator.session()
    soql = f"SELECT Id, Name FROM Account WHERE Name LIKE '{prefix}%'"
    response = session.get(emulator.url("query/"), params={"q": soql}, timeout=30)
    found: dict[str, str] = {}
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        found.update({record["Id"]: record["Name"] for record in body["records"]})
        if body["done"]:
            return found
        next_url = emulator.instance_url + body["nextRecordsUrl"]
        response = session.get(next_url, timeout=30)


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "org"
    log = tmp_path / "emulator.log"
    started = time.monotonic()
    acknowledged: dict[str, str] = {}
    for cycle in range(CYCLES):
        emulator = launch(data_dir, log)
        try:
            # What earlier cycles acknowledged is still there after each restart.
            assert set(acknowledged) <= set(stored_accounts(emulator, "durable"))
            acknowledged.update(kill_mid_burst(emulator, f"durable{cycle}"))
        finally:
            if emulator.process.poll() is None:
                emulator.process.kill()
                emulator.process.wait()
        assert integrity(data_dir / "org.sqlite") == "ok"

    emulator = launch(data_dir, log)
    try:
        stored = stored_accounts(emulator, "durable")
        session = emulator.session()
        sample = list(acknowledged)[:: max(len(acknowledged) // 20, 1)]
        for record_id in sample:
            response = session.get(emulator.url(f"sobjects/Account/{record_id}"))
            assert response.status_code == 200
            assert response.json()["Name"] == acknowledged[record_id]
    finally:
        stop(emulator)
    assert emulator.process.returncode == 0
    assert integrity(data_dir / "org.sqlite") == "ok"

    # Every acknowledged write is there; at most the few writes in flight when the
    # process died may have landed without their answer reaching the client.
    assert sorted(set(acknowledged) - set(stored)) == []
    assert all(stored[key] == name for key, name in acknowledged.items())
    assert len(stored) - len(acknowledged) <= WRITERS * CYCLES
    print(
        f"\ndurability: {len(acknowledged)} acknowledged creates over {CYCLES} "
        f"SIGKILLs, all present ({len(stored) - len(acknowledged)} unanswered ones "
        f"landed too); {time.monotonic() - started:.1f}s"
    )
