"""The data API's protocol: versions, routing, sessions, errors, headers, limits."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from sfmagic.emulator import start
from sfmagic.emulator.org import RunningOrg
from sfmagic.emulator.settings import API_VERSIONS, OrgSettings
from tests.emulator.conftest import Api

pytestmark = pytest.mark.live

NOT_FOUND = [
    {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
]
INVALID_SESSION = [
    {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
]


def test_version_list_needs_no_session(org: RunningOrg) -> None:
    http = org.session()
    for path in ("/services/data/", "/services/data"):
        response = http.get(org.instance_url + path, timeout=30)
        assert response.status_code == 200
        versions = response.json()
        assert [v["version"] for v in versions] == list(API_VERSIONS)
        assert versions[9] == {
            "label": "Winter '24",
            "url": "/services/data/v59.0",
            "version": "59.0",
        }
        assert versions[-1]["label"] == "Winter '27"


@pytest.mark.parametrize(
    ("version", "label"),
    [("50.0", "Winter '21"), ("51.0", "Spring '21"), ("61.0", "Summer '24")],
)
def test_version_labels(org: RunningOrg, version: str, label: str) -> None:
    versions = org.session().get(org.instance_url + "/services/data/", timeout=30)
    assert {
        "label": label,
        "url": f"/services/data/v{version}",
        "version": version,
    } in (versions.json())


def test_resource_index_lists_the_data_resources(api: Api) -> None:
    for path in (api.base, api.base + "/"):
        index = api.get(path).json()
        assert index["sobjects"] == "/services/data/v59.0/sobjects"
        assert index["query"] == "/services/data/v59.0/query"
        assert index["queryAll"] == "/services/data/v59.0/queryAll"
        assert index["limits"] == "/services/data/v59.0/limits"


@pytest.mark.parametrize("version", ["v49.0", "v69.0", "59.0", "vfoo", "v59"])
def test_unknown_version_is_not_found(api: Api, version: str) -> None:
    response = api.get(f"/services/data/{version}/sobjects")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/services",
        "/services/database",
        "/services/data/v59.0/nothing",
        "/services/data/v59.0/sobjects/Account/describe/layouts/x/y/z",
        "/services/data/v59.0//sobjects",
        "/services/data/v59.0/query/a/b",
    ],
)
def test_unknown_path_is_not_found(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer nope", "Basic dXNlcjpwYXNz", "Token x"],
)
def test_missing_or_bad_session_is_401_with_a_list_body(
    org: RunningOrg, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    url = f"{org.instance_url}/services/data/v59.0/limits/"
    response = org.session().get(url, headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.json() == INVALID_SESSION


def test_expired_session_raises_simple_salesforce_expired_session(
    org: RunningOrg,
) -> None:
    stale = Salesforce(
        instance_url=org.instance_url,
        session_id=org.state.identity.org_id[:15] + "!AQnotatoken",
        session=org.session(),
    )
    with pytest.raises(SalesforceExpiredSession) as caught:
        stale.query("SELECT Id FROM Account LIMIT 1")
    assert caught.value.content == INVALID_SESSION


def test_oauth_scheme_is_accepted_like_bearer(org: RunningOrg) -> None:
    headers = {"Authorization": f"OAuth {org.access_token()}"}
    url = f"{org.instance_url}/services/data/v59.0/limits/"
    assert org.session().get(url, headers=headers, timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "sobjects/Account/", "HEAD,GET,POST"),
        ("DELETE", "sobjects", "HEAD,GET"),
        ("POST", "query/?q=SELECT+Id+FROM+Account", "HEAD,GET"),
        ("PUT", "limits", "HEAD,GET"),
        ("POST", "sobjects/Account/describe", "HEAD,GET"),
    ],
)
def test_wrong_method_is_405(api: Api, method: str, path: str, allowed: str) -> None:
    response = api.request(method, path, json={})
    assert response.status_code == 405
    assert response.json() == [
        {
            "message": f"HTTP Method '{method}' not allowed. Allowed are {allowed}",
            "errorCode": "METHOD_NOT_ALLOWED",
        }
    ]


def test_405_surfaces_as_general_error_in_simple_salesforce(sf: Salesforce) -> None:
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.restful("sobjects/Account/", method="PATCH", json={})
    assert caught.value.status == 405
    assert caught.value.content[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_unknown_resource_raises_resource_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.restful("nothing/here")
    assert caught.value.content == NOT_FOUND


@pytest.mark.parametrize(
    "path",
    [
        "sobjects",
        "sobjects/",
        "sobjects/Account",
        "sobjects/Account/",
        "sobjects/Account/describe",
        "sobjects/Account/describe/",
        "limits",
        "limits/",
        "query?q=SELECT+Id+FROM+Account+LIMIT+1",
        "query/?q=SELECT+Id+FROM+Account+LIMIT+1",
        "queryAll?q=SELECT+Id+FROM+Account+LIMIT+1",
        "queryAll/?q=SELECT+Id+FROM+Account+LIMIT+1",
    ],
)
def test_both_trailing_slash_forms_are_served(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    response = api.request("HEAD", "limits/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


def test_every_data_response_carries_the_usage_header(api: Api, sf: Salesforce) -> None:
    for path in ("limits/", "nothing", "/services/data/"):
        header = api.get(path).headers["Sforce-Limit-Info"]
        used, total = header.removeprefix("api-usage=").split("/")
        assert int(used) > 0
        assert int(total) == 15000
    sf.limits()
    usage = sf.api_usage["api-usage"]
    assert usage.total == 15000
    assert usage.used > 0


def test_each_request_counts_once(api: Api) -> None:
    first = _used(api.get("limits/"))
    second = _used(api.get("limits/"))
    assert second == first + 1


def test_limits_agree_with_the_usage_header(api: Api, sf: Salesforce) -> None:
    response = api.get("limits/")
    limits = response.json()
    used = _used(response)
    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 15000 - used}
    for key in ("DataStorageMB", "FileStorageMB"):
        assert limits[key]["Remaining"] <= limits[key]["Max"]
    assert sf.limits()["DailyApiRequests"]["Max"] == 15000


def _used(response: requests.Response) -> int:
    header = response.headers["Sforce-Limit-Info"]
    return int(header.removeprefix("api-usage=").split("/")[0])


def test_requests_past_the_daily_limit_are_refused() -> None:
    with start(settings=OrgSettings(daily_api_limit=3)) as org:
        sf = Salesforce(
            instance_url=org.instance_url,
            session_id=org.access_token(),
            session=org.session(),
        )
        for _ in range(3):
            sf.limits()
        assert sf.api_usage["api-usage"].used == 3
        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.limits()
        assert caught.value.status == 403
        assert caught.value.content == [
            {
                "message": "TotalRequests Limit exceeded.",
                "errorCode": "REQUEST_LIMIT_EXCEEDED",
            }
        ]


def test_usage_can_be_set_to_show_exhaustion(org: RunningOrg, api: Api) -> None:
    usage = org.state.usage
    before = usage.used
    usage.set_used(usage.limit)
    try:
        response = api.get("limits/")
        assert response.status_code == 403
        assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        assert response.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"
    finally:
        usage.set_used(before)
    assert api.get("limits/").status_code == 200


def test_post_with_http_method_override_is_a_patch(api: Api) -> None:
    created = api.request("POST", "sobjects/Account/", json={"Name": "Override"})
    record_id = created.json()["id"]
    response = api.request(
        "POST",
        f"sobjects/Account/{record_id}?_HttpMethod=PATCH",
        json={"Name": "Overridden"},
    )
    assert response.status_code == 204
    assert api.get(f"sobjects/Account/{record_id}").json()["Name"] == "Overridden"


def test_unexpected_failure_is_a_salesforce_shaped_500(
    org: RunningOrg, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(org.state.queries, "run", explode)
    response = api.get("query/?q=SELECT+Id+FROM+Account")
    assert response.status_code == 500
    [error] = response.json()
    assert error["errorCode"] == "UNKNOWN_EXCEPTION"
    assert error["message"].startswith("An unexpected error occurred.")
    assert "a bug" not in response.text


# Requests a client can get wrong; every one must get a 4xx in Salesforce's shape.
BAD_REQUESTS = [
    ("POST", "sobjects/Account/", b"{bad json"),
    ("POST", "sobjects/Account/", b""),
    ("POST", "sobjects/Account/", b"[1, 2]"),
    ("POST", "sobjects/Account/", b'"text"'),
    ("POST", "sobjects/Account/", b"\xff\xfe\x00garbage"),
    ("POST", "sobjects/Account/", b"[" * 100_000),
    ("POST", "sobjects/Account/", b'{"Name": NaN}'),
    ("POST", "sobjects/Account/", b'{"Name": ' + b"9" * 5000 + b"}"),
    ("POST", "sobjects/Account/", b'{"Name": {"nested": [1]}}'),
    ("POST", "sobjects/Account/", b'{"Nope__c": 1, "Name": "x"}'),
    ("POST", "sobjects/OpenActivity/", b'{"Subject": "x"}'),
    ("POST", "sobjects/NoSuchThing/", b'{"Name": "x"}'),
    ("PATCH", "sobjects/Account/001000000000000AAA", b'{"Name": "x"}'),
    ("PATCH", "sobjects/Account/001000000000000", b"{not json"),
    ("PATCH", "sobjects/Account/Name/x", b'{"Name": "x"}'),
    ("PATCH", "sobjects/Contact/Email/%FF%FE", b'{"LastName": "x"}'),
    ("DELETE", "sobjects/Account/003000000000000AAA", b""),
    ("DELETE", "sobjects/Account/not-an-id", b""),
    ("GET", "sobjects/Account/001000000000000AAB", b""),
    ("GET", "sobjects/Account/%00%01", b""),
    ("GET", "sobjects/Account/001000000000000AAA?fields=Nope,,", b""),
    ("GET", "sobjects/Account/updated/", b""),
    ("GET", "sobjects/Account/updated/?start=yesterday&end=today", b""),
    ("GET", "sobjects/Account/deleted/?start=2020-13-45T00:00:00Z&end=x", b""),
    ("GET", "sobjects/%E2%98%83/describe", b""),
    ("GET", "query/", b""),
    ("GET", "query/?q=", b""),
    ("GET", "query/?q=SELECT", b""),
    ("GET", "query/?q=SELECT+Id+FROM+Nothing", b""),
    ("GET", "query/?q=%00%FF", b""),
    ("GET", "query/01gNOTALOCATOR-2000", b""),
    ("GET", "queryAll/../../x", b""),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
def test_bad_input_gets_a_4xx_list_never_a_500(
    api: Api, method: str, path: str, body: bytes
) -> None:
    response = api.request(
        method, path, data=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    errors = response.json()
    assert isinstance(errors, list)
    assert errors
    assert all({"message", "errorCode"} <= set(error) for error in errors)


@pytest.mark.parametrize(
    "header",
    ["If-Modified-Since", "If-Unmodified-Since"],
)
@pytest.mark.parametrize("value", ["yesterday", "Mon, 99 Foo 2024 25:61:00 GMT", "0"])
def test_unreadable_condition_dates_are_400(api: Api, header: str, value: str) -> None:
    response = api.get("sobjects/Account/describe", headers={header: value})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_HEADER_VALUE"
