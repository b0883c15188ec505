"""SQL functions the compiled queries call, registered on the store's connection.

All are deterministic, take storage values and return 0/1, text or numbers:

* ``sfq_lower(text)``: Unicode lower case (SQLite's ``lower`` is ASCII only);
* ``sfq_mpl(value)``: a multi-select picklist value as a sorted, lower-cased set;
* ``sfq_includes(value, sets_json)``: 1 when the value holds every item of at
  least one of the sets (``INCLUDES ('a;b', 'c')``);
* ``sfq_datefn(name, stored, time_zone)``: a date function such as
  ``CALENDAR_YEAR`` (see ``dates.date_function``).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any

from sfmagic.emulator.query.dates import date_function

__all__ = ["register"]


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _picklist_items(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(";") if part.strip()}


def _multipicklist(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return ";".join(sorted(_picklist_items(value)))


@functools.lru_cache(maxsize=256)
def _sets(sets_json: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(items) for items in json.loads(sets_json))


def _includes(value: Any, sets_json: str) -> int:
    if not isinstance(value, str):
        return 0
    chosen = _picklist_items(value)
    return int(any(wanted and wanted <= chosen for wanted in _sets(sets_json)))


def _date_function(name: str, stored: Any, time_zone: str | None) -> Any:
    if not isinstance(stored, str) or not stored:
        return None
    return date_function(name, stored, time_zone)


def register(conn: sqlite3.Connection) -> None:
    """Register the engine's functions on ``conn`` (idempotent)."""
    conn.create_function("sfq_lower", 1, _lower, deterministic=True)
    conn.create_function("sfq_mpl", 1, _multipicklist, deterministic=True)
    conn.create_function("sfq_includes", 2, _includes, deterministic=True)
    conn.create_function("sfq_datefn", 3, _date_function, deterministic=True)
