"""Who is calling: bearer tokens on API requests, and the daily request count.

Every data API request carries ``Authorization: Bearer <token>`` (simple-salesforce,
the Bulk API) or ``Authorization: OAuth <token>`` (older clients). A missing, unknown
or expired token is answered with 401 ``INVALID_SESSION_ID`` and a JSON list body,
the shape simple-salesforce reads ``errorCode`` from before it logs in again.

Each accepted request counts toward the org's daily API allocation
(``OrgSettings.daily_api_limit``), reported in the ``Sforce-Limit-Info`` header and
by ``limits/``. Past the allocation requests are refused with 403
``REQUEST_LIMIT_EXCEEDED``. Salesforce counts over a rolling 24 hours; the emulator
counts per UTC calendar day, which is simpler to reason about in tests and
tutorials. The count is kept in the store's ``_meta`` table so that it survives a
restart on the same data directory (it is written every few requests and when the
org stops, so a killed process may forget the last few).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from sfmagic.emulator.errors import ApiError

if TYPE_CHECKING:
    from sfmagic.emulator.identity import Session
    from sfmagic.emulator.org import OrgState
    from sfmagic.emulator.store import Store

__all__ = ["ApiUsage", "bearer_token", "require_session"]

_METER_KEY = "api_usage"
# Write the count to the store at most this often (requests, seconds).
_FLUSH_EVERY = 25
_FLUSH_SECONDS = 2.0


def invalid_session() -> ApiError:
    """The 401 every API answers for a missing, unknown or expired token."""
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer|OAuth <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in ("bearer", "oauth") or not token or " " in token:
        return None
    return token


def require_session(request: HTTPConnection) -> Session:
    """The session behind the request's bearer token, counted as one API request.

    Raises
    ------
    ApiError
        401 ``INVALID_SESSION_ID`` without a valid token; 403
        ``REQUEST_LIMIT_EXCEEDED`` once the daily allocation is used up.
    """
    org: OrgState = request.app.state.org
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise invalid_session()
    session = org.identity.validate_access_token(token)
    org.usage.count()
    return session


class ApiUsage:
    """The org's count of API requests today, against its daily allocation."""

    def __init__(self, store: Store, limit: int) -> None:
        self._store = store
        self.limit = limit
        self._lock = threading.Lock()
        self._day, self._used = self._load()
        self._unsaved = 0
        self._saved_at = time.monotonic()

    @property
    def used(self) -> int:
        """Requests counted so far today (UTC)."""
        with self._lock:
            self._roll_over()
            return self._used

    @property
    def remaining(self) -> int:
        """Requests left today."""
        return max(self.limit - self.used, 0)

    def header_value(self) -> str:
        """The ``Sforce-Limit-Info`` value, ``api-usage=<used>/<limit>``."""
        return f"api-usage={self.used}/{self.limit}"

    def count(self) -> None:
        """Count one request, or refuse it when the allocation is used up."""
        with self._lock:
            self._roll_over()
            if self._used >= self.limit:
                raise ApiError(
                    403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
                )
            self._used += 1
            self._unsaved += 1
            due = time.monotonic() - self._saved_at >= _FLUSH_SECONDS
            if self._unsaved >= _FLUSH_EVERY or due:
                self._save()

    def set_used(self, used: int) -> None:
        """Set today's count, to show exhaustion in tests and tutorials."""
        with self._lock:
            self._roll_over()
            self._used = max(used, 0)
            self._save()

    def flush(self) -> None:
        """Write the count to the store now."""
        with self._lock:
            if self._unsaved:
                self._save()

    def _roll_over(self) -> None:
        today = _today()
        if today != self._day:
            self._day, self._used = today, 0
            self._save()

    def _load(self) -> tuple[str, int]:
        today = _today()
        saved = self._store.meta_get(_METER_KEY)
        if saved:
            day, _, count = str(saved).partition(":")
            if day == today and count.isdigit():
                return today, int(count)
        return today, 0

    def _save(self) -> None:
        self._store.meta_set(_METER_KEY, f"{self._day}:{self._used}")
        self._unsaved = 0
        self._saved_at = time.monotonic()


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()
