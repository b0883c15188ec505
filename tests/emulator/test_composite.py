"""Composite, batch and sObject collections against the live emulator."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmagic.emulator.org import RunningOrg
from tests.emulator.conftest import Api

pytestmark = pytest.mark.live

V = "/services/data/v59.0"
_names = itertools.count()
HALTED = (
    "The transaction was rolled back since another operation in the same "
    "transaction failed."
)


def _unique(prefix: str) -> str:
    return f"{prefix} {next(_names)} {datetime.now(UTC):%H%M%S%f}"


def _sobject(sf: Salesforce, name: str = "Account") -> Any:
    """simple-salesforce's REST handle for ``name`` (untyped there)."""
    return getattr(sf, name)


def _restful(sf: Salesforce, path: str, **options: Any) -> Any:
    """``sf.restful`` with its answer typed as the JSON it is."""
    return sf.restful(path, **options)


def _count(org: RunningOrg, name_prefix: str) -> int:
    rows = org.state.store.execute(
        'SELECT count(*) FROM "Account" WHERE "Name" LIKE ?', (f"{name_prefix}%",)
    )
    return int(rows[0][0])


def _composite(sf: Salesforce, requests: list[dict[str, Any]], **options: Any) -> Any:
    body = {"compositeRequest": requests, **options}
    return _restful(sf, "composite", method="POST", json=body)["compositeResponse"]


def _account(name: str, ref: str = "acc") -> dict[str, Any]:
    return {
        "method": "POST",
        "url": f"{V}/sobjects/Account",
        "referenceId": ref,
        "body": {"Name": name},
    }


# --- composite ---------------------------------------------------------------------


def test_references_carry_ids_into_later_subrequests(
    org: RunningOrg, sf: Salesforce
) -> None:
    name = _unique("Composite")
    answers = _composite(
        sf,
        [
            _account(name),
            {
                "method": "POST",
                "url": f"{V}/sobjects/Contact/",
                "referenceId": "con",
                "body": {"LastName": "Ref", "AccountId": "@{acc.id}"},
            },
            {
                "method": "GET",
                "url": f"{V}/query/?q=SELECT+Id,Name+FROM+Account"
                "+WHERE+Id='@{acc.id}'",
                "referenceId": "found",
            },
            {
                "method": "PATCH",
                "url": f"{V}/sobjects/Account/@{{found.records[0].Id}}",
                "referenceId": "renamed",
                "body": {"Description": "Was @{found.records[0].Name}"},
            },
            {
                "method": "GET",
                "url": f"{V}/sobjects/Contact/@{{con.id}}?fields=AccountId",
                "referenceId": "check",
            },
        ],
    )
    assert [a["httpStatusCode"] for a in answers] == [201, 201, 200, 204, 200]
    assert [a["referenceId"] for a in answers] == [
        "acc",
        "con",
        "found",
        "renamed",
        "check",
    ]
    account_id = answers[0]["body"]["id"]
    assert answers[0]["httpHeaders"] == {
        "Location": f"{V}/sobjects/Account/{account_id}"
    }
    assert answers[3]["body"] is None
    assert answers[4]["body"]["AccountId"] == account_id
    assert _sobject(sf).get(account_id)["Description"] == f"Was {name}"


def test_all_or_none_rolls_everything_back(org: RunningOrg, sf: Salesforce) -> None:
    name = _unique("Rollback")
    answers = _composite(
        sf,
        [
            _account(name),
            {
                "method": "POST",
                "url": f"{V}/sobjects/Contact",
                "referenceId": "bad",
                "body": {"FirstName": "No last name", "AccountId": "@{acc.id}"},
            },
            _account(name + " later", "later"),
        ],
        allOrNone=True,
    )
    assert [a["httpStatusCode"] for a in answers] == [400, 400, 400]
    assert answers[0]["body"] == [{"errorCode": "PROCESSING_HALTED", "message": HALTED}]
    assert answers[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert answers[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert _count(org, name) == 0


def test_all_or_none_commits_when_everything_succeeds(
    org: RunningOrg, sf: Salesforce
) -> None:
    name = _unique("Committed")
    answers = _composite(
        sf, [_account(name), _account(name + " two", "two")], allOrNone=True
    )
    assert [a["httpStatusCode"] for a in answers] == [201, 201]
    assert _count(org, name) == 2


def test_without_all_or_none_only_dependents_stop(
    org: RunningOrg, sf: Salesforce
) -> None:
    name = _unique("Partial")
    answers = _composite(
        sf,
        [
            {
                "method": "POST",
                "url": f"{V}/sobjects/Account",
                "referenceId": "bad",
                "body": {"Name": name, "Nope__c": 1},
            },
            {
                "method": "GET",
                "url": f"{V}/sobjects/Account/@{{bad.id}}",
                "referenceId": "dependent",
            },
            _account(name + " independent", "fine"),
            {
                "method": "GET",
                "url": f"{V}/sobjects/Account/@{{fine.nope}}",
                "referenceId": "missing",
            },
        ],
    )
    assert [a["httpStatusCode"] for a in answers] == [400, 400, 201, 400]
    assert answers[0]["body"][0]["errorCode"] == "INVALID_FIELD"
    assert answers[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "bad.id" in answers[1]["body"][0]["message"]
    assert "fine.nope" in answers[3]["body"][0]["message"]
    assert _count(org, name) == 1


def test_subrequest_errors_look_like_direct_ones(sf: Salesforce, api: Api) -> None:
    answers = _composite(
        sf,
        [
            {"method": "GET", "url": f"{V}/sobjects/Nope/x", "referenceId": "a"},
            {"method": "PUT", "url": f"{V}/sobjects/Account", "referenceId": "b"},
            {
                "method": "GET",
                "url": f"{V}/query?q=SELECT+Nope+FROM+Account",
                "referenceId": "c",
            },
            {"method": "GET", "url": "/services/data/v12.0/limits", "referenceId": "d"},
            {"method": "GET", "url": f"{V}/jobs/query", "referenceId": "e"},
        ],
    )
    direct = api.get("query", params={"q": "SELECT Nope FROM Account"})
    assert [a["httpStatusCode"] for a in answers] == [404, 405, 400, 404, 404]
    assert answers[1]["body"][0]["errorCode"] == "METHOD_NOT_ALLOWED"
    assert answers[2]["body"] == direct.json()


def test_a_composite_request_counts_as_one_api_call(org: RunningOrg, api: Api) -> None:
    before = org.state.usage.used
    requests = [
        {"method": "GET", "url": f"{V}/limits", "referenceId": f"r{n}"}
        for n in range(5)
    ]
    response = api.request("POST", "composite", json={"compositeRequest": requests})
    assert response.status_code == 200
    assert org.state.usage.used == before + 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "JSON_PARSER_ERROR"),
        ({"compositeRequest": []}, "JSON_PARSER_ERROR"),
        ({"compositeRequest": [{"method": "GET", "url": "x"}]}, "JSON_PARSER_ERROR"),
        (
            {
                "compositeRequest": [
                    {"method": "GET", "url": f"{V}/limits", "referenceId": "same"},
                    {"method": "GET", "url": f"{V}/limits", "referenceId": "same"},
                ]
            },
            "JSON_PARSER_ERROR",
        ),
        (
            {
                "compositeRequest": [
                    {"method": "GET", "url": f"{V}/limits", "referenceId": "bad-id"}
                ]
            },
            "JSON_PARSER_ERROR",
        ),
        (
            {
                "compositeRequest": [
                    {
                        "method": "GET",
                        "url": f"{V}/limits",
                        "referenceId": "auth",
                        "httpHeaders": {"Authorization": "Bearer x"},
                    }
                ]
            },
            "JSON_PARSER_ERROR",
        ),
        (
            {
                "compositeRequest": [
                    {"method": "GET", "url": f"{V}/limits", "referenceId": f"r{n}"}
                    for n in range(26)
                ]
            },
            "LIMIT_EXCEEDED",
        ),
        ([1, 2], "JSON_PARSER_ERROR"),
    ],
)
def test_malformed_composite_requests_are_refused(
    api: Api, body: Any, code: str
) -> None:
    response = api.request("POST", "composite", json=body)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_bad_json_and_missing_session_are_refused(org: RunningOrg, api: Api) -> None:
    garbage = api.request("POST", "composite/batch", data=b"{nope")
    assert garbage.status_code == 400
    assert garbage.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    anonymous = org.session().post(api.url("composite"), json={}, timeout=10)
    assert anonymous.status_code == 401
    assert api.get("composite").json() == {
        "batch": f"{V}/composite/batch",
        "sobjects": f"{V}/composite/sobjects",
    }


# --- batch ----------------------------------------------------------------------------


def test_batch_runs_each_subrequest(sf: Salesforce) -> None:
    name = _unique("Batch")
    body = {
        "batchRequests": [
            {
                "method": "POST",
                "url": "v59.0/sobjects/Account",
                "richInput": {"Name": name},
            },
            {"method": "GET", "url": "v59.0/sobjects/Account/001000000000000AAA"},
            {
                "method": "GET",
                "url": f"v59.0/query?q=SELECT+Name+FROM+Account+WHERE+Name='{name}'",
            },
        ]
    }
    answer = _restful(sf, "composite/batch", method="POST", json=body)
    assert answer["hasErrors"] is True
    statuses = [result["statusCode"] for result in answer["results"]]
    assert statuses == [201, 404, 200]
    assert answer["results"][2]["result"]["records"][0]["Name"] == name


def test_batch_halts_on_error_when_asked(sf: Salesforce) -> None:
    body = {
        "haltOnError": True,
        "batchRequests": [
            {"method": "GET", "url": "v59.0/limits"},
            {"method": "DELETE", "url": "v59.0/sobjects/Account/001000000000000AAA"},
            {"method": "GET", "url": "v59.0/limits"},
        ],
    }
    answer = _restful(sf, "composite/batch", method="POST", json=body)
    assert [r["statusCode"] for r in answer["results"]] == [200, 404, 412]
    assert answer["results"][2]["result"] == [
        {
            "errorCode": "BATCH_PROCESSING_HALTED",
            "message": "Batch processing halted per request",
        }
    ]
    too_many = {"batchRequests": [{"method": "GET", "url": "v59.0/limits"}] * 26}
    with pytest.raises(SalesforceMalformedRequest):
        _restful(sf, "composite/batch", method="POST", json=too_many)


def test_batch_can_search(sf: Salesforce) -> None:
    name = _unique("Searchable")
    word = name.split()[0]
    _sobject(sf).create({"Name": name})
    body = {
        "batchRequests": [{"method": "GET", "url": f"v59.0/search/?q=FIND+{{{word}}}"}]
    }
    answer = _restful(sf, "composite/batch", method="POST", json=body)
    assert answer["hasErrors"] is False
    assert answer["results"][0]["result"]["searchRecords"]


# --- sObject collections ------------------------------------------------------------


def _records(*names: str | None, sobject: str = "Account") -> list[dict[str, Any]]:
    records = []
    for name in names:
        record: dict[str, Any] = {"attributes": {"type": sobject}}
        if name is not None:
            record["Name"] = name
        records.append(record)
    return records


def test_collection_create_reports_each_record(org: RunningOrg, sf: Salesforce) -> None:
    name = _unique("Collection")
    body = {"allOrNone": False, "records": _records(name, None, name + " b")}
    results = _restful(sf, "composite/sobjects", method="POST", json=body)
    assert [r["success"] for r in results] == [True, False, True]
    assert set(results[0]) == {"id", "success", "errors"}
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert _count(org, name) == 2
    odd = {"records": [{"attributes": {"type": "Nope"}, "Name": name}, "text"]}
    results = _restful(sf, "composite/sobjects", method="POST", json=odd)
    codes = [r["errors"][0]["statusCode"] for r in results]
    assert codes == ["INVALID_TYPE", "JSON_PARSER_ERROR"]


def test_collection_all_or_none_rolls_back(org: RunningOrg, sf: Salesforce) -> None:
    name = _unique("CollectionRollback")
    body = {"allOrNone": True, "records": _records(name, None)}
    results = _restful(sf, "composite/sobjects", method="POST", json=body)
    assert results[0] == {
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid "
                "and the request was using AllOrNone header",
                "fields": [],
            }
        ],
    }
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert _count(org, name) == 0


def test_collection_update_retrieve_and_delete(
    org: RunningOrg, sf: Salesforce, api: Api
) -> None:
    name = _unique("CollectionCycle")
    created = _restful(
        sf,
        "composite/sobjects",
        method="POST",
        json={"records": _records(name, name + " 2")},
    )
    record_ids = [r["id"] for r in created]
    updates = [
        {"attributes": {"type": "Account"}, "id": record_ids[0], "Phone": "1"},
        {"attributes": {"type": "Account"}, "Id": record_ids[1], "Phone": "2"},
        {"attributes": {"type": "Account"}, "Phone": "3"},
    ]
    updated = _restful(
        sf, "composite/sobjects", method="PATCH", json={"records": updates}
    )
    assert [r["success"] for r in updated] == [True, True, False]
    assert [r.get("id") for r in updated[:2]] == record_ids
    assert updated[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"

    fetched = api.get(
        "composite/sobjects/Account",
        params={
            "ids": ",".join([*record_ids, "001000000000000AAA"]),
            "fields": "Name,Phone",
        },
    ).json()
    assert [r and r["Phone"] for r in fetched] == ["1", "2", None]
    assert fetched[0]["attributes"]["type"] == "Account"
    posted = api.request(
        "POST",
        "composite/sobjects/Account",
        json={"ids": record_ids[:1], "fields": ["Name"]},
    ).json()
    assert posted[0]["Name"] == name
    unknown = api.get(
        "composite/sobjects/Account", params={"ids": record_ids[0], "fields": "Nope"}
    )
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"

    deleted = api.request(
        "DELETE",
        "composite/sobjects",
        params={"ids": ",".join([*record_ids, "garbage"]), "allOrNone": "false"},
    ).json()
    assert [r["success"] for r in deleted] == [True, True, False]
    assert deleted[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert _count(org, name) == 2  # soft-deleted rows stay, flagged
    again = api.request(
        "DELETE",
        "composite/sobjects",
        params={"ids": record_ids[0], "allOrNone": "true"},
    ).json()
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_collection_limits(api: Api) -> None:
    body = {"records": _records(*[f"n{n}" for n in range(201)])}
    response = api.request("POST", "composite/sobjects", json=body)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    missing = api.get("composite/sobjects/Account", params={"ids": "x"})
    assert missing.status_code == 400
    assert (
        api.get(
            "composite/sobjects/Nope", params={"ids": "x", "fields": "Id"}
        ).status_code
        == 404
    )
    assert (
        api.request("POST", "composite/sobjects", json={"nope": 1}).status_code == 400
    )


@pytest.fixture(scope="module")
def ext_api(unique_external_id_org: RunningOrg) -> Api:
    """Raw requests to an org whose Account has an external id field."""
    return Api(unique_external_id_org)


def test_collection_upsert_by_external_id(ext_api: Api) -> None:
    key = f"COLL-{next(_names)}"

    def upsert(*names: str) -> Any:
        records = [
            {
                "attributes": {"type": "Account"},
                "External_Id__c": f"{key}-{n}",
                "Name": n,
            }
            for n in names
        ]
        response = ext_api.request(
            "PATCH",
            "composite/sobjects/Account/External_Id__c",
            json={"allOrNone": False, "records": records},
        )
        assert response.status_code == 200
        return response.json()

    first = upsert("a")
    assert first[0]["created"] is True
    second = upsert("a", "b")
    assert [r["created"] for r in second] == [False, True]
    assert second[0]["id"] == first[0]["id"]
    wrong = ext_api.request(
        "PATCH", "composite/sobjects/Account/Phone", json={"records": []}
    )
    assert wrong.status_code == 404


def test_composite_with_a_collection_subrequest_is_all_or_none(
    org: RunningOrg, sf: Salesforce
) -> None:
    name = _unique("NestedCollection")
    answers = _composite(
        sf,
        [
            {
                "method": "POST",
                "url": f"{V}/composite/sobjects",
                "referenceId": "many",
                "body": {"allOrNone": False, "records": _records(name, None)},
            },
            _account(name + " single", "single"),
        ],
        allOrNone=True,
    )
    # The composite's allOrNone overrides the collection's own flag, and a
    # failed record fails the whole composite request.
    assert answers[0]["httpStatusCode"] == 200
    statuses = [r["errors"][0]["statusCode"] for r in answers[0]["body"]]
    assert statuses == ["ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUIRED_FIELD_MISSING"]
    assert answers[1]["httpStatusCode"] == 400
    assert answers[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert _count(org, name) == 0
