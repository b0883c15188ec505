"""``Connection``: one logged-in session with one org.

A connection owns its ``ApiSession`` (trust, retries, token renewal, usage,
logging, see ``sfmagic.client.api_session``) and shares it with the
``simple_salesforce.Salesforce`` object it hands out as ``sf``, so a session
renewed after an expiry serves both. Its repr names the user, org and
instance, never a token.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from urllib3.util.retry import Retry

from sfmagic.client.api_session import ApiSession, ApiUsage
from sfmagic.client.auth.grants import Grant
from sfmagic.client.auth.oauth import Tokens, UserInfo, fetch_user, revoke_token
from sfmagic.client.errors import LoginError, LoginProblem, error_for_response

if TYPE_CHECKING:
    from simple_salesforce.api import Salesforce

__all__ = ["DEFAULT_ALIAS", "DEFAULT_API_VERSION", "Connection", "check_api_version"]

DEFAULT_API_VERSION = "64.0"
DEFAULT_ALIAS = "default"
_VERSION = re.compile(r"^[1-9][0-9]{1,2}\.0$")


def check_api_version(version: str) -> str:
    """``version`` if it reads like ``64.0``; ``ValueError`` otherwise."""
    if not _VERSION.match(version):
        raise ValueError(f"API version {version!r} is not of the form NN.0")
    return version


class Connection:
    """A Salesforce session: who, which org, where, and the HTTP session.

    Open one with ``Connection.open(grant)``; in a notebook ``%sf_login`` does
    it and ``sfmagic.connection()`` returns it.

    Parameters
    ----------
    http
        The session, already authorized for the instance.
    tokens
        The tokens of the login.
    user
        Who the session belongs to.
    grant
        The login flow used.
    api_version
        The REST API version, ``NN.0``.
    alias
        The name this connection goes by among several.
    profile
        The stored profile it was opened from, if any.
    """

    def __init__(
        self,
        http: ApiSession,
        tokens: Tokens,
        user: UserInfo,
        *,
        grant: Grant,
        api_version: str = DEFAULT_API_VERSION,
        alias: str = DEFAULT_ALIAS,
        profile: str | None = None,
    ) -> None:
        self.http = http
        self.user = user
        self.grant = grant
        self.api_version = check_api_version(api_version)
        self.alias = alias
        self.profile = profile
        self._tokens = tokens
        self._renewal = grant.renewal(tokens)
        self._sf: Salesforce | None = None
        self._lock = threading.Lock()
        self.closed = False
        renew = self._renew if self._renewal is not None else None
        http.authorize(tokens.instance_url, tokens.access_token, renew)

    @classmethod
    def open(
        cls,
        grant: Grant,
        *,
        api_version: str = DEFAULT_API_VERSION,
        ca_file: str | Path | None = None,
        alias: str = DEFAULT_ALIAS,
        profile: str | None = None,
        retry: Retry | None = None,
    ) -> Connection:
        """Log in with ``grant`` and check the session through userinfo.

        Raises ``LoginError`` when the login is refused, the login URL cannot
        be reached or is not Salesforce's, or the session is not accepted.
        """
        check_api_version(api_version)
        http = ApiSession(ca_file=ca_file, retry=retry)
        try:
            tokens = grant.request(http)
            user = fetch_user(http, tokens.instance_url, tokens.access_token)
        except BaseException:
            http.close()
            raise
        return cls(
            http,
            tokens,
            user,
            grant=grant,
            api_version=api_version,
            alias=alias,
            profile=profile,
        )

    def __repr__(self) -> str:
        return (
            f"<Connection {self.user.username} org={self.user.org_id} "
            f"instance={self.instance_url}>"
        )

    @property
    def instance_url(self) -> str:
        """``https://…`` of the org's instance, without a trailing slash."""
        return self._tokens.instance_url

    @property
    def login_url(self) -> str:
        """Where the session was obtained, and is renewed and revoked."""
        return self.grant.login_url

    @property
    def username(self) -> str:
        """The signed-in user's username."""
        return self.user.username

    @property
    def org_id(self) -> str:
        """The 18-character organization id."""
        return self.user.org_id

    @property
    def mode(self) -> str:
        """The login flow: ``browser``, ``password``, ``soap``, ``jwt``, …"""
        return self.grant.mode

    @property
    def client_id(self) -> str | None:
        """The connected app's consumer key, when the flow used one."""
        value = getattr(self.grant, "client_id", None)
        return value if isinstance(value, str) else None

    @property
    def refresh_token(self) -> str | None:
        """The refresh token, if the login issued one (a secret: never print it)."""
        return self._tokens.refresh_token

    @property
    def renewable(self) -> bool:
        """Whether an expired session is renewed without asking the user."""
        return self._renewal is not None

    @property
    def api_usage(self) -> ApiUsage | None:
        """API requests used today, from the last ``Sforce-Limit-Info`` seen."""
        return self.http.api_usage

    @property
    def base_url(self) -> str:
        """``<instance>/services/data/vNN.0/``, the REST API root."""
        return f"{self.instance_url}/services/data/v{self.api_version}/"

    @property
    def sf(self) -> Salesforce:
        """A ``simple_salesforce.Salesforce`` sharing this connection's session."""
        with self._lock:
            if self._sf is None:
                from simple_salesforce.api import Salesforce

                self._sf = Salesforce(
                    instance_url=self.instance_url,
                    session_id=self.http.access_token,
                    session=self.http,
                    version=self.api_version,
                )
            return self._sf

    def url(self, path: str) -> str:
        """An absolute URL: as is, from the instance root (``/…``), or the REST root."""
        if path.startswith(("https://", "http://")):
            return path
        if path.startswith("/"):
            return self.instance_url + path
        return self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
    ) -> requests.Response:
        """Call the API; ``SalesforceError`` (by status) for an error answer.

        ``path`` is relative to the REST root (``query/``), to the instance
        (``/services/…``), or absolute.
        """
        sent = {"Accept": "application/json", **(headers or {})}
        sent["Authorization"] = f"Bearer {self.http.access_token}"
        response: requests.Response = self.http.request(
            method, self.url(path), params=params, json=json, data=data, headers=sent
        )
        if response.status_code >= 300:
            raise error_for_response(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` and return its JSON body."""
        return self.request("GET", path, params=params or None).json()

    def refresh_usage(self) -> ApiUsage | None:
        """Ask the org how many API requests were used today (one request)."""
        body = self.get("limits/")
        daily = body.get("DailyApiRequests") if isinstance(body, dict) else None
        if self.http.api_usage is None and isinstance(daily, dict):
            total = int(daily.get("Max", 0))
            self.http.api_usage = ApiUsage(
                total - int(daily.get("Remaining", 0)), total
            )
        return self.http.api_usage

    def renew_session(self) -> None:
        """Get a new access token now (refresh token or a fresh login).

        Raises ``LoginError`` ``EXPIRED_SESSION`` when this kind of login cannot
        be renewed, or the renewal's refusal (``REVOKED``).
        """
        if self._renewal is None:
            self._renew()
        self.http.renew_token()

    def revoke(self) -> bool:
        """Revoke the refresh token (or the access token) and close.

        Returns False when the token was no longer valid.
        """
        token = self._tokens.refresh_token or self.http.access_token or ""
        try:
            return revoke_token(self.http, self.login_url, token)
        finally:
            self.close()

    def close(self) -> None:
        """Release the HTTP session; the connection can no longer be used."""
        self.closed = True
        self.http.close()

    def _renew(self) -> str:
        renewal = self._renewal
        if renewal is None:
            raise LoginError(
                LoginProblem.EXPIRED_SESSION,
                "The session expired and this login cannot be renewed.",
            )
        tokens = renewal.request(self.http)
        self._tokens = tokens
        self._renewal = renewal.renewal(tokens)
        if self._sf is not None:
            self._sf.session_id = tokens.access_token
            self._sf.headers["Authorization"] = f"Bearer {tokens.access_token}"
        return tokens.access_token
