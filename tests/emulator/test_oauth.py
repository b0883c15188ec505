"""OAuth 2.0 endpoints in-process: every grant, the pages, and their misuse.

The web-server flow is driven without a browser: the tests read the forms out
of the HTML pages, post them like a browser would and follow redirects by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
)
from simple_salesforce.login import SalesforceLogin, token_login
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sfmagic.emulator import oauth
from sfmagic.emulator.identity import AdminCredentials, ConnectedApp, Identity
from sfmagic.emulator.org import RunningOrg
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store
from tests.emulator.conftest import LoginRewrite
from tests.login_support import rsa_key_and_certificate

INSTANCE_URL = "https://testserver"
TOKEN = "/services/oauth2/token"
AUTHORIZE = "/services/oauth2/authorize"
VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    .rstrip(b"=")
    .decode()
)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Org:
    """An in-process org serving only the OAuth routes."""

    identity: Identity
    settings: OrgSettings
    admin: AdminCredentials
    client: TestClient
    clock: Clock

    @property
    def app(self) -> ConnectedApp:
        found = self.identity.get_connected_app(self.admin.client_id)
        assert found is not None
        return found

    def post_token(self, **data: str) -> Any:
        return self.client.post(TOKEN, data=data)

    def password_grant(self, **extra: str) -> Any:
        admin = self.admin
        data = {
            "grant_type": "password",
            "client_id": admin.client_id,
            "client_secret": admin.client_secret,
            "username": admin.username,
            "password": admin.password + admin.security_token,
        }
        data.update(extra)
        return self.post_token(**data)


class FormReader(HTMLParser):
    """The fields of the forms on a page (hidden and text inputs, buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: list[str] = []
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.actions.append(values.get("action", ""))
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "button" and values.get("value"):
            self.buttons.append(values["value"])


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.standard()


def make_org(schema: Schema, settings: OrgSettings | None = None) -> Org:
    settings = settings or OrgSettings()
    clock = Clock()
    identity = Identity(Store(schema, None), settings, clock=clock)
    admin = identity.bootstrap(instance_url=INSTANCE_URL)
    app = Starlette(routes=oauth.ROUTES)
    app.state.org = SimpleNamespace(
        identity=identity, settings=settings, instance_url=INSTANCE_URL
    )
    client = TestClient(app, base_url=INSTANCE_URL, follow_redirects=False)
    return Org(identity, settings, admin, client, clock)


@pytest.fixture
def org(schema: Schema) -> Iterator[Org]:
    made = make_org(schema)
    with made.client:
        yield made


def authorize_params(org: Org, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": org.admin.client_id,
        "redirect_uri": org.admin.redirect_uri,
        "state": "st@te/1",
        "scope": "api refresh_token",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {key: value for key, value in params.items() if value != ""}


def submit(org: Org, page: Any, **fields: str) -> Any:
    form = read_form(page.text)
    data = {**form.fields, **fields}
    return org.client.post(form.actions[0], data=data)


def sign_in(org: Org, page: Any, password: str | None = None) -> Any:
    return submit(
        org,
        page,
        username=org.admin.username,
        password=org.admin.password if password is None else password,
    )


def callback_params(response: Any) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(org: Org, **extra: str) -> str:
    """Run sign-in and consent; the authorization code."""
    page = org.client.get(AUTHORIZE, params=authorize_params(org, **extra))
    consent = sign_in(org, page)
    assert "Allow access?" in consent.text
    params = callback_params(submit(org, consent, action="allow"))
    assert params["state"] == "st@te/1"
    return params["code"]


def exchange(org: Org, code: str, **extra: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": org.admin.client_id,
        "redirect_uri": org.admin.redirect_uri,
        "code_verifier": VERIFIER,
    }
    data.update(extra)
    return org.post_token(**{k: v for k, v in data.items() if v != ""})


def assert_error(response: Any, error: str, description: str | None = None) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error
    if description is not None:
        assert body["error_description"] == description


# -- token responses -----------------------------------------------------------------


def test_password_grant_answers_salesforce_token_shape(org: Org) -> None:
    response = org.password_grant()
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == [
        "access_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    ]
    assert body["access_token"].startswith(org.identity.org_id[:15] + "!")
    assert body["instance_url"] == INSTANCE_URL
    assert body["id"] == f"{INSTANCE_URL}/id/{org.identity.org_id}/{org.admin.user_id}"
    assert body["token_type"] == "Bearer"
    assert body["issued_at"].isdigit()
    assert len(body["issued_at"]) == 13
    mac = hmac.new(
        org.admin.client_secret.encode(),
        (body["id"] + body["issued_at"]).encode(),
        hashlib.sha256,
    )
    assert body["signature"] == base64.b64encode(mac.digest()).decode()
    assert "expires_in" not in body


def test_token_response_as_urlencoded(org: Org) -> None:
    response = org.password_grant(format="urlencoded")
    assert response.headers["content-type"].startswith(
        "application/x-www-form-urlencoded"
    )
    assert parse_qs(response.text)["token_type"] == ["Bearer"]


def test_unsupported_format_is_refused_before_issuing(org: Org) -> None:
    assert_error(org.password_grant(format="xml"), "invalid_request")


def test_password_grant_scope_narrows(org: Org) -> None:
    assert org.password_grant(scope="api").json()["scope"] == "api"
    assert_error(org.password_grant(scope="api nonsense"), "invalid_scope")


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"password": "wrong"}, "invalid_grant", "authentication failure"),
        ({"password": "TOKENLESS"}, "invalid_grant", "authentication failure"),
        ({"username": "nobody@example.com"}, "invalid_grant", "authentication failure"),
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
        ({"client_secret": ""}, "invalid_client", "invalid client credentials"),
        (
            {"client_id": "3MVG9unknown"},
            "invalid_client_id",
            "client identifier invalid",
        ),
        ({"client_id": ""}, "invalid_client_id", "client identifier invalid"),
        (
            {"grant_type": "implicit"},
            "unsupported_grant_type",
            "grant type not supported",
        ),
        ({"grant_type": ""}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_password_grant_errors(
    org: Org, change: dict[str, str], error: str, description: str
) -> None:
    if change.get("password") == "TOKENLESS":
        change = {"password": org.admin.password}
    assert_error(org.password_grant(**change), error, description)


def test_password_flow_disabled_answers_authentication_failure(org: Org) -> None:
    org.settings.password_flow_disabled = True
    assert_error(org.password_grant(), "invalid_grant", "authentication failure")


def test_password_grant_for_app_without_the_flow(org: Org) -> None:
    app = org.identity.create_connected_app("No password", flows=["authorization_code"])
    response = org.password_grant(
        client_id=app.client_id, client_secret=app.client_secret
    )
    assert_error(response, "invalid_grant", "authentication failure")


def test_token_endpoint_needs_post(org: Org) -> None:
    response = org.client.get(TOKEN, params={"grant_type": "password"})
    assert_error(response, "invalid_request", "must use HTTP POST")


def test_repeated_parameters_are_refused(org: Org) -> None:
    body = "grant_type=password&grant_type=password"
    response = org.client.post(
        TOKEN,
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, "invalid_request")


def test_oversized_body_is_refused(org: Org) -> None:
    response = org.client.post(
        TOKEN, data={"grant_type": "password", "x": "y" * 70_000}
    )
    assert_error(response, "invalid_request", "request body too large")


def test_json_body_is_refused(org: Org) -> None:
    response = org.client.post(TOKEN, json={"grant_type": "password"})
    assert_error(response, "invalid_request")


def test_http_basic_client_authentication(org: Org) -> None:
    admin = org.admin
    data = {
        "grant_type": "password",
        "username": admin.username,
        "password": admin.password + admin.security_token,
    }
    good = org.client.post(
        TOKEN, data=data, auth=(admin.client_id, admin.client_secret)
    )
    assert good.status_code == 200
    bad = org.client.post(TOKEN, data=data, auth=(admin.client_id, "wrong"))
    assert_error(bad, "invalid_client")
    mixed = org.client.post(
        TOKEN,
        data={**data, "client_id": "3MVG9other"},
        auth=(admin.client_id, admin.client_secret),
    )
    assert_error(mixed, "invalid_client")
    for header in (
        "Basic %%%",
        "Basic w6k=",
        "Basic " + base64.b64encode(b"\xff").decode(),
    ):
        garbled = org.client.post(TOKEN, data=data, headers={"Authorization": header})
        assert_error(garbled, "invalid_client")


def test_client_credentials_grant(org: Org) -> None:
    admin = org.admin
    response = org.client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(admin.client_id, admin.client_secret),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"].endswith(admin.user_id)
    assert "refresh_token" not in body
    no_secret = org.post_token(
        grant_type="client_credentials", client_id=admin.client_id
    )
    assert_error(no_secret, "invalid_client")


def test_client_credentials_without_run_as_user(org: Org) -> None:
    app = org.identity.create_connected_app("No user")
    response = org.client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(app.client_id, app.client_secret),
    )
    assert_error(response, "invalid_grant", "no client credentials user enabled")


# -- the web-server flow ---------------------------------------------------------------


def test_authorization_code_flow_with_pkce(org: Org) -> None:
    code = get_code(org)
    response = exchange(org, code)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "api refresh_token"
    assert body["refresh_token"].startswith("5Aep861")
    assert list(body)[:2] == ["access_token", "refresh_token"]
    session = org.identity.validate_access_token(body["access_token"])
    assert session.client_id == org.admin.client_id

    refreshed = org.post_token(
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=org.admin.client_id,
    )
    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json()
    assert refreshed.json()["access_token"] != body["access_token"]


def test_sign_in_page_prefills_login_hint_and_escapes(org: Org) -> None:
    hint = 'x"><script>alert(1)</script>@example.com'
    page = org.client.get(AUTHORIZE, params=authorize_params(org, login_hint=hint))
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert read_form(page.text).fields["username"] == hint
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_wrong_password_shows_the_sign_in_page_again(org: Org) -> None:
    page = org.client.get(AUTHORIZE, params=authorize_params(org))
    again = sign_in(org, page, password="wrong")
    assert again.status_code == 200
    assert "check your username and password" in again.text
    assert org.admin.password not in again.text


def test_locked_user_is_told_on_the_sign_in_page(org: Org) -> None:
    page = org.client.get(AUTHORIZE, params=authorize_params(org))
    for _ in range(5):
        page = sign_in(org, page, password="wrong")
    locked = sign_in(org, page)
    assert "locked" in locked.text
    assert "Allow access?" not in locked.text


def test_deny_redirects_with_access_denied(org: Org) -> None:
    page = org.client.get(AUTHORIZE, params=authorize_params(org))
    consent = sign_in(org, page)
    params = callback_params(submit(org, consent, action="deny"))
    assert params == {
        "error": "access_denied",
        "error_description": "end-user denied authorization",
        "state": "st@te/1",
    }


def test_approved_app_skips_consent_unless_prompted(org: Org) -> None:
    get_code(org)
    again = org.client.get(AUTHORIZE, params=authorize_params(org))
    assert "code" in callback_params(again)
    consent = org.client.get(AUTHORIZE, params=authorize_params(org, prompt="consent"))
    assert "Allow access?" in consent.text
    login = org.client.get(AUTHORIZE, params=authorize_params(org, prompt="login"))
    assert read_form(login.text).fields.get("action") == "login"


def test_immediate_without_session_redirects_with_error(org: Org) -> None:
    response = org.client.get(AUTHORIZE, params=authorize_params(org, immediate="true"))
    assert callback_params(response)["error"] == "immediate_unsuccessful"


@pytest.mark.parametrize(
    "change",
    [{"client_id": "3MVG9unknown"}, {"redirect_uri": "https://evil.example/cb"}],
)
def test_unknown_client_or_callback_gets_an_error_page(
    org: Org, change: dict[str, str]
) -> None:
    response = org.client.get(AUTHORIZE, params=authorize_params(org, **change))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "error=" in response.text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"scope": "api unknown_scope"}, "invalid_scope"),
    ],
)
def test_bad_authorize_requests_redirect_with_error(
    org: Org, change: dict[str, str], error: str
) -> None:
    response = org.client.get(AUTHORIZE, params=authorize_params(org, **change))
    params = callback_params(response)
    assert params["error"] == error
    assert params["state"] == "st@te/1"


def test_app_requiring_pkce_refuses_requests_without_challenge(org: Org) -> None:
    app = org.identity.create_connected_app(
        "PKCE only", callback_urls=[org.admin.redirect_uri], require_pkce=True
    )
    params = authorize_params(org, client_id=app.client_id, code_challenge="")
    del params["code_challenge_method"]
    response = org.client.get(AUTHORIZE, params=params)
    assert callback_params(response)["error_description"] == (
        "missing required code challenge"
    )


def test_forms_without_csrf_token_are_refused(org: Org) -> None:
    page = org.client.get(AUTHORIZE, params=authorize_params(org))
    response = submit(
        org,
        page,
        csrf_token="forged",
        username=org.admin.username,
        password=org.admin.password,
    )
    assert response.status_code == 403
    assert "Allow access?" not in response.text


def test_allow_without_session_asks_to_sign_in(org: Org) -> None:
    page = org.client.get(AUTHORIZE, params=authorize_params(org))
    response = submit(org, page, action="allow")
    assert read_form(response.text).fields["action"] == "login"


def test_callback_with_query_string_keeps_it(org: Org) -> None:
    callback = "https://app.example/cb?tenant=7"
    app = org.identity.create_connected_app("Query", callback_urls=[callback])
    response = org.client.get(
        AUTHORIZE,
        params=authorize_params(org, client_id=app.client_id, redirect_uri=callback),
    )
    consent = sign_in(org, response)
    location = submit(org, consent, action="allow").headers["location"]
    assert location.startswith("https://app.example/cb?tenant=7&code=")


# -- code and token misuse -----------------------------------------------------------


def test_reused_code_is_refused_and_revokes_tokens(org: Org) -> None:
    code = get_code(org)
    first = exchange(org, code).json()
    assert_error(exchange(org, code), "invalid_grant", "invalid authorization code")
    userinfo = org.client.get(
        "/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    assert userinfo.status_code == 403


def test_expired_code_is_refused(org: Org) -> None:
    code = get_code(org)
    org.clock.now += 15 * 60 + 1
    assert_error(exchange(org, code), "invalid_grant", "expired authorization code")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_verifier": "wrong-verifier"}, "invalid_request"),
        ({"code_verifier": ""}, "invalid_grant"),
        (
            {"redirect_uri": "http://127.0.0.1:1717/OauthRedirect"},
            "redirect_uri_mismatch",
        ),
        ({"redirect_uri": ""}, "redirect_uri_mismatch"),
        ({"code": "aPrxmadeup"}, "invalid_grant"),
        ({"code": ""}, "invalid_grant"),
        ({"client_secret": "wrong"}, "invalid_client"),
    ],
)
def test_code_exchange_misuse(org: Org, change: dict[str, str], error: str) -> None:
    change = dict(change)
    code = change.pop("code", None)
    if code is None:
        code = get_code(org)
    assert_error(exchange(org, code, **change), error)


def test_code_exchange_needs_the_secret_when_the_app_requires_it(org: Org) -> None:
    app = org.identity.create_connected_app(
        "Confidential", callback_urls=[org.admin.redirect_uri], require_secret=True
    )
    code = get_code(org, client_id=app.client_id)
    assert_error(exchange(org, code, client_id=app.client_id), "invalid_client")


def test_revoked_refresh_token_is_refused(org: Org) -> None:
    body = exchange(org, get_code(org)).json()
    revoked = org.client.post(
        "/services/oauth2/revoke", data={"token": body["refresh_token"]}
    )
    assert revoked.status_code == 200
    assert revoked.text == ""
    response = org.post_token(
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=org.admin.client_id,
    )
    assert_error(response, "invalid_grant", "expired access/refresh token")
    userinfo = org.client.get(
        "/services/oauth2/userinfo", params={"access_token": body["access_token"]}
    )
    assert userinfo.status_code == 403


def test_token_of_another_org_is_refused(org: Org, schema: Schema) -> None:
    other = make_org(schema)
    with other.client:
        foreign = other.password_grant().json()
        introspected = org.client.post(
            "/services/oauth2/introspect",
            data={"token": foreign["access_token"]},
            auth=(org.admin.client_id, org.admin.client_secret),
        )
    assert introspected.json() == {"active": False}
    response = org.client.get(
        "/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {foreign['access_token']}"},
    )
    assert response.status_code == 403
    assert_error(
        org.client.post(
            "/services/oauth2/revoke", data={"token": foreign["access_token"]}
        ),
        "invalid_token",
    )


# -- revoke, introspect, userinfo, identity URL --------------------------------------


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("", "invalid_request"),
        ("not-a-token", "unsupported_token_type"),
        ("00D000000000001!AQmadeup", "invalid_token"),
        ("5Aep861madeup", "invalid_token"),
    ],
)
def test_revoke_errors(org: Org, token: str, error: str) -> None:
    assert_error(
        org.client.post("/services/oauth2/revoke", data={"token": token}), error
    )


def test_revoke_by_get_and_twice(org: Org) -> None:
    access = org.password_grant().json()["access_token"]
    response = org.client.get("/services/oauth2/revoke", params={"token": access})
    assert response.status_code == 200
    again = org.client.post("/services/oauth2/revoke", data={"token": access})
    assert_error(again, "invalid_token")


def test_introspect_reports_own_tokens(org: Org) -> None:
    body = exchange(org, get_code(org)).json()
    auth = (org.admin.client_id, org.admin.client_secret)
    access = org.client.post(
        "/services/oauth2/introspect", data={"token": body["access_token"]}, auth=auth
    ).json()
    assert access["active"] is True
    assert access["token_type"] == "access_token"
    assert access["client_id"] == org.admin.client_id
    assert access["username"] == org.admin.username
    assert access["sub"] == body["id"]
    assert access["scope"] == "api refresh_token"
    assert access["exp"] - access["iat"] == org.settings.session_lifetime
    refresh = org.client.post(
        "/services/oauth2/introspect", data={"token": body["refresh_token"]}, auth=auth
    ).json()
    assert refresh["token_type"] == "refresh_token"
    assert "exp" not in refresh

    other = org.identity.create_connected_app("Other")
    foreign = org.client.post(
        "/services/oauth2/introspect",
        data={"token": body["access_token"]},
        auth=(other.client_id, other.client_secret),
    )
    assert foreign.json() == {"active": False}
    anonymous = org.client.post(
        "/services/oauth2/introspect",
        data={"token": body["access_token"], "client_id": org.admin.client_id},
    )
    assert_error(anonymous, "invalid_client")


def test_userinfo_by_header_query_and_post(org: Org) -> None:
    access = org.password_grant().json()["access_token"]
    by_header = org.client.get(
        "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {access}"}
    )
    by_query = org.client.get(
        "/services/oauth2/userinfo", params={"access_token": access}
    )
    by_post = org.client.post(
        "/services/oauth2/userinfo", data={"access_token": access}
    )
    assert by_header.json() == by_query.json() == by_post.json()
    info = by_header.json()
    assert info["preferred_username"] == org.admin.username
    assert info["user_id"] == org.admin.user_id
    assert info["organization_id"] == org.identity.org_id
    assert info["urls"]["rest"] == f"{INSTANCE_URL}/services/data/v{{version}}/"
    assert info["utcOffset"] in (-28_800_000, -25_200_000)


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic x"}]
)
def test_userinfo_refuses_bad_tokens(org: Org, headers: dict[str, str]) -> None:
    response = org.client.get("/services/oauth2/userinfo", headers=headers)
    assert (response.status_code, response.text) == (403, "Bad_OAuth_Token")


def test_identity_url(org: Org) -> None:
    body = org.password_grant().json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    response = org.client.get(urlsplit(body["id"]).path, headers=headers)
    info = response.json()
    assert info["id"] == body["id"]
    assert info["username"] == org.admin.username
    assert info["asserted_user"] is True
    assert info["urls"]["rest"] == f"{INSTANCE_URL}/services/data/v68.0/"
    versioned = org.client.get(
        urlsplit(body["id"]).path, headers=headers, params={"version": "59.0"}
    )
    assert versioned.json()["urls"]["query"].endswith("/v59.0/query/")
    wrong_org = f"/id/00D000000000001AAA/{org.admin.user_id}"
    assert org.client.get(wrong_org, headers=headers).text == "Bad_Id"
    unknown = f"/id/{org.identity.org_id}/005000000000000AAA"
    assert org.client.get(unknown, headers=headers).status_code == 403
    assert org.client.get(urlsplit(body["id"]).path).text == "Bad_OAuth_Token"


# -- JWT bearer ------------------------------------------------------------------------


@dataclass
class KeyPair:
    private_pem: bytes
    certificate_pem: str


def make_key_pair() -> KeyPair:
    key, certificate = rsa_key_and_certificate()
    return KeyPair(private_pem=key.encode(), certificate_pem=certificate)


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_key_pair()


@pytest.fixture(scope="module")
def other_keys() -> KeyPair:
    return make_key_pair()


def jwt_app(org: Org, keys: KeyPair) -> ConnectedApp:
    return org.identity.create_connected_app(
        "JWT", flows=["jwt_bearer"], certificate=keys.certificate_pem, scopes=["api"]
    )


def assertion(app: ConnectedApp, org: Org, key: bytes, **claims: Any) -> str:
    payload: dict[str, Any] = {
        "iss": app.client_id,
        "sub": org.admin.username,
        "aud": "https://login.salesforce.com",
        "exp": f"{time.time() + 180:.0f}",
    }
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, "RS256")


def test_jwt_bearer_grant(org: Org, keys: KeyPair) -> None:
    app = jwt_app(org, keys)
    for audience in ("https://login.salesforce.com", INSTANCE_URL, INSTANCE_URL + "/"):
        response = org.post_token(
            grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
            assertion=assertion(app, org, keys.private_pem, aud=audience),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["scope"] == "api"
        assert "refresh_token" not in body


@pytest.mark.parametrize(
    ("claims", "error", "description"),
    [
        (
            {"aud": "https://evil.example"},
            "invalid_grant",
            "Audience validation failed",
        ),
        ({"exp": time.time() - 600}, "invalid_grant", "expired assertion"),
        ({"exp": None}, "invalid_grant", "invalid assertion"),
        ({"sub": "nobody@example.com"}, "invalid_grant", "invalid assertion"),
        ({"iss": "3MVG9unknown"}, "invalid_client_id", "client identifier invalid"),
        ({"nbf": time.time() + 600}, "invalid_grant", "invalid assertion"),
        ({"exp": 10**400}, "invalid_grant", "invalid assertion"),
        ({"exp": "soon"}, "invalid_grant", "invalid assertion"),
        ({"exp": True}, "invalid_grant", "invalid assertion"),
    ],
)
def test_jwt_bearer_claim_errors(
    org: Org, keys: KeyPair, claims: dict[str, Any], error: str, description: str
) -> None:
    app = jwt_app(org, keys)
    response = org.post_token(
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion=assertion(app, org, keys.private_pem, **claims),
    )
    assert_error(response, error, description)


@pytest.mark.parametrize("kind", ["other_key", "garbage", "hs256", "empty"])
def test_jwt_bearer_signature_errors(
    org: Org, keys: KeyPair, other_keys: KeyPair, kind: str
) -> None:
    app = jwt_app(org, keys)
    token = {
        "other_key": assertion(app, org, other_keys.private_pem),
        "garbage": "a.b.c",
        "hs256": jwt.encode(
            {"iss": app.client_id}, "secret-key-of-32-bytes-at-least!", "HS256"
        ),
        "empty": "",
    }[kind]
    response = org.post_token(
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=token
    )
    assert_error(response, "invalid_grant", "invalid assertion")


def test_jwt_bearer_needs_the_flow(org: Org, keys: KeyPair) -> None:
    app = org.identity.create_connected_app(
        "No JWT", flows=["password"], certificate=keys.certificate_pem
    )
    response = org.post_token(
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion=assertion(app, org, keys.private_pem),
    )
    assert_error(response, "unsupported_grant_type")


# -- device flow -----------------------------------------------------------------------


def start_device(org: Org, **extra: str) -> Any:
    return org.post_token(
        response_type="device_code", client_id=org.admin.client_id, **extra
    )


def poll(org: Org, device_code: str, rfc: bool = False) -> Any:
    if rfc:
        return org.post_token(
            grant_type="urn:ietf:params:oauth:grant-type:device_code",
            client_id=org.admin.client_id,
            device_code=device_code,
        )
    return org.post_token(
        grant_type="device", client_id=org.admin.client_id, code=device_code
    )


def approve_on_page(org: Org, user_code: str, action: str = "allow") -> Any:
    page = org.client.get("/setup/connect")
    code_page = sign_in(org, page)
    assert "Connect your device" in code_page.text
    consent = submit(org, code_page, user_code=user_code)
    assert "Allow access?" in consent.text
    return submit(org, consent, action=action)


@pytest.mark.parametrize("rfc", [False, True])
def test_device_flow(org: Org, rfc: bool) -> None:
    started = start_device(org, scope="api refresh_token")
    assert started.status_code == 200
    body = started.json()
    assert list(body) == ["device_code", "user_code", "verification_uri", "interval"]
    assert body["verification_uri"] == f"{INSTANCE_URL}/setup/connect"
    assert_error(poll(org, body["device_code"], rfc), "authorization_pending")

    done = approve_on_page(org, body["user_code"].lower())
    assert "Access granted" in done.text
    token = poll(org, body["device_code"], rfc)
    assert token.status_code == 200
    assert token.json()["refresh_token"].startswith("5Aep861")
    assert_error(poll(org, body["device_code"], rfc), "invalid_grant")


def test_device_flow_denied(org: Org) -> None:
    body = start_device(org).json()
    assert "Access denied" in approve_on_page(org, body["user_code"], "deny").text
    assert_error(poll(org, body["device_code"]), "access_denied")


def test_device_flow_expired(org: Org) -> None:
    body = start_device(org).json()
    org.clock.now += 601
    assert_error(poll(org, body["device_code"]), "expired_token")


def test_device_page_rejects_unknown_codes(org: Org) -> None:
    page = sign_in(org, org.client.get("/setup/connect"))
    response = submit(org, page, user_code="NOPE1234")
    assert "invalid or has expired" in response.text


def test_device_flow_disabled(org: Org) -> None:
    org.settings.device_flow_disabled = True
    description = "device flow is not enabled for the app"
    assert_error(start_device(org), "invalid_grant", description)
    assert_error(poll(org, "whatever"), "invalid_grant", description)
    assert org.client.get("/setup/connect").status_code == 400


def test_device_flow_for_app_without_it(org: Org) -> None:
    app = org.identity.create_connected_app("No device", flows=["password"])
    response = org.post_token(response_type="device_code", client_id=app.client_id)
    assert_error(response, "invalid_grant", "device flow is not enabled for the app")


# -- random input ----------------------------------------------------------------------

FORM_KEYS = (
    "grant_type",
    "response_type",
    "client_id",
    "client_secret",
    "code",
    "code_verifier",
    "redirect_uri",
    "refresh_token",
    "username",
    "password",
    "assertion",
    "scope",
    "token",
    "format",
    "device_code",
    "action",
    "csrf_token",
    "user_code",
    "state",
    "prompt",
    "code_challenge",
    "code_challenge_method",
)
FORM_PATHS = (
    TOKEN,
    AUTHORIZE,
    "/services/oauth2/revoke",
    "/services/oauth2/introspect",
    "/services/oauth2/userinfo",
    "/setup/connect",
)


@pytest.fixture(scope="module")
def fuzz_org(schema: Schema) -> Iterator[Org]:
    made = make_org(schema)
    with made.client:
        yield made


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(FORM_PATHS),
    params=st.dictionaries(
        st.sampled_from(FORM_KEYS),
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                ["password", "authorization_code", "device", "device_code", "code"]
            ),
        ),
        max_size=6,
    ),
    method=st.sampled_from(["GET", "POST"]),
)
def test_random_forms_never_fail(
    fuzz_org: Org, path: str, params: dict[str, str], method: str
) -> None:
    if method == "GET":
        response = fuzz_org.client.get(path, params=params)
    else:
        response = fuzz_org.client.post(path, data=params)
    assert response.status_code < 500


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=200))
def test_random_bodies_never_fail(fuzz_org: Org, body: bytes) -> None:
    for path in (TOKEN, AUTHORIZE, "/services/oauth2/revoke"):
        response = fuzz_org.client.post(
            path,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code < 500


# -- simple-salesforce and requests against the live HTTPS emulator ------------------


@pytest.mark.live
def test_token_login_password_grant(live: RunningOrg) -> None:
    access_token, instance = token_login(
        f"{live.instance_url}/services/oauth2/token",
        {
            "grant_type": "password",
            "client_id": live.client_id,
            "client_secret": live.client_secret,
            "username": live.username,
            "password": live.password + live.security_token,
        },
        "login",
        live.client_id,
        None,
        None,
        live.session(),
    )
    assert instance == live.instance_url.removeprefix("https://")
    sf = Salesforce(
        instance_url=live.instance_url, session_id=access_token, session=live.session()
    )
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1


@pytest.mark.live
def test_simple_salesforce_password_grant_failure(live: RunningOrg) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(
            username=live.username,
            password="wrong",
            consumer_key=live.client_id,
            consumer_secret=live.client_secret,
            session=LoginRewrite(live),
        )
    assert failure.value.code == "invalid_grant"
    assert failure.value.auth_message == "authentication failure"


@pytest.mark.live
def test_simple_salesforce_consumer_key_login(live: RunningOrg) -> None:
    sf = Salesforce(
        username=live.username,
        password=live.password + live.security_token,
        consumer_key=live.client_id,
        consumer_secret=live.client_secret,
        session=LoginRewrite(live),
    )
    info = sf.oauth2("userinfo")
    assert info is not None
    assert info["user_id"] == live.state.admin.user_id


@pytest.mark.live
def test_simple_salesforce_jwt_login(live: RunningOrg, keys: KeyPair) -> None:
    app = live.state.identity.create_connected_app(
        "JWT live", flows=["jwt_bearer"], certificate=keys.certificate_pem
    )
    session_id, instance = SalesforceLogin(
        username=live.username,
        consumer_key=app.client_id,
        privatekey=keys.private_pem.decode(),
        session=LoginRewrite(live),
    )
    assert instance == live.instance_url.removeprefix("https://")
    assert live.state.identity.validate_access_token(session_id).client_id == (
        app.client_id
    )


@pytest.mark.live
def test_expired_access_token_answers_invalid_session(live: RunningOrg) -> None:
    http = live.session()
    response = http.post(
        f"{live.instance_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": live.client_id,
            "client_secret": live.client_secret,
        },
    )
    body = response.json()
    assert body["instance_url"] == live.instance_url
    url = f"{live.instance_url}/services/data/v59.0/limits/"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert http.get(url, headers=headers).status_code == 200
    revoke = http.post(
        f"{live.instance_url}/services/oauth2/revoke",
        data={"token": body["access_token"]},
    )
    assert revoke.status_code == 200
    expired = http.get(url, headers=headers)
    assert expired.status_code == 401
    assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"


@pytest.mark.live
def test_session_lifetime_setting_expires_tokens(live: RunningOrg) -> None:
    live.state.settings.session_lifetime = 1
    try:
        token = live.access_token()
    finally:
        live.state.settings.session_lifetime = 7200
    time.sleep(1.2)
    sf = Salesforce(
        instance_url=live.instance_url, session_id=token, session=live.session()
    )
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User")
