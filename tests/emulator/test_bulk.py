"""Bulk API 2.0 against the live emulator: simple-salesforce's bulk2 and raw calls."""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceOperationError

from sfmagic.emulator import start
from sfmagic.emulator.bulk.query import check_bulk_query
from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.org import RunningOrg
from sfmagic.emulator.schema import Schema, SObjectDef
from sfmagic.soql import parse
from tests.emulator.conftest import Api

pytestmark = pytest.mark.live

_names = itertools.count()
FINISHED = ("JobComplete", "Failed", "Aborted")


def _unique(prefix: str) -> str:
    return f"{prefix} {next(_names)} {datetime.now(UTC):%H%M%S%f}"


def _sobject(sf: Salesforce, name: str = "Account") -> Any:
    """simple-salesforce's REST handle for ``name`` (untyped there)."""
    return getattr(sf, name)


def _bulk(sf: Salesforce, sobject: str = "Account") -> Any:
    """simple-salesforce's Bulk 2.0 handle for ``sobject`` (untyped there)."""
    return getattr(sf.bulk2, sobject)


def _rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _dicts(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _accounts(org: RunningOrg, prefix: str, count: int, **fields: Any) -> list[str]:
    state = org.state
    return [
        state.dml.create(
            "Account",
            {"Name": f"{prefix} {number:03d}", **fields},
            user_id=state.admin.user_id,
        )
        for number in range(count)
    ]


def _wait(api: Api, kind: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info: dict[str, Any] = api.get(f"jobs/{kind}/{job_id}").json()
        if info["state"] in FINISHED:
            return info
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def _query_job(api: Api, soql: str, **options: Any) -> dict[str, Any]:
    body = {"operation": "query", "query": soql, **options}
    response = api.request("POST", "jobs/query", json=body)
    assert response.status_code == 200, response.text
    return _wait(api, "query", response.json()["id"])


def _ingest_job(api: Api, csv_text: str | bytes, **options: Any) -> dict[str, Any]:
    """Create, upload, close and wait for an ingest job; its final info."""
    body = {"object": "Account", "operation": "insert", **options}
    created = api.request("POST", "jobs/ingest/", json=body)
    assert created.status_code == 200, created.text
    job_id = created.json()["id"]
    data = csv_text.encode() if isinstance(csv_text, str) else csv_text
    upload = api.request(
        "PUT",
        f"jobs/ingest/{job_id}/batches/",
        data=data,
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    closed = api.request(
        "PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"}
    )
    assert closed.status_code == 200
    assert closed.json()["state"] == "UploadComplete"
    return _wait(api, "ingest", job_id)


# --- query jobs -------------------------------------------------------------------


def test_query_pages_through_every_row(org: RunningOrg, sf: Salesforce) -> None:
    prefix = _unique("BulkPaged")
    _accounts(org, prefix, 7)
    soql = f"SELECT Id, Name FROM Account WHERE Name LIKE '{prefix}%' ORDER BY Name"
    pages = list(_bulk(sf).query(soql, max_records=3, wait=0))
    assert [len(_rows(page)) - 1 for page in pages] == [3, 3, 1]
    names = [row[1] for page in pages for row in _rows(page)[1:]]
    assert names == [f"{prefix} {n:03d}" for n in range(7)]
    assert all(_rows(page)[0] == ["Id", "Name"] for page in pages)


def test_query_all_includes_deleted_rows(org: RunningOrg, sf: Salesforce) -> None:
    prefix = _unique("BulkDeleted")
    record_ids = _accounts(org, prefix, 3)
    _sobject(sf).delete(record_ids[0])
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Name LIKE '{prefix}%'"
    live = [row for page in _bulk(sf).query(soql, wait=0) for row in _dicts(page)]
    every = [row for page in _bulk(sf).query_all(soql, wait=0) for row in _dicts(page)]
    assert len(live) == 2
    assert {row["Id"] for row in every} == set(record_ids)
    assert {row["Id"]: row["IsDeleted"] for row in every}[record_ids[0]] == "true"


def test_download_writes_one_file_per_page(
    org: RunningOrg, sf: Salesforce, tmp_path: Path
) -> None:
    prefix = _unique("BulkDownload")
    _accounts(org, prefix, 5)
    soql = f"SELECT Name FROM Account WHERE Name LIKE '{prefix}%' ORDER BY Name"
    results = _bulk(sf).download(soql, str(tmp_path), max_records=2, wait=0)
    assert [result["number_of_records"] for result in results] == [2, 2, 1]
    texts = [Path(result["file"]).read_text() for result in results]
    assert texts[0] == f'"Name"\n"{prefix} 000"\n"{prefix} 001"\n'


def test_results_quote_every_value_and_leave_nulls_empty(
    org: RunningOrg, api: Api
) -> None:
    prefix = _unique("BulkValues")
    _accounts(org, prefix, 1, NumberOfEmployees=12, AnnualRevenue=2500)
    soql = (
        "SELECT Name, NumberOfEmployees, AnnualRevenue, Phone, Owner.Name, "
        f"CreatedDate FROM Account WHERE Name LIKE '{prefix}%'"
    )
    job = _query_job(api, soql)
    text = api.get(f"jobs/query/{job['id']}/results").text
    header, row = text.splitlines()
    assert header == (
        '"Name","NumberOfEmployees","AnnualRevenue","Phone","Owner.Name","CreatedDate"'
    )
    values = _rows(text)[1]
    assert values[:4] == [f"{prefix} 000", "12", "2500", ""]
    assert values[4]
    assert row.startswith(f'"{prefix} 000","12","2500","",')
    assert datetime.strptime(values[5], "%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize(
    ("delimiter", "char", "ending", "newline"),
    [
        ("PIPE", "|", "CRLF", "\r\n"),
        ("TAB", "\t", "LF", "\n"),
        ("CARET", "^", "LF", "\n"),
    ],
)
def test_query_uses_the_jobs_delimiter_and_line_ending(
    org: RunningOrg, api: Api, delimiter: str, char: str, ending: str, newline: str
) -> None:
    prefix = _unique("BulkFormat")
    _accounts(org, prefix, 2)
    soql = f"SELECT Name, Id FROM Account WHERE Name LIKE '{prefix}%' ORDER BY Name"
    job = _query_job(api, soql, columnDelimiter=delimiter, lineEnding=ending)
    assert job["columnDelimiter"] == delimiter
    text = api.get(f"jobs/query/{job['id']}/results").text
    lines = text.split(newline)
    assert lines[0] == f'"Name"{char}"Id"'
    assert len(lines) == 4
    assert lines[-1] == ""


def test_results_headers_and_locators(org: RunningOrg, api: Api) -> None:
    prefix = _unique("BulkLocator")
    _accounts(org, prefix, 5)
    job = _query_job(api, f"SELECT Id FROM Account WHERE Name LIKE '{prefix}%'")
    assert job["numberRecordsProcessed"] == 5
    first = api.get(f"jobs/query/{job['id']}/results", params={"maxRecords": 4})
    assert first.headers["Sforce-NumberOfRecords"] == "4"
    assert first.headers["Content-Type"].startswith("text/csv")
    locator = first.headers["Sforce-Locator"]
    assert locator not in ("", "null")
    rest = api.get(
        f"jobs/query/{job['id']}/results/",
        params={"maxRecords": 4, "locator": locator},
    )
    assert rest.headers["Sforce-NumberOfRecords"] == "1"
    assert rest.headers["Sforce-Locator"] == "null"
    for bad in ({"locator": "not-a-locator"}, {"maxRecords": "0"}):
        response = api.get(f"jobs/query/{job['id']}/results", params=bad)
        assert response.status_code == 400


def test_query_job_info_list_and_delete(
    org: RunningOrg, api: Api, sf: Salesforce
) -> None:
    job = _query_job(api, "SELECT Id FROM Account LIMIT 3")
    assert job["state"] == "JobComplete"
    assert job["jobType"] == "V2Query"
    assert job["operation"] == "query"
    assert job["object"] == "Account"
    assert job["id"].startswith("750")
    assert job["apiVersion"] == 59.0
    assert job["numberRecordsProcessed"] == 3
    assert job["createdById"] == org.state.admin.user_id
    assert datetime.strptime(job["createdDate"], "%Y-%m-%dT%H:%M:%S.%f%z")

    listed = api.get("jobs/query").json()
    assert listed["done"] is True
    assert job["id"] in {record["id"] for record in listed["records"]}

    aborted = api.request("PATCH", f"jobs/query/{job['id']}", json={"state": "Aborted"})
    assert aborted.status_code == 409
    assert aborted.json()[0]["errorCode"] == "INVALIDJOBSTATE"

    deleted = _bulk(sf)._client.delete_job(job["id"], True)
    assert deleted["id"] == job["id"]
    missing = api.get(f"jobs/query/{job['id']}")
    assert missing.status_code == 404
    assert missing.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


@pytest.mark.parametrize(
    ("soql", "detail"),
    [
        (
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
            "Aggregate Relationships",
        ),
        ("SELECT COUNT() FROM Account", "Aggregate"),
        ("SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry", "GROUP BY"),
        ("SELECT Id FROM Account LIMIT 5 OFFSET 2", "OFFSET"),
        ("SELECT TYPEOF What WHEN Account THEN Name END FROM Task", "TYPEOF"),
        ("SELECT BillingAddress FROM Account", "Compound field BillingAddress"),
        ("SELECT Account.BillingAddress FROM Contact", "Compound field"),
    ],
)
def test_unsupported_soql_is_refused_at_creation(
    api: Api, soql: str, detail: str
) -> None:
    response = api.request(
        "POST", "jobs/query", json={"operation": "query", "query": soql}
    )
    assert response.status_code == 400
    error = response.json()[0]
    assert error["errorCode"] == "API_ERROR"
    assert detail in error["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"operation": "query", "query": "SELECT FROM Account"}, "MALFORMED_QUERY"),
        ({"operation": "query", "query": "SELECT Nope FROM Account"}, "INVALID_FIELD"),
        ({"operation": "query", "query": "SELECT Id FROM Nope"}, "INVALID_TYPE"),
        ({"operation": "insert", "query": "SELECT Id FROM Account"}, "INVALIDJOB"),
        ({"operation": "query"}, "INVALIDJOB"),
        (
            {
                "operation": "query",
                "query": "SELECT Id FROM Account",
                "lineEnding": "CR",
            },
            "INVALIDJOB",
        ),
    ],
)
def test_bad_query_jobs_are_refused(api: Api, body: dict[str, Any], code: str) -> None:
    response = api.request("POST", "jobs/query", json=body)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_refusals_need_a_session_and_a_json_body(org: RunningOrg, api: Api) -> None:
    anonymous = org.session().post(f"{api.base}/jobs/query", json={}, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    garbage = api.request("POST", "jobs/ingest", data=b"{not json")
    assert garbage.status_code == 400
    assert garbage.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert api.get("jobs/query/750000000000000AAA").status_code == 404
    assert api.request("POST", "jobs/query/extra/path").status_code == 404


def test_base64_fields_are_refused() -> None:
    describe = {
        "name": "Attachment",
        "keyPrefix": "00P",
        "fields": [
            {"name": "Id", "type": "id", "label": "Id"},
            {"name": "Body", "type": "base64", "label": "Body"},
        ],
    }
    schema = Schema([SObjectDef.from_describe(describe)])
    with pytest.raises(ApiError) as caught:
        check_bulk_query(parse("SELECT Id, Body FROM Attachment"), schema)
    assert "Blob field not supported" in caught.value.message


# --- ingest jobs ------------------------------------------------------------------


def test_insert_creates_records_and_reports_them(
    org: RunningOrg, sf: Salesforce
) -> None:
    prefix = _unique("BulkInsert")
    records = [
        {"Name": f"{prefix} {n}", "NumberOfEmployees": str(n), "Industry": "Energy"}
        for n in range(5)
    ]
    [result] = _bulk(sf).insert(records=records, wait=0)
    assert result["numberRecordsProcessed"] == 5
    assert result["numberRecordsFailed"] == 0
    assert result["numberRecordsTotal"] == 5

    found = sf.query(
        f"SELECT Name, NumberOfEmployees FROM Account WHERE Name LIKE '{prefix}%'"
    )
    assert found["totalSize"] == 5
    successes = _dicts(_bulk(sf).get_successful_records(result["job_id"]))
    assert len(successes) == 5
    assert all(row["sf__Created"] == "true" for row in successes)
    assert {row["Name"] for row in successes} == {r["Name"] for r in records}
    assert all(row["sf__Id"].startswith("001") for row in successes)
    assert _dicts(_bulk(sf).get_failed_records(result["job_id"])) == []


def test_insert_refuses_an_id_per_row(api: Api) -> None:
    prefix = _unique("BulkInsertId")
    info = _ingest_job(api, f"Id,Name\n,{prefix} a\n001000000000000AAA,{prefix} b\n")
    assert info["numberRecordsFailed"] == 1
    failed = _dicts(api.get(f"jobs/ingest/{info['id']}/failedResults").text)
    assert failed[0]["sf__Error"] == (
        "INVALID_FIELD_FOR_INSERT_UPDATE:cannot specify Id in an insert call:Id --"
    )
    assert failed[0]["sf__Id"] == "001000000000000AAA"


def test_row_errors_use_salesforces_format(sf: Salesforce) -> None:
    prefix = _unique("BulkErrors")
    records = [
        {"Name": f"{prefix} ok", "NumberOfEmployees": "3"},
        {"Name": "", "NumberOfEmployees": "4"},
        {"Name": f"{prefix} bad number", "NumberOfEmployees": "many"},
    ]
    [result] = _bulk(sf).insert(records=records, wait=0)
    assert result["numberRecordsProcessed"] == 3
    assert result["numberRecordsFailed"] == 2
    failed = _dicts(_bulk(sf).get_failed_records(result["job_id"]))
    assert [row["NumberOfEmployees"] for row in failed] == ["4", "many"]
    assert failed[0]["sf__Error"] == (
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"
    )
    assert failed[0]["sf__Id"] == ""
    assert failed[1]["sf__Error"].startswith("JSON_PARSER_ERROR:")
    everything = _bulk(sf).get_all_ingest_records(result["job_id"])
    assert len(everything["successfulRecords"]) == 1
    assert everything["unprocessedRecords"] == []


def test_update_with_empty_and_null_markers(org: RunningOrg, sf: Salesforce) -> None:
    prefix = _unique("BulkUpdate")
    record_ids = _accounts(org, prefix, 2, Phone="555-0100", Industry="Retail")
    records = [
        {"Id": record_ids[0], "Phone": "#N/A", "Industry": ""},
        {"Id": record_ids[1], "Phone": "555-0199", "Industry": "Banking"},
    ]
    [result] = _bulk(sf).update(records=records, wait=0)
    assert result["numberRecordsFailed"] == 0
    first, second = (_sobject(sf).get(record_id) for record_id in record_ids)
    assert first["Phone"] is None
    assert first["Industry"] == "Retail"
    assert second["Phone"] == "555-0199"
    assert second["Industry"] == "Banking"
    successes = _dicts(_bulk(sf).get_successful_records(result["job_id"]))
    assert {row["sf__Id"] for row in successes} == set(record_ids)
    assert {row["sf__Created"] for row in successes} == {"false"}


def test_update_of_a_missing_or_bad_id_fails_that_row(
    org: RunningOrg, sf: Salesforce
) -> None:
    [kept] = _accounts(org, _unique("BulkUpdateBad"), 1)
    _sobject(sf).delete(kept)
    records = [
        {"Id": "001000000000000AAA", "Name": "x"},
        {"Id": "not-an-id", "Name": "y"},
        {"Id": kept, "Name": "z"},
    ]
    [result] = _bulk(sf).update(records=records, wait=0)
    assert result["numberRecordsFailed"] == 3
    errors = [
        row["sf__Error"]
        for row in _dicts(_bulk(sf).get_failed_records(result["job_id"]))
    ]
    assert errors[0].startswith("INVALID_CROSS_REFERENCE_KEY:")
    assert errors[1].startswith("MALFORMED_ID:")
    assert errors[2].startswith("ENTITY_IS_DELETED:")


def test_upsert_on_id_creates_and_updates(org: RunningOrg, sf: Salesforce) -> None:
    prefix = _unique("BulkUpsertId")
    [existing] = _accounts(org, prefix, 1)
    records = [
        {"Id": existing, "Name": f"{prefix} renamed"},
        {"Id": "", "Name": f"{prefix} new"},
    ]
    [result] = _bulk(sf).upsert(records=records, external_id_field="Id", wait=0)
    assert result["numberRecordsFailed"] == 0
    successes = _dicts(_bulk(sf).get_successful_records(result["job_id"]))
    assert [row["sf__Created"] for row in successes] == ["false", "true"]
    assert _sobject(sf).get(existing)["Name"] == f"{prefix} renamed"
    assert _sobject(sf).get(successes[1]["sf__Id"])["Name"] == f"{prefix} new"


@pytest.fixture(scope="module")
def ext_sf(unique_external_id_org: RunningOrg) -> Salesforce:
    """simple-salesforce on an org whose Account has an external id field."""
    return Salesforce(
        instance_url=unique_external_id_org.instance_url,
        session_id=unique_external_id_org.access_token(),
        session=unique_external_id_org.session(),
    )


def test_upsert_by_an_external_id_field(ext_sf: Salesforce) -> None:
    key = f"EXT-{next(_names)}"
    first = [{"External_Id__c": key, "Name": "Before"}]
    [created] = _bulk(ext_sf).upsert(
        records=first, external_id_field="External_Id__c", wait=0
    )
    assert created["numberRecordsFailed"] == 0
    second = [
        {"External_Id__c": key, "Name": "After"},
        {"External_Id__c": "", "Name": "Nameless"},
        {
            "External_Id__c": f"{key}-child",
            "Name": "Child",
            "Parent.External_Id__c": key,
        },
    ]
    [updated] = _bulk(ext_sf).upsert(
        records=second, external_id_field="External_Id__c", wait=0
    )
    assert updated["numberRecordsProcessed"] == 3
    assert updated["numberRecordsFailed"] == 1
    found = ext_sf.query(
        f"SELECT Name, Parent.Name FROM Account WHERE External_Id__c LIKE '{key}%' "
        "ORDER BY Name"
    )
    assert [r["Name"] for r in found["records"]] == ["After", "Child"]
    assert found["records"][1]["Parent"]["Name"] == "After"
    successes = _dicts(_bulk(ext_sf).get_successful_records(updated["job_id"]))
    assert [row["sf__Created"] for row in successes] == ["false", "true"]
    failed = _dicts(_bulk(ext_sf).get_failed_records(updated["job_id"]))
    assert failed[0]["sf__Error"] == (
        "MISSING_ARGUMENT:External_Id__c not specified:External_Id__c --"
    )


def test_relationship_columns_resolve_parents(
    org: RunningOrg, sf: Salesforce, api: Api
) -> None:
    username = org.username
    prefix = _unique("BulkRelation")
    text = (
        "LastName,Owner.Username\n"
        f"{prefix} a,{username}\n"
        f"{prefix} b,nobody@example.com\n"
    )
    info = _ingest_job(api, text, object="Contact")
    assert info["numberRecordsProcessed"] == 2
    assert info["numberRecordsFailed"] == 1
    failed = _dicts(api.get(f"jobs/ingest/{info['id']}/failedResults").text)
    assert failed[0]["sf__Error"].startswith(
        "INVALID_FIELD:Foreign key external ID: nobody@example.com not found"
    )
    found = sf.query(f"SELECT OwnerId FROM Contact WHERE LastName = '{prefix} a'")
    assert found["records"][0]["OwnerId"] == org.state.admin.user_id


def test_delete_and_hard_delete(org: RunningOrg, sf: Salesforce) -> None:
    prefix = _unique("BulkDelete")
    soft = _accounts(org, prefix + " soft", 2)
    hard = _accounts(org, prefix + " hard", 2)
    [deleted] = _bulk(sf).delete(records=[{"Id": i} for i in soft], wait=0)
    [removed] = _bulk(sf).hard_delete(records=[{"Id": i} for i in hard], wait=0)
    assert deleted["numberRecordsFailed"] == removed["numberRecordsFailed"] == 0
    every = sf.query_all(
        f"SELECT Id, IsDeleted FROM Account WHERE Name LIKE '{prefix}%'",
        include_deleted=True,
    )
    assert {r["Id"]: r["IsDeleted"] for r in every["records"]} == dict.fromkeys(
        soft, True
    )
    assert org.state.store.get("Account", hard[0], include_deleted=True) is None


@pytest.mark.parametrize(
    ("options", "text", "message"),
    [
        ({}, "Name,Nope\nA,B\n", "InvalidBatch : Field name not found : Nope"),
        ({}, "Name\r\nA\r\n", "LineEnding is invalid on user data. Current LineEnding"),
        ({"lineEnding": "CRLF"}, "Name\nA\n", "Current LineEnding setting is CRLF"),
        ({}, 'Name,Phone\n"unclosed,1\n', "ClientInputError"),
        ({}, "Name,Phone\nA\n", "Row 2 has 1 values but the header has 2 columns"),
        ({"operation": "delete"}, "Id,Name\n001,x\n", "must contain only 'Id'"),
        ({}, "Name,name\nA,B\n", "Duplicate field name"),
        ({}, b"Name\n\xff\xfe\n", "not valid UTF-8"),
    ],
)
def test_unreadable_csv_fails_the_job(
    api: Api, options: dict[str, Any], text: str | bytes, message: str
) -> None:
    info = _ingest_job(api, text, **options)
    assert info["state"] == "Failed"
    assert message in info["errorMessage"]
    unprocessed = api.get(f"jobs/ingest/{info['id']}/unprocessedRecords")
    assert unprocessed.status_code == 200
    assert unprocessed.content.strip()


def test_a_failed_job_raises_in_simple_salesforce(sf: Salesforce) -> None:
    with pytest.raises(SalesforceOperationError, match="Field name not found"):
        _bulk(sf).insert(records=[{"Name": "x", "Bogus__c": "y"}], wait=0)


def test_alternative_delimiters_for_uploads(api: Api, sf: Salesforce) -> None:
    prefix = _unique("BulkSemicolon")
    text = f'Name;Description\r\n"{prefix}";"a;b"\r\n'
    info = _ingest_job(api, text, columnDelimiter="SEMICOLON", lineEnding="CRLF")
    assert info["state"] == "JobComplete"
    assert info["numberRecordsFailed"] == 0
    found = sf.query(f"SELECT Description FROM Account WHERE Name = '{prefix}'")
    assert found["records"][0]["Description"] == "a;b"
    successes = api.get(f"jobs/ingest/{info['id']}/successfulResults").text
    assert successes.startswith('"sf__Id";"sf__Created";"Name";"Description"\r\n')


def test_ingest_job_lifecycle_and_conflicts(api: Api) -> None:
    created = api.request(
        "POST", "jobs/ingest", json={"object": "Account", "operation": "insert"}
    ).json()
    job_id = created["id"]
    assert created["state"] == "Open"
    assert created["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job_id}/batches"
    assert created["contentType"] == "CSV"
    info = api.get(f"jobs/ingest/{job_id}").json()
    assert info["jobType"] == "V2Ingest"
    assert info["numberRecordsProcessed"] == 0

    url = f"jobs/ingest/{job_id}/batches"
    assert api.request("PUT", url, data=b"Name\nx\n").status_code == 201
    again = api.request("PUT", url, data=b"Name\ny\n")
    assert again.status_code == 409
    assert "Found multiple contents for job" in again.json()[0]["message"]
    early = api.request("DELETE", f"jobs/ingest/{job_id}")
    assert early.status_code == 409

    aborted = api.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    closed = api.request(
        "PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"}
    )
    assert closed.status_code == 409
    assert api.request("PUT", url, data=b"Name\nz\n").status_code == 409
    for segment in ("unprocessedrecords", "unprocessedRecords"):
        unprocessed = api.get(f"jobs/ingest/{job_id}/{segment}")
        assert unprocessed.text == '"Name"\n"x"\n'

    listed = api.get("jobs/ingest", params={"jobType": "V2Ingest"}).json()
    assert job_id in {record["id"] for record in listed["records"]}
    assert api.get("jobs/ingest", params={"jobType": "Classic"}).json()["records"] == []
    assert api.request("DELETE", f"jobs/ingest/{job_id}").status_code == 200
    assert api.get(f"jobs/ingest/{job_id}").status_code == 404


def test_aborting_a_running_job_leaves_the_rest_unprocessed(api: Api) -> None:
    prefix = _unique("BulkAbort")
    total = 2000
    job_id = api.request(
        "POST", "jobs/ingest", json={"object": "Account", "operation": "insert"}
    ).json()["id"]
    rows = "".join(f"{prefix} {n}\n" for n in range(total))
    api.request("PUT", f"jobs/ingest/{job_id}/batches", data=f"Name\n{rows}".encode())
    api.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    abort = api.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "Aborted"})
    info = _wait(api, "ingest", job_id)
    unprocessed = api.get(f"jobs/ingest/{job_id}/unprocessedrecords").text
    processed = info["numberRecordsProcessed"]
    if abort.status_code == 200:
        assert info["state"] == "Aborted"
        assert processed < total
    else:  # the worker was faster than the abort
        assert (
            abort.json()[0]["message"] == "Aborting already Completed Job not allowed"
        )
    assert processed + len(unprocessed.splitlines()) - 1 == total


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"object": "Nope", "operation": "insert"}, "INVALIDJOB"),
        ({"object": "Account", "operation": "merge"}, "INVALIDJOB"),
        ({"object": "Account", "operation": "upsert"}, "INVALIDJOB"),
        (
            {"object": "Account", "operation": "upsert", "externalIdFieldName": "Name"},
            "INVALIDJOB",
        ),
        (
            {"object": "Account", "operation": "insert", "contentType": "JSON"},
            "INVALIDJOB",
        ),
        (
            {"object": "Account", "operation": "insert", "columnDelimiter": "X"},
            "INVALIDJOB",
        ),
    ],
)
def test_bad_ingest_jobs_are_refused(api: Api, body: dict[str, Any], code: str) -> None:
    response = api.request("POST", "jobs/ingest", json=body)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_closing_without_an_upload_fails_the_job(api: Api) -> None:
    job_id = api.request(
        "POST", "jobs/ingest", json={"object": "Account", "operation": "insert"}
    ).json()["id"]
    api.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    info = _wait(api, "ingest", job_id)
    assert info["state"] == "Failed"
    assert "No data was uploaded" in info["errorMessage"]
    empty = api.request("PUT", f"jobs/ingest/{job_id}/batches", data=b"  ")
    assert empty.status_code == 400


# --- durability -------------------------------------------------------------------


def test_jobs_survive_a_restart_and_resume(tmp_path: Path) -> None:
    data_dir = tmp_path / "org"
    with start(data=data_dir) as first:
        api = Api(first)
        prefix = _unique("BulkRestart")
        query = _query_job(api, "SELECT Id FROM User")
        done = _ingest_job(api, f"Name\n{prefix} done\n")
        pending = api.request(
            "POST", "jobs/ingest", json={"object": "Account", "operation": "insert"}
        ).json()["id"]
        rows = "".join(f"{prefix} later {n}\n" for n in range(450))
        api.request(
            "PUT", f"jobs/ingest/{pending}/batches", data=f"Name\n{rows}".encode()
        )

    # As if the process died right after the client closed the upload.
    with sqlite3.connect(data_dir / "org.sqlite") as conn:
        conn.execute(
            "UPDATE _bulk_jobs SET state = 'UploadComplete' WHERE id = ?", (pending,)
        )

    with start(data=data_dir) as second:
        api = Api(second)
        assert api.get(f"jobs/query/{query['id']}").json()["state"] == "JobComplete"
        results = api.get(f"jobs/query/{query['id']}/results")
        assert results.headers["Sforce-NumberOfRecords"] == str(
            query["numberRecordsProcessed"]
        )
        kept = api.get(f"jobs/ingest/{done['id']}/successfulResults").text
        assert f"{prefix} done" in kept
        resumed = _wait(api, "ingest", pending)
        assert resumed["state"] == "JobComplete"
        assert resumed["numberRecordsProcessed"] == 450
        count = second.state.store.execute(
            'SELECT count(*) FROM "Account" WHERE "Name" LIKE ?', (f"{prefix} later%",)
        )[0][0]
        assert count == 450


def test_an_abort_keeps_the_counts_saved_after_the_request_read_the_job(
    org: RunningOrg,
) -> None:
    # The abort request reads the job, then the worker saves another chunk, then
    # the abort takes the lock: the chunk's counts must survive the abort.
    from sfmagic.emulator.bulk.service import BulkService

    service = BulkService(org.state)
    try:
        job = service.create_ingest_job(
            {"object": "Account", "operation": "insert"},
            user_id=org.state.admin.user_id,
            api_version="68.0",
        )
        seen_by_request = service.jobs.get(job.id)
        with service.jobs.write() as conn:
            service.jobs.update(
                conn, seen_by_request, state="InProgress", records_processed=400
            )
        aborted = service._abort(seen_by_request)
        stored = service.jobs.get(job.id)
        assert (aborted.state, aborted.records_processed) == ("Aborted", 400)
        assert (stored.state, stored.records_processed) == ("Aborted", 400)
    finally:
        service.stop()
