"""Paging: batch sizes, locators, snapshots, child pages and flat rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.query.cursors import IDLE_SECONDS, Cursors
from tests.emulator.query.conftest import API, Org, make_org

ACCOUNTS = 2500
BIG_FAMILY = 450
SMALL_FAMILIES = 300
LOCATOR = re.compile(
    r"^/services/data/v60\.0/(query|queryAll)/01g[0-9A-Za-z]{15}-(\d+)$"
)


def _fill(org: Org) -> None:
    org.insert(
        "Account",
        [
            {"key": f"A{i}", "Name": f"Account {i:04d}", "NumberOfEmployees": i % 7}
            for i in range(ACCOUNTS)
        ],
    )
    org.insert(
        "Contact",
        [
            {"LastName": f"Big {i:03d}", "AccountId": org.ids["A0"]}
            for i in range(BIG_FAMILY)
        ],
    )
    org.insert(
        "Contact",
        [
            {"LastName": f"Small {i}", "AccountId": org.ids[f"A{1 + i // 3}"]}
            for i in range(SMALL_FAMILIES * 3)
        ],
    )


@pytest.fixture(scope="module")
def paging_org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    org = make_org(tmp_path_factory.mktemp("paging"), _fill)
    yield org
    org.store.close()


def _more(org: Org, url: str, **options: Any) -> dict[str, Any]:
    match = LOCATOR.match(url)
    assert match, url
    return org.engine.more(
        url.rsplit("/", 1)[1],
        include_deleted=match.group(1) == "queryAll",
        api_version=API,
        **options,
    )


def _all_pages(org: Org, text: str, **options: Any) -> list[dict[str, Any]]:
    pages = [org.query(text, **options)]
    while not pages[-1]["done"]:
        pages.append(_more(org, pages[-1]["nextRecordsUrl"]))
    return pages


@pytest.mark.parametrize(
    ("requested", "served"), [(1, 200), (200, 200), (750, 750), (5000, 2000)]
)
def test_batch_size_is_clamped(paging_org: Org, requested: int, served: int) -> None:
    result = paging_org.query("SELECT Id FROM Account", batch_size=requested)
    assert len(result["records"]) == served
    assert result["totalSize"] == ACCOUNTS
    assert result["done"] is False
    match = LOCATOR.match(result["nextRecordsUrl"])
    assert match is not None
    assert int(match.group(2)) == served


def test_pages_cover_every_record_once_in_order(paging_org: Org) -> None:
    pages = _all_pages(
        paging_org, "SELECT Name FROM Account ORDER BY Name DESC", batch_size=300
    )
    assert [len(p["records"]) for p in pages] == [300] * 8 + [100]
    assert {p["totalSize"] for p in pages} == {ACCOUNTS}
    names = [r["Name"] for p in pages for r in p["records"]]
    assert names == [f"Account {i:04d}" for i in reversed(range(ACCOUNTS))]
    assert "nextRecordsUrl" not in pages[-1]


def test_query_all_locators_use_query_all(paging_org: Org) -> None:
    first = paging_org.query(
        "SELECT Id FROM Account", include_deleted=True, batch_size=200
    )
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/queryAll/01g")
    rest = _more(paging_org, first["nextRecordsUrl"])
    assert rest["nextRecordsUrl"].startswith("/services/data/v60.0/queryAll/01g")
    assert len(rest["records"]) == 200


def test_limit_caps_total_size(paging_org: Org) -> None:
    pages = _all_pages(
        paging_org, "SELECT Id FROM Account ORDER BY Name LIMIT 450", batch_size=200
    )
    assert [len(p["records"]) for p in pages] == [200, 200, 50]
    assert pages[0]["totalSize"] == 450


def test_later_pages_come_from_the_first_snapshot(tmp_path_factory: Any) -> None:
    org = make_org(tmp_path_factory.mktemp("snapshot"), _fill)
    first = org.query(
        "SELECT Name, NumberOfEmployees FROM Account WHERE NumberOfEmployees = 3 "
        "ORDER BY Name",
        batch_size=200,
    )
    total = first["totalSize"]
    org.insert("Account", [{"Name": "Account 9999", "NumberOfEmployees": 3}])
    org.store.execute(
        'UPDATE "Account" SET "NumberOfEmployees" = 4 WHERE "Name" = ?',
        (first["records"][0]["Name"],),
    )
    rest = _more(org, first["nextRecordsUrl"])
    assert rest["totalSize"] == total
    names = [r["Name"] for r in first["records"] + rest["records"]]
    assert len(names) == total
    assert "Account 9999" not in names
    assert names == sorted(names)
    org.store.close()


@pytest.mark.parametrize(
    "locator",
    [
        "01gAAAAAAAAAAAAAAA-200",
        "garbage",
        "01gAAAAAAAAAAAAAAA",
        "01gAAAAAAAAAAAAAAA-x",
        "",
    ],
)
def test_unknown_locators_are_refused(paging_org: Org, locator: str) -> None:
    with pytest.raises(ApiError) as raised:
        paging_org.engine.more(locator, include_deleted=False, api_version=API)
    assert raised.value.error_code == "INVALID_QUERY_LOCATOR"
    assert raised.value.message == "invalid query locator"


@pytest.mark.parametrize("offset", [0, ACCOUNTS, ACCOUNTS + 1])
def test_offsets_outside_the_result_are_refused(paging_org: Org, offset: int) -> None:
    first = paging_org.query("SELECT Id FROM Account", batch_size=200)
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1].rsplit("-", 1)[0]
    with pytest.raises(ApiError) as raised:
        paging_org.engine.more(
            f"{locator}-{offset}", include_deleted=False, api_version=API
        )
    assert raised.value.error_code == "INVALID_QUERY_LOCATOR"


def test_any_offset_inside_the_result_can_be_read(paging_org: Org) -> None:
    first = paging_org.query("SELECT Name FROM Account ORDER BY Name")
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1].rsplit("-", 1)[0]
    page = paging_org.engine.more(
        f"{locator}-{ACCOUNTS - 10}", include_deleted=False, api_version=API
    )
    assert [r["Name"] for r in page["records"]] == [
        f"Account {i:04d}" for i in range(ACCOUNTS - 10, ACCOUNTS)
    ]
    assert page["done"] is True


def test_more_takes_a_batch_size(paging_org: Org) -> None:
    first = paging_org.query("SELECT Id FROM Account", batch_size=200)
    page = _more(paging_org, first["nextRecordsUrl"], batch_size=500)
    assert len(page["records"]) == 500
    assert page["nextRecordsUrl"].endswith("-700")


def test_locators_expire_after_fifteen_idle_minutes(paging_org: Org) -> None:
    now = [0.0]
    engine = paging_org.engine
    saved = engine.cursors
    engine.cursors = Cursors(clock=lambda: now[0])
    try:
        first = paging_org.query("SELECT Id FROM Account", batch_size=200)
        now[0] += IDLE_SECONDS - 1
        second = _more(paging_org, first["nextRecordsUrl"])
        now[0] += IDLE_SECONDS - 1
        _more(paging_org, second["nextRecordsUrl"])
        now[0] += IDLE_SECONDS + 1
        with pytest.raises(ApiError) as raised:
            _more(paging_org, second["nextRecordsUrl"])
        assert raised.value.error_code == "INVALID_QUERY_LOCATOR"
    finally:
        engine.cursors = saved


def test_large_child_results_page_through_their_own_locator(paging_org: Org) -> None:
    first = paging_org.query(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account "
        "WHERE Id = '{A0}'"
    )
    contacts = first["records"][0]["Contacts"]
    assert contacts["totalSize"] == BIG_FAMILY
    assert contacts["done"] is False
    assert len(contacts["records"]) == 200
    assert list(contacts) == ["totalSize", "done", "nextRecordsUrl", "records"]
    assert contacts["nextRecordsUrl"].endswith("-200")
    rest = _more(paging_org, contacts["nextRecordsUrl"])
    assert rest["totalSize"] == BIG_FAMILY
    assert rest["done"] is True
    names = [r["LastName"] for r in contacts["records"] + rest["records"]]
    assert names == [f"Big {i:03d}" for i in range(BIG_FAMILY)]
    assert rest["records"][0]["attributes"]["type"] == "Contact"


def test_child_records_count_toward_the_batch(paging_org: Org) -> None:
    pages = _all_pages(
        paging_org,
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE Id != '{A0}' "
        "ORDER BY Name",
        batch_size=200,
    )
    sizes = [len(p["records"]) for p in pages]
    # 300 accounts with three contacts each fill a page of 200 with 50 of them.
    assert sizes[:6] == [50, 50, 50, 50, 50, 50]
    assert sum(sizes) == ACCOUNTS - 1
    assert all(
        len(r["Contacts"]["records"]) == 3 for p in pages[:6] for r in p["records"]
    )


def test_a_parent_with_many_children_still_makes_a_page(paging_org: Org) -> None:
    result = paging_org.query(
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name",
        batch_size=200,
    )
    assert [r["Name"] for r in result["records"]] == ["Account 0000"]
    assert result["nextRecordsUrl"].endswith("-1")


def test_aggregate_results_page_too(paging_org: Org) -> None:
    pages = _all_pages(
        paging_org,
        "SELECT LastName, COUNT(Id) FROM Contact GROUP BY LastName ORDER BY LastName",
        batch_size=200,
    )
    groups = BIG_FAMILY + SMALL_FAMILIES * 3
    assert [len(p["records"]) for p in pages] == [200] * 6 + [150]
    assert {p["totalSize"] for p in pages} == {groups}
    names = [r["LastName"] for p in pages for r in p["records"]]
    assert len(set(names)) == groups


def test_flat_rows_for_bulk(paging_org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    columns, rows = paging_org.engine.iter_flat_rows(
        "SELECT LastName, Account.Name, Account.NumberOfEmployees FROM Contact "
        "WHERE Account.Name = 'Account 0001' ORDER BY LastName",
        include_deleted=False,
        user_id="nobody",
    )
    assert columns == ["LastName", "Account.Name", "Account.NumberOfEmployees"]
    assert list(rows) == [
        ("Small 0", "Account 0001", 1),
        ("Small 1", "Account 0001", 1),
        ("Small 2", "Account 0001", 1),
    ]


def test_flat_rows_read_in_chunks(
    paging_org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sfmagic.emulator.query.engine.MAX_BATCH", 128)
    columns, rows = paging_org.engine.iter_flat_rows(
        "SELECT Name FROM Account ORDER BY Name DESC",
        include_deleted=False,
        user_id="nobody",
    )
    assert columns == ["Name"]
    assert [name for (name,) in rows] == [
        f"Account {i:04d}" for i in reversed(range(ACCOUNTS))
    ]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
        "SELECT BillingAddress FROM Account",
        "SELECT TYPEOF What WHEN Account THEN Name END FROM Task",
        "SELECT COUNT() FROM Account",
        "SELECT COUNT(Id) FROM Account",
    ],
)
def test_flat_rows_refuse_nested_answers(paging_org: Org, text: str) -> None:
    with pytest.raises(ApiError) as raised:
        paging_org.engine.iter_flat_rows(text, include_deleted=False, user_id="x")
    assert raised.value.status == 400
