"""Conflicts: concurrent conditional PATCHes never overwrite a newer change silently.

Writers read a record, then PATCH it at the same moment with ``If-Unmodified-Since``
set to the ``LastModifiedDate`` they read. The first write to land makes every other
writer stale, and exactly those stale writers must be answered 412.

HTTP dates have whole seconds, so a change made in the same second as the date a
writer sends is not "newer" to HTTP; each round waits until the record's last change
is at least a second old before its writers start.
"""

from __future__ import annotations

import email.utils
import threading
import time
from datetime import datetime

import pytest
import requests
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceGeneralError

from sfmagic.emulator.org import RunningOrg
from tests.emulator.conftest import Api

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]

WRITERS = 16
ROUNDS = 4


def accounts(sf: Salesforce) -> SFType:
    """simple-salesforce's handle on Account (``sf.Account`` is typed as a union)."""
    handle = sf.Account
    assert isinstance(handle, SFType)
    return handle


def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


def last_modified(api: Api, record_id: str) -> datetime:
    response = api.get(
        f"sobjects/Account/{record_id}", params={"fields": "LastModifiedDate"}
    )
    assert response.status_code == 200
    return datetime.strptime(
        response.json()["LastModifiedDate"], "%Y-%m-%dT%H:%M:%S.%f%z"
    )


def wait_until_older_than_a_second(moment: datetime) -> None:
    """Sleep until the clock's whole second is past ``moment``'s."""
    target = int(moment.timestamp()) + 1.05
    while (now := time.time()) < target:
        time.sleep(target - now)


def writer_sessions(org: RunningOrg, api: Api, count: int) -> list[requests.Session]:
    """Authenticated sessions with their TLS connection already open."""
    sessions = []
    for _ in range(count):
        session = org.session()
        session.headers["Authorization"] = api.http.headers["Authorization"]
        assert session.get(api.url("limits/"), timeout=30).status_code == 200
        sessions.append(session)
    return sessions


def new_account(api: Api, name: str) -> str:
    response = api.request("POST", "sobjects/Account/", json={"Name": name})
    assert response.status_code == 201
    record_id: str = response.json()["id"]
    return record_id


def description(api: Api, record_id: str) -> str:
    response = api.get(
        f"sobjects/Account/{record_id}", params={"fields": "Description"}
    )
    value: str = response.json()["Description"]
    return value


def patch_together(
    sessions: list[requests.Session], url: str, header: str, label: str
) -> list[int]:
    """PATCH from every session at once; the status each writer got, in order."""
    statuses = [0] * len(sessions)
    barrier = threading.Barrier(len(sessions))

    def write(index: int) -> None:
        barrier.wait()
        response = sessions[index].patch(
            url,
            json={"Description": f"{label} writer {index}"},
            headers={"If-Unmodified-Since": header},
            timeout=30,
        )
        statuses[index] = response.status_code

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_exactly_the_stale_writers_get_412(org: RunningOrg, api: Api) -> None:
    record_id = new_account(api, "Conflict Target")
    url = api.url(f"sobjects/Account/{record_id}")
    sessions = writer_sessions(org, api, WRITERS)
    started = time.monotonic()
    for round_number in range(ROUNDS):
        modified = last_modified(api, record_id)
        wait_until_older_than_a_second(modified)
        label = f"round {round_number}"

        statuses = patch_together(sessions, url, http_date(modified), label)

        assert sorted(statuses) == [204] + [412] * (WRITERS - 1)
        winner = statuses.index(204)
        assert description(api, record_id) == f"{label} writer {winner}"
        assert last_modified(api, record_id) > modified
    elapsed = time.monotonic() - started
    print(f"\nconflicts: {ROUNDS} rounds of {WRITERS} writers in {elapsed:.1f}s")


def test_a_stale_date_never_overwrites_a_newer_change(api: Api) -> None:
    record_id = new_account(api, "Conflict Sequence")
    read = last_modified(api, record_id)
    wait_until_older_than_a_second(read)
    newer = api.request(
        "PATCH",
        f"sobjects/Account/{record_id}",
        json={"Description": "newer"},
        headers={"If-Unmodified-Since": http_date(read)},
    )
    assert newer.status_code == 204

    stale = api.request(
        "PATCH",
        f"sobjects/Account/{record_id}",
        json={"Description": "stale"},
        headers={"If-Unmodified-Since": http_date(read)},
    )
    assert stale.status_code == 412
    assert description(api, record_id) == "newer"

    fresh = api.request(
        "PATCH",
        f"sobjects/Account/{record_id}",
        json={"Description": "fresh"},
        headers={"If-Unmodified-Since": http_date(last_modified(api, record_id))},
    )
    assert fresh.status_code == 204
    assert description(api, record_id) == "fresh"


def test_simple_salesforce_sees_the_412(sf: Salesforce, api: Api) -> None:
    record_id = new_account(api, "Conflict Client")
    read = last_modified(api, record_id)
    wait_until_older_than_a_second(read)
    accounts(sf).update(record_id, {"Description": "first"})
    with pytest.raises(SalesforceGeneralError) as caught:
        accounts(sf).update(
            record_id,
            {"Description": "second"},
            headers={"If-Unmodified-Since": http_date(read)},
        )
    assert caught.value.status == 412
    assert description(api, record_id) == "first"
