"""Every login flow of the client against a live HTTPS emulator, and its refusals."""

from __future__ import annotations

import pytest
import requests

from sfmagic.client import Connection, LoginError, LoginProblem
from sfmagic.client.api_session import ApiSession, retry_policy
from sfmagic.client.auth import (
    AccessTokenGrant,
    ClientCredentialsGrant,
    JwtBearerGrant,
    PasswordGrant,
    RefreshTokenGrant,
    SoapLoginGrant,
    WebServerFlow,
)
from sfmagic.client.auth.oauth import login_error_for_oauth, revoke_token
from sfmagic.emulator.org import RunningOrg
from tests.login_support import (
    changed_settings,
    new_app,
    new_user,
    rsa_key_and_certificate,
    shared_org,
    sign_in,
)

FAST_RETRY = retry_policy(attempts=1, backoff=0.01)


@pytest.fixture(scope="module")
def org() -> RunningOrg:
    return shared_org()


def open_connection(org: RunningOrg, grant: object, **options: object) -> Connection:
    options.setdefault("ca_file", org.ca_file)
    options.setdefault("retry", FAST_RETRY)
    return Connection.open(grant, **options)  # type: ignore[arg-type]


def browser_tokens(org: RunningOrg) -> Connection:
    app = new_app(org, callback_urls=["http://localhost:1717/OauthRedirect"])
    flow = WebServerFlow(org.instance_url, app.client_id, app.callback_urls[0])
    redirect = sign_in(org, flow.authorize_url, org.username, org.password)
    return open_connection(org, flow.grant(flow.code_from_redirect(redirect)))


@pytest.mark.parametrize(
    ("mode", "renewable"),
    [
        ("password", True),
        ("soap", True),
        ("client_credentials", True),
        ("jwt", True),
        ("access_token", False),
        ("browser", True),
    ],
)
def test_every_flow_opens_a_checked_connection(
    org: RunningOrg, mode: str, renewable: bool, tmp_path: object
) -> None:
    url = org.instance_url
    if mode == "password":
        grant: object = PasswordGrant(
            url,
            org.client_id,
            org.username,
            org.password,
            org.security_token,
            client_secret=org.client_secret,
        )
    elif mode == "soap":
        grant = SoapLoginGrant(
            url, org.username, org.password, org.security_token, api_version="68.0"
        )
    elif mode == "client_credentials":
        grant = ClientCredentialsGrant(url, org.client_id, org.client_secret)
    elif mode == "jwt":
        key, certificate = rsa_key_and_certificate()
        app = new_app(org, certificate=certificate, flows=["jwt_bearer"])
        grant = JwtBearerGrant(url, app.client_id, org.username, key)
    elif mode == "access_token":
        grant = AccessTokenGrant(url, org.access_token())
    if mode == "browser":
        connection = browser_tokens(org)
    else:
        connection = open_connection(org, grant)

    assert connection.username == org.username
    assert connection.org_id == org.org_id
    assert connection.instance_url == org.instance_url
    assert connection.renewable is renewable
    assert connection.sf.query("SELECT Id FROM User LIMIT 1")["totalSize"] == 1
    assert connection.sf.session is connection.http
    connection.close()


def test_repr_names_user_org_and_instance_only(org: RunningOrg) -> None:
    connection = open_connection(
        org, ClientCredentialsGrant(org.instance_url, org.client_id, org.client_secret)
    )

    text = repr(connection)

    assert text == (
        f"<Connection {org.username} org={org.org_id} instance={org.instance_url}>"
    )
    assert connection.http.access_token not in text
    assert org.client_secret not in repr(connection.grant)


@pytest.mark.parametrize(
    ("password_suffix", "token", "problem"),
    [
        ("-wrong", "token", LoginProblem.INVALID_CREDENTIALS),
        ("", "", LoginProblem.SECURITY_TOKEN),
    ],
)
def test_soap_login_refusals_name_the_problem(
    org: RunningOrg, password_suffix: str, token: str, problem: LoginProblem
) -> None:
    user = new_user(org, "soap")
    grant = SoapLoginGrant(
        org.instance_url,
        user.username,
        user.password + password_suffix,
        user.security_token if token else "",
    )

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is problem
    assert user.password not in str(caught.value)


def test_soap_login_disabled_in_the_org(org: RunningOrg) -> None:
    grant = SoapLoginGrant(org.instance_url, org.username, org.password, "x")
    with (
        changed_settings(org, soap_login_disabled=True),
        pytest.raises(LoginError) as caught,
    ):
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.SOAP_DISABLED
    assert caught.value.code == "INVALID_OPERATION"


def test_soap_login_uses_a_version_that_still_has_login(org: RunningOrg) -> None:
    grant = SoapLoginGrant(
        org.instance_url,
        org.username,
        org.password,
        org.security_token,
        api_version="68.0",
    )

    connection = open_connection(org, grant, api_version="68.0")

    assert connection.api_version == "68.0"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"password": "wrong"}, LoginProblem.INVALID_CREDENTIALS),
        ({"client_secret": "not-the-secret"}, LoginProblem.INVALID_CLIENT),
        ({"client_id": "3MVG9unknown"}, LoginProblem.INVALID_CLIENT),
    ],
)
def test_password_grant_refusals(
    org: RunningOrg, change: dict[str, str], problem: LoginProblem
) -> None:
    user = new_user(org, "oauth")
    values = {
        "login_url": org.instance_url,
        "client_id": org.client_id,
        "username": user.username,
        "password": user.password,
        "security_token": user.security_token,
        "client_secret": org.client_secret,
        **change,
    }

    with pytest.raises(LoginError) as caught:
        open_connection(org, PasswordGrant(**values))

    assert caught.value.problem is problem


def test_password_flow_turned_off_reads_as_bad_credentials(org: RunningOrg) -> None:
    grant = PasswordGrant(
        org.instance_url,
        org.client_id,
        org.username,
        org.password,
        org.security_token,
        client_secret=org.client_secret,
    )
    with (
        changed_settings(org, password_flow_disabled=True),
        pytest.raises(LoginError) as caught,
    ):
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.INVALID_CREDENTIALS


def test_app_without_the_flow_is_blocked(org: RunningOrg) -> None:
    app = new_app(org, flows=["authorization_code", "refresh_token"])
    grant = ClientCredentialsGrant(org.instance_url, app.client_id, app.client_secret)

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.APP_BLOCKED


def test_jwt_signed_with_another_key_is_refused(org: RunningOrg) -> None:
    _, certificate = rsa_key_and_certificate()
    other_key, _ = rsa_key_and_certificate()
    app = new_app(org, certificate=certificate, flows=["jwt_bearer"])
    grant = JwtBearerGrant(org.instance_url, app.client_id, org.username, other_key)

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.INVALID_ASSERTION


def test_jwt_assertion_claims(org: RunningOrg) -> None:
    import jwt

    key, _ = rsa_key_and_certificate()
    grant = JwtBearerGrant("https://login.salesforce.com/", "CID", "u@x.com", key)

    claims = jwt.decode(
        grant.assertion(now=1_000),
        options={"verify_signature": False, "verify_exp": False},
    )

    assert claims == {
        "iss": "CID",
        "sub": "u@x.com",
        "aud": "https://login.salesforce.com",
        "exp": 1_180,
    }


def test_access_token_is_checked_before_use(org: RunningOrg) -> None:
    grant = AccessTokenGrant(org.instance_url, org.org_id[:15] + "!AQnotatoken")

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.INVALID_TOKEN


def test_revoked_refresh_token_is_reported(org: RunningOrg) -> None:
    connection = browser_tokens(org)
    refresh_token = connection.refresh_token
    assert refresh_token is not None
    assert connection.revoke() is True
    grant = RefreshTokenGrant(
        org.instance_url, connection.client_id or "", refresh_token
    )

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.REVOKED
    assert revoke_token(org.session(), org.instance_url, refresh_token) is False


def test_untrusted_certificate(org: RunningOrg) -> None:
    grant = ClientCredentialsGrant(org.instance_url, org.client_id, org.client_secret)

    with pytest.raises(LoginError) as caught:
        Connection.open(grant, retry=FAST_RETRY)

    assert caught.value.problem is LoginProblem.UNTRUSTED_CERTIFICATE


def test_unreachable_login_url(org: RunningOrg) -> None:
    grant = ClientCredentialsGrant("https://127.0.0.1:9", "id", "secret")

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.UNREACHABLE
    assert "127.0.0.1:9" in str(caught.value)


@pytest.mark.parametrize("grant_kind", ["oauth", "soap"])
def test_wrong_login_url(org: RunningOrg, grant_kind: str) -> None:
    url = org.instance_url + "/not-salesforce"
    grant: object = (
        ClientCredentialsGrant(url, org.client_id, org.client_secret)
        if grant_kind == "oauth"
        else SoapLoginGrant(url, org.username, org.password, org.security_token)
    )

    with pytest.raises(LoginError) as caught:
        open_connection(org, grant)

    assert caught.value.problem is LoginProblem.WRONG_URL


@pytest.mark.parametrize(
    ("error", "description", "problem"),
    [
        ("invalid_grant", "authentication failure", LoginProblem.INVALID_CREDENTIALS),
        ("invalid_grant", "expired access/refresh token", LoginProblem.REVOKED),
        (
            "invalid_grant",
            "user hasn't approved this consumer",
            LoginProblem.NOT_APPROVED,
        ),
        ("invalid_grant", "Audience validation failed", LoginProblem.INVALID_ASSERTION),
        ("invalid_grant", "invalid assertion", LoginProblem.INVALID_ASSERTION),
        (
            "invalid_grant",
            "no client credentials user enabled",
            LoginProblem.APP_BLOCKED,
        ),
        ("invalid_client_id", "client identifier invalid", LoginProblem.INVALID_CLIENT),
        ("invalid_client", "invalid client credentials", LoginProblem.INVALID_CLIENT),
        (
            "unsupported_grant_type",
            "grant type not supported",
            LoginProblem.APP_BLOCKED,
        ),
        ("OAUTH_APP_BLOCKED", "this app is blocked", LoginProblem.APP_BLOCKED),
        ("access_denied", "end-user denied authorization", LoginProblem.NOT_APPROVED),
        ("inactive_user", "user is inactive", LoginProblem.INVALID_CREDENTIALS),
        ("invalid_grant", "something new", LoginProblem.REFUSED),
        ("server_error", "", LoginProblem.REFUSED),
    ],
)
def test_oauth_errors_map_to_problems(
    error: str, description: str, problem: LoginProblem
) -> None:
    found = login_error_for_oauth(error, description)

    assert found.problem is problem
    assert found.code == error
    assert error in found.message


def test_login_calls_go_through_the_api_session(org: RunningOrg) -> None:
    http = ApiSession(ca_file=org.ca_file)
    grant = ClientCredentialsGrant(org.instance_url, org.client_id, org.client_secret)

    tokens = grant.request(http)

    assert tokens.instance_url == org.instance_url
    assert tokens.refresh_token is None
    assert http.trust_env is False
    assert isinstance(http, requests.Session)
