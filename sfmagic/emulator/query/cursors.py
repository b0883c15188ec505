"""Query locators: the server-side state behind ``nextRecordsUrl``.

A locator is ``01g`` and 15 random base-62 characters; ``nextRecordsUrl`` appends
``-<offset>``, the position of the next page's first record. Behind it the engine
keeps a snapshot: the ordered ids of every matching record (or, for aggregate
queries, the finished rows), so later pages neither shift when records change nor
repeat the query. A locator that has not been used for 15 minutes is forgotten,
as on Salesforce, and so is the least recently used one when more than
``MAX_CURSORS`` are open.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.query.compile import RecordPlan

__all__ = ["IDLE_SECONDS", "MAX_CURSORS", "Cursor", "Cursors", "invalid_locator"]

IDLE_SECONDS = 15 * 60
MAX_CURSORS = 10_000
LOCATOR_PREFIX = "01g"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def invalid_locator() -> ApiError:
    return ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


@dataclass
class Cursor:
    """A snapshot of a query result, paged through a locator.

    Exactly one of ``ids`` (with the record ``plan`` that reads them) and
    ``records`` (finished rows) is set.
    """

    total: int
    batch_size: int
    plan: RecordPlan | None = None
    ids: list[str] | None = None
    records: list[dict[str, Any]] | None = None
    locator: str = ""
    used: float = field(default=0.0, repr=False)


class Cursors:
    """Open cursors by locator, with idle expiry (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._open: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._open)

    def open(self, cursor: Cursor) -> str:
        """Keep ``cursor`` and answer its new locator."""
        locator = LOCATOR_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(15))
        with self._lock:
            self._expire()
            cursor.locator = locator
            cursor.used = self._clock()
            self._open[locator] = cursor
            while len(self._open) > MAX_CURSORS:
                self._open.popitem(last=False)
        return locator

    def find(self, text: str) -> tuple[Cursor, int]:
        """The cursor and offset a ``<locator>-<offset>`` text names.

        Raises ``ApiError`` 400 ``INVALID_QUERY_LOCATOR`` for anything unknown,
        expired or out of range.
        """
        locator, _, offset_text = text.strip().rpartition("-")
        if not offset_text.isdigit() or not locator.startswith(LOCATOR_PREFIX):
            raise invalid_locator()
        offset = int(offset_text)
        with self._lock:
            self._expire()
            cursor = self._open.get(locator)
            if cursor is None or not 0 < offset < cursor.total:
                raise invalid_locator()
            cursor.used = self._clock()
            self._open.move_to_end(locator)
        return cursor, offset

    def _expire(self) -> None:
        horizon = self._clock() - IDLE_SECONDS
        while self._open:
            oldest = next(iter(self._open.values()))
            if oldest.used >= horizon:
                break
            self._open.popitem(last=False)
