"""``Connection``: renewal on expiry, retries, API usage, errors and logs."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from simple_salesforce.exceptions import SalesforceExpiredSession
from urllib3.exceptions import ConnectTimeoutError

from sfmagic.client import (
    ApiUsage,
    Connection,
    InvalidSessionError,
    LoginError,
    LoginProblem,
    MalformedRequestError,
    ResourceNotFoundError,
    SalesforceError,
    ServiceUnavailableError,
)
from sfmagic.client.api_session import ApiSession, retry_policy
from sfmagic.client.auth import (
    AccessTokenGrant,
    ClientCredentialsGrant,
    Grant,
    Tokens,
    UserInfo,
    WebServerFlow,
)
from sfmagic.client.auth.oauth import revoke_token
from sfmagic.emulator.org import RunningOrg
from tests.login_support import admin_connection, new_app, shared_org, sign_in

FAST_RETRY = retry_policy(attempts=3, backoff=0.01)


@pytest.fixture(scope="module")
def org() -> RunningOrg:
    return shared_org()


def client_credentials(org: RunningOrg) -> Connection:
    grant = ClientCredentialsGrant(org.instance_url, org.client_id, org.client_secret)
    return Connection.open(grant, ca_file=org.ca_file)


def browser_connection(org: RunningOrg) -> Connection:
    app = new_app(org, callback_urls=["http://localhost:1717/OauthRedirect"])
    flow = WebServerFlow(org.instance_url, app.client_id, app.callback_urls[0])
    redirect = sign_in(org, flow.authorize_url, org.username, org.password)
    grant = flow.grant(flow.code_from_redirect(redirect))
    return Connection.open(grant, ca_file=org.ca_file)


def end_session(org: RunningOrg, connection: Connection) -> str:
    """End the connection's session at the org now; the token it had.

    Salesforce answers an expired and a revoked session alike (401
    ``INVALID_SESSION_ID``); revoking the access token ends the session at
    once, where waiting out a short session lifetime would race with a slow
    login on a busy machine.
    """
    token = connection.http.access_token or ""
    assert org.state.identity.revoke(token)
    return token


@pytest.mark.parametrize("kind", ["refresh_token", "fresh_login"])
def test_ended_session_is_renewed_once_transparently(
    org: RunningOrg, kind: str
) -> None:
    if kind == "refresh_token":
        connection = browser_connection(org)
    else:
        connection = client_credentials(org)
    first = end_session(org, connection)

    users = connection.sf.query("SELECT Id FROM User")
    second = connection.http.access_token
    raw = connection.get("limits/")

    assert users["totalSize"] >= 1
    assert "DailyApiRequests" in raw
    assert second != first
    assert connection.sf.session_id == second
    assert connection.http.access_token == second


def test_session_without_renewal_reports_the_end(org: RunningOrg) -> None:
    connection = admin_connection(org)
    end_session(org, connection)

    with pytest.raises(InvalidSessionError) as caught:
        connection.get("limits/")
    with pytest.raises(SalesforceExpiredSession):
        connection.sf.query("SELECT Id FROM User")
    with pytest.raises(LoginError) as renewing:
        connection.renew_session()

    assert caught.value.status == 401
    assert caught.value.error_code == "INVALID_SESSION_ID"
    assert renewing.value.problem is LoginProblem.EXPIRED_SESSION


def test_revoked_refresh_token_stops_the_renewal(org: RunningOrg) -> None:
    connection = browser_connection(org)
    assert connection.refresh_token is not None
    revoke_token(org.session(), org.instance_url, connection.refresh_token)

    with pytest.raises(LoginError) as caught:
        connection.get("limits/")

    assert caught.value.problem is LoginProblem.REVOKED


def test_api_usage_follows_sforce_limit_info(org: RunningOrg) -> None:
    connection = client_credentials(org)
    before = connection.refresh_usage()
    connection.sf.query("SELECT Id FROM User")
    after = connection.api_usage

    assert isinstance(before, ApiUsage)
    assert after is not None
    assert after.total == org.state.settings.daily_api_limit
    assert after.used == before.used + 1
    assert str(ApiUsage(1234, 15000)) == "1,234 of 15,000"


@pytest.mark.parametrize(
    ("path", "kind", "code"),
    [
        ("sobjects/Account/001000000000000AAA", ResourceNotFoundError, "NOT_FOUND"),
        ("query/?q=SELECT+Nope+FROM+Account", MalformedRequestError, "INVALID_FIELD"),
    ],
)
def test_errors_carry_status_and_code(
    org: RunningOrg, path: str, kind: type[SalesforceError], code: str
) -> None:
    connection = client_credentials(org)

    with pytest.raises(kind) as caught:
        connection.get(path)

    assert caught.value.error_code == code
    assert "?q=" not in str(caught.value)
    assert connection.http.access_token not in str(caught.value)


def test_one_log_line_per_call_without_secrets(
    org: RunningOrg, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        connection = client_credentials(org)
        connection.sf.query("SELECT Id FROM User WHERE Username = 'x'")

    lines = [r.getMessage() for r in caplog.records if r.name == "sfmagic.client"]
    assert lines[0].startswith("POST /services/oauth2/token 200 ")
    assert lines[1].startswith("GET /services/oauth2/userinfo 200 ")
    assert lines[2].startswith("GET /services/data/v64.0/query/ 200 ")
    for secret in (org.client_secret, connection.http.access_token or "?"):
        assert secret not in caplog.text
    assert not any("Username" in line for line in lines)


def test_session_trusts_only_the_given_ca(org: RunningOrg) -> None:
    trusting = ApiSession(ca_file=org.ca_file)
    default = ApiSession()

    assert trusting.trust_env is False
    assert trusting.verify == str(org.ca_file)
    assert default.trust_env is True
    assert default.verify is True


EXPIRED = b'[{"errorCode":"INVALID_SESSION_ID","message":"Session expired"}]'


class FlakyServer:
    """Plain HTTP on loopback answering 503 (or dropping) a few times first.

    With ``accept``, every request whose bearer token is not that one is
    answered 401 ``INVALID_SESSION_ID``, as Salesforce answers an expired
    session.
    """

    def __init__(
        self, failures: int, *, drop: bool = False, accept: str | None = None
    ) -> None:
        self.failures = failures
        self.calls: list[str] = []
        self.tokens: list[str] = []
        self.bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.calls.append(self.command)
                server.tokens.append(self.headers.get("Authorization", ""))
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append(self.rfile.read(length))
                if accept is not None and server.tokens[-1] != f"Bearer {accept}":
                    self.send_response(401)
                    body = EXPIRED
                elif len(server.calls) <= server.failures:
                    if drop:
                        self.connection.close()
                        return
                    self.send_response(503)
                    body = b'[{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}]'
                else:
                    self.send_response(200)
                    body = json.dumps({"ok": True}).encode()
                    self.send_header("Sforce-Limit-Info", "api-usage=7/100")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer  # noqa: N815
            do_POST = _answer  # noqa: N815
            do_PATCH = _answer  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def connection(self, grant: Grant | None = None) -> Connection:
        http = ApiSession(retry=FAST_RETRY)
        tokens = Tokens(access_token="tok", instance_url=self.url)
        user = UserInfo("005", "u@x.com", "U", "00D")
        grant = grant or AccessTokenGrant(self.url, "tok")
        return Connection(http, tokens, user, grant=grant)

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def flaky() -> Iterator[type[FlakyServer]]:
    servers: list[FlakyServer] = []

    def make(
        failures: int, *, drop: bool = False, accept: str | None = None
    ) -> FlakyServer:
        server = FlakyServer(failures, drop=drop, accept=accept)
        servers.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in servers:
        server.close()


@pytest.mark.parametrize("drop", [False, True])
def test_idempotent_calls_retry_on_503_and_dropped_connections(
    flaky: type[FlakyServer], drop: bool
) -> None:
    server = flaky(2, drop=drop)
    connection = server.connection()

    assert connection.get("limits/") == {"ok": True}
    assert server.calls == ["GET", "GET", "GET"]
    assert connection.api_usage == ApiUsage(7, 100)


def test_posts_are_not_retried_on_503(flaky: type[FlakyServer]) -> None:
    server = flaky(1)
    connection = server.connection()

    with pytest.raises(ServiceUnavailableError) as caught:
        connection.request("POST", "sobjects/Account/", json={"Name": "x"})

    assert server.calls == ["POST"]
    assert caught.value.error_code == "SERVER_UNAVAILABLE"


def test_retries_give_up_after_the_budget(flaky: type[FlakyServer]) -> None:
    server = flaky(10)
    connection = server.connection()

    with pytest.raises(ServiceUnavailableError):
        connection.get("limits/")

    assert len(server.calls) == 4


@dataclass
class CountingGrant:
    """A login that can be repeated without the user, counting its runs."""

    login_url: str
    mode: str = "counting"
    runs: int = 0

    def request(self, http: requests.Session) -> Tokens:
        self.runs += 1
        return Tokens(access_token=f"fresh{self.runs}", instance_url=self.login_url)

    def renewal(self, tokens: Tokens) -> Grant | None:
        return self


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH"])
def test_invalid_session_is_renewed_then_the_call_sent_once_more(
    flaky: type[FlakyServer], method: str
) -> None:
    server = flaky(0, accept="fresh1")
    grant = CountingGrant(server.url)
    connection = server.connection(grant)

    answer = connection.request(method, "sobjects/Account/", json={"Name": "x"})

    assert answer.json() == {"ok": True}
    assert grant.runs == 1
    assert server.tokens == ["Bearer tok", "Bearer fresh1"]
    assert server.bodies[0] == server.bodies[1]
    assert connection.http.access_token == "fresh1"


def test_a_second_invalid_session_is_reported_not_renewed_again(
    flaky: type[FlakyServer],
) -> None:
    server = flaky(0, accept="never")
    grant = CountingGrant(server.url)
    connection = server.connection(grant)

    with pytest.raises(InvalidSessionError):
        connection.get("limits/")

    assert grant.runs == 1
    assert server.tokens == ["Bearer tok", "Bearer fresh1"]


def test_backoff_grows_between_retries() -> None:
    policy = retry_policy(attempts=4, backoff=0.5, backoff_max=1.5)
    waits = []
    for _ in range(4):
        policy = policy.increment("GET", "/x", error=ConnectTimeoutError("refused"))
        waits.append(policy.get_backoff_time())

    assert waits == [0.0, 1.0, 1.5, 1.5]
    assert 503 in policy.status_forcelist
    assert "POST" not in (policy.allowed_methods or ())
