"""The small HTTP surface the query engine needs from a connection.

The query, bulk and describe code of ``sfmagic.client`` talks to Salesforce through
``QueryTransport``: an instance URL, an API version, and one ``request`` method
that returns the raw ``requests.Response`` (the hot path reads the body bytes
itself instead of letting a JSON parser build dictionaries). Anything with these
three members works; ``as_transport`` also adapts an object that only offers a
``session``, an ``instance_url`` and an ``api_version``, and ``SessionTransport``
wraps a plain ``requests.Session`` (for scripts and tests).

Errors come back as ``sfmagic.client.errors.SalesforceError`` subclasses, keyed
by HTTP status and carrying Salesforce's ``errorCode`` and ``message``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import requests

from sfmagic.client.errors import error_for_response

__all__ = [
    "QueryTransport",
    "SessionTransport",
    "ToolingTransport",
    "as_transport",
    "resolve_url",
]

logger = logging.getLogger("sfmagic.client")


@runtime_checkable
class QueryTransport(Protocol):
    """What the query engine needs from a connection."""

    @property
    def instance_url(self) -> str:
        """``https://host[:port]`` of the org, without a trailing slash."""

    @property
    def api_version(self) -> str:
        """The REST API version, such as ``"62.0"``."""

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one request and return its successful response.

        ``path_or_url`` is an absolute URL, a path from the host root
        (``/services/data/…``, as in ``nextRecordsUrl``), or a path relative to
        ``/services/data/vNN.N/``. Error statuses raise ``SalesforceError``.
        """


def resolve_url(transport: QueryTransport, path_or_url: str) -> str:
    """The absolute URL of an absolute URL, a root path or a data-API path."""
    if path_or_url.startswith(("https://", "http://")):
        return path_or_url
    base = transport.instance_url.rstrip("/")
    if path_or_url.startswith("/"):
        return base + path_or_url
    return f"{base}/services/data/v{transport.api_version}/{path_or_url}"


class SessionTransport:
    """A ``QueryTransport`` over a ``requests.Session`` that already authenticates.

    Parameters
    ----------
    session : requests.Session
        A session whose headers carry ``Authorization: Bearer <token>`` (or that
        ``access_token`` sets up) and that trusts the org's certificate.
    instance_url : str
        The org's ``https://host[:port]``.
    api_version : str
        The REST API version to call.
    access_token : str, optional
        When given, sets the session's ``Authorization`` header.

    Known limits: no session refresh and no retries; the ``Connection`` of
    ``sfmagic.client`` adds those.
    """

    def __init__(
        self,
        session: requests.Session,
        instance_url: str,
        api_version: str = "62.0",
        *,
        access_token: str | None = None,
    ) -> None:
        self.session = session
        self._instance_url = instance_url.rstrip("/")
        self._api_version = api_version
        if access_token is not None:
            session.headers["Authorization"] = f"Bearer {access_token}"

    @property
    def instance_url(self) -> str:
        """The org's ``https://host[:port]``."""
        return self._instance_url

    @property
    def api_version(self) -> str:
        """The REST API version called."""
        return self._api_version

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one request; raise ``SalesforceError`` on an error status."""
        url = resolve_url(self, path_or_url)
        started = time.perf_counter()
        response = self.session.request(
            method, url, params=params, headers=headers, json=json
        )
        elapsed = time.perf_counter() - started
        logger.info(
            "%s %s %s %.3fs", method, url.split("?")[0], response.status_code, elapsed
        )
        if response.status_code >= 300:
            raise error_for_response(response)
        return response

    def __repr__(self) -> str:
        return f"SessionTransport({self._instance_url!r}, {self._api_version!r})"


def as_transport(conn: object) -> QueryTransport:
    """The ``QueryTransport`` of a connection-like object.

    Accepts a ``QueryTransport`` as is, and adapts an object that has a
    ``session`` (``requests.Session``), an ``instance_url`` and an
    ``api_version``.

    Raises
    ------
    TypeError
        When the object offers neither.
    """
    if isinstance(conn, QueryTransport):
        return conn
    session = getattr(conn, "session", None)
    instance_url = getattr(conn, "instance_url", None)
    api_version = getattr(conn, "api_version", None)
    if isinstance(session, requests.Session) and instance_url and api_version:
        return SessionTransport(session, str(instance_url), str(api_version))
    raise TypeError(
        f"{type(conn).__name__} is not a connection: it needs request(), "
        "instance_url and api_version, or a requests session"
    )


class ToolingTransport:
    """A ``QueryTransport`` that sends data-API paths to the Tooling API.

    Relative paths (``query/``, ``sobjects/…``) go under
    ``/services/data/vNN.N/tooling/``; root paths and absolute URLs (such as a
    ``nextRecordsUrl``) are left alone.
    """

    def __init__(self, inner: QueryTransport) -> None:
        self.inner = inner

    @property
    def instance_url(self) -> str:
        """The org's ``https://host[:port]``."""
        return self.inner.instance_url

    @property
    def api_version(self) -> str:
        """The REST API version called."""
        return self.inner.api_version

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one request, under ``tooling/`` when the path is relative."""
        if not path_or_url.startswith(("/", "https://", "http://")):
            path_or_url = "tooling/" + path_or_url
        return self.inner.request(
            method, path_or_url, params=params, headers=headers, json=json
        )
