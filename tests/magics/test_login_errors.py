"""Every way ``%sf_login`` can fail: one sentence, IPython's ``UsageError`` itself."""

from __future__ import annotations

import pytest
import requests
from IPython.core.error import StdinNotImplementedError
from IPython.core.interactiveshell import InteractiveShell

from sfmagic.client.errors import LoginError
from sfmagic.emulator.org import RunningOrg
from tests.login_support import (
    callback_app,
    changed_settings,
    new_app,
    new_user,
    sign_in,
)
from tests.magics.helpers import consent_widget, org_options, run, usage_error


def with_secrets(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_wrong_password(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user(org, "wrong")
    with_secrets(monkeypatch, SF_PASSWORD="not-it", SF_SECURITY_TOKEN="x")

    message = usage_error(ip, "sf_login", f"-u {user.username} {org_options(org)}")

    assert "refused the username or password" in message
    assert "run %sf_login again" in message
    assert "not-it" not in message


def test_missing_security_token(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user(org, "token")
    with_secrets(monkeypatch, SF_PASSWORD=user.password)

    message = usage_error(ip, "sf_login", f"-u {user.username} {org_options(org)}")

    assert "security token" in message
    assert "SF_SECURITY_TOKEN" in message


def test_soap_login_disabled(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_secrets(
        monkeypatch, SF_PASSWORD=org.password, SF_SECURITY_TOKEN=org.security_token
    )
    with changed_settings(org, soap_login_disabled=True):
        message = usage_error(
            ip, "sf_login", f"-u {org.username} --soap {org_options(org)}"
        )

    assert "SOAP API login() is disabled" in message
    assert "--client-id" in message


def test_app_not_approved(ip: InteractiveShell, org: RunningOrg) -> None:
    app, _, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port}"

    widget = consent_widget(run(ip, "sf_login", line))
    redirect = sign_in(
        org, widget.login.authorize_url, org.username, org.password, allow=False
    )
    requests.get(redirect, timeout=30)

    assert "was not approved" in widget.status.value
    message = usage_error(ip, "sf_whoami")
    assert "access to the connected app was not approved" in message


def test_blocked_app(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = new_app(org, flows=["authorization_code", "refresh_token"])
    with_secrets(monkeypatch, SF_CLIENT_SECRET=app.client_secret)

    message = usage_error(
        ip,
        "sf_login",
        f"--client-credentials --client-id {app.client_id} {org_options(org)}",
    )

    assert "the connected app is blocked or may not use this login flow" in message


def test_app_blocked_by_the_org_in_the_browser(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    app, redirect_uri, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port}"
    run(ip, "config", "SfMagic.listen = False")
    widget = consent_widget(run(ip, "sf_login", line))
    # What Salesforce sends the browser back with when an admin blocked the app
    # (the emulator has no blocking): the error, with this attempt's state.
    widget.redirect.value = (
        f"{redirect_uri}?error=OAUTH_APP_BLOCKED&error_description="
        f"this+app+is+blocked+by+admin&state={widget.login.flow.state}"
    )
    widget.finish.click()

    assert "this login flow (OAUTH_APP_BLOCKED), so ask your admin" in (
        widget.status.value
    )
    message = usage_error(ip, "sf_whoami")
    assert "the connected app is blocked or may not use this login flow" in message
    assert "use another %sf_login mode" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://127.0.0.1:9", "127.0.0.1:9 could not be reached"),
        ("{instance}/nothing-here", "does not answer like a Salesforce login"),
        ("ftp://example.com", "is not a login URL"),
    ],
)
def test_unreachable_or_wrong_login_url(
    ip: InteractiveShell,
    org: RunningOrg,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    expected: str,
) -> None:
    run(ip, "config", "SfMagic.ca_file = " + repr(str(org.ca_file)))
    with_secrets(monkeypatch, SF_CLIENT_SECRET=org.client_secret)
    login_url = url.format(instance=org.instance_url)

    message = usage_error(
        ip,
        "sf_login",
        f"--client-credentials --client-id {org.client_id} --login-url {login_url}",
    )

    assert expected in message


def test_untrusted_certificate(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_secrets(monkeypatch, SF_CLIENT_SECRET=org.client_secret)

    message = usage_error(
        ip,
        "sf_login",
        f"--client-credentials --client-id {org.client_id} "
        f"--login-url {org.instance_url}",
    )

    assert "is not trusted, so pass --ca-file" in message


def test_revoked_refresh_token(ip: InteractiveShell, org: RunningOrg) -> None:
    import sfmagic
    from sfmagic.client.auth.oauth import revoke_token

    app, _, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port}"
    widget = consent_widget(run(ip, "sf_login", line))
    redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
    requests.get(redirect, timeout=30)
    widget.login.wait(10)
    refresh_token = sfmagic.connection().refresh_token
    assert refresh_token is not None
    revoke_token(org.session(), org.instance_url, refresh_token)

    message = usage_error(ip, "sf_whoami")

    assert "the refresh token was revoked or has expired" in message


@pytest.mark.parametrize("wait", [True, False])
def test_timed_out_consent(ip: InteractiveShell, org: RunningOrg, wait: bool) -> None:
    app, _, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port}"

    if wait:
        message = usage_error(ip, "sf_login", f"{line} --timeout 0.3 --wait")
    else:
        # Long enough for the next magic to find the sign-in still under way.
        widget = consent_widget(run(ip, "sf_login", f"{line} --timeout 3"))
        pending = usage_error(ip, "sf_whoami")
        with pytest.raises(LoginError):
            widget.login.wait(30)
        assert "is not finished, so complete it in the widget" in pending
        assert "not finished in time" in widget.status.value
        message = usage_error(ip, "sf_whoami")

    assert "browser sign-in was not finished in time" in message
    assert "--timeout" in message


def test_expired_session_without_renewal(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = org.access_token()
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    run(
        ip,
        "sf_login",
        f"--access-token-env --instance-url {org.instance_url} --ca-file {org.ca_file}",
    )
    # Ended now at the org: Salesforce answers it as it answers an expiry.
    org.state.identity.revoke(token)

    message = usage_error(ip, "sf_whoami")

    assert "expired and cannot be renewed" in message


def test_refused_access_token(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.org_id[:15] + "!AQbogus")

    message = usage_error(
        ip,
        "sf_login",
        f"--access-token-env --instance-url {org.instance_url} --ca-file {org.ca_file}",
    )

    assert "did not accept the access token" in message
    assert "AQbogus" not in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", "no way to sign in was given"),
        ("--local --client-credentials", "--local and --client-credentials are two"),
        ("--browser --jwt-key k.pem", "--browser and --jwt-key are two"),
        ("--soap", "--soap goes with --username only"),
        ("--local --save x", "--local logins cannot be stored"),
        ("--local --api-version v62", "is not of the form NN.0"),
        ("--client-credentials --client-id X --ca-file /no.pem", "does not exist"),
        ("--local --port 70000", "port 70000 is not valid"),
        ("--profile nope", "there is no profile named 'nope'"),
        ("--client-credentials", "needs the connected app's consumer key"),
        ("--jwt-key k.pem --client-id X", "needs the user to act as"),
        ("--access-token-env NO_SUCH_VARIABLE", "NO_SUCH_VARIABLE is not set"),
        ("--client-id X --save 'bad name'", "is not a valid profile name"),
    ],
)
def test_line_mistakes(ip: InteractiveShell, line: str, expected: str) -> None:
    assert expected in usage_error(ip, "sf_login", line)


@pytest.mark.parametrize(
    "line",
    [
        "--username u@x.com --password hunter2",
        "--username u@x.com --password=hunter2",
        "--client-secret hunter2 --client-credentials",
        "--security-token hunter2 -u u@x.com",
        "-u u@x.com -phunter2",
    ],
)
def test_secrets_on_the_line_are_refused_without_echo(
    ip: InteractiveShell, line: str
) -> None:
    message = usage_error(ip, "sf_login", line)

    assert "hunter2" not in message
    assert "environment variable or the hidden prompt" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("--username u@x.com hunter2", "unexpected words on the line"),
        ("--local --bogus hunter2", "unknown option --bogus"),
        ("--local -Xhunter2", "unexpected words on the line"),
        ("--local --port hunter2", "argument --port is missing or not valid"),
        ("--local 'unbalanced", "unbalanced quote"),
    ],
)
def test_parse_errors_do_not_repeat_free_words(
    ip: InteractiveShell, line: str, expected: str
) -> None:
    message = usage_error(ip, "sf_login", line)

    assert expected in message
    assert "hunter2" not in message


def test_no_interactive_input_for_a_password(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_stdin(prompt: str = "") -> str:
        raise StdinNotImplementedError("no stdin")

    monkeypatch.setattr("getpass.getpass", no_stdin)

    message = usage_error(ip, "sf_login", f"-u {org.username} {org_options(org)}")

    assert "cannot ask for it, so set SF_PASSWORD" in message


def test_empty_password_answer(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "")

    message = usage_error(ip, "sf_login", f"-u {org.username} {org_options(org)}")

    assert "is empty" in message


@pytest.mark.parametrize(
    ("magic", "line", "expected"),
    [
        ("sf_whoami", "", "there is no connection open"),
        ("sf_whoami", "ghost", "there is no connection named 'ghost'"),
        ("sf_use", "ghost", "no connection named 'ghost'"),
        ("sf_logout", "", "there is no connection open"),
        ("sf_profiles", "--delete ghost", "no profile named 'ghost'"),
    ],
)
def test_other_magics_without_a_connection(
    ip: InteractiveShell, magic: str, line: str, expected: str
) -> None:
    assert expected in usage_error(ip, magic, line)
