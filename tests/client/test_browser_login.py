"""Browser sign-in without a browser: PKCE, state, the listener, paste, timeout."""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sfmagic.client import Connection, LoginError, LoginProblem
from sfmagic.client.auth import BrowserLogin, Grant, SignInState, WebServerFlow
from sfmagic.client.auth.listener import CallbackListener, CallbackResult
from sfmagic.client.auth.webserver import AuthorizationCodeGrant
from sfmagic.emulator.org import RunningOrg
from tests.login_support import callback_app, free_port, shared_org, sign_in


@pytest.fixture(scope="module")
def org() -> RunningOrg:
    return shared_org()


def make_login(
    org: RunningOrg, *, listen: bool = True, timeout: float = 30.0
) -> BrowserLogin[Connection]:
    app, redirect_uri, _ = callback_app(org)
    flow = WebServerFlow(org.instance_url, app.client_id, redirect_uri)

    def connect(grant: Grant) -> Connection:
        return Connection.open(grant, ca_file=org.ca_file)

    return BrowserLogin(flow, connect, listen=listen, timeout=timeout)


def test_authorize_url_carries_pkce_and_state() -> None:
    flow = WebServerFlow(
        "https://login.salesforce.com/",
        "CID",
        "http://localhost:1717/OauthRedirect",
        login_hint="ada@example.com",
    )

    parts = urlsplit(flow.authorize_url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}

    assert parts.netloc == "login.salesforce.com"
    assert parts.path == "/services/oauth2/authorize"
    digest = hashlib.sha256(flow.code_verifier.encode()).digest()
    assert params == {
        "response_type": "code",
        "client_id": "CID",
        "redirect_uri": "http://localhost:1717/OauthRedirect",
        "scope": "api refresh_token",
        "state": flow.state,
        "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "login_hint": "ada@example.com",
    }
    assert 43 <= len(flow.code_verifier) <= 128
    assert flow.code_verifier not in repr(flow)
    assert flow.state not in repr(flow)


def test_each_flow_has_its_own_state_and_verifier() -> None:
    one = WebServerFlow("https://x", "CID", "http://localhost:1717/OauthRedirect")
    two = WebServerFlow("https://x", "CID", "http://localhost:1717/OauthRedirect")

    assert one.state != two.state
    assert one.code_verifier != two.code_verifier


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("code=abc&state=WRONG", LoginProblem.STATE_MISMATCH),
        ("code=abc", LoginProblem.STATE_MISMATCH),
        ("nothing=here", LoginProblem.BAD_REDIRECT),
        ("error=access_denied&error_description=denied&state={state}", "denied"),
        ("error=OAUTH_APP_BLOCKED&state={state}", LoginProblem.APP_BLOCKED),
    ],
)
def test_redirect_is_checked(query: str, problem: object) -> None:
    flow = WebServerFlow("https://x", "CID", "http://localhost:1717/OauthRedirect")
    url = "http://localhost:1717/OauthRedirect?" + query.format(state=flow.state)

    with pytest.raises(LoginError) as caught:
        flow.code_from_redirect(url)

    expected = LoginProblem.NOT_APPROVED if problem == "denied" else problem
    assert caught.value.problem is expected


def test_code_is_read_from_a_url_or_a_bare_query() -> None:
    flow = WebServerFlow("https://x", "CID", "http://localhost:1717/OauthRedirect")
    query = f"code=aPrx%2Fcode&state={flow.state}"

    assert flow.code_from_redirect(f"http://localhost:1717/OauthRedirect?{query}") == (
        "aPrx/code"
    )
    assert flow.code_from_redirect(f"  {query}\n") == "aPrx/code"


def test_listener_receives_the_redirect(org: RunningOrg) -> None:
    login = make_login(org)
    login.start()
    assert login.listening

    redirect = sign_in(org, login.authorize_url, org.username, org.password)
    page = requests.get(redirect, timeout=30)
    connection = login.wait(10)

    assert page.status_code == 200
    assert "You are signed in" in page.text
    assert login.state is SignInState.SIGNED_IN
    assert connection.username == org.username
    assert connection.refresh_token is not None
    assert not login.listening
    with pytest.raises(requests.ConnectionError):
        requests.get(redirect, timeout=5)


def test_listener_ignores_strays_and_keeps_waiting(org: RunningOrg) -> None:
    login = make_login(org)
    login.start()
    base = login.flow.redirect_uri

    stray = requests.get(base.replace("/OauthRedirect", "/favicon.ico"), timeout=10)
    forged = requests.get(f"{base}?code=forged&state=forged", timeout=10)

    assert stray.status_code == 404
    assert forged.status_code == 400
    assert login.state is SignInState.WAITING
    assert login.listening
    redirect = sign_in(org, login.authorize_url, org.username, org.password)
    assert requests.get(redirect, timeout=30).status_code == 200
    assert login.wait(10).username == org.username


def test_denied_consent_fails_the_sign_in(org: RunningOrg) -> None:
    login = make_login(org)
    login.start()

    redirect = sign_in(
        org, login.authorize_url, org.username, org.password, allow=False
    )
    page = requests.get(redirect, timeout=30)

    assert "Sign-in failed" in page.text
    with pytest.raises(LoginError) as caught:
        login.wait(10)
    assert caught.value.problem is LoginProblem.NOT_APPROVED
    assert login.state is SignInState.FAILED


def test_pasted_redirect_finishes_without_a_listener(org: RunningOrg) -> None:
    login = make_login(org, listen=False)
    changes: list[SignInState] = []
    login.subscribe(lambda current: changes.append(current.state))
    login.start()

    redirect = sign_in(org, login.authorize_url, org.username, org.password)
    with pytest.raises(LoginError):
        login.finish("this is not it")
    connection = login.finish(redirect)

    assert connection.username == org.username
    assert changes == [SignInState.WAITING, SignInState.SIGNED_IN]
    assert login.finish(redirect) is connection


def test_sign_in_times_out(org: RunningOrg) -> None:
    login = make_login(org, timeout=0.3)
    login.start()
    port = urlsplit(login.flow.redirect_uri).port

    with pytest.raises(LoginError) as caught:
        login.wait(5)

    assert caught.value.problem is LoginProblem.CONSENT_TIMEOUT
    assert not login.listening
    with pytest.raises(LoginError):
        login.finish(f"{login.flow.redirect_uri}?code=x&state={login.flow.state}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port or 0))


def test_busy_port_falls_back_to_pasting(org: RunningOrg) -> None:
    login = make_login(org)
    port = urlsplit(login.flow.redirect_uri).port or 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        login.start()

    assert not login.listening
    assert login.listen_error is not None
    assert str(port) in login.listen_error
    redirect = sign_in(org, login.authorize_url, org.username, org.password)
    assert login.finish(redirect).username == org.username


def test_cancel_releases_the_port() -> None:
    flow = WebServerFlow(
        "https://x", "CID", f"http://127.0.0.1:{free_port()}/OauthRedirect"
    )
    login: BrowserLogin[object] = BrowserLogin(flow, lambda grant: grant, timeout=30)
    login.start()

    login.cancel()

    assert login.state is SignInState.FAILED
    assert not login.listening


def test_listener_refuses_non_loopback_callbacks() -> None:
    with pytest.raises(ValueError, match="localhost"):
        CallbackListener(
            "https://example.com/OauthRedirect",
            lambda url: CallbackResult(done=True, heading="", message=""),
        )


def test_listener_close_from_its_own_handler() -> None:
    port = free_port()
    seen: list[str] = []

    def handle(url: str) -> CallbackResult:
        seen.append(url)
        return CallbackResult(done=True, heading="Done", message="<b>x</b>")

    listener = CallbackListener(f"http://localhost:{port}/cb", handle)
    listener.start()
    page = requests.get(f"http://127.0.0.1:{port}/cb?a=1", timeout=10)
    deadline = time.monotonic() + 5
    while not listener.closed and time.monotonic() < deadline:
        time.sleep(0.05)

    assert seen == [f"http://localhost:{port}/cb?a=1"]
    assert "&lt;b&gt;x&lt;/b&gt;" in page.text
    assert listener.closed


@pytest.mark.parametrize("verifier", ["another-verifier-" + "x" * 40, ""])
def test_a_code_without_its_pkce_verifier_is_refused(
    org: RunningOrg, verifier: str
) -> None:
    app, redirect_uri, _ = callback_app(org)
    flow = WebServerFlow(org.instance_url, app.client_id, redirect_uri)
    redirect = sign_in(org, flow.authorize_url, org.username, org.password)
    code = flow.code_from_redirect(redirect)
    stolen = AuthorizationCodeGrant(
        org.instance_url, app.client_id, redirect_uri, code, verifier
    )

    with pytest.raises(LoginError) as caught:
        Connection.open(stolen, ca_file=org.ca_file)

    # As Salesforce: a wrong verifier is invalid_request, a missing one invalid_grant.
    assert caught.value.code == ("invalid_request" if verifier else "invalid_grant")
    assert "invalid code verifier" in caught.value.message
