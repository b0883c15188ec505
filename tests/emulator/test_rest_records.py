"""sObject rows through simple-salesforce: get, create, update, upsert, delete."""

from __future__ import annotations

import email.utils
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from sfmagic.emulator import ids
from tests.emulator.conftest import DUPLICATE_EXTERNAL_ID, EXTERNAL_ID, Api

pytestmark = pytest.mark.live

_names = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix} {next(_names)} {datetime.now(UTC):%H%M%S%f}"


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def _new_account(sf: Salesforce, **fields: Any) -> str:
    created = sf.Account.create({"Name": _unique("Record"), **fields})
    record_id: str = created["id"]
    return record_id


def test_create_answers_201_with_the_new_id(sf: Salesforce, api: Api) -> None:
    created = sf.Account.create({"Name": _unique("Created")})
    assert created["success"] is True
    assert created["errors"] == []
    assert ids.is_valid_id(created["id"])
    assert created["id"].startswith("001")
    assert len(created["id"]) == 18

    response = api.request("POST", "sobjects/Account/", json={"Name": "Raw"})
    assert response.status_code == 201
    assert set(response.json()) == {"id", "success", "errors"}


def test_get_returns_every_field_with_attributes(sf: Salesforce) -> None:
    name = _unique("Fetched")
    record_id = _new_account(sf, Name=name, AnnualRevenue=1500, NumberOfEmployees=7)
    record = sf.Account.get(record_id)
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v59.0/sobjects/Account/{record_id}",
    }
    assert record["Id"] == record_id
    assert record["Name"] == name
    assert record["AnnualRevenue"] == 1500.0
    assert record["NumberOfEmployees"] == 7
    assert record["IsDeleted"] is False
    assert "Phone" in record
    assert record["Phone"] is None
    assert record["CreatedDate"].endswith("+0000")


def test_get_accepts_a_15_character_id(sf: Salesforce) -> None:
    record_id = _new_account(sf)
    assert sf.Account.get(record_id[:15])["Id"] == record_id


def test_get_with_fields_returns_only_those_and_id(sf: Salesforce) -> None:
    record_id = _new_account(sf, Industry="Energy")
    record = sf.Account.get(record_id, params={"fields": "Name,Industry"})
    assert set(record) == {"attributes", "Name", "Industry", "Id"}
    assert record["Industry"] == "Energy"


def test_get_with_an_unknown_field_is_invalid_field(sf: Salesforce) -> None:
    record_id = _new_account(sf)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.get(record_id, params={"fields": "Name,Nope__c"})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_update_answers_204_and_changes_the_record(sf: Salesforce) -> None:
    record_id = _new_account(sf)
    assert sf.Account.update(record_id, {"Industry": "Retail"}) == 204
    assert sf.Account.get(record_id)["Industry"] == "Retail"


def test_delete_answers_204_and_then_the_record_is_gone(sf: Salesforce) -> None:
    record_id = _new_account(sf)
    assert sf.Account.delete(record_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get(record_id)
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as again:
        sf.Account.delete(record_id)
    assert again.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    deleted = sf.query_all(
        f"SELECT Id, IsDeleted FROM Account WHERE Id = '{record_id}'",
        include_deleted=True,
    )
    assert deleted["records"][0]["IsDeleted"] is True


def test_upsert_creates_then_updates_by_external_id(sf: Salesforce, api: Api) -> None:
    key = f"UP-{next(_names)}"
    response = api.request(
        "PATCH", f"sobjects/Account/{EXTERNAL_ID}/{key}", json={"Name": "First"}
    )
    assert response.status_code == 201
    created = response.json()
    assert created["success"] is True
    assert created["created"] is True
    assert created["errors"] == []

    assert sf.Account.upsert(f"{EXTERNAL_ID}/{key}", {"Name": "Second"}) == 200
    response = api.request(
        "PATCH", f"sobjects/Account/{EXTERNAL_ID}/{key}", json={"Name": "Third"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    record = sf.Account.get(created["id"])
    assert record["Name"] == "Third"
    assert record[EXTERNAL_ID] == key


def test_upsert_update_only_refuses_to_create(api: Api) -> None:
    response = api.request(
        "PATCH",
        f"sobjects/Account/{EXTERNAL_ID}/NEW-{next(_names)}?updateOnly=true",
        json={"Name": "Never"},
    )
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


def test_upsert_with_several_matches_is_300(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Account.upsert(f"{EXTERNAL_ID}/{DUPLICATE_EXTERNAL_ID}", {"Name": "Twin"})
    assert caught.value.status == 300
    assert len(caught.value.content) == 2


@pytest.mark.parametrize("value", ["A/1 x+y", "50% off & more", "ünïcødé?#"])
def test_get_by_custom_id_decodes_the_value_like_a_form(
    sf: Salesforce, value: str
) -> None:
    key = f"{value}-{next(_names)}"
    created = sf.Account.create({"Name": "Special", EXTERNAL_ID: key})
    record = sf.Account.get_by_custom_id(EXTERNAL_ID, key)
    assert record["Id"] == created["id"]
    assert record[EXTERNAL_ID] == key


def test_get_by_custom_id_with_fields(sf: Salesforce) -> None:
    key = f"F-{next(_names)}"
    sf.Account.create({"Name": "With Fields", EXTERNAL_ID: key})
    record = sf.Account.get_by_custom_id(EXTERNAL_ID, key, params={"fields": "Name"})
    assert set(record) == {"attributes", "Name", "Id"}


def test_get_by_custom_id_with_several_matches_lists_their_urls(
    sf: Salesforce,
) -> None:
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Account.get_by_custom_id(EXTERNAL_ID, DUPLICATE_EXTERNAL_ID)
    urls = caught.value.content
    assert len(urls) == 2
    prefix = "/services/data/v59.0/sobjects/Account/001"
    assert all(url.startswith(prefix) for url in urls)


def test_get_by_custom_id_without_a_match_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get_by_custom_id(EXTERNAL_ID, "nobody")


def test_delete_by_external_id(sf: Salesforce, api: Api) -> None:
    key = f"DEL-{next(_names)}"
    created = sf.Account.create({"Name": "Doomed", EXTERNAL_ID: key})
    response = api.request("DELETE", f"sobjects/Account/{EXTERNAL_ID}/{key}")
    assert response.status_code == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get(created["id"])
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize("field", ["Phone", "Nope__c", "Title"])
def test_a_field_that_is_no_external_id_is_not_found(
    sf: Salesforce, field: str
) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Contact.get_by_custom_id(field, "x")
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


def test_an_id_lookup_field_of_a_standard_object_works_as_a_key(
    sf: Salesforce, api: Api
) -> None:
    # Salesforce's REST guide upserts Leads by Email, an idLookup field.
    email = f"lookup-{next(_names)}@example.com"
    response = api.request(
        "PATCH",
        f"sobjects/Lead/Email/{email}",
        json={"LastName": "Key", "Company": "Keys Inc"},
    )
    assert response.status_code == 201
    assert sf.Lead.get_by_custom_id("Email", email)["Id"] == response.json()["id"]


def test_a_bad_id_is_malformed_id(sf: Salesforce) -> None:
    record_id = _new_account(sf)
    broken = record_id[:15] + ("AAB" if record_id[15:] != "AAB" else "AAC")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.get(broken)
    assert caught.value.content == [
        {
            "message": f"Account ID: id value of incorrect type: {broken}",
            "errorCode": "MALFORMED_ID",
            "fields": ["Id"],
        }
    ]


def test_an_id_of_another_object(sf: Salesforce) -> None:
    contact = sf.Contact.create({"LastName": "Elsewhere"})["id"]
    with pytest.raises(SalesforceResourceNotFound) as read:
        sf.Account.get(contact)
    assert read.value.content[0]["errorCode"] == "NOT_FOUND"
    with pytest.raises(SalesforceMalformedRequest) as write:
        sf.Account.update(contact, {"Name": "x"})
    assert write.value.content[0]["errorCode"] == "MALFORMED_ID"


def test_an_unknown_id_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get(ids.to_18("001000000000000"))
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


def test_text_that_is_no_id_is_taken_for_an_external_id_field(
    sf: Salesforce,
) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get("not-an-id")
    assert caught.value.content[0]["message"] == (
        "Provided external ID field does not exist or is not accessible: not-an-id"
    )


def test_missing_required_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.create({"Industry": "Energy"})
    [error] = caught.value.content
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert error["fields"] == ["Name"]


def test_unknown_field_on_create_is_invalid_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.create({"Name": "x", "Nope__c": 1})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


@pytest.mark.parametrize("body", [b"{bad", b"", b"[]", b'{"Name": "x"'])
def test_unreadable_body_is_json_parser_error(api: Api, body: bytes) -> None:
    response = api.request("POST", "sobjects/Account/", data=body)
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert "fields" not in error


def test_json_parser_error_in_simple_salesforce(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("sobjects/Account/", method="POST", data="{oops")
    assert caught.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_get_answers_304_when_not_modified_since(sf: Salesforce, api: Api) -> None:
    record_id = _new_account(sf)
    later = _http_date(datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.Account.get(record_id, headers={"If-Modified-Since": later})
    assert caught.value.status == 304
    assert caught.value.content == ""

    earlier = _http_date(datetime.now(UTC) - timedelta(days=1))
    response = api.get(
        f"sobjects/Account/{record_id}", headers={"If-Modified-Since": earlier}
    )
    assert response.status_code == 200
    last_modified = response.headers["Last-Modified"]
    again = api.get(
        f"sobjects/Account/{record_id}", headers={"If-Modified-Since": last_modified}
    )
    assert again.status_code == 304


def test_update_with_a_stale_date_is_412(sf: Salesforce) -> None:
    record_id = _new_account(sf)
    earlier = _http_date(datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.Account.update(
            record_id, {"Industry": "Banking"}, headers={"If-Unmodified-Since": earlier}
        )
    assert caught.value.status == 412
    assert sf.Account.get(record_id)["Industry"] is None

    later = _http_date(datetime.now(UTC) + timedelta(minutes=5))
    status = sf.Account.update(
        record_id, {"Industry": "Banking"}, headers={"If-Unmodified-Since": later}
    )
    assert status == 204


def test_get_with_a_stale_unmodified_since_is_412(api: Api, sf: Salesforce) -> None:
    record_id = _new_account(sf)
    earlier = _http_date(datetime.now(UTC) - timedelta(days=1))
    response = api.get(
        f"sobjects/Account/{record_id}", headers={"If-Unmodified-Since": earlier}
    )
    assert response.status_code == 412


def test_updated_and_deleted(sf: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=2)
    changed = _new_account(sf)
    sf.Account.update(changed, {"Industry": "Energy"})
    removed = _new_account(sf)
    sf.Account.delete(removed)
    end = datetime.now(UTC) + timedelta(minutes=2)

    updated = sf.Account.updated(start, end)
    assert changed in updated["ids"]
    assert removed not in updated["ids"]
    assert updated["latestDateCovered"].endswith("+0000")

    deleted = sf.Account.deleted(start, end)
    entries = {entry["id"]: entry for entry in deleted["deletedRecords"]}
    assert removed in entries
    assert entries[removed]["deletedDate"].endswith("+0000")
    assert changed not in entries
    assert "earliestDateAvailable" in deleted
    assert "latestDateCovered" in deleted


def test_replication_window_must_be_recent_and_ordered(sf: Salesforce) -> None:
    now = datetime.now(UTC)
    with pytest.raises(SalesforceMalformedRequest) as old:
        sf.Account.updated(now - timedelta(days=40), now)
    assert old.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest) as backwards:
        sf.Account.deleted(now, now - timedelta(hours=1))
    assert backwards.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
