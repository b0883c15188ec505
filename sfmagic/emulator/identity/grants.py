"""Authorization codes and device-flow requests, the two-step grants."""

from __future__ import annotations

import hmac

from sfmagic.emulator.identity.model import (
    ALNUM,
    CODE_LIFETIME,
    DEVICE_CODE_LIFETIME,
    TOKEN_ALPHABET,
    USER_CODE_ALPHABET,
    ConnectedApp,
    DeviceRequest,
    Grant,
    OAuthError,
    PendingDevice,
    pkce_challenge,
    random_text,
    token_digest,
)
from sfmagic.emulator.identity.tokens import TokenRegistry


class GrantRegistry(TokenRegistry):
    """Codes and device requests, on top of the token half of ``Identity``."""

    def create_code(
        self,
        app: ConnectedApp,
        user_id: str,
        *,
        redirect_uri: str,
        scopes: tuple[str, ...],
        code_challenge: str | None,
    ) -> str:
        """A single-use authorization code, valid for 15 minutes."""
        code = "aPrx" + random_text(60, ALNUM)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO _codes (code_hash, client_id, user_id, redirect_uri,"
                " scopes, code_challenge, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    token_digest(code),
                    app.client_id,
                    user_id,
                    redirect_uri,
                    " ".join(scopes),
                    code_challenge,
                    self.now() + CODE_LIFETIME,
                ),
            )
            conn.execute(
                "DELETE FROM _codes WHERE expires_at < ?", (self.now() - 24 * 3600,)
            )
        return code

    def exchange_code(
        self,
        app: ConnectedApp,
        code: str,
        *,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> Grant:
        """Redeem an authorization code for tokens.

        The code is spent by the first attempt, right or wrong; presenting it
        again also revokes the tokens it gave (RFC 6749 §4.1.2).
        """
        key = token_digest(code)
        with self._write() as conn:
            row = conn.execute(
                "SELECT client_id, user_id, redirect_uri, scopes, code_challenge,"
                " expires_at, used, refresh_hash, access_hash FROM _codes"
                " WHERE code_hash = ?",
                (key,),
            ).fetchone()
            if row is not None and row[0] == app.client_id:
                conn.execute("UPDATE _codes SET used = 1 WHERE code_hash = ?", (key,))
        if row is None or row[0] != app.client_id:
            raise OAuthError("invalid_grant", "invalid authorization code")
        user_id, expected_uri, scopes, challenge, expires, used = row[1:7]
        if used:
            self._revoke_hashes(row[7], row[8])
            raise OAuthError("invalid_grant", "invalid authorization code")
        if expires <= self.now():
            raise OAuthError("invalid_grant", "expired authorization code")
        if redirect_uri != expected_uri:
            raise OAuthError(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
        check_verifier(challenge, code_verifier)
        user = self.get_user(user_id)
        if user is None or not user.is_active:
            raise OAuthError("inactive_user", "user is inactive")
        grant = self.grant(app, user_id, tuple(scopes.split()), refresh=True)
        with self._write() as conn:
            conn.execute(
                "UPDATE _codes SET refresh_hash = ?, access_hash = ?"
                " WHERE code_hash = ?",
                (
                    token_digest(grant.refresh_token) if grant.refresh_token else None,
                    token_digest(grant.session.access_token),
                    key,
                ),
            )
        return grant

    def _revoke_hashes(self, *hashes: str | None) -> None:
        with self._write() as conn:
            for key in hashes:
                if key:
                    conn.execute(
                        "UPDATE _tokens SET revoked = 1"
                        " WHERE token_hash = ? OR parent_hash = ?",
                        (key, key),
                    )
        self._clear_cache()

    # -- device flow -----------------------------------------------------------

    def start_device_request(
        self, app: ConnectedApp, scopes: tuple[str, ...]
    ) -> DeviceRequest:
        """A new device-flow request: a device code to poll, a user code to type."""
        device_code = random_text(64, TOKEN_ALPHABET)
        expires = self.now() + DEVICE_CODE_LIFETIME
        with self._write() as conn:
            conn.execute(
                "DELETE FROM _device_codes WHERE expires_at < ?",
                (self.now() - 24 * 3600,),
            )
            # 28**8 user codes: a clash with a live one is rare, but possible.
            while True:
                user_code = random_text(8, USER_CODE_ALPHABET)
                taken = conn.execute(
                    "SELECT 1 FROM _device_codes WHERE user_code = ?", (user_code,)
                ).fetchone()
                if not taken:
                    break
            conn.execute(
                "INSERT INTO _device_codes (device_hash, user_code, client_id, scopes,"
                " expires_at, status) VALUES (?, ?, ?, ?, ?, 'pending')",
                (
                    token_digest(device_code),
                    user_code,
                    app.client_id,
                    " ".join(scopes),
                    expires,
                ),
            )
        return DeviceRequest(
            device_code=device_code,
            user_code=user_code,
            client_id=app.client_id,
            scopes=scopes,
            expires_at=expires,
        )

    def pending_device_request(self, user_code: str) -> PendingDevice | None:
        """The undecided, unexpired request with this user code.

        The code is matched in any case, ignoring spaces and dashes.
        """
        normalized = normalize_user_code(user_code)
        rows = self._read(
            "SELECT client_id, scopes, expires_at FROM _device_codes"
            " WHERE user_code = ? AND status = 'pending' AND expires_at > ?",
            (normalized, self.now()),
        )
        if not rows:
            return None
        return PendingDevice(
            user_code=normalized,
            client_id=rows[0][0],
            scopes=tuple(rows[0][1].split()),
        )

    def decide_device_request(
        self, user_code: str, user_id: str, *, allow: bool
    ) -> bool:
        """Record the user's Allow or Deny; False if the request is gone."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE _device_codes SET status = ?, user_id = ?"
                " WHERE user_code = ? AND status = 'pending' AND expires_at > ?",
                (
                    "approved" if allow else "denied",
                    user_id,
                    normalize_user_code(user_code),
                    self.now(),
                ),
            )
            return bool(cursor.rowcount)

    def poll_device_request(self, app: ConnectedApp, device_code: str) -> Grant:
        """Tokens for an approved device request; ``OAuthError`` while not.

        Errors follow RFC 8628: ``authorization_pending`` until the user
        decides, then ``access_denied``, or ``expired_token`` after ten minutes.
        """
        key = token_digest(device_code)
        with self._write() as conn:
            row = conn.execute(
                "SELECT client_id, scopes, expires_at, status, user_id"
                " FROM _device_codes WHERE device_hash = ?",
                (key,),
            ).fetchone()
            if row is not None and row[0] == app.client_id and row[3] == "approved":
                conn.execute(
                    "UPDATE _device_codes SET status = 'used' WHERE device_hash = ?",
                    (key,),
                )
        if row is None or row[0] != app.client_id or row[3] == "used":
            raise OAuthError("invalid_grant", "invalid device code")
        scopes, expires, status, user_id = row[1:]
        if status == "denied":
            raise OAuthError("access_denied", "end-user denied authorization")
        if status == "pending":
            if expires <= self.now():
                raise OAuthError("expired_token", "the device code has expired")
            raise OAuthError("authorization_pending", "authorization pending")
        return self.grant(app, user_id, tuple(scopes.split()), refresh=True)


def check_verifier(challenge: str | None, verifier: str | None) -> None:
    """Check a PKCE verifier against the challenge stored with the code."""
    # Salesforce: a missing verifier is invalid_grant, a wrong one
    # invalid_request. A verifier without a challenge is ignored (RFC 7636).
    if challenge is None:
        return
    if not verifier:
        raise OAuthError("invalid_grant", "invalid code verifier")
    if not hmac.compare_digest(pkce_challenge(verifier).encode(), challenge.encode()):
        raise OAuthError("invalid_request", "invalid code verifier")


def normalize_user_code(text: str) -> str:
    """A user code as stored: upper case, letters and digits only."""
    return "".join(char for char in text.upper() if char.isalnum())
