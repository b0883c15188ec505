"""SOAP ``login()``: the envelope, its faults, and simple-salesforce against it."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from html import escape
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sfmagic.emulator import soap
from sfmagic.emulator.identity import AdminCredentials, Identity
from sfmagic.emulator.org import RunningOrg
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store
from tests.emulator.conftest import LoginRewrite

INSTANCE_URL = "https://testserver"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
HEADERS = {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}

# The two envelope shapes simple-salesforce sends.
TOKEN_ENVELOPE = """<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:urn="urn:partner.soap.sforce.com">
    <env:Header><urn:CallOptions><urn:client>simple-salesforce</urn:client>
        <urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions></env:Header>
    <env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">
        <n1:username>{username}</n1:username><n1:password>{password}</n1:password>
    </n1:login></env:Body>
</env:Envelope>"""
URN_ENVELOPE = """<?xml version="1.0" encoding="utf-8" ?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:urn="urn:partner.soap.sforce.com">
    <soapenv:Header><urn:LoginScopeHeader><urn:organizationId>00D</urn:organizationId>
    </urn:LoginScopeHeader></soapenv:Header>
    <soapenv:Body><urn:login><urn:username>{username}</urn:username>
        <urn:password>{password}</urn:password></urn:login></soapenv:Body>
</soapenv:Envelope>"""


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.standard()


@pytest.fixture
def local(schema: Schema) -> Iterator[SimpleNamespace]:
    """An in-process org serving the SOAP routes."""
    settings = OrgSettings()
    identity = Identity(Store(schema, None), settings)
    admin = identity.bootstrap(instance_url=INSTANCE_URL)
    app = Starlette(routes=soap.ROUTES)
    app.state.org = SimpleNamespace(
        identity=identity, settings=settings, instance_url=INSTANCE_URL
    )
    with TestClient(app, base_url=INSTANCE_URL) as client:
        yield SimpleNamespace(
            client=client, identity=identity, settings=settings, admin=admin
        )


def envelope(username: str, password: str, template: str = TOKEN_ENVELOPE) -> str:
    return template.format(username=escape(username), password=escape(password))


def login(
    local: SimpleNamespace,
    password: str | None = None,
    *,
    username: str | None = None,
    version: str = "59.0",
    template: str = TOKEN_ENVELOPE,
) -> Any:
    admin: AdminCredentials = local.admin
    body = envelope(
        admin.username if username is None else username,
        admin.password + admin.security_token if password is None else password,
        template,
    )
    return local.client.post(
        f"/services/Soap/u/{version}", content=body, headers=HEADERS
    )


def fault(response: Any) -> tuple[str | None, str | None]:
    """``(exceptionCode, exceptionMessage)`` read as simple-salesforce does."""
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    namespace = "{urn:fault.partner.soap.sforce.com}"
    assert 'xmlns:sf="urn:fault.partner.soap.sforce.com"' in response.text
    return (
        root.findtext(f".//{namespace}exceptionCode"),
        root.findtext(f".//{namespace}exceptionMessage"),
    )


@pytest.mark.parametrize("template", [TOKEN_ENVELOPE, URN_ENVELOPE])
def test_login_answers_salesforce_envelope(
    local: SimpleNamespace, template: str
) -> None:
    response = login(local, template=template)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    result = root.find(
        f"{{{SOAP_ENV}}}Body/{{{PARTNER}}}loginResponse/{{{PARTNER}}}result"
    )
    assert result is not None
    session_id = result.findtext(f"{{{PARTNER}}}sessionId") or ""
    org15 = local.identity.org_id[:15]
    assert result.findtext(f"{{{PARTNER}}}serverUrl") == (
        f"{INSTANCE_URL}/services/Soap/u/59.0/{org15}"
    )
    assert result.findtext(f"{{{PARTNER}}}userId") == local.admin.user_id
    assert "<sessionId>" in response.text
    assert "<serverUrl>" in response.text
    session = local.identity.validate_access_token(session_id)
    assert session.user_id == local.admin.user_id
    info = result.find(f"{{{PARTNER}}}userInfo")
    assert info is not None
    assert info.findtext(f"{{{PARTNER}}}userName") == local.admin.username
    assert info.findtext(f"{{{PARTNER}}}organizationId") == local.identity.org_id


def test_password_with_xml_special_characters(local: SimpleNamespace) -> None:
    password = "p&w<\"'>x"
    user = local.identity.create_user(
        "special@example.com",
        last_name="Special",
        password=password,
        security_token="TOKEN",
    )
    response = login(local, password + "TOKEN", username=user.username)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("password", "username", "code"),
    [
        ("wrong", None, "INVALID_LOGIN"),
        (None, "nobody@example.com", "INVALID_LOGIN"),
        ("", None, "INVALID_LOGIN"),
        ("ONLY_PASSWORD", None, "LOGIN_MUST_USE_SECURITY_TOKEN"),
    ],
)
def test_login_faults(
    local: SimpleNamespace, password: str | None, username: str | None, code: str
) -> None:
    if password == "ONLY_PASSWORD":
        password = local.admin.password
    exception_code, message = fault(login(local, password, username=username))
    assert exception_code == code
    assert message is not None
    assert message.startswith("Invalid username, password, security token")
    assert local.admin.password not in (message or "")


def test_locked_user_gets_invalid_login(local: SimpleNamespace) -> None:
    for _ in range(5):
        login(local, "wrong")
    assert fault(login(local))[0] == "INVALID_LOGIN"
    local.identity.unlock_user(local.admin.user_id)
    assert login(local).status_code == 200


def test_soap_login_disabled(local: SimpleNamespace) -> None:
    local.settings.soap_login_disabled = True
    code, message = fault(login(local))
    assert code == "INVALID_OPERATION"
    assert message == (
        "SOAP API login() is disabled by default in this org. Contact the org "
        "administrator to enable SOAP API login()."
    )


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("65.0", "INVALID_OPERATION"),
        ("68.0", "INVALID_OPERATION"),
        ("30.0", "UNSUPPORTED_API_VERSION"),
        ("v59.0", "UNSUPPORTED_API_VERSION"),
        ("59", "UNSUPPORTED_API_VERSION"),
    ],
)
def test_login_version_checks(local: SimpleNamespace, version: str, code: str) -> None:
    assert fault(login(local, version=version))[0] == code


@pytest.mark.parametrize("version", ["31.0", "59.0", "64.0"])
def test_login_works_on_versions_that_have_it(
    local: SimpleNamespace, version: str
) -> None:
    assert login(local, version=version).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        "not xml at all",
        "",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        "<Envelope><Body><login/></Body></Envelope>",
        f'<e:Envelope xmlns:e="{SOAP_ENV}"><e:Header/></e:Envelope>',
        "x" * 70_000,
        '<?xml version="1.0" encoding="no-such-encoding"?><x/>',
    ],
)
def test_malformed_envelopes_get_a_client_fault(
    local: SimpleNamespace, body: str
) -> None:
    response = local.client.post("/services/Soap/u/59.0", content=body, headers=HEADERS)
    assert response.status_code == 500
    assert "<faultcode>soapenv:Client</faultcode>" in response.text


def test_other_operations_are_refused(local: SimpleNamespace) -> None:
    body = (
        f'<e:Envelope xmlns:e="{SOAP_ENV}" xmlns:u="{PARTNER}">'
        "<e:Body><u:logout/></e:Body></e:Envelope>"
    )
    response = local.client.post("/services/Soap/u/59.0", content=body, headers=HEADERS)
    assert fault(response)[0] == "INVALID_OPERATION"


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> bytes:
    text = envelope(
        "admin@sfmagic.demo",
        "password",
        draw(st.sampled_from([TOKEN_ENVELOPE, URN_ENVELOPE])),
    )
    start_at = draw(st.integers(0, len(text)))
    end_at = draw(st.integers(start_at, min(len(text), start_at + 40)))
    return (text[:start_at] + draw(st.text(max_size=20)) + text[end_at:]).encode()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=st.one_of(st.binary(max_size=300), mutated_envelopes()))
def test_random_envelopes_get_soap_answers(local: SimpleNamespace, body: bytes) -> None:
    response = local.client.post("/services/Soap/u/59.0", content=body, headers=HEADERS)
    assert response.status_code in (200, 500)
    if response.status_code == 500:
        assert "<soapenv:Fault>" in response.text


# -- simple-salesforce against the live HTTPS emulator ---------------------------------


@pytest.mark.live
def test_simple_salesforce_soap_login(live: RunningOrg) -> None:
    session_id, instance = SalesforceLogin(
        username=live.username,
        password=live.password,
        security_token=live.security_token,
        scratch_url=live.instance_url,
        session=live.session(),
    )
    assert instance == live.instance_url.removeprefix("https://")
    sf = Salesforce(
        instance_url=live.instance_url, session_id=session_id, session=live.session()
    )
    info = sf.oauth2("userinfo")
    assert info is not None
    assert info["preferred_username"] == live.username
    assert sf.query("SELECT Username FROM User")["totalSize"] >= 1


@pytest.mark.live
@pytest.mark.parametrize(
    ("password", "token", "code"),
    [("wrong", None, "INVALID_LOGIN"), (None, "", "LOGIN_MUST_USE_SECURITY_TOKEN")],
)
def test_simple_salesforce_soap_login_failures(
    live: RunningOrg, password: str | None, token: str | None, code: str
) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        SalesforceLogin(
            username=live.username,
            password=live.password if password is None else password,
            security_token=live.security_token if token is None else token,
            scratch_url=live.instance_url,
            session=live.session(),
        )
    assert failure.value.code == code


@pytest.mark.live
def test_simple_salesforce_sees_soap_login_disabled(live: RunningOrg) -> None:
    live.state.settings.soap_login_disabled = True
    try:
        with pytest.raises(SalesforceAuthenticationFailed) as failure:
            SalesforceLogin(
                username=live.username,
                password=live.password,
                security_token=live.security_token,
                scratch_url=live.instance_url,
                session=live.session(),
            )
    finally:
        live.state.settings.soap_login_disabled = False
    assert failure.value.code == "INVALID_OPERATION"


@pytest.mark.live
def test_simple_salesforce_logs_in_again_after_revocation(live: RunningOrg) -> None:
    sf = Salesforce(
        username=live.username,
        password=live.password,
        security_token=live.security_token,
        session=LoginRewrite(live),
    )
    first = sf.session_id
    assert live.state.identity.revoke(first)
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1
    assert sf.session_id != first
