"""The HTTP session every connection uses: trust, retries, tokens, usage, logs.

``ApiSession`` is a ``requests.Session`` that simple-salesforce and sfmagic
share, so both get the same behaviour:

* trust: the system's CA store by default; a given CA file (a local emulator's)
  with ``trust_env`` off, because ``REQUESTS_CA_BUNDLE`` in the environment
  would otherwise override ``verify``;
* retries: urllib3's ``Retry`` on connection errors (any method: nothing was
  sent) and on 503 for idempotent methods, with exponential backoff and
  ``Retry-After`` respected;
* the session token: requests to the instance that carry a bearer token (or
  Bulk 1.0's ``X-SFDC-Session``) get the current one, so a token renewed
  after an expiry reaches every caller, simple-salesforce included;
* one renewal on 401 ``INVALID_SESSION_ID``, then the request is sent once more;
* API usage from the ``Sforce-Limit-Info`` header;
* one INFO log line per HTTP call: method, path (never the query string),
  status and elapsed time. Headers, bodies and tokens are never logged.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

__all__ = ["ApiSession", "ApiUsage", "retry_policy"]

logger = logging.getLogger("sfmagic.client")

DEFAULT_TIMEOUT = (10.0, 300.0)
"""Connect and read timeouts, in seconds, for calls that set none."""
RETRY_STATUSES = frozenset({503})
_USAGE = re.compile(r"(?:^|[^-])api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    """API requests used out of the org's 24-hour allocation."""

    used: int
    total: int

    def __str__(self) -> str:
        return f"{self.used:,} of {self.total:,}"


def retry_policy(
    *, attempts: int = 3, backoff: float = 0.5, backoff_max: float = 10.0
) -> Retry:
    """The retry policy of a connection's HTTP adapter.

    Connection errors are retried for every method, because the request never
    reached the server; read errors and 503 answers only for idempotent methods
    (GET, HEAD, PUT, DELETE, OPTIONS, TRACE). The waits grow as
    ``backoff * 2 ** (n - 1)`` seconds, at most ``backoff_max``, unless the
    server sends ``Retry-After``.
    """
    return Retry(
        total=attempts,
        connect=attempts,
        read=attempts,
        status=attempts,
        other=0,
        backoff_factor=backoff,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def is_invalid_session(response: requests.Response) -> bool:
    """Whether an answer is Salesforce's 401 ``INVALID_SESSION_ID``."""
    if response.status_code != 401:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    first = body[0] if isinstance(body, list) and body else body
    return isinstance(first, dict) and first.get("errorCode") == "INVALID_SESSION_ID"


class ApiSession(requests.Session):
    """A ``requests.Session`` that keeps a Salesforce session alive.

    Parameters
    ----------
    ca_file
        A PEM file of the CA to trust instead of the system store (a local
        emulator's ``ca.pem``). Setting it also turns ``trust_env`` off, so
        proxy variables from the environment are ignored.
    retry
        The urllib3 retry policy; ``retry_policy()`` when None.
    timeout
        Connect and read timeouts for calls that do not set their own.
    """

    def __init__(
        self,
        *,
        ca_file: str | Path | None = None,
        retry: Retry | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__()
        if ca_file is not None:
            self.trust_env = False
            self.verify = str(ca_file)
        adapter = HTTPAdapter(max_retries=retry or retry_policy())
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.timeout = timeout
        self.instance_url: str | None = None
        self.api_usage: ApiUsage | None = None
        self._access_token: str | None = None
        self._renew: Callable[[], str] | None = None
        self._renew_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ApiSession instance={self.instance_url!r}>"

    def authorize(
        self,
        instance_url: str,
        access_token: str,
        renew: Callable[[], str] | None = None,
    ) -> None:
        """Use ``access_token`` for the instance; ``renew()`` gives a new one."""
        self.instance_url = instance_url.rstrip("/")
        self._access_token = access_token
        self._renew = renew

    @property
    def access_token(self) -> str | None:
        """The current access token (a secret: never print it)."""
        return self._access_token

    @property
    def renewable(self) -> bool:
        """Whether an expired token can be replaced without the user."""
        return self._renew is not None

    def renew_token(self, stale: str | None = None) -> str:
        """Get a new access token, unless another thread already replaced ``stale``.

        Raises whatever the renewal raises (``LoginError`` when the refresh
        token was revoked); ``RuntimeError`` when nothing can renew it.
        """
        if self._renew is None:
            raise RuntimeError("this session cannot be renewed")
        with self._renew_lock:
            if stale is not None and self._access_token != stale:
                return self._access_token or ""
            token = self._renew()
            self._access_token = token
            return token

    def send(
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Send with the current token; renew it once on ``INVALID_SESSION_ID``."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        on_instance = self._on_instance(request.url)
        sent_token = self._put_token(request) if on_instance else None
        response = self._send_logged(request, **kwargs)
        if not on_instance:
            return response
        self._track_usage(response)
        if (
            sent_token is not None
            and self._renew is not None
            and is_invalid_session(response)
            and _can_resend(request)
        ):
            logger.info("session expired; renewing it once")
            self.renew_token(stale=sent_token)
            self._put_token(request)
            response = self._send_logged(request, **kwargs)
            self._track_usage(response)
        return response

    def _send_logged(
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        started = time.perf_counter()
        try:
            response = super().send(request, **kwargs)
        except requests.RequestException as error:
            logger.info(
                "%s %s failed: %s",
                request.method,
                _path(request.url or ""),
                type(error).__name__,
            )
            raise
        elapsed = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s %d %.0fms",
            request.method,
            _path(request.url or ""),
            response.status_code,
            elapsed,
        )
        return response

    def _on_instance(self, url: str | None) -> bool:
        if not url or not self.instance_url:
            return False
        return url == self.instance_url or url.startswith(self.instance_url + "/")

    def _put_token(self, request: requests.PreparedRequest) -> str | None:
        """Replace a bearer token or Bulk 1.0 session header with the current one."""
        token = self._access_token
        if token is None:
            return None
        headers = request.headers
        scheme = headers.get("Authorization", "").partition(" ")[0].lower()
        if scheme in ("bearer", "oauth"):
            headers["Authorization"] = f"Bearer {token}"
            return token
        if "X-SFDC-Session" in headers:
            headers["X-SFDC-Session"] = token
            return token
        return None

    def _track_usage(self, response: requests.Response) -> None:
        match = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.api_usage = ApiUsage(int(match.group(1)), int(match.group(2)))


def _can_resend(request: requests.PreparedRequest) -> bool:
    """Whether the body can be sent again (not a consumed stream)."""
    return request.body is None or isinstance(request.body, bytes | str)
