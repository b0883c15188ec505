"""The consent widget, driven without a browser: ``.value``, ``.click()``, requests."""

from __future__ import annotations

import pytest
import requests

from sfmagic.client import Connection, LoginError
from sfmagic.client.auth import BrowserLogin, Grant, SignInState, WebServerFlow
from sfmagic.emulator.org import RunningOrg
from sfmagic.widgets.oauth import ConsentWidget
from tests.login_support import callback_app, shared_org, sign_in


@pytest.fixture(scope="module")
def login_org() -> RunningOrg:
    return shared_org()


def make_widget(
    org: RunningOrg, *, listen: bool = True, timeout: float = 30.0
) -> ConsentWidget:
    app, redirect_uri, _ = callback_app(org)
    flow = WebServerFlow(org.instance_url, app.client_id, redirect_uri)

    def connect(grant: Grant) -> Connection:
        return Connection.open(grant, ca_file=org.ca_file, alias="web")

    login = BrowserLogin(flow, connect, listen=listen, timeout=timeout)
    widget = ConsentWidget(login)
    login.start()
    return widget


def test_widget_shows_a_sign_in_link_and_waits(login_org: RunningOrg) -> None:
    widget = make_widget(login_org)

    assert widget.children[0] is widget.link
    assert 'target="_blank"' in widget.link.value
    assert ">Sign in to Salesforce</a>" in widget.link.value
    assert widget.login.authorize_url.replace("&", "&amp;") in widget.link.value
    assert "Waiting for the browser at http://localhost:" in widget.status.value
    assert widget.redirect.placeholder.startswith(widget.login.flow.redirect_uri)
    widget.login.cancel()


def test_pasted_address_signs_in(login_org: RunningOrg) -> None:
    widget = make_widget(login_org, listen=False)
    assert "paste the address" in widget.status.value
    redirect = sign_in(
        login_org, widget.login.authorize_url, login_org.username, login_org.password
    )

    widget.redirect.value = redirect
    widget.finish.click()

    assert widget.login.state is SignInState.SIGNED_IN
    assert (
        f"Signed in as {login_org.username} to org {login_org.org_id} at "
        f"{login_org.instance_url} (alias &#x27;web&#x27;)."
    ) in widget.status.value
    assert widget.redirect.value == ""
    assert widget.redirect.disabled
    assert widget.finish.disabled
    assert widget.link.layout.display == "none"


def test_listener_signs_in_and_updates_the_widget(login_org: RunningOrg) -> None:
    widget = make_widget(login_org)
    redirect = sign_in(
        login_org, widget.login.authorize_url, login_org.username, login_org.password
    )

    requests.get(redirect, timeout=30)
    widget.login.wait(10)

    assert "Signed in as" in widget.status.value
    assert widget.finish.disabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Paste the address of the page the browser ended on first."),
        ("hello", "The text is not the address of a sign-in redirect."),
        (
            "http://localhost:1717/OauthRedirect?code=x&state=other",
            "The redirect belongs to another sign-in attempt.",
        ),
    ],
)
def test_wrong_pastes_keep_the_sign_in_open(
    login_org: RunningOrg, text: str, expected: str
) -> None:
    widget = make_widget(login_org, listen=False)

    widget.redirect.value = text
    widget.finish.click()

    assert expected in widget.status.value
    assert widget.login.state is SignInState.WAITING
    assert not widget.finish.disabled
    assert widget.redirect.value == ""
    widget.login.cancel()


def test_denial_is_reported(login_org: RunningOrg) -> None:
    widget = make_widget(login_org, listen=False)
    redirect = sign_in(
        login_org,
        widget.login.authorize_url,
        login_org.username,
        login_org.password,
        allow=False,
    )

    widget.redirect.value = redirect
    widget.finish.click()

    assert widget.login.state is SignInState.FAILED
    assert "access_denied" in widget.status.value
    assert widget.finish.disabled


def test_timeout_is_reported(login_org: RunningOrg) -> None:
    widget = make_widget(login_org, timeout=0.2)

    with pytest.raises(LoginError):
        widget.login.wait(5)

    assert "not finished within 0.2 seconds" in widget.status.value
    assert widget.redirect.disabled


def test_custom_explanations(login_org: RunningOrg) -> None:
    app, redirect_uri, _ = callback_app(login_org)
    flow = WebServerFlow(login_org.instance_url, app.client_id, redirect_uri)
    login: BrowserLogin[Connection] = BrowserLogin(
        flow, lambda grant: Connection.open(grant), listen=False, timeout=0.1
    )
    widget = ConsentWidget(login, explain=lambda error: f"Custom: {error.problem}")
    login.start()

    with pytest.raises(LoginError):
        login.wait(5)

    assert "Custom: consent_timeout" in widget.status.value


def test_code_never_stays_in_the_widget(login_org: RunningOrg) -> None:
    widget = make_widget(login_org, listen=False)
    redirect = sign_in(
        login_org, widget.login.authorize_url, login_org.username, login_org.password
    )
    code = redirect.split("code=")[1].split("&")[0]

    widget.redirect.value = redirect
    widget.finish.click()

    state = widget.get_state()
    everything = repr(widget) + repr(state) + widget.status.value + widget.link.value
    for child in (widget.redirect, widget.status, widget.link, widget.hint):
        everything += repr(child.get_state())
    assert code not in everything
    assert widget.login.flow.code_verifier not in everything
