"""Login flows: how sfmagic obtains and renews a Salesforce session.

* ``WebServerFlow`` + ``BrowserLogin``: browser sign-in with PKCE, finished by
  a loopback listener or a pasted redirect URL (the default with a client id);
* ``RefreshTokenGrant``: a stored refresh token;
* ``PasswordGrant`` (OAuth) and ``SoapLoginGrant``: username, password and
  security token, both being retired by Salesforce;
* ``ClientCredentialsGrant`` and ``JwtBearerGrant``: server-to-server logins;
* ``AccessTokenGrant``: a token obtained elsewhere.

Every grant's ``request(http)`` returns ``Tokens`` or raises ``LoginError``.
"""

from sfmagic.client.auth.browser import BrowserLogin, SignInState
from sfmagic.client.auth.grants import (
    AccessTokenGrant,
    ClientCredentialsGrant,
    Grant,
    JwtBearerGrant,
    PasswordGrant,
    RefreshTokenGrant,
)
from sfmagic.client.auth.oauth import Tokens, UserInfo, fetch_user, revoke_token
from sfmagic.client.auth.soap import SoapLoginGrant
from sfmagic.client.auth.webserver import (
    DEFAULT_SCOPES,
    AuthorizationCodeGrant,
    WebServerFlow,
)

__all__ = [
    "DEFAULT_SCOPES",
    "AccessTokenGrant",
    "AuthorizationCodeGrant",
    "BrowserLogin",
    "ClientCredentialsGrant",
    "Grant",
    "JwtBearerGrant",
    "PasswordGrant",
    "RefreshTokenGrant",
    "SignInState",
    "SoapLoginGrant",
    "Tokens",
    "UserInfo",
    "WebServerFlow",
    "fetch_user",
    "revoke_token",
]
