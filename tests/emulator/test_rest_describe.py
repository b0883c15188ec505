"""Describe global, sObject basic info and describe, through simple-salesforce."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceResourceNotFound,
)

from sfmagic.emulator.org import RunningOrg
from tests.emulator.conftest import Api

pytestmark = pytest.mark.live

LONG_AGO = "Sat, 01 Jan 2000 00:00:00 GMT"


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def test_describe_global(sf: Salesforce) -> None:
    result = sf.describe()
    assert result["encoding"] == "UTF-8"
    assert result["maxBatchSize"] == 200
    by_name = {entry["name"]: entry for entry in result["sobjects"]}
    assert {"Account", "Contact", "Case", "Lead", "Opportunity"} <= set(by_name)
    account = by_name["Account"]
    assert account["keyPrefix"] == "001"
    assert account["urls"]["sobject"] == "/services/data/v59.0/sobjects/Account"
    assert (
        account["urls"]["rowTemplate"] == "/services/data/v59.0/sobjects/Account/{ID}"
    )


def test_describe_urls_follow_the_requested_version(api: Api) -> None:
    result = api.get("/services/data/v62.0/sobjects").json()
    account = next(e for e in result["sobjects"] if e["name"] == "Account")
    assert (
        account["urls"]["describe"] == "/services/data/v62.0/sobjects/Account/describe"
    )


def test_sobject_metadata(sf: Salesforce, org: RunningOrg) -> None:
    result = sf.Account.metadata()
    assert result["objectDescribe"]["name"] == "Account"
    assert result["objectDescribe"]["keyPrefix"] == "001"
    recent = result["recentItems"]
    assert recent
    assert all(item["attributes"]["type"] == "Account" for item in recent)
    assert all(set(item) == {"attributes", "Id", "Name"} for item in recent)


def test_sobject_describe(sf: Salesforce) -> None:
    result = sf.Account.describe()
    assert result["name"] == "Account"
    fields = {field["name"]: field for field in result["fields"]}
    assert fields["Name"]["type"] == "string"
    assert fields["Id"]["type"] == "id"
    relationships = {c["relationshipName"] for c in result["childRelationships"]}
    assert "Contacts" in relationships


def test_object_names_are_case_insensitive(api: Api) -> None:
    assert api.get("sobjects/account/describe").json()["name"] == "Account"


@pytest.mark.parametrize("path", ["sobjects/Nope__c/describe", "sobjects/Nope__c/"])
def test_unknown_object_is_not_found(sf: Salesforce, api: Api, path: str) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.restful(path)
    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize("path", ["sobjects", "sobjects/Account/describe"])
def test_describes_answer_304_when_unchanged(sf: Salesforce, path: str) -> None:
    later = _http_date(datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.restful(path, headers={"If-Modified-Since": later})
    assert caught.value.status == 304
    assert caught.value.content == ""


@pytest.mark.parametrize("path", ["sobjects", "sobjects/Account/describe"])
def test_describes_answer_200_when_changed_since(api: Api, path: str) -> None:
    response = api.get(path, headers={"If-Modified-Since": LONG_AGO})
    assert response.status_code == 200
    modified = email.utils.parsedate_to_datetime(response.headers["Last-Modified"])
    # Asking again with the date the server gave is "not modified".
    again = api.get(path, headers={"If-Modified-Since": _http_date(modified)})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("path", ["sobjects", "sobjects/Account/describe"])
def test_describes_answer_412_when_modified_after(sf: Salesforce, path: str) -> None:
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.restful(path, headers={"If-Unmodified-Since": LONG_AGO})
    assert caught.value.status == 412
    assert caught.value.content[0]["errorCode"] == "PRECONDITION_FAILED"
