"""Describe global, basic info and sObject describe payloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfmagic.emulator.describe import basic_info, describe_global, describe_sobject
from sfmagic.emulator.schema import Schema

STANDARD = Schema.standard()
GLOBAL_KEYS = {
    "activateable", "associateEntityType", "associateParentEntity", "createable",
    "custom", "customSetting", "deepCloneable", "deletable", "deprecatedAndHidden",
    "feedEnabled", "hasSubtypes", "isInterface", "isSubtype", "keyPrefix", "label",
    "labelPlural", "layoutable", "mergeable", "mruEnabled", "name", "queryable",
    "replicateable", "retrieveable", "searchable", "triggerable", "undeletable",
    "updateable", "urls",
}  # fmt: skip


def test_describe_global_shape() -> None:
    payload = describe_global(STANDARD, "59.0")
    assert payload["encoding"] == "UTF-8"
    assert payload["maxBatchSize"] == 200
    names = [entry["name"] for entry in payload["sobjects"]]
    assert names == sorted(names, key=str.lower)
    assert {"Account", "Task", "QueueSobject", "OpenActivity"} <= set(names)
    for entry in payload["sobjects"]:
        assert set(entry) == GLOBAL_KEYS


@pytest.mark.parametrize("version", ["50.0", "59.0", "68.0"])
def test_urls_carry_the_request_version(version: str) -> None:
    payload = describe_global(STANDARD, version)
    entry = next(e for e in payload["sobjects"] if e["name"] == "Account")
    assert entry["urls"]["sobject"] == f"/services/data/v{version}/sobjects/Account"
    assert entry["urls"]["rowTemplate"].endswith("/sobjects/Account/{ID}")
    assert entry["keyPrefix"] == "001"
    assert "{version}" not in json.dumps(payload)


def test_describe_sobject_is_the_full_payload() -> None:
    sobject = STANDARD.get("Account")
    assert sobject is not None
    payload = describe_sobject(sobject, "59.0", instance_url="https://127.0.0.1:9")
    assert payload["name"] == "Account"
    assert len(payload["fields"]) == len(sobject.fields)
    assert "x-sfmagic" not in payload
    assert (
        payload["urls"]["describe"] == "/services/data/v59.0/sobjects/Account/describe"
    )
    assert payload["urls"]["uiDetailTemplate"] == "https://127.0.0.1:9/{ID}"
    layout = payload["recordTypeInfos"][0]["urls"]["layout"]
    assert layout.startswith("/services/data/v59.0/")
    text = json.dumps(payload)
    assert "{version}" not in text
    assert "{instance_url}" not in text


def test_describe_is_cached_per_version() -> None:
    sobject = STANDARD.get("Contact")
    assert sobject is not None
    first = describe_sobject(sobject, "59.0")
    assert describe_sobject(sobject, "59.0") is first
    assert describe_sobject(sobject, "60.0")["urls"]["sobject"].startswith(
        "/services/data/v60.0/"
    )


def test_basic_info() -> None:
    sobject = STANDARD.get("Account")
    assert sobject is not None
    recent = [{"attributes": {"type": "Account"}, "Id": "0018a0000000001AAA"}]
    payload = basic_info(sobject, "59.0", recent)
    assert set(payload) == {"objectDescribe", "recentItems"}
    assert set(payload["objectDescribe"]) == GLOBAL_KEYS
    assert payload["recentItems"] == recent


def test_custom_objects_get_global_entries(tmp_path: Path) -> None:
    path = tmp_path / "schema.toml"
    path.write_text('[objects.Invoice__c]\nlabel = "Invoice"\n')
    schema = STANDARD.with_custom(path)
    payload = describe_global(schema, "59.0")
    entry = next(e for e in payload["sobjects"] if e["name"] == "Invoice__c")
    assert set(entry) == GLOBAL_KEYS
    assert entry["custom"] is True
    assert entry["keyPrefix"] == "a00"
    assert entry["urls"]["sobject"] == "/services/data/v59.0/sobjects/Invoice__c"
    invoice = schema.get("Invoice__c")
    assert invoice is not None
    described = describe_sobject(invoice, "59.0")
    assert [f["name"] for f in described["fields"]][:3] == [
        "Id",
        "OwnerId",
        "IsDeleted",
    ]
