"""The ways to obtain a Salesforce session, one class per login flow.

Each grant turns what the user proved into ``Tokens`` with ``request(http)``,
and says with ``renewal(tokens)`` how the session can be renewed when it
expires: with the refresh token when one was issued, by running the same grant
again when it needs nobody at the keyboard (password, SOAP, client
credentials, JWT bearer), or not at all (an access token given from outside).

Secrets held by a grant (password, security token, client secret, private
key, refresh token) stay out of its repr.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import requests

from sfmagic.client.auth.oauth import Tokens, request_tokens

__all__ = [
    "AccessTokenGrant",
    "ClientCredentialsGrant",
    "Grant",
    "JwtBearerGrant",
    "PasswordGrant",
    "RefreshTokenGrant",
]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME = 180
"""Seconds a JWT bearer assertion stays valid (Salesforce allows up to 3 minutes)."""


class Grant(Protocol):
    """A login flow: how to get tokens, and how to renew them."""

    @property
    def login_url(self) -> str:
        """Where the flow logs in (and where its tokens are refreshed, revoked)."""
        ...

    @property
    def mode(self) -> str:
        """A short name of the flow: ``browser``, ``password``, ``soap``, …"""
        ...

    def request(self, http: requests.Session) -> Tokens:
        """Log in; ``LoginError`` when refused."""
        ...

    def renewal(self, tokens: Tokens) -> Grant | None:
        """The grant that renews the session ``tokens`` started, or None."""
        ...


@dataclass(frozen=True)
class RefreshTokenGrant:
    """The refresh-token flow: a new access token from a stored refresh token."""

    login_url: str
    client_id: str
    refresh_token: str = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    mode: str = "refresh"

    def request(self, http: requests.Session) -> Tokens:
        """A new session; ``LoginError`` ``REVOKED`` once the token is dead."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        tokens = request_tokens(http, self.login_url, form)
        # Salesforce keeps the refresh token unless the app rotates it.
        if tokens.refresh_token is None:
            tokens = Tokens(
                access_token=tokens.access_token,
                instance_url=tokens.instance_url,
                refresh_token=self.refresh_token,
                identity_url=tokens.identity_url,
                scopes=tokens.scopes,
            )
        return tokens

    def renewal(self, tokens: Tokens) -> Grant | None:
        return _refresh_with(self, tokens, self.client_id, self.client_secret)


@dataclass(frozen=True)
class PasswordGrant:
    """The OAuth username-password flow (being retired by Salesforce).

    The security token is appended to the password, as Salesforce requires from
    outside the org's trusted IP ranges.
    """

    login_url: str
    client_id: str
    username: str
    password: str = field(repr=False)
    security_token: str = field(default="", repr=False)
    client_secret: str | None = field(default=None, repr=False)
    mode: str = "password"

    def request(self, http: requests.Session) -> Tokens:
        form = {
            "grant_type": "password",
            "client_id": self.client_id,
            "username": self.username,
            "password": self.password + self.security_token,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret
        return request_tokens(http, self.login_url, form)

    def renewal(self, tokens: Tokens) -> Grant | None:
        return _refresh_with(self, tokens, self.client_id, self.client_secret)


@dataclass(frozen=True)
class ClientCredentialsGrant:
    """The client-credentials flow: the app acts as its configured run-as user."""

    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    mode: str = "client_credentials"

    def request(self, http: requests.Session) -> Tokens:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return request_tokens(http, self.login_url, form)

    def renewal(self, tokens: Tokens) -> Grant | None:
        return self


@dataclass(frozen=True)
class JwtBearerGrant:
    """The JWT bearer flow: an assertion signed with the app's private key.

    ``private_key`` is the PEM text of the RSA key whose certificate is
    uploaded to the connected app. The assertion's audience is the login URL
    (``https://login.salesforce.com``, ``https://test.salesforce.com``, or the
    URL of a My Domain or emulator).
    """

    login_url: str
    client_id: str
    username: str
    private_key: str = field(repr=False)
    mode: str = "jwt"

    def assertion(self, now: float | None = None) -> str:
        """The signed JWT (RS256) for one token request."""
        import jwt

        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.client_id,
            "sub": self.username,
            "aud": self.login_url.rstrip("/"),
            "exp": issued + JWT_LIFETIME,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256")

    def request(self, http: requests.Session) -> Tokens:
        form = {"grant_type": JWT_BEARER, "assertion": self.assertion()}
        return request_tokens(http, self.login_url, form)

    def renewal(self, tokens: Tokens) -> Grant | None:
        return self


@dataclass(frozen=True)
class AccessTokenGrant:
    """An access token obtained elsewhere (the Salesforce CLI, a CI secret).

    Nothing can renew it: when it expires the user must log in again.
    """

    instance_url: str
    access_token: str = field(repr=False)
    mode: str = "access_token"

    @property
    def login_url(self) -> str:
        """The instance, which is where the token is checked and revoked."""
        return self.instance_url

    def request(self, http: requests.Session) -> Tokens:
        return Tokens(
            access_token=self.access_token, instance_url=self.instance_url.rstrip("/")
        )

    def renewal(self, tokens: Tokens) -> Grant | None:
        return None


def _refresh_with(
    grant: Grant, tokens: Tokens, client_id: str, client_secret: str | None
) -> Grant:
    """Renew with the refresh token when one was issued, else repeat ``grant``."""
    if tokens.refresh_token:
        return RefreshTokenGrant(
            login_url=grant.login_url,
            client_id=client_id,
            refresh_token=tokens.refresh_token,
            client_secret=client_secret,
        )
    return grant
