"""Salesforce record ids: 15-character case-sensitive, 18-character checksummed.

An id is a 3-character key prefix, then 12 base-62 characters; the 18-character
form appends three characters that encode which of the first 15 are upper case,
so that case-insensitive tools can still tell ids apart.
"""

from __future__ import annotations

import itertools
import re
import threading

__all__ = ["IdGenerator", "is_valid_id", "to_18"]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_PATTERN = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")


def _suffix(id15: str) -> str:
    chars = []
    for start in (0, 5, 10):
        bits = 0
        for offset, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << offset
        chars.append(_SUFFIX_ALPHABET[bits])
    return "".join(chars)


def to_18(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id.

    Raises ``ValueError`` when the text is not shaped like an id, or when an
    18-character id's checksum does not match its first 15 characters.
    """
    if not _ID_PATTERN.match(record_id):
        raise ValueError(f"not a Salesforce id: {record_id!r}")
    id15 = record_id[:15]
    suffix = _suffix(id15)
    if len(record_id) == 18 and record_id[15:].upper() != suffix:
        raise ValueError(f"bad id checksum: {record_id!r}")
    return id15 + suffix


def is_valid_id(record_id: str) -> bool:
    """Whether ``record_id`` is a well-formed 15- or 18-character id."""
    try:
        to_18(record_id)
    except ValueError:
        return False
    return True


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits))


class IdGenerator:
    """Makes new 18-character ids: key prefix, 3-character pod, 9-digit counter.

    The counter is kept per key prefix and starts past the highest id already
    stored (``seed``), so ids stay unique across restarts on the same data.
    """

    def __init__(self, pod: str = "8a0") -> None:
        self._pod = pod
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def seed(self, prefix: str, highest_id: str | None) -> None:
        start = 1
        if highest_id:
            start = _from_base62(highest_id[6:15]) + 1
        with self._lock:
            self._counters[prefix] = itertools.count(start)

    def new(self, prefix: str) -> str:
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            number = next(counter)
        return to_18(prefix + self._pod + _base62(number, 9))


def _from_base62(text: str) -> int:
    number = 0
    for char in text:
        number = number * 62 + _BASE62.index(char)
    return number
