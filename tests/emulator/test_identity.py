"""Identity without HTTP: users, logins, lockouts, tokens, codes, device requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.identity import (
    AdminCredentials,
    ConnectedApp,
    Identity,
    LoginError,
    OAuthError,
    pkce_challenge,
)
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store

INSTANCE_URL = "https://127.0.0.1:8443"
VERIFIER = "a-long-enough-code-verifier-0123456789-abcdefghijklmnop"


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.standard()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> OrgSettings:
    return OrgSettings()


@pytest.fixture
def identity(schema: Schema, settings: OrgSettings, clock: Clock) -> Identity:
    return Identity(Store(schema, None), settings, clock=clock)


@pytest.fixture
def admin(identity: Identity) -> AdminCredentials:
    return identity.bootstrap(instance_url=INSTANCE_URL + "/")


@pytest.fixture
def app(identity: Identity, admin: AdminCredentials) -> ConnectedApp:
    found = identity.get_connected_app(admin.client_id)
    assert found is not None
    return found


def test_bootstrap_makes_admin_and_demo_app(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    user = identity.get_user(admin.user_id)
    assert user is not None
    assert (user.username, user.profile) == (
        "admin@sfmagic.demo",
        "System Administrator",
    )
    assert admin.client_id.startswith("3MVG9")
    assert "http://localhost:1717/OauthRedirect" in app.callback_urls
    assert "http://127.0.0.1:1717/OauthRedirect" in app.callback_urls
    assert admin.redirect_uri in app.callback_urls
    assert identity.instance_url == INSTANCE_URL
    assert re.fullmatch(r"00D[0-9A-Za-z]{15}", identity.org_id)


def test_bootstrap_is_idempotent_across_restarts(
    schema: Schema, tmp_path: Path
) -> None:
    path = tmp_path / "org.sqlite"
    first_store = Store(schema, path)
    first = Identity(first_store, OrgSettings())
    credentials = first.bootstrap(instance_url=INSTANCE_URL)
    first_store.close()

    store = Store(schema, path)
    again = Identity(store, OrgSettings())
    assert again.bootstrap(instance_url="https://127.0.0.1:9999") == credentials
    assert again.org_id == first.org_id
    assert len(again.list_users()) == 1
    user = again.authenticate(
        credentials.username,
        credentials.password + credentials.security_token,
        with_security_token=True,
    )
    assert user.id == credentials.user_id
    store.close()


def test_reprs_hide_secrets(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    session = identity.issue_session(admin.user_id)
    shown = repr(admin) + repr(app) + repr(session) + repr(identity)
    for secret in (
        admin.password,
        admin.security_token,
        admin.client_secret,
        session.access_token,
    ):
        assert secret not in shown


def test_passwords_are_stored_as_salted_slow_hashes(identity: Identity) -> None:
    for name in ("first", "second"):
        identity.create_user(
            f"{name}@example.com", last_name=name, password="S3cret-pw"
        )
    rows = identity._read("SELECT password_hash, salt, iterations FROM _credentials")
    assert len(rows) == 2
    assert rows[0][1] != rows[1][1]
    assert rows[0][0] != rows[1][0]
    assert all(row[2] >= 100_000 for row in rows)
    assert "S3cret-pw" not in "\n".join(identity._store.conn.iterdump())


def test_user_is_a_user_row(identity: Identity) -> None:
    user = identity.create_user(
        "grace@example.com",
        first_name="Grace",
        last_name="Hopper",
        time_zone="Europe/Paris",
    )
    rows = identity._read(
        'SELECT "Name", "Username", "Email", "TimeZoneSidKey", "IsActive" FROM "User"'
        ' WHERE "Id" = ?',
        (user.id,),
    )
    assert tuple(rows[0]) == (
        "Grace Hopper",
        "grace@example.com",
        "grace@example.com",
        "Europe/Paris",
        1,
    )
    assert user.id.startswith("005")
    assert len(user.id) == 18
    assert identity.find_user("GRACE@example.COM") == user


@pytest.mark.parametrize("username", ["no-at-sign", " padded@example.com", ""])
def test_create_user_refuses_bad_usernames(identity: Identity, username: str) -> None:
    with pytest.raises(ValueError, match="email"):
        identity.create_user(username, last_name="X")


def test_create_user_refuses_duplicates_in_any_case(
    identity: Identity, admin: AdminCredentials
) -> None:
    with pytest.raises(ValueError, match="already exists"):
        identity.create_user("ADMIN@sfmagic.demo", last_name="Again")


def test_user_without_password_cannot_log_in(identity: Identity) -> None:
    identity.create_user("owner@example.com", last_name="Owner")
    with pytest.raises(LoginError) as failure:
        identity.authenticate("owner@example.com", "", with_security_token=False)
    assert failure.value.reason == "invalid"


@pytest.mark.parametrize(
    ("suffix", "with_token", "outcome"),
    [
        ("token", True, "ok"),
        ("", True, "token"),
        ("", False, "ok"),
        ("token", False, "invalid"),
        ("wrong", True, "invalid"),
        ("wrong", False, "invalid"),
    ],
)
def test_authenticate_checks_password_and_security_token(
    identity: Identity,
    admin: AdminCredentials,
    suffix: str,
    with_token: bool,
    outcome: str,
) -> None:
    extra = {"token": admin.security_token, "wrong": "x", "": ""}[suffix]
    password = admin.password + extra
    if outcome == "ok":
        user = identity.authenticate(
            admin.username, password, with_security_token=with_token
        )
        assert user.id == admin.user_id
        return
    with pytest.raises(LoginError) as failure:
        identity.authenticate(admin.username, password, with_security_token=with_token)
    assert failure.value.reason == outcome
    assert admin.password not in str(failure.value)


def test_unknown_user_is_an_invalid_login(identity: Identity) -> None:
    with pytest.raises(LoginError) as failure:
        identity.authenticate("nobody@example.com", "x", with_security_token=True)
    assert failure.value.reason == "invalid"


def test_five_failures_lock_the_user_for_fifteen_minutes(
    identity: Identity, admin: AdminCredentials, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(LoginError):
            identity.authenticate(admin.username, "wrong", with_security_token=False)
    with pytest.raises(LoginError) as failure:
        identity.authenticate(admin.username, admin.password, with_security_token=False)
    assert failure.value.reason == "locked"
    user = identity.get_user(admin.user_id)
    assert user is not None
    assert user.locked

    clock.advance(15 * 60 + 1)
    user = identity.authenticate(
        admin.username, admin.password, with_security_token=False
    )
    assert not user.locked


def test_success_resets_the_failure_count(
    identity: Identity, admin: AdminCredentials
) -> None:
    for _ in range(4):
        with pytest.raises(LoginError):
            identity.authenticate(admin.username, "wrong", with_security_token=False)
    identity.authenticate(admin.username, admin.password, with_security_token=False)
    for _ in range(4):
        with pytest.raises(LoginError):
            identity.authenticate(admin.username, "wrong", with_security_token=False)
    assert identity.authenticate(
        admin.username, admin.password, with_security_token=False
    )


def test_unlock_user_lifts_the_lockout(
    identity: Identity, admin: AdminCredentials
) -> None:
    for _ in range(5):
        with pytest.raises(LoginError):
            identity.authenticate(admin.username, "wrong", with_security_token=False)
    identity.unlock_user(admin.user_id)
    assert identity.authenticate(
        admin.username, admin.password, with_security_token=False
    )


def test_deactivated_user_cannot_log_in_and_loses_sessions(
    identity: Identity, admin: AdminCredentials
) -> None:
    session = identity.issue_session(admin.user_id)
    identity.set_user_active(admin.user_id, False)
    with pytest.raises(ApiError):
        identity.validate_access_token(session.access_token)
    with pytest.raises(LoginError) as failure:
        identity.authenticate(admin.username, admin.password, with_security_token=False)
    assert failure.value.reason == "inactive"


def test_set_password_and_reset_security_token(
    identity: Identity, admin: AdminCredentials
) -> None:
    identity.set_password(admin.user_id, "N3w-passw0rd")
    token = identity.reset_security_token(admin.user_id)
    assert token != admin.security_token
    assert identity.security_token(admin.user_id) == token
    assert identity.authenticate(
        admin.username, "N3w-passw0rd" + token, with_security_token=True
    )


def test_access_tokens_look_like_session_ids(
    identity: Identity, admin: AdminCredentials
) -> None:
    session = identity.issue_session(admin.user_id, scopes=("api", "web"))
    assert session.access_token.startswith(identity.org_id[:15] + "!AQ")
    assert identity.validate_access_token(session.access_token) == session
    assert session.scopes == ("api", "web")


def test_access_tokens_expire_after_the_session_lifetime(
    identity: Identity, admin: AdminCredentials, clock: Clock, settings: OrgSettings
) -> None:
    settings.session_lifetime = 60
    session = identity.issue_session(admin.user_id)
    identity.validate_access_token(session.access_token)
    clock.advance(61)
    with pytest.raises(ApiError) as failure:
        identity.validate_access_token(session.access_token)
    assert (failure.value.status, failure.value.error_code) == (
        401,
        "INVALID_SESSION_ID",
    )


def test_sessions_only_for_known_users(identity: Identity) -> None:
    with pytest.raises(ValueError, match="no user"):
        identity.issue_session("005000000000000AAA")


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "00D000000000001!AQabc", "5Aep861something"],
)
def test_unknown_tokens_are_invalid_sessions(identity: Identity, token: str) -> None:
    with pytest.raises(ApiError) as failure:
        identity.validate_access_token(token)
    assert failure.value.status == 401
    assert failure.value.message == "Session expired or invalid"


def test_token_of_another_org_is_refused(
    schema: Schema, identity: Identity, admin: AdminCredentials
) -> None:
    other = Identity(Store(schema, None), OrgSettings())
    other_admin = other.bootstrap(instance_url=INSTANCE_URL)
    foreign = other.issue_session(other_admin.user_id).access_token
    assert other.org_id != identity.org_id
    with pytest.raises(ApiError):
        identity.validate_access_token(foreign)


def test_revoking_a_refresh_token_revokes_its_access_tokens(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    grant = identity.grant(app, admin.user_id, ("api", "refresh_token"), refresh=True)
    assert grant.refresh_token is not None
    renewed = identity.refresh(app, grant.refresh_token)
    unrelated = identity.issue_session(admin.user_id)
    assert identity.revoke(grant.refresh_token)
    for session in (grant.session, renewed.session):
        with pytest.raises(ApiError):
            identity.validate_access_token(session.access_token)
    assert identity.validate_access_token(unrelated.access_token)
    with pytest.raises(OAuthError) as failure:
        identity.refresh(app, grant.refresh_token)
    assert failure.value.description == "expired access/refresh token"
    assert not identity.revoke(grant.refresh_token)


def test_refresh_token_only_with_a_refresh_scope(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    assert (
        identity.grant(app, admin.user_id, ("api",), refresh=True).refresh_token is None
    )
    grant = identity.grant(app, admin.user_id, ("offline_access",), refresh=True)
    assert grant.refresh_token is not None
    assert grant.refresh_token.startswith("5Aep861")


def test_refresh_token_of_another_app_is_refused(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    other = identity.create_connected_app("Other")
    grant = identity.grant(app, admin.user_id, ("refresh_token",), refresh=True)
    assert grant.refresh_token is not None
    with pytest.raises(OAuthError):
        identity.refresh(other, grant.refresh_token)


def test_token_info_reports_live_tokens(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp, clock: Clock
) -> None:
    grant = identity.grant(app, admin.user_id, ("api", "refresh_token"), refresh=True)
    assert grant.refresh_token is not None
    access = identity.token_info(grant.session.access_token)
    refresh = identity.token_info(grant.refresh_token)
    assert access is not None
    assert refresh is not None
    assert (access.kind, refresh.kind) == ("access", "refresh")
    assert access.issued_at == clock.now
    assert refresh.expires_at is None
    assert identity.token_info("nonsense") is None


def _code(
    identity: Identity, app: ConnectedApp, user_id: str, challenge: str | None = None
) -> str:
    return identity.create_code(
        app,
        user_id,
        redirect_uri=app.callback_urls[0],
        scopes=("api", "refresh_token"),
        code_challenge=challenge,
    )


def test_authorization_code_is_single_use_and_reuse_revokes(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    code = _code(identity, app, admin.user_id)
    grant = identity.exchange_code(
        app, code, redirect_uri=app.callback_urls[0], code_verifier=None
    )
    assert grant.refresh_token is not None
    with pytest.raises(OAuthError) as failure:
        identity.exchange_code(
            app, code, redirect_uri=app.callback_urls[0], code_verifier=None
        )
    assert (failure.value.error, failure.value.description) == (
        "invalid_grant",
        "invalid authorization code",
    )
    with pytest.raises(ApiError):
        identity.validate_access_token(grant.session.access_token)
    with pytest.raises(OAuthError):
        identity.refresh(app, grant.refresh_token)


def test_authorization_code_expires_after_fifteen_minutes(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp, clock: Clock
) -> None:
    code = _code(identity, app, admin.user_id)
    clock.advance(15 * 60 + 1)
    with pytest.raises(OAuthError) as failure:
        identity.exchange_code(
            app, code, redirect_uri=app.callback_urls[0], code_verifier=None
        )
    assert failure.value.description == "expired authorization code"


@pytest.mark.parametrize(
    ("verifier", "error"),
    [
        (None, "invalid_grant"),
        ("not-the-verifier", "invalid_request"),
        (VERIFIER, None),
    ],
)
def test_authorization_code_checks_the_pkce_verifier(
    identity: Identity,
    admin: AdminCredentials,
    app: ConnectedApp,
    verifier: str | None,
    error: str | None,
) -> None:
    code = _code(identity, app, admin.user_id, pkce_challenge(VERIFIER))
    redirect = app.callback_urls[0]
    if error is None:
        assert identity.exchange_code(
            app, code, redirect_uri=redirect, code_verifier=verifier
        )
        return
    with pytest.raises(OAuthError) as failure:
        identity.exchange_code(app, code, redirect_uri=redirect, code_verifier=verifier)
    assert failure.value.error == error


def test_authorization_code_checks_redirect_uri_and_client(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    other = identity.create_connected_app("Other", callback_urls=app.callback_urls)
    code = _code(identity, app, admin.user_id)
    with pytest.raises(OAuthError) as failure:
        identity.exchange_code(
            other, code, redirect_uri=app.callback_urls[0], code_verifier=None
        )
    assert failure.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as failure:
        identity.exchange_code(
            app, code, redirect_uri=app.callback_urls[1], code_verifier=None
        )
    assert failure.value.error == "redirect_uri_mismatch"


def test_pkce_challenge_matches_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_device_request_lifecycle(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    request = identity.start_device_request(app, ("api", "refresh_token"))
    assert re.fullmatch(r"[A-Z0-9]{8}", request.user_code)
    with pytest.raises(OAuthError) as failure:
        identity.poll_device_request(app, request.device_code)
    assert failure.value.error == "authorization_pending"

    spaced = request.user_code[:4].lower() + "-" + request.user_code[4:]
    pending = identity.pending_device_request(spaced)
    assert pending is not None
    assert pending.client_id == app.client_id
    assert identity.decide_device_request(spaced, admin.user_id, allow=True)
    grant = identity.poll_device_request(app, request.device_code)
    assert grant.session.user_id == admin.user_id
    assert grant.refresh_token
    with pytest.raises(OAuthError) as failure:
        identity.poll_device_request(app, request.device_code)
    assert failure.value.error == "invalid_grant"


def test_device_request_denied_or_expired(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp, clock: Clock
) -> None:
    denied = identity.start_device_request(app, ("api",))
    identity.decide_device_request(denied.user_code, admin.user_id, allow=False)
    with pytest.raises(OAuthError) as failure:
        identity.poll_device_request(app, denied.device_code)
    assert failure.value.error == "access_denied"

    late = identity.start_device_request(app, ("api",))
    clock.advance(10 * 60 + 1)
    identity.start_device_request(app, ("api",))
    assert identity.pending_device_request(late.user_code) is None
    assert not identity.decide_device_request(late.user_code, admin.user_id, allow=True)
    with pytest.raises(OAuthError) as failure:
        identity.poll_device_request(app, late.device_code)
    assert failure.value.error == "expired_token"


def test_web_sessions_and_form_tokens(
    identity: Identity, admin: AdminCredentials, clock: Clock
) -> None:
    cookie = identity.create_web_session(admin.user_id)
    user = identity.web_session_user(cookie)
    assert user is not None
    assert user.id == admin.user_id
    assert identity.web_session_user("forged") is None
    with pytest.raises(ApiError):
        identity.validate_access_token(cookie)
    assert identity.check_form_token("seed", identity.form_token("seed"))
    assert not identity.check_form_token("other", identity.form_token("seed"))
    assert not identity.check_form_token("", identity.form_token(""))
    clock.advance(7201)
    assert identity.web_session_user(cookie) is None


def test_approvals_accumulate(
    identity: Identity, admin: AdminCredentials, app: ConnectedApp
) -> None:
    assert not identity.has_approval(admin.user_id, app.client_id, ["api"])
    identity.record_approval(admin.user_id, app.client_id, ["api"])
    identity.record_approval(admin.user_id, app.client_id, ["refresh_token"])
    assert identity.has_approval(admin.user_id, app.client_id, ["api", "refresh_token"])
    assert not identity.has_approval(admin.user_id, app.client_id, ["web"])


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (None, "app"),
        ("", "app"),
        ("api", ("api",)),
        ("api api web", ("api", "web")),
        ("refresh_token", ("refresh_token",)),
    ],
)
def test_grantable_scopes(
    app: ConnectedApp, requested: str | None, granted: object
) -> None:
    expected = app.scopes if granted == "app" else granted
    assert app.grantable_scopes(requested) == expected


def test_full_scope_covers_all_but_refresh(identity: Identity) -> None:
    app = identity.create_connected_app("Full only", scopes=["full"])
    assert app.grantable_scopes("api web chatter_api") == ("api", "web", "chatter_api")
    with pytest.raises(OAuthError) as failure:
        app.grantable_scopes("refresh_token")
    assert failure.value.error == "invalid_scope"


def test_connected_app_round_trips(identity: Identity, admin: AdminCredentials) -> None:
    made = identity.create_connected_app(
        "Integration",
        callback_urls=["https://example.com/cb"],
        scopes=["api"],
        flows=["client_credentials"],
        require_secret=True,
        require_pkce=True,
        run_as_user_id=admin.user_id,
        certificate="-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
    )
    assert identity.get_connected_app(made.client_id) == made
    assert made.accepts_secret(made.client_secret)
    assert not made.accepts_secret(made.client_secret + "x")
    assert identity.get_connected_app("3MVG9nothing") is None
    with pytest.raises(ValueError, match="unknown OAuth flows"):
        identity.create_connected_app("Bad", flows=["implicit"])
