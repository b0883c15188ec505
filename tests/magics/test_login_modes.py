"""``%sf_login`` in every mode, against the live emulator, in an IPython shell."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from IPython.core.interactiveshell import InteractiveShell

import sfmagic
from sfmagic.client.auth import SignInState
from sfmagic.emulator.org import RunningOrg
from sfmagic.magics import local
from tests.login_support import (
    callback_app,
    free_port,
    jwt_app,
    keyring_in_memory,
    sign_in,
)
from tests.magics.helpers import consent_widget, org_options, run, shown

RETIRING = (
    "Note: Salesforce is retiring SOAP login() and the OAuth username-password flow"
)


def prompts(monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> list[str]:
    """Answer hidden prompts in order; the prompts shown are returned."""
    shown: list[str] = []

    def fake_getpass(prompt: str = "Password: ") -> str:
        shown.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return shown


def test_local_starts_the_embedded_emulator_once(shell: InteractiveShell) -> None:
    shell.run_line_magic("load_ext", "sfmagic")
    try:
        first = run(shell, "sf_login", "--local")
        second = run(shell, "sf_login", "--local --alias again")
        org = local.running_org()
    finally:
        local.stop_local_org()

    assert org is not None
    assert "Started the embedded emulator" in first.stdout
    assert "Started" not in second.stdout
    assert f"Signed in as {org.username}" in first.stdout
    assert sfmagic.connection("again").instance_url == org.instance_url


def test_local_reuses_a_given_org(ip: InteractiveShell, org: RunningOrg) -> None:
    captured = run(ip, "sf_login", "--local")

    assert captured.stdout == (
        f"Signed in as {org.username} to org {org.org_id} at {org.instance_url} "
        "(alias 'default').\n"
    )
    assert sfmagic.connection().mode == "client_credentials"


def test_password_oauth_with_secrets_from_the_environment(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_PASSWORD", org.password)
    monkeypatch.setenv("SF_SECURITY_TOKEN", org.security_token)
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)

    captured = run(
        ip,
        "sf_login",
        f"--username {org.username} --client-id {org.client_id} {org_options(org)}",
    )

    assert captured.stdout.startswith(RETIRING)
    assert sfmagic.connection().mode == "password"
    assert sfmagic.connection().username == org.username


@pytest.mark.parametrize("flag", ["--soap", ""])
def test_soap_login_asks_with_hidden_prompts(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    shown = prompts(monkeypatch, [org.password, org.security_token])

    captured = run(ip, "sf_login", f"-u {org.username} {flag} {org_options(org)}")

    assert shown == [
        f"Password for {org.username}: ",
        f"Security token for {org.username} (empty if your IP is trusted): ",
    ]
    assert sfmagic.connection().mode == "soap"
    assert captured.stdout.startswith(RETIRING)


@pytest.mark.parametrize("store", ["keyring", "file"])
def test_password_and_token_from_the_secret_store(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    asked = prompts(monkeypatch, [])
    with keyring_in_memory() as backend:
        if store == "keyring":
            run(ip, "config", "SfMagic.secret_store = 'auto'")
        secrets = ip.find_magic("sf_login").__self__.secret_store_for()
        secrets.set(f"user/{org.username}/password", org.password)
        secrets.set(f"user/{org.username}/security_token", org.security_token)

        captured = run(ip, "sf_login", f"-u {org.username} {org_options(org)}")

    assert asked == []
    assert bool(backend.values) is (store == "keyring")
    assert secrets.file.exists() is (store == "file")
    assert captured.stdout.startswith(RETIRING)
    assert sfmagic.connection().username == org.username


@pytest.mark.parametrize(
    ("option", "host"),
    [
        ("", "login.salesforce.com"),
        ("--login-url test", "test.salesforce.com"),
        ("--login-url login", "login.salesforce.com"),
        ("--login-url acme.my.salesforce.com", "acme.my.salesforce.com"),
        (
            "--login-url https://acme--dev.sandbox.my.salesforce.com/",
            "acme--dev.sandbox.my.salesforce.com",
        ),
    ],
)
def test_login_url_choices(ip: InteractiveShell, option: str, host: str) -> None:
    port = free_port()

    captured = run(ip, "sf_login", f"--client-id 3MVG9example {option} --port {port}")
    login = consent_widget(captured).login
    login.cancel()

    assert urlsplit(login.authorize_url).netloc == host
    assert urlsplit(login.authorize_url).path == "/services/oauth2/authorize"


def test_login_url_from_config(ip: InteractiveShell) -> None:
    run(ip, "config", "SfMagic.login_url = 'https://test.salesforce.com'")
    run(ip, "config", "SfMagic.client_id = '3MVG9configured'")
    run(ip, "config", f"SfMagic.callback_port = {free_port()}")

    login = consent_widget(run(ip, "sf_login")).login
    login.cancel()

    assert login.authorize_url.startswith("https://test.salesforce.com/")
    assert "client_id=3MVG9configured" in login.authorize_url


def test_client_credentials_asks_for_the_secret(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = prompts(monkeypatch, [org.client_secret])

    run(
        ip,
        "sf_login",
        f"--client-credentials --client-id {org.client_id} {org_options(org)}",
    )

    assert shown == ["Client secret of the connected app: "]
    assert sfmagic.connection().mode == "client_credentials"


def test_jwt_bearer_with_a_key_file(
    ip: InteractiveShell, org: RunningOrg, tmp_path: Path
) -> None:
    key_file = tmp_path / "server.key"
    app, _ = jwt_app(org, key_file)

    run(
        ip,
        "sf_login",
        f"--jwt-key {key_file} --username {org.username} --client-id "
        f"{app.client_id} {org_options(org)} --alias bot",
    )

    assert sfmagic.connection("bot").mode == "jwt"


@pytest.mark.parametrize("where", ["option", "environment"])
def test_access_token_from_the_environment(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setenv("MY_TOKEN", org.access_token())
    instance = f"--instance-url {org.instance_url}"
    if where == "environment":
        monkeypatch.setenv("SF_INSTANCE_URL", org.instance_url)
        instance = ""

    run(
        ip,
        "sf_login",
        f"--access-token-env MY_TOKEN {instance} --ca-file {org.ca_file}",
    )

    assert sfmagic.connection().mode == "access_token"
    assert not sfmagic.connection().renewable


def browser_line(org: RunningOrg) -> tuple[str, str]:
    app, redirect_uri, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port}"
    return line, redirect_uri


def test_browser_is_the_default_with_a_client_id(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    line, redirect_uri = browser_line(org)

    captured = run(ip, "sf_login", line)
    widget = consent_widget(captured)
    redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
    page = requests.get(redirect, timeout=30)
    widget.login.wait(10)

    assert redirect.startswith(redirect_uri)
    assert page.status_code == 200
    assert "Signed in as admin@sfmagic.demo" in widget.status.value
    assert sfmagic.connection().mode == "browser"
    whoami = run(ip, "sf_whoami")
    assert "admin@sfmagic.demo" in shown(whoami)


def test_browser_paste_path(ip: InteractiveShell, org: RunningOrg) -> None:
    line, _ = browser_line(org)
    run(ip, "config", "SfMagic.listen = False")

    widget = consent_widget(run(ip, "sf_login", f"--browser {line}"))
    redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
    widget.redirect.value = redirect
    widget.finish.click()

    assert widget.login.state is SignInState.SIGNED_IN
    assert widget.redirect.value == ""
    assert sfmagic.connection().username == org.username


def test_running_sf_login_again_replaces_the_waiting_sign_in(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    line, _ = browser_line(org)
    first = consent_widget(run(ip, "sf_login", line))

    second = consent_widget(run(ip, "sf_login", line))
    redirect = sign_in(org, second.login.authorize_url, org.username, org.password)
    page = requests.get(redirect, timeout=30)

    assert first.login.state is SignInState.FAILED
    assert "replaced by a newer %sf_login on the same callback" in (first.status.value)
    assert "You are signed in" in page.text
    assert second.login.wait(10).username == org.username
    assert sfmagic.connection().mode == "browser"


def test_browser_wait_blocks_until_the_listener_gets_the_code(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    from sfmagic.client.registry import CONNECTIONS

    line, _ = browser_line(org)
    seen: list[str] = []

    def play_the_browser() -> None:
        # The widget is displayed before the cell blocks; find its login.
        import ipywidgets.widgets.widget as widget_module

        for _ in range(1200):  # up to a minute on a busy machine
            for widget in list(widget_module._instances.values()):
                login = getattr(widget, "login", None)
                if login is not None and login.state is SignInState.WAITING:
                    url = sign_in(org, login.authorize_url, org.username, org.password)
                    seen.append(requests.get(url, timeout=30).text)
                    return
            threading.Event().wait(0.05)

    player = threading.Thread(target=play_the_browser, daemon=True)
    player.start()
    captured = run(ip, "sf_login", f"{line} --wait --alias waited")
    player.join(30)

    assert "You are signed in" in seen[0]
    assert "Signed in as admin@sfmagic.demo" in captured.stdout
    assert CONNECTIONS.active == "waited"


def test_local_browser_registers_a_callback_app(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    port = free_port()
    widget = consent_widget(run(ip, "sf_login", f"--local --browser --port {port}"))

    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2FOauthRedirect" in (
        widget.login.authorize_url
    )
    redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
    requests.get(redirect, timeout=30)
    assert widget.login.wait(10).username == org.username


def test_several_orgs_by_alias(ip: InteractiveShell, org: RunningOrg) -> None:
    run(ip, "sf_login", "--local --alias one")
    run(ip, "sf_login", "--local --alias two")

    used = run(ip, "sf_use", "one")
    listed = run(ip, "sf_use")

    assert used.stdout.startswith("Using 'one': admin@sfmagic.demo at ")
    assert sfmagic.connection().alias == "one"
    assert "* one" in shown(listed)
    assert sfmagic.connection("two").alias == "two"


def test_api_version_option(ip: InteractiveShell) -> None:
    run(ip, "sf_login", "--local --api-version 60.0")

    assert sfmagic.connection().api_version == "60.0"
    assert sfmagic.connection().sf.sf_version == "60.0"


def test_default_callback_is_the_salesforce_cli_one(ip: InteractiveShell) -> None:
    # Without the listener, so that nothing binds port 1717 during the test.
    run(ip, "config", "SfMagic.listen = False")

    widget = consent_widget(run(ip, "sf_login", "--client-id 3MVG9example"))
    widget.login.cancel()

    assert widget.login.flow.redirect_uri == "http://localhost:1717/OauthRedirect"
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A1717%2FOauthRedirect" in (
        widget.login.authorize_url
    )
    assert "code_challenge_method=S256" in widget.login.authorize_url
