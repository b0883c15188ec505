"""Connected apps, access and refresh tokens, browser sessions and consents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.identity.model import (
    ALL_FLOWS,
    APP_COLUMNS,
    CACHE_SIZE,
    DEFAULT_APP_SCOPES,
    INVALID_SESSION,
    REFRESH_SCOPES,
    TOKEN_ALPHABET,
    TOKEN_COLUMNS,
    ConnectedApp,
    Grant,
    OAuthError,
    Session,
    TokenInfo,
    TokenRow,
    User,
    random_text,
    token_digest,
    utc,
)
from sfmagic.emulator.identity.users import UserRegistry


class TokenRegistry(UserRegistry):
    """Connected apps and tokens, on top of the users of ``Identity``."""

    _cache: dict[str, Session]
    _cache_lock: threading.Lock

    def create_connected_app(
        self,
        name: str,
        *,
        callback_urls: Iterable[str] = (),
        scopes: Iterable[str] = DEFAULT_APP_SCOPES,
        flows: Iterable[str] = ALL_FLOWS,
        certificate: str | None = None,
        require_secret: bool = True,
        require_pkce: bool = False,
        run_as_user_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> ConnectedApp:
        """Register an OAuth client and return it with its new credentials.

        ``flows`` names the allowed grants among ``ALL_FLOWS``;
        ``certificate`` is the PEM X.509 certificate (or public key) that
        verifies JWT bearer assertions; ``run_as_user_id`` is the user the
        client-credentials flow acts as.
        """
        unknown = set(flows) - ALL_FLOWS
        if unknown:
            raise ValueError(f"unknown OAuth flows: {sorted(unknown)}")
        app = ConnectedApp(
            client_id=client_id or "3MVG9" + random_text(80, TOKEN_ALPHABET),
            client_secret=client_secret or secrets.token_hex(32).upper(),
            name=name,
            callback_urls=tuple(callback_urls),
            scopes=tuple(dict.fromkeys(scopes)),
            flows=frozenset(flows),
            certificate=certificate,
            require_secret=require_secret,
            require_pkce=require_pkce,
            run_as_user_id=run_as_user_id,
        )
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO _connected_apps ({APP_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    app.client_id,
                    app.name,
                    app.client_secret,
                    "\n".join(app.callback_urls),
                    " ".join(app.scopes),
                    " ".join(sorted(app.flows)),
                    app.certificate,
                    int(app.require_secret),
                    int(app.require_pkce),
                    app.run_as_user_id,
                ),
            )
        return app

    def get_connected_app(self, client_id: str) -> ConnectedApp | None:
        """The connected app with this client id (consumer key), or None."""
        rows = self._read(
            f"SELECT {APP_COLUMNS} FROM _connected_apps WHERE client_id = ?",
            (client_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return ConnectedApp(
            client_id=row[0],
            name=row[1],
            client_secret=row[2],
            callback_urls=tuple(url for url in row[3].split("\n") if url),
            scopes=tuple(row[4].split()),
            flows=frozenset(row[5].split()),
            certificate=row[6],
            require_secret=bool(row[7]),
            require_pkce=bool(row[8]),
            run_as_user_id=row[9],
        )

    # -- sessions and tokens ---------------------------------------------------

    def issue_session(
        self,
        user_id: str,
        *,
        client_id: str | None = None,
        scopes: Iterable[str] = ("api",),
        parent_refresh_token: str | None = None,
    ) -> Session:
        """A new access token for the user, valid for the session lifetime.

        Raises ``ValueError`` for an unknown user.
        """
        if self.get_user(user_id) is None:
            raise ValueError("no user with this id")
        token = f"{self._token_prefix}AQ{random_text(94, TOKEN_ALPHABET)}"
        now = self.now()
        expires = now + self.settings.session_lifetime
        scope_tuple = tuple(dict.fromkeys(scopes))
        parent = token_digest(parent_refresh_token) if parent_refresh_token else None
        self._insert_token(
            token, "access", user_id, client_id, scope_tuple, expires, parent
        )
        return Session(
            access_token=token,
            user_id=user_id,
            org_id=self.org_id,
            client_id=client_id,
            scopes=scope_tuple,
            issued_at=utc(now),
            expires_at=utc(expires),
        )

    def _insert_token(
        self,
        token: str,
        kind: str,
        user_id: str,
        client_id: str | None,
        scopes: tuple[str, ...],
        expires_at: float | None,
        parent_hash: str | None,
    ) -> None:
        now = self.now()
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO _tokens ({TOKEN_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_digest(token),
                    kind,
                    user_id,
                    client_id,
                    " ".join(scopes),
                    now,
                    expires_at,
                    parent_hash,
                ),
            )
            # Forget tokens that expired a day ago, so the table stays small.
            conn.execute("DELETE FROM _tokens WHERE expires_at < ?", (now - 24 * 3600,))

    def _live_token(self, token: str, kind: str) -> TokenRow | None:
        rows = self._read(
            f"SELECT {TOKEN_COLUMNS} FROM _tokens"
            " WHERE token_hash = ? AND kind = ? AND revoked = 0",
            (token_digest(token), kind),
        )
        if not rows:
            return None
        found = rows[0]
        row = TokenRow(
            token_hash=found[0],
            kind=found[1],
            user_id=found[2],
            client_id=found[3],
            scopes=tuple(found[4].split()),
            issued_at=found[5],
            expires_at=found[6],
            parent_hash=found[7],
        )
        if row.expires_at is not None and row.expires_at <= self.now():
            return None
        return row

    def validate_access_token(self, token: str) -> Session:
        """The session of a live access token.

        Raises ``ApiError`` 401 ``INVALID_SESSION_ID`` for an unknown, expired
        or revoked token, and for a token of another org.
        """
        if not token.startswith(self._token_prefix):
            raise ApiError(401, "INVALID_SESSION_ID", INVALID_SESSION)
        key = token_digest(token)
        with self._cache_lock:
            cached = self._cache.get(key)
        if cached is not None and cached.expires_at.timestamp() > self.now():
            return cached
        row = self._live_token(token, "access")
        if row is None:
            raise ApiError(401, "INVALID_SESSION_ID", INVALID_SESSION)
        assert row.expires_at is not None
        session = Session(
            access_token=token,
            user_id=row.user_id,
            org_id=self.org_id,
            client_id=row.client_id,
            scopes=row.scopes,
            issued_at=utc(row.issued_at),
            expires_at=utc(row.expires_at),
        )
        with self._cache_lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = session
        return session

    def set_user_active(self, user_id: str, active: bool) -> None:
        """Activate or deactivate a user; deactivation ends all their sessions."""
        super().set_user_active(user_id, active)
        if not active:
            with self._write() as conn:
                conn.execute(
                    "UPDATE _tokens SET revoked = 1 WHERE user_id = ?", (user_id,)
                )
            self._clear_cache()

    def _clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def issue_refresh_token(
        self, user_id: str, client_id: str, scopes: Iterable[str]
    ) -> str:
        """A new refresh token, valid until revoked."""
        token = "5Aep861" + random_text(80, TOKEN_ALPHABET)
        self._insert_token(
            token, "refresh", user_id, client_id, tuple(scopes), None, None
        )
        return token

    def grant(
        self, app: ConnectedApp, user_id: str, scopes: tuple[str, ...], *, refresh: bool
    ) -> Grant:
        """Issue an access token (and, if asked and scoped, a refresh token)."""
        refresh_token = None
        if refresh and REFRESH_SCOPES & set(scopes):
            refresh_token = self.issue_refresh_token(user_id, app.client_id, scopes)
        session = self.issue_session(
            user_id,
            client_id=app.client_id,
            scopes=scopes,
            parent_refresh_token=refresh_token,
        )
        return Grant(session=session, refresh_token=refresh_token)

    def refresh(self, app: ConnectedApp, refresh_token: str) -> Grant:
        """A new access token from a refresh token issued to ``app``."""
        row = self._live_token(refresh_token, "refresh")
        if row is None or row.client_id != app.client_id:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        user = self.get_user(row.user_id)
        if user is None or not user.is_active:
            raise OAuthError("invalid_grant", "inactive user")
        session = self.issue_session(
            row.user_id,
            client_id=app.client_id,
            scopes=row.scopes,
            parent_refresh_token=refresh_token,
        )
        return Grant(session=session)

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; True if a live one was revoked.

        Revoking a refresh token also revokes every access token made from it.
        """
        key = token_digest(token)
        with self._write() as conn:
            found = conn.execute(
                "SELECT kind FROM _tokens WHERE token_hash = ? AND revoked = 0"
                " AND kind IN ('access', 'refresh') AND"
                " (expires_at IS NULL OR expires_at > ?)",
                (key, self.now()),
            ).fetchone()
            if found is None:
                return False
            conn.execute(
                "UPDATE _tokens SET revoked = 1"
                " WHERE token_hash = ? OR parent_hash = ?",
                (key, key),
            )
        self._clear_cache()
        return True

    def token_info(self, token: str) -> TokenInfo | None:
        """What a live access or refresh token grants, or None."""
        for kind in ("access", "refresh"):
            row = self._live_token(token, kind)
            if row is not None:
                return TokenInfo(
                    kind=kind,
                    user_id=row.user_id,
                    client_id=row.client_id,
                    scopes=row.scopes,
                    issued_at=row.issued_at,
                    expires_at=row.expires_at,
                )
        return None

    # -- browser sessions and forms ----------------------------------------------

    def create_web_session(self, user_id: str) -> str:
        """A browser session for the sign-in cookie, valid for the session lifetime."""
        token = random_text(48)
        expires = self.now() + self.settings.session_lifetime
        self._insert_token(token, "web", user_id, None, (), expires, None)
        return token

    def web_session_user(self, token: str) -> User | None:
        """The active user signed in with this browser session, or None."""
        row = self._live_token(token, "web") if token else None
        if row is None:
            return None
        user = self.get_user(row.user_id)
        return user if user is not None and user.is_active else None

    def form_token(self, seed: str) -> str:
        """A CSRF token bound to ``seed`` (the browser's random cookie)."""
        mac = hmac.new(self._secret_key, f"form:{seed}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def check_form_token(self, seed: str, token: str) -> bool:
        """Whether ``token`` is the CSRF token of ``seed``."""
        return bool(seed) and hmac.compare_digest(
            self.form_token(seed).encode(), token.encode()
        )

    def has_approval(self, user_id: str, client_id: str, scopes: Iterable[str]) -> bool:
        """Whether the user already allowed the app every one of ``scopes``."""
        rows = self._read(
            "SELECT scopes FROM _approvals WHERE user_id = ? AND client_id = ?",
            (user_id, client_id),
        )
        return bool(rows) and set(scopes) <= set(rows[0][0].split())

    def record_approval(
        self, user_id: str, client_id: str, scopes: Iterable[str]
    ) -> None:
        """Remember that the user allowed the app these scopes."""
        with self._write() as conn:
            previous = conn.execute(
                "SELECT scopes FROM _approvals WHERE user_id = ? AND client_id = ?",
                (user_id, client_id),
            ).fetchone()
            merged = set(previous[0].split()) if previous else set()
            merged.update(scopes)
            conn.execute(
                "INSERT OR REPLACE INTO _approvals VALUES (?, ?, ?)",
                (user_id, client_id, " ".join(sorted(merged))),
            )
