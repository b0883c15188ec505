"""Identity's vocabulary: records, errors, constants and the storage base class."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sfmagic.emulator.settings import OrgSettings

PASSWORD_ITERATIONS = 120_000
MAX_FAILED_LOGINS = 5
LOCKOUT_SECONDS = 15 * 60
CODE_LIFETIME = 15 * 60
DEVICE_CODE_LIFETIME = 10 * 60
DEVICE_POLL_INTERVAL = 5
ALL_FLOWS = frozenset(
    {
        "authorization_code",
        "refresh_token",
        "password",
        "client_credentials",
        "jwt_bearer",
        "device",
    }
)
REFRESH_SCOPES = frozenset({"refresh_token", "offline_access"})
# Salesforce's OAuth scopes; ``full`` covers all of them but the refresh ones.
KNOWN_SCOPES = frozenset(
    {
        "address",
        "api",
        "cdp_api",
        "cdp_ingest_api",
        "cdp_profile_api",
        "cdp_query_api",
        "chatter_api",
        "content",
        "custom_permissions",
        "eclair_api",
        "einstein_gpt_api",
        "email",
        "forgot_password",
        "full",
        "id",
        "interaction_api",
        "lightning",
        "offline_access",
        "openid",
        "pardot_api",
        "phone",
        "profile",
        "pwdless_login_api",
        "refresh_token",
        "sfap_api",
        "user_registration_api",
        "visualforce",
        "wave_api",
        "web",
    }
)
DEFAULT_APP_SCOPES = (
    "api",
    "refresh_token",
    "offline_access",
    "openid",
    "id",
    "profile",
    "email",
    "address",
    "phone",
    "web",
    "full",
)
ADMIN_USERNAME = "admin@sfmagic.demo"
DEMO_APP_NAME = "sfmagic Demo App"
DEMO_CALLBACKS = (
    "http://localhost:1717/OauthRedirect",
    "http://127.0.0.1:1717/OauthRedirect",
)

ALNUM = string.ascii_letters + string.digits
TOKEN_ALPHABET = ALNUM + "._"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"
INVALID_SESSION = "Session expired or invalid"
CACHE_SIZE = 4096
TABLES = (
    """CREATE TABLE IF NOT EXISTS _credentials (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash BLOB,
        salt BLOB NOT NULL,
        iterations INTEGER NOT NULL,
        security_token TEXT NOT NULL,
        profile TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until REAL)""",
    """CREATE TABLE IF NOT EXISTS _connected_apps (
        client_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        client_secret TEXT NOT NULL,
        callback_urls TEXT NOT NULL,
        scopes TEXT NOT NULL,
        flows TEXT NOT NULL,
        certificate TEXT,
        require_secret INTEGER NOT NULL,
        require_pkce INTEGER NOT NULL,
        run_as_user_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS _tokens (
        token_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        client_id TEXT,
        scopes TEXT NOT NULL,
        issued_at REAL NOT NULL,
        expires_at REAL,
        parent_hash TEXT,
        revoked INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS _tokens_parent ON _tokens (parent_hash)",
    "CREATE INDEX IF NOT EXISTS _tokens_expiry ON _tokens (expires_at)",
    """CREATE TABLE IF NOT EXISTS _codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scopes TEXT NOT NULL,
        code_challenge TEXT,
        expires_at REAL NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        refresh_hash TEXT,
        access_hash TEXT)""",
    """CREATE TABLE IF NOT EXISTS _device_codes (
        device_hash TEXT PRIMARY KEY,
        user_code TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        expires_at REAL NOT NULL,
        status TEXT NOT NULL,
        user_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS _approvals (
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL,
        PRIMARY KEY (user_id, client_id))""",
)
CREDENTIAL_COLUMNS = (
    "user_id, username, password_hash, salt, iterations, security_token, profile,"
    " failed_attempts, locked_until"
)
APP_COLUMNS = (
    "client_id, name, client_secret, callback_urls, scopes, flows, certificate,"
    " require_secret, require_pkce, run_as_user_id"
)
TOKEN_COLUMNS = (
    "token_hash, kind, user_id, client_id, scopes, issued_at, expires_at, parent_hash"
)


class StoreLike(Protocol):
    """The parts of ``sfmagic.emulator.store.Store`` that identity uses."""

    conn: Any
    lock: Any

    def transaction(self) -> Any: ...

    def new_id(self, sobject: str) -> str: ...

    def insert_rows(self, sobject: str, rows: Iterable[dict[str, Any]]) -> Any: ...

    def meta_get(self, key: str) -> Any: ...

    def meta_set(self, key: str, value: Any) -> Any: ...


class OAuthError(Exception):
    """An OAuth 2.0 failure, answered as ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class LoginError(Exception):
    """A username/password login was refused; ``reason`` says why.

    Reasons: ``invalid`` (unknown user or wrong password), ``token`` (right
    password without the security token), ``locked`` and ``inactive``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"login refused: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class User:
    """A user of the org, as the login machinery sees it."""

    id: str
    username: str
    name: str
    first_name: str
    last_name: str
    email: str
    time_zone: str
    profile: str
    is_active: bool
    locked: bool


@dataclass(frozen=True)
class ConnectedApp:
    """An OAuth client registered in the org."""

    client_id: str
    client_secret: str = field(repr=False)
    name: str = ""
    callback_urls: tuple[str, ...] = ()
    scopes: tuple[str, ...] = DEFAULT_APP_SCOPES
    flows: frozenset[str] = ALL_FLOWS
    certificate: str | None = field(default=None, repr=False)
    require_secret: bool = True
    require_pkce: bool = False
    run_as_user_id: str | None = None

    def allows_scope(self, scope: str) -> bool:
        """Whether a token for this app may carry ``scope``.

        ``full`` stands for every known scope except the two that grant
        refresh tokens.
        """
        if scope in self.scopes:
            return True
        covered = scope in KNOWN_SCOPES and scope not in REFRESH_SCOPES
        return covered and "full" in self.scopes

    def grantable_scopes(self, requested: str | None) -> tuple[str, ...]:
        """The scopes a request for ``requested`` (space-separated) receives.

        No ``scope`` parameter means every scope of the app, as in Salesforce.
        Raises ``OAuthError`` ``invalid_scope`` for a scope the app lacks.
        """
        if requested is None or not requested.strip():
            return self.scopes
        scopes = tuple(dict.fromkeys(requested.split()))
        if not all(self.allows_scope(scope) for scope in scopes):
            raise OAuthError("invalid_scope", "the requested scope is not allowed")
        return scopes

    def accepts_secret(self, secret: str) -> bool:
        """Whether ``secret`` is this app's client secret (constant time)."""
        return hmac.compare_digest(secret.encode(), self.client_secret.encode())


@dataclass(frozen=True)
class Session:
    """A valid access token and what it grants."""

    access_token: str = field(repr=False)
    user_id: str
    org_id: str
    client_id: str | None
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Grant:
    """What a successful token request hands out."""

    session: Session
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TokenInfo:
    """What introspection tells about a live access or refresh token."""

    kind: str
    user_id: str
    client_id: str | None
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None


@dataclass(frozen=True)
class DeviceRequest:
    """A device-flow request: the codes the device shows and polls with."""

    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    interval: int = DEVICE_POLL_INTERVAL


@dataclass(frozen=True)
class PendingDevice:
    """A device-flow request as the verification page sees it."""

    user_code: str
    client_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class AdminCredentials:
    """The demo admin's login and the demo connected app, as bootstrap made them."""

    user_id: str
    username: str
    password: str = field(repr=False)
    security_token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = DEMO_CALLBACKS[0]


@dataclass(frozen=True)
class TokenRow:
    token_hash: str
    kind: str
    user_id: str
    client_id: str | None
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    parent_hash: str | None


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE code verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def random_text(length: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def hash_password(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


def stored_datetime(moment: float) -> str:
    when = datetime.fromtimestamp(moment, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def new_password() -> str:
    # Upper, lower and digits, so any password policy would accept it.
    while True:
        password = random_text(16)
        if (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def table_columns(conn: Any, table: str) -> set[str]:
    """Column names of ``table`` (empty when there is no such table)."""
    rows = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return {row[1] for row in rows}


class IdentityBase:
    """Storage access shared by the parts of ``Identity``."""

    _store: StoreLike
    settings: OrgSettings
    org_id: str
    instance_url: str
    _clock: Callable[[], float]
    _user_columns: set[str]
    _profile_columns: set[str]
    _secret_key: bytes
    _token_prefix: str

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._store.lock, self._store.transaction():
            yield self._store.conn

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._store.lock:
            return list(self._store.conn.execute(sql, params).fetchall())

    def now(self) -> float:
        """The identity clock, in seconds since the epoch."""
        return self._clock()
