"""The Tooling API over HTTPS: describes, queries and paging of its own objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from sfmagic.emulator import start
from sfmagic.emulator.org import RunningOrg
from tests.emulator.conftest import CLIENT_VERSION, Api

pytestmark = pytest.mark.live

# More custom objects than a page of 200 rows holds, so that paging shows.
CUSTOM_OBJECTS = 210


def _custom_name(number: int) -> str:
    return f"Gadget{number:03d}__c"


@pytest.fixture(scope="module")
def many_objects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOrg]:
    """A live org with CUSTOM_OBJECTS custom objects (more than one page)."""
    objects = {
        _custom_name(number): {
            "label": f"Gadget {number:03d}",
            "plural_label": f"Gadgets {number:03d}",
            "key_prefix": f"{'xyz'[number // 100]}{number % 100:02d}",
        }
        for number in range(CUSTOM_OBJECTS)
    }
    schema_file = tmp_path_factory.mktemp("tooling") / "schema.json"
    schema_file.write_text(json.dumps({"objects": objects}), encoding="utf-8")
    with start(schema_file=schema_file) as running:
        yield running


@pytest.fixture(scope="module")
def gadgets(many_objects: RunningOrg) -> Salesforce:
    return Salesforce(
        instance_url=many_objects.instance_url,
        session_id=many_objects.access_token(),
        session=many_objects.session(),
    )


def _tooling_query(sf: Salesforce, soql: str) -> dict[str, Any]:
    result: dict[str, Any] = sf.toolingexecute("query/", params={"q": soql})
    return result


def test_the_resource_index_leads_to_the_tooling_resources(api: Api) -> None:
    index = api.get("").json()
    assert index["tooling"] == f"/services/data/v{CLIENT_VERSION}/tooling"
    tooling = api.get(index["tooling"] + "/").json()
    assert tooling == {
        "sobjects": f"/services/data/v{CLIENT_VERSION}/tooling/sobjects",
        "query": f"/services/data/v{CLIENT_VERSION}/tooling/query",
    }
    assert api.get(tooling["sobjects"]).status_code == 200


def test_describe_global_lists_the_tooling_objects_only(sf: Salesforce) -> None:
    result = sf.toolingexecute("sobjects")
    by_name = {entry["name"]: entry for entry in result["sobjects"]}
    assert set(by_name) == {"ApexClass", "EntityDefinition"}
    entity = by_name["EntityDefinition"]
    assert entity["queryable"] is True
    assert entity["createable"] is False
    assert entity["keyPrefix"] is None
    assert entity["urls"]["describe"] == (
        f"/services/data/v{CLIENT_VERSION}/tooling/sobjects/EntityDefinition/describe"
    )
    assert by_name["ApexClass"]["keyPrefix"] == "01p"


def test_describe_gives_the_documented_field_types(sf: Salesforce) -> None:
    result = sf.toolingexecute("sobjects/EntityDefinition/describe")
    types = {field["name"]: field["type"] for field in result["fields"]}
    assert types == {
        "Id": "id",
        "DurableId": "string",
        "QualifiedApiName": "string",
        "DeveloperName": "string",
        "Label": "string",
        "PluralLabel": "string",
        "KeyPrefix": "string",
        "IsCustomizable": "boolean",
        "IsQueryable": "boolean",
        "NamespacePrefix": "string",
    }
    assert not any(field["createable"] for field in result["fields"])
    apex = sf.toolingexecute("sobjects/ApexClass/describe")
    apex_types = {field["name"]: field["type"] for field in apex["fields"]}
    assert apex_types["ApiVersion"] == "double"
    assert apex_types["LengthWithoutComments"] == "int"
    assert apex_types["Body"] == "textarea"


def test_query_answers_one_row_per_object_of_the_org(sf: Salesforce) -> None:
    result = _tooling_query(
        sf,
        "SELECT DurableId, QualifiedApiName, DeveloperName, Label, PluralLabel, "
        "KeyPrefix, IsCustomizable, IsQueryable, NamespacePrefix "
        "FROM EntityDefinition WHERE QualifiedApiName = 'Account'",
    )
    assert result["totalSize"] == 1
    (record,) = result["records"]
    assert record["attributes"]["type"] == "EntityDefinition"
    assert record["attributes"]["url"].startswith(
        f"/services/data/v{CLIENT_VERSION}/tooling/sobjects/EntityDefinition/"
    )
    del record["attributes"]
    assert record == {
        "DurableId": "Account",
        "QualifiedApiName": "Account",
        "DeveloperName": "Account",
        "Label": "Account",
        "PluralLabel": "Accounts",
        "KeyPrefix": "001",
        "IsCustomizable": True,
        "IsQueryable": True,
        "NamespacePrefix": None,
    }
    everything = _tooling_query(sf, "SELECT QualifiedApiName FROM EntityDefinition")
    data_objects = {entry["name"] for entry in sf.describe()["sobjects"]}
    names = {record["QualifiedApiName"] for record in everything["records"]}
    assert names == data_objects


def test_where_order_by_and_limit(sf: Salesforce) -> None:
    result = _tooling_query(
        sf,
        "SELECT QualifiedApiName, KeyPrefix FROM EntityDefinition "
        "WHERE KeyPrefix LIKE '00%' AND IsQueryable = true "
        "ORDER BY QualifiedApiName DESC LIMIT 3",
    )
    names = [record["QualifiedApiName"] for record in result["records"]]
    prefixed = sorted(
        (
            entry["name"]
            for entry in sf.describe()["sobjects"]
            if (entry["keyPrefix"] or "").startswith("00") and entry["queryable"]
        ),
        key=str.lower,
        reverse=True,
    )
    assert names == prefixed[:3]
    assert result["totalSize"] == 3


def test_apex_class_has_no_rows(sf: Salesforce) -> None:
    result = _tooling_query(
        sf,
        "SELECT Id, Name, Status, ApiVersion, LengthWithoutComments FROM ApexClass",
    )
    assert result == {"totalSize": 0, "done": True, "records": []}


def test_custom_objects_appear_and_page(
    many_objects: RunningOrg, gadgets: Salesforce
) -> None:
    first = gadgets.toolingexecute(
        "query/",
        params={
            "q": "SELECT QualifiedApiName, DeveloperName, DurableId, Label, KeyPrefix "
            "FROM EntityDefinition ORDER BY QualifiedApiName"
        },
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    data_objects = {entry["name"] for entry in gadgets.describe()["sobjects"]}
    assert first["totalSize"] == len(data_objects)
    assert len(first["records"]) == 200
    assert first["done"] is False
    next_url = first["nextRecordsUrl"]
    assert next_url.startswith(f"/services/data/v{CLIENT_VERSION}/tooling/query/01g")
    second = gadgets.toolingexecute(next_url.split("/tooling/", 1)[1])
    assert second["done"] is True
    records = first["records"] + second["records"]
    names = [record["QualifiedApiName"] for record in records]
    assert names == sorted(data_objects, key=str.lower)
    gadget = next(r for r in records if r["QualifiedApiName"] == _custom_name(7))
    assert gadget["DeveloperName"] == "Gadget007"
    assert gadget["Label"] == "Gadget 007"
    assert gadget["KeyPrefix"] == "x07"
    assert gadget["DurableId"].startswith("01I")
    # The same path of the data API knows no such locator.
    api = Api(many_objects)
    response = api.get(next_url.replace("/tooling/", "/"))
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_data_objects_are_refused_by_the_tooling_api(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        _tooling_query(sf, "SELECT Id FROM Account")
    (error,) = caught.value.content
    assert error["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'Account' is not supported." in error["message"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.toolingexecute("sobjects/Account/describe")


def test_tooling_objects_are_refused_by_the_data_api(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM EntityDefinition")
    (error,) = caught.value.content
    assert error["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'EntityDefinition' is not supported." in error["message"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/ApexClass/describe")
    names = {entry["name"] for entry in sf.describe()["sobjects"]}
    assert not {"EntityDefinition", "ApexClass"} & names


def test_tooling_requests_need_a_session(org: RunningOrg) -> None:
    base = f"{org.instance_url}/services/data/v{CLIENT_VERSION}/tooling"
    http = org.session()
    for path in ("/sobjects", "/sobjects/EntityDefinition/describe", "/query/"):
        response = http.get(
            base + path, params={"q": "SELECT Id FROM ApexClass"}, timeout=30
        )
        assert response.status_code == 401
        assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_an_unknown_tooling_locator_is_refused(api: Api) -> None:
    response = api.get("tooling/query/01gNOSUCHLOCATOR00-200")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
