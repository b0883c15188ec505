"""SOQL over REST through simple-salesforce: pages, locators, errors."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.emulator.conftest import SEED_NAME, SEEDED_ACCOUNTS, Api

pytestmark = pytest.mark.live

SEEDED = f"SELECT Id, Name FROM Account WHERE Name LIKE '{SEED_NAME} %' ORDER BY Name"
SMALL_PAGES = {"Sforce-Query-Options": "batchSize=200"}


def test_query_returns_the_first_page(sf: Salesforce) -> None:
    result = sf.query(SEEDED)
    assert result["totalSize"] == SEEDED_ACCOUNTS
    assert result["done"] is True
    assert "nextRecordsUrl" not in result
    first = result["records"][0]
    assert first["attributes"]["type"] == "Account"
    assert (
        first["attributes"]["url"]
        == f"/services/data/v59.0/sobjects/Account/{first['Id']}"
    )
    assert first["Name"] == f"{SEED_NAME} 000"


def test_batch_size_header_pages_the_result(sf: Salesforce) -> None:
    result = sf.query(SEEDED, headers=SMALL_PAGES)
    assert result["totalSize"] == SEEDED_ACCOUNTS
    assert result["done"] is False
    assert len(result["records"]) == 200
    assert result["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert result["nextRecordsUrl"].endswith("-200")


def test_query_more_by_url_and_by_locator(sf: Salesforce) -> None:
    first = sf.query(SEEDED, headers=SMALL_PAGES)
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["records"][0]["Name"] == f"{SEED_NAME} 200"

    again = sf.query(SEEDED, headers=SMALL_PAGES)
    locator = again["nextRecordsUrl"].rsplit("/", 1)[1]
    by_locator = sf.query_more(locator)
    assert by_locator["records"] == second["records"]
    assert by_locator["totalSize"] == SEEDED_ACCOUNTS


def test_query_all_follows_every_page(sf: Salesforce) -> None:
    result = sf.query_all(SEEDED, headers=SMALL_PAGES)
    names = [record["Name"] for record in result["records"]]
    assert names == [f"{SEED_NAME} {n:03d}" for n in range(SEEDED_ACCOUNTS)]
    assert result["done"] is True


def test_query_all_iter_is_lazy_over_pages(sf: Salesforce) -> None:
    records = sf.query_all_iter(SEEDED, headers=SMALL_PAGES)
    ids = [record["Id"] for record in records]
    assert len(ids) == len(set(ids)) == SEEDED_ACCOUNTS


@pytest.mark.parametrize(
    ("header", "page"),
    [
        ("batchSize=50", 200),
        ("batchSize=5000", 450),
        ("batchSize=300", 300),
        ("batchSize=abc", 450),
        ("", 450),
    ],
)
def test_batch_size_is_clamped(api: Api, header: str, page: int) -> None:
    response = api.get(
        "query/", params={"q": SEEDED}, headers={"Sforce-Query-Options": header}
    )
    assert len(response.json()["records"]) == page


def test_query_all_sees_deleted_rows(sf: Salesforce) -> None:
    record_id = sf.Account.create({"Name": "Soon Deleted"})["id"]
    sf.Account.delete(record_id)
    where = f"SELECT Id FROM Account WHERE Id = '{record_id}'"
    assert sf.query(where)["totalSize"] == 0
    assert sf.query_all(where, include_deleted=True)["totalSize"] == 1


def test_query_all_pages_through_query_all_locators(sf: Salesforce) -> None:
    first = sf.query(SEEDED, include_deleted=True, headers=SMALL_PAGES)
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/queryAll/")
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1]
    more = sf.query_more(locator, include_deleted=True)
    assert len(more["records"]) == 200


def test_count_query(sf: Salesforce) -> None:
    result = sf.query(f"SELECT COUNT() FROM Account WHERE Name LIKE '{SEED_NAME} %'")
    assert result["totalSize"] == SEEDED_ACCOUNTS
    assert result["records"] == []


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM", "MALFORMED_QUERY"),
        ("SELECT Id, Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
    ],
)
def test_bad_queries_raise_malformed_request(
    sf: Salesforce, soql: str, code: str
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    [error] = caught.value.content
    assert error["errorCode"] == code
    assert "ERROR at Row:1:Column:" in error["message"]


def test_missing_query_text(api: Api) -> None:
    response = api.get("query/")
    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "A query string has to be specified",
            "errorCode": "MALFORMED_QUERY",
        }
    ]


def test_unknown_locator(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("01g000000000000AAA-2000")
    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_text_is_form_decoded(api: Api) -> None:
    response = api.get(
        "query/?q=SELECT+Id+FROM+Account+WHERE+Name+%3D+%27Seed+Account+007%27"
    )
    assert response.json()["totalSize"] == 1
