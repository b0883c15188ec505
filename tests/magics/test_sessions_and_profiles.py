"""``%sf_whoami``, ``%sf_logout``, ``%sf_profiles`` and stored profiles."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import keyring
import pytest
import requests
from IPython.core.interactiveshell import InteractiveShell
from keyring.backends import fail

import sfmagic
from sfmagic.client import NotConnectedError
from sfmagic.client.auth.oauth import revoke_token
from sfmagic.client.profiles import ProfileStore, config_dir, secret_key
from sfmagic.client.secrets import SecretStore
from sfmagic.emulator.org import RunningOrg
from tests.login_support import (
    LockedKeyring,
    answering,
    callback_app,
    free_port,
    jwt_app,
    keyring_in_memory,
    sign_in,
)
from tests.magics.helpers import consent_widget, org_options, run, shown, usage_error


def stores() -> tuple[ProfileStore, SecretStore]:
    directory = config_dir()
    return ProfileStore(directory), SecretStore(directory, "file")


def save_service_profile(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign in with client credentials as alias 'service', saved as profile 'svc'.

    SF_CLIENT_SECRET is set for that sign-in only, so a later ``--profile svc`` has
    nothing but the stored secret to use.
    """
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
    run(
        ip,
        "sf_login",
        f"--client-credentials --client-id {org.client_id} {org_options(org)} "
        "--save svc --alias service",
    )
    monkeypatch.delenv("SF_CLIENT_SECRET")


def finish_sign_in(org: RunningOrg, widget: Any) -> None:
    """Sign in as the admin on the consent widget's page and wait for the widget."""
    redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
    requests.get(redirect, timeout=30)
    widget.login.wait(10)


def save_browser_profile(ip: InteractiveShell, org: RunningOrg, name: str) -> Any:
    """Sign in through the browser, saved as profile ``name``; the connected app."""
    app, _, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port} --save {name}"
    finish_sign_in(org, consent_widget(run(ip, "sf_login", line)))
    return app


def test_whoami_shows_user_org_instance_version_usage(
    ip_logged_in: InteractiveShell, org: RunningOrg
) -> None:
    captured = run(ip_logged_in, "sf_whoami")
    text = captured.outputs[0].data["text/plain"]
    html = captured.outputs[0].data["text/html"]

    for expected in (
        f"user          {org.username} (Ada Admin)",
        f"org           {org.org_id}",
        f"instance      {org.instance_url}",
        "API version   64.0",
        "API requests  ",
        "alias         default (active)",
    ):
        assert expected in text
    assert " of 15,000 today" in text
    assert "<table class='sfmagic-whoami'>" in html


def test_logout_forgets_the_connection(ip_logged_in: InteractiveShell) -> None:
    token = sfmagic.connection().http.access_token

    captured = run(ip_logged_in, "sf_logout")

    assert captured.stdout == "Logged out of 'default' (admin@sfmagic.demo).\n"
    with pytest.raises(NotConnectedError):
        sfmagic.connection()
    assert token is not None


def test_logout_revoke_ends_the_session_at_salesforce(
    ip_logged_in: InteractiveShell, org: RunningOrg
) -> None:
    token = sfmagic.connection().http.access_token

    captured = run(ip_logged_in, "sf_logout", "--revoke")
    answer = org.session().get(
        f"{org.instance_url}/services/data/v64.0/limits/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )

    assert "its tokens are revoked" in captured.stdout
    assert answer.status_code == 401


def test_logout_all(ip: InteractiveShell) -> None:
    run(ip, "sf_login", "--local --alias a")
    run(ip, "sf_login", "--local --alias b")

    captured = run(ip, "sf_logout", "--all")

    assert captured.stdout.count("Logged out of") == 2
    assert "No open connections." in shown(run(ip, "sf_use"))


def test_browser_login_saved_and_reused_from_its_profile(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    app = save_browser_profile(ip, org, "dev")
    profiles, secrets = stores()
    run(ip, "sf_logout")

    captured = run(ip, "sf_login", "--profile dev")

    profile = profiles.get("dev")
    assert profile is not None
    assert profile.mode == "browser"
    assert profile.client_id == app.client_id
    assert profile.ca_file == str(org.ca_file)
    assert secrets.get(secret_key("dev", "refresh_token"))
    assert captured.outputs == []
    assert captured.stdout.startswith("Signed in as admin@sfmagic.demo")
    assert "Saved profile" not in captured.stdout
    assert sfmagic.connection("dev").mode == "refresh"
    copied = run(ip, "sf_login", "--profile dev --save dev2 --alias copy")
    copy = profiles.get("dev2")
    assert "Saved profile 'dev2'" in copied.stdout
    assert copy is not None
    assert (copy.mode, copy.client_id, copy.alias) == ("browser", app.client_id, "copy")
    assert copy.redirect_uri == profile.redirect_uri
    assert secrets.get(secret_key("dev2", "refresh_token"))


def test_revoked_profile_offers_the_consent_widget(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    save_browser_profile(ip, org, "ops")
    refresh_token = sfmagic.connection().refresh_token
    assert refresh_token is not None
    revoke_token(org.session(), org.instance_url, refresh_token)
    run(ip, "sf_logout")
    _, secrets = stores()

    captured = run(ip, "sf_login", "--profile ops")
    widget = consent_widget(captured)

    assert captured.stdout.startswith(
        "The stored sign-in of profile 'ops' was revoked or has expired, so sign in "
        "again below."
    )
    assert secrets.get(secret_key("ops", "refresh_token")) is None
    finish_sign_in(org, widget)
    assert secrets.get(secret_key("ops", "refresh_token"))
    assert sfmagic.connection("ops").username == org.username


def test_logout_revoke_forgets_the_profiles_sign_in(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    save_browser_profile(ip, org, "rv")

    run(ip, "sf_logout", "--revoke")
    captured = run(ip, "sf_login", "--profile rv")

    assert captured.stdout.startswith("Profile 'rv' has no stored sign-in yet")
    consent_widget(captured).login.cancel()


def test_client_credentials_profile_keeps_its_secret(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_service_profile(ip, org, monkeypatch)
    run(ip, "sf_logout", "--all")

    run(ip, "sf_login", "--profile svc")

    assert sfmagic.connection().alias == "service"
    profiles, secrets = stores()
    assert secrets.get(secret_key("svc", "client_secret")) == org.client_secret
    text = profiles.path.read_text()
    assert org.client_secret not in text
    assert stat.S_IMODE(os.stat(secrets.file).st_mode) == 0o600


def test_password_profile_stores_the_user_not_the_password(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_PASSWORD", org.password)
    monkeypatch.setenv("SF_SECURITY_TOKEN", org.security_token)
    run(ip, "sf_login", f"-u {org.username} --soap {org_options(org)} --save me")

    run(ip, "sf_login", "--profile me")

    profiles, secrets = stores()
    profile = profiles.get("me")
    assert profile is not None
    assert (profile.mode, profile.username) == ("soap", org.username)
    assert not secrets.file.exists()
    assert org.password not in profiles.path.read_text()
    assert sfmagic.connection("me").mode == "soap"


def test_profiles_list_and_delete(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
    run(
        ip,
        "sf_login",
        f"--client-credentials --client-id {org.client_id} {org_options(org)} "
        "--save svc",
    )

    listed = shown(run(ip, "sf_profiles"))
    deleted = run(ip, "sf_profiles", "--delete svc")
    empty = shown(run(ip, "sf_profiles"))

    assert "svc" in listed
    assert "client_credentials" in listed
    assert "client secret" in listed
    assert org.client_secret not in listed
    assert org.client_id not in listed
    assert org.client_id[:12] + "…" in listed
    assert deleted.stdout == "Deleted profile 'svc' and its stored secrets.\n"
    assert "No stored profiles" in empty
    _, secrets = stores()
    assert secrets.get(secret_key("svc", "client_secret")) is None


def test_broken_profiles_file_is_a_usage_error(ip: InteractiveShell) -> None:
    profiles, _ = stores()
    profiles.directory.mkdir(parents=True, exist_ok=True)
    Path(profiles.path).write_text("this is = = not toml")

    message = usage_error(ip, "sf_profiles")

    assert "is not valid TOML" in message


@pytest.mark.parametrize("keyring_here", [False, True])
def test_saved_secrets_go_to_the_keyring_or_a_private_file(
    ip: InteractiveShell,
    org: RunningOrg,
    monkeypatch: pytest.MonkeyPatch,
    keyring_here: bool,
) -> None:
    run(ip, "config", "SfMagic.secret_store = 'auto'")
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
    line = (
        f"--client-credentials --client-id {org.client_id} {org_options(org)} "
        "--save svc"
    )
    with keyring_in_memory() as backend:
        if not keyring_here:
            # This machine's own keyring: none, so the file fallback is real.
            keyring.set_keyring(fail.Keyring())
        captured = run(ip, "sf_login", line)

    _, secrets = stores()
    key = secret_key("svc", "client_secret")
    if keyring_here:
        assert backend.values == {("sfmagic", key): org.client_secret}
        assert not secrets.file.exists()
        assert "its secrets are in keyring" in captured.stdout
    else:
        assert secrets.get(key) == org.client_secret
        assert stat.S_IMODE(os.stat(secrets.file).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(secrets.file.parent).st_mode) == 0o700
        assert f"its secrets are in {secrets.file}" in captured.stdout
    assert org.client_secret not in captured.stdout


def test_a_refusing_keyring_is_one_sentence(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(ip, "config", "SfMagic.secret_store = 'keyring'")
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
    line = (
        f"--client-credentials --client-id {org.client_id} {org_options(org)} "
        "--save svc"
    )
    with keyring_in_memory():
        keyring.set_keyring(LockedKeyring())
        message = usage_error(ip, "sf_login", line)

    assert "the keyring refused to store the secrets of profile 'svc'" in message
    assert "KeyringLocked" in message
    assert sfmagic.connection().username == org.username
    profiles, _ = stores()
    assert profiles.get("svc") is None


def register_bare_connection(instance_url: str) -> None:
    """Open-looking connection to ``instance_url``, with a token and no renewal."""
    from sfmagic.client.api_session import ApiSession, retry_policy
    from sfmagic.client.auth import AccessTokenGrant, Tokens, UserInfo
    from sfmagic.client.connection import Connection
    from sfmagic.client.registry import CONNECTIONS

    CONNECTIONS.add(
        Connection(
            ApiSession(retry=retry_policy(attempts=1, backoff=0.01)),
            Tokens(access_token="00Dx!AQgone", instance_url=instance_url),
            UserInfo("005", "ada@example.com", "Ada", "00D"),
            grant=AccessTokenGrant(instance_url, "00Dx!AQgone"),
        )
    )


def test_whoami_when_the_org_cannot_be_reached(ip: InteractiveShell) -> None:
    gone = f"https://127.0.0.1:{free_port()}"
    register_bare_connection(gone)

    message = usage_error(ip, "sf_whoami")

    assert f"{gone} could not be reached, so check the network" in message


def test_whoami_when_the_org_is_unavailable(ip: InteractiveShell) -> None:
    body = b'[{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}]'
    with answering(503, body) as url:
        register_bare_connection(url)

        message = usage_error(ip, "sf_whoami")

    assert f"{url} answered 503 SERVER_UNAVAILABLE, so try again later" in message


def test_logging_in_from_a_profile_leaves_it_unchanged(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_service_profile(ip, org, monkeypatch)
    profiles, _ = stores()
    before = profiles.path.read_text()

    captured = run(ip, "sf_login", "--profile svc --alias other")

    assert profiles.path.read_text() == before
    assert "Saved profile" not in captured.stdout
    assert sfmagic.connection().alias == "other"


def test_jwt_profile_keeps_the_key_path_not_the_key(
    ip: InteractiveShell, org: RunningOrg, tmp_path: Path
) -> None:
    key_file = tmp_path / "bot.key"
    app, key = jwt_app(org, key_file)
    run(
        ip,
        "sf_login",
        f"--jwt-key {key_file} -u {org.username} --client-id {app.client_id} "
        f"{org_options(org)} --save bot --alias bot",
    )
    run(ip, "sf_logout", "bot")

    captured = run(ip, "sf_login", "--profile bot")

    profiles, secrets = stores()
    profile = profiles.get("bot")
    assert profile is not None
    assert (profile.mode, profile.username) == ("jwt", org.username)
    assert profile.jwt_key == str(key_file.resolve())
    assert key.splitlines()[1] not in profiles.path.read_text()
    assert not secrets.file.exists()
    assert "Signed in as admin@sfmagic.demo" in captured.stdout
    assert sfmagic.connection("bot").mode == "jwt"
