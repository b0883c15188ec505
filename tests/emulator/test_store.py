"""SQLite storage: tables, ids, transactions, replication bookkeeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfmagic.emulator import ids
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.store import Store
from sfmagic.emulator.values import now_stored

SCHEMA = Schema.standard()


@pytest.fixture
def store() -> Store:
    return Store(SCHEMA, None)


def columns(store: Store, table: str) -> dict[str, str]:
    rows = store.execute(f'PRAGMA table_info("{table}")')
    return {row["name"]: row["type"] for row in rows}


def indexed_columns(store: Store, table: str) -> set[str]:
    found = set()
    for index in store.execute(f'PRAGMA index_list("{table}")'):
        for column in store.execute(f'PRAGMA index_info("{index["name"]}")'):
            found.add(column["name"])
    return found


def test_one_table_per_non_virtual_sobject(store: Store) -> None:
    tables = {
        row[0]
        for row in store.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    expected = {o.name for o in SCHEMA if not o.virtual}
    assert expected <= tables
    assert "OpenActivity" not in tables
    assert {"_meta", "_deleted_log", "_delete_links"} <= tables


@pytest.mark.parametrize(
    ("table", "column", "sql_type"),
    [
        ("Account", "Id", "TEXT"),
        ("Account", "Name", "TEXT"),
        ("Account", "NumberOfEmployees", "INTEGER"),
        ("Account", "AnnualRevenue", "REAL"),
        ("Account", "IsDeleted", "INTEGER"),
        ("Account", "BillingCity", "TEXT"),
        ("Event", "StartDateTime", "TEXT"),
        ("User", "IsDeleted", "INTEGER"),
        ("QueueSobject", "IsDeleted", "INTEGER"),
    ],
)
def test_columns_follow_storage_contract(
    store: Store, table: str, column: str, sql_type: str
) -> None:
    assert columns(store, table)[column] == sql_type


def test_compound_fields_have_no_column(store: Store) -> None:
    assert "BillingAddress" not in columns(store, "Account")


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("Account", "OwnerId"),
        ("Account", "ParentId"),
        ("Account", "Name"),
        ("Account", "LastModifiedDate"),
        ("Account", "SystemModstamp"),
        ("Account", "CreatedDate"),
        ("Account", "IsDeleted"),
        ("Contact", "AccountId"),
        ("Task", "WhatId"),
        ("User", "Username"),
    ],
)
def test_indexes(store: Store, table: str, column: str) -> None:
    assert column in indexed_columns(store, table)


def test_wal_on_file(tmp_path: Path) -> None:
    store = Store(SCHEMA, tmp_path / "org.db")
    assert store.execute("PRAGMA journal_mode")[0][0] == "wal"
    store.close()


def test_new_ids_have_prefix_and_checksum(store: Store) -> None:
    first, second = store.new_id("Account"), store.new_id("account")
    assert first.startswith("001")
    assert second.startswith("001")
    assert first != second
    assert ids.to_18(first[:15]) == first


def test_ids_continue_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "org.db"
    store = Store(SCHEMA, path)
    inserted = [store.new_id("Account") for _ in range(3)]
    store.insert_rows("Account", [{"Id": i, "Name": "A"} for i in inserted])
    deleted = store.new_id("Contact")
    store.log_deleted("Contact", deleted, now_stored())
    store.close()

    reopened = Store(SCHEMA, path)
    assert reopened.new_id("Account") > max(inserted)
    assert reopened.new_id("Contact") > deleted
    reopened.close()


def test_insert_rows_and_get(store: Store) -> None:
    count = store.insert_rows(
        "Account",
        [{"Name": "Alpha"}, {"Name": "Beta", "Industry": "Banking"}, {"Name": "Gamma"}],
    )
    assert count == 3
    (beta_id,) = store.find_ids("Account", "Name", "beta")
    row = store.get("Account", beta_id[:15])
    assert row is not None
    assert row["Industry"] == "Banking"
    assert row["IsDeleted"] == 0


def test_get_hides_deleted_rows_unless_asked(store: Store) -> None:
    record_id = store.new_id("Account")
    store.insert_rows("Account", [{"Id": record_id, "Name": "Gone", "IsDeleted": 1}])
    assert store.get("Account", record_id) is None
    assert store.get("Account", record_id, include_deleted=True) is not None
    assert store.get("Account", "not an id") is None


def test_values_are_bound_not_pasted(store: Store) -> None:
    nasty = 'x\'); DROP TABLE "Account"; --'
    store.insert_rows("Account", [{"Name": nasty}])
    assert len(store.find_ids("Account", "Name", nasty)) == 1
    assert store.count("Account") == 1


def _insert_then_fail(store: Store, name: str) -> None:
    with store.transaction():
        store.insert_rows("Account", [{"Name": name}])
        raise RuntimeError("stop")


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        _insert_then_fail(store, "Doomed")
    assert store.count("Account") == 0


def test_nested_transaction_rolls_back_only_inner(store: Store) -> None:
    with store.transaction():
        store.insert_rows("Account", [{"Name": "Kept"}])
        with pytest.raises(RuntimeError):
            _insert_then_fail(store, "Dropped")
    assert [r[0] for r in store.execute('SELECT Name FROM "Account"')] == ["Kept"]


def test_meta_round_trip(store: Store) -> None:
    assert store.meta_get("missing") is None
    store.meta_set("org_id", "00D8a0000000001")
    store.meta_set("org_id", "00D8a0000000002")
    assert store.meta_get("org_id") == "00D8a0000000002"
    assert store.meta_get("created") is not None


def test_updated_ids_window(store: Store) -> None:
    inside, outside = store.new_id("Account"), store.new_id("Account")
    store.insert_rows(
        "Account",
        [
            {"Id": inside, "Name": "In", "SystemModstamp": "2024-01-15T10:00:00.000Z"},
            {
                "Id": outside,
                "Name": "Out",
                "SystemModstamp": "2024-01-16T10:00:00.000Z",
            },
        ],
    )
    start = datetime(2024, 1, 15, tzinfo=UTC)
    assert store.updated_ids("Account", start, start + timedelta(days=1)) == [inside]


def test_deleted_records_window(store: Store) -> None:
    store.log_deleted("Account", "0018a0000000001AAA", "2024-01-15T10:00:00.000Z")
    store.log_deleted("Account", "0018a0000000002AAA", "2024-02-15T10:00:00.000Z")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    found = store.deleted_records("Account", start, start + timedelta(days=31))
    assert found == [("0018a0000000001AAA", "2024-01-15T10:00:00.000Z")]
    assert store.earliest_deleted_date("Account") == "2024-01-15T10:00:00.000Z"
    store.unlog_deleted("Account", "0018a0000000001AAA")
    assert store.deleted_records("Account", start, start + timedelta(days=31)) == []


def test_reopen_adds_columns_for_new_custom_fields(tmp_path: Path) -> None:
    path = tmp_path / "org.db"
    Store(SCHEMA, path).close()
    spec = tmp_path / "schema.toml"
    spec.write_text('[fields.Account.Region__c]\ntype = "text"\n')
    store = Store(SCHEMA.with_custom(spec), path)
    assert "Region__c" in columns(store, "Account")
    store.close()


def test_insert_rows_inserts_a_large_batch(store: Store) -> None:
    now = now_stored()
    user = store.new_id("User")
    rows = [
        {
            "Id": store.new_id("Account"),
            "Name": f"Account {n}",
            "OwnerId": user,
            "CreatedById": user,
            "LastModifiedById": user,
            "CreatedDate": now,
            "LastModifiedDate": now,
            "SystemModstamp": now,
            "Industry": "Banking",
        }
        for n in range(20000)
    ]
    assert store.insert_rows("Account", rows) == 20000
    assert store.count("Account") == 20000


def test_lock_serialises_threads(store: Store) -> None:
    def work() -> None:
        for _ in range(50):
            with store.transaction():
                store.insert_rows("Account", [{"Name": "T"}])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count("Account") == 200
