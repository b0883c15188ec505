"""The OAuth 2.0 web-server flow with PKCE, without the user interface.

``WebServerFlow`` makes the authorize URL (with a random ``state`` and an S256
code challenge), reads the redirect the browser lands on, checks its
``state``, and returns the ``AuthorizationCodeGrant`` that redeems the code
with the PKCE verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from sfmagic.client.auth.grants import Grant, RefreshTokenGrant
from sfmagic.client.auth.oauth import Tokens, login_error_for_oauth, request_tokens
from sfmagic.client.errors import LoginError, LoginProblem

__all__ = [
    "DEFAULT_SCOPES",
    "AuthorizationCodeGrant",
    "WebServerFlow",
    "pkce_challenge",
]

AUTHORIZE_PATH = "/services/oauth2/authorize"
DEFAULT_SCOPES = ("api", "refresh_token")


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class AuthorizationCodeGrant:
    """Redeems an authorization code, proving it with the PKCE verifier."""

    login_url: str
    client_id: str
    redirect_uri: str
    code: str = field(repr=False)
    code_verifier: str = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    mode: str = "browser"

    def request(self, http: requests.Session) -> Tokens:
        form = {
            "grant_type": "authorization_code",
            "code": self.code,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.code_verifier,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        return request_tokens(http, self.login_url, form)

    def renewal(self, tokens: Tokens) -> Grant | None:
        if not tokens.refresh_token:
            return None
        return RefreshTokenGrant(
            login_url=self.login_url,
            client_id=self.client_id,
            refresh_token=tokens.refresh_token,
            client_secret=self.client_secret,
        )


def _random_verifier() -> str:
    # 64 random bytes give 86 URL-safe characters, within RFC 7636's 43..128.
    return secrets.token_urlsafe(64)


def _random_state() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class WebServerFlow:
    """One browser sign-in attempt: its authorize URL, state and PKCE verifier.

    Parameters
    ----------
    login_url
        ``https://login.salesforce.com``, ``https://test.salesforce.com``, a My
        Domain URL, or an emulator.
    client_id
        The connected app's consumer key.
    redirect_uri
        A callback URL registered for the app, where the browser is sent back.
    scopes
        The scopes asked for; ``refresh_token`` lets the session be renewed.
    client_secret
        Only for apps that require the secret in the web-server flow.
    login_hint
        A username to fill in on the sign-in page.
    """

    login_url: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    client_secret: str | None = field(default=None, repr=False)
    login_hint: str | None = None
    state: str = field(default_factory=_random_state, repr=False)
    code_verifier: str = field(default_factory=_random_verifier, repr=False)

    @property
    def authorize_url(self) -> str:
        """Where the user signs in and approves the app."""
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": self.state,
            "code_challenge": pkce_challenge(self.code_verifier),
            "code_challenge_method": "S256",
        }
        if self.login_hint:
            params["login_hint"] = self.login_hint
        return f"{self.login_url.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(params)}"

    def code_from_redirect(self, redirect_url: str) -> str:
        """The authorization code of the URL the browser was sent back to.

        Raises ``LoginError``: ``BAD_REDIRECT`` when the text is no redirect of a
        sign-in, ``STATE_MISMATCH`` when it belongs to another attempt, and the
        problem of the ``error`` parameter (``NOT_APPROVED`` for a denial).
        """
        text = redirect_url.strip()
        query = urlsplit(text).query if "?" in text else text
        params = {key: values[0] for key, values in parse_qs(query).items()}
        if "code" not in params and "error" not in params:
            raise LoginError(
                LoginProblem.BAD_REDIRECT,
                "The text is not the address of a sign-in redirect.",
            )
        state = params.get("state", "")
        if not hmac.compare_digest(state.encode(), self.state.encode()):
            raise LoginError(
                LoginProblem.STATE_MISMATCH,
                "The redirect belongs to another sign-in attempt.",
            )
        if "error" in params:
            raise login_error_for_oauth(
                params["error"], params.get("error_description", "")
            )
        return params["code"]

    def grant(self, code: str) -> AuthorizationCodeGrant:
        """The grant that redeems ``code`` for tokens."""
        return AuthorizationCodeGrant(
            login_url=self.login_url,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            code=code,
            code_verifier=self.code_verifier,
            client_secret=self.client_secret,
        )
