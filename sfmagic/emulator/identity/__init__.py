"""Who may use the emulated org: users, connected apps, sessions and tokens.

Users are rows of the ``User`` sObject table, so SOQL sees them like any record.
What only the login machinery may see lives in private tables of the same SQLite
database, created here, so that it survives restarts:

* ``_credentials``: password hash (PBKDF2-HMAC-SHA256, random salt per user,
  120,000 iterations), security token, profile name, failed attempts, lockout;
* ``_connected_apps``: client id and secret, callback URLs, scopes, allowed
  flows, the certificate for the JWT bearer flow, the client-credentials user;
* ``_tokens``: access tokens, refresh tokens and browser sessions, kept as
  SHA-256 digests only, with user, app, scopes, expiry and parent refresh token;
* ``_codes`` (authorization codes, single use, 15 minutes), ``_device_codes``
  (device-flow requests, 10 minutes) and ``_approvals`` (scopes a user allowed).

Access tokens look like Salesforce session ids, ``<15-character org id>!AQ…``,
and expire ``OrgSettings.session_lifetime`` seconds after issue (Salesforce
extends a session on activity; the emulator does not). Refresh tokens start with
``5Aep861`` and last until revoked. Salesforce's default lockout policy is
reproduced: five failed attempts lock a user for fifteen minutes. API logins
(SOAP and the OAuth username-password flow) need the security token appended to
the password, as from an IP address outside the org's trusted ranges; the
browser sign-in page does not.

``Identity`` is assembled in layers, one module each: ``users`` (users,
passwords, lockouts), ``tokens`` (connected apps, tokens, browser sessions,
consents), ``grants`` (authorization codes, device requests); ``model`` holds the
records and errors they share.

Known limits: the profile is a name only (no permissions are enforced), users
created as plain ``User`` rows (by DML or demo data) have no credentials and
cannot log in, and deactivating a user through the REST API (``IsActive``)
does not end the user's sessions; ``set_user_active`` does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict

from sfmagic.emulator.identity.grants import GrantRegistry
from sfmagic.emulator.identity.model import (
    ADMIN_USERNAME,
    ALL_FLOWS,
    DEMO_APP_NAME,
    DEMO_CALLBACKS,
    TABLES,
    AdminCredentials,
    ConnectedApp,
    DeviceRequest,
    Grant,
    LoginError,
    OAuthError,
    PendingDevice,
    Session,
    StoreLike,
    TokenInfo,
    User,
    new_password,
    pkce_challenge,
    random_text,
    table_columns,
)
from sfmagic.emulator.ids import to_18
from sfmagic.emulator.settings import OrgSettings

__all__ = [
    "ALL_FLOWS",
    "AdminCredentials",
    "ConnectedApp",
    "DeviceRequest",
    "Grant",
    "Identity",
    "LoginError",
    "OAuthError",
    "PendingDevice",
    "Session",
    "TokenInfo",
    "User",
    "pkce_challenge",
]

_ADMIN_KEY = "identity.admin"
_SECRET_KEY = "identity.secret_key"


class Identity(GrantRegistry):
    """Users, connected apps, sessions and tokens of one emulated org.

    Parameters
    ----------
    store
        The org's store; identity adds its private tables to the same database.
    settings
        The org's settings, read at each use so that tests can turn them live.
    clock
        Seconds since the epoch; tests pass a fake one to make things expire.
    """

    def __init__(
        self,
        store: StoreLike,
        settings: OrgSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.settings = settings
        self._clock = clock
        self._cache = {}
        self._cache_lock = threading.Lock()
        self.instance_url = ""
        with self._write() as conn:
            for statement in TABLES:
                conn.execute(statement)
            self._user_columns = table_columns(conn, "User")
            self._profile_columns = table_columns(conn, "Profile")
            org_id = store.meta_get("org_id")
            if not org_id:
                org_id = to_18("00D" + random_text(12))
                store.meta_set("org_id", org_id)
            key = store.meta_get(_SECRET_KEY)
            if not key:
                key = secrets.token_hex(32)
                store.meta_set(_SECRET_KEY, key)
        if "Id" not in self._user_columns:
            raise RuntimeError("the store has no User table to keep users in")
        self.org_id = str(org_id)
        self._secret_key = bytes.fromhex(str(key))
        self._token_prefix = self.org_id[:15] + "!"

    def __repr__(self) -> str:
        return f"Identity(org_id={self.org_id!r})"

    def bootstrap(self, *, instance_url: str) -> AdminCredentials:
        """Make the admin user and demo connected app, or load them if they exist.

        Idempotent on an existing data directory. The admin's password,
        security token and the app's secret are kept in ``_meta`` in plain
        text so that a restarted org can hand them out again: this is a local
        emulator, not a place for real secrets.
        """
        self.instance_url = instance_url.rstrip("/")
        stored = self._store.meta_get(_ADMIN_KEY)
        if stored:
            return AdminCredentials(**json.loads(str(stored)))
        password = new_password()
        token = random_text(24)
        admin = self.create_user(
            ADMIN_USERNAME,
            first_name="Ada",
            last_name="Admin",
            password=password,
            security_token=token,
            profile="System Administrator",
        )
        app = self.create_connected_app(
            DEMO_APP_NAME,
            callback_urls=DEMO_CALLBACKS,
            require_secret=False,
            run_as_user_id=admin.id,
        )
        credentials = AdminCredentials(
            user_id=admin.id,
            username=admin.username,
            password=password,
            security_token=token,
            client_id=app.client_id,
            client_secret=app.client_secret,
        )
        self._store.meta_set(_ADMIN_KEY, json.dumps(asdict(credentials)))
        return credentials
