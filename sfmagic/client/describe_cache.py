"""Describe metadata, fetched once per connection and API version.

Shaping query results, completing SOQL and suggesting field names all read the
same describe payloads. ``describe_cache(conn)`` returns the ``DescribeCache`` of
a connection for its current API version; it fetches ``sobjects/`` (the global
list) and ``sobjects/<Name>/describe`` on first use and keeps them until
``clear()``. Lookups are case-insensitive, like SOQL.

Known limits: the cache never expires by itself; call ``clear()`` after changing
the org's schema.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from sfmagic.client.errors import SalesforceError
from sfmagic.client.query_transport import (
    QueryTransport,
    ToolingTransport,
    as_transport,
)

__all__ = [
    "DescribeCache",
    "describe_cache",
    "find_child_relationship",
    "find_field",
    "find_relationship",
]

Describe = Mapping[str, Any]

_CACHES: weakref.WeakKeyDictionary[object, dict[str, DescribeCache]]
_CACHES = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


class DescribeCache:
    """The describe payloads of one org at one API version.

    Parameters
    ----------
    transport : QueryTransport
        Where to fetch describe payloads from.
    """

    def __init__(self, transport: QueryTransport) -> None:
        self.transport = transport
        self.requests = 0
        """How many describe requests this cache has sent."""
        self._objects: dict[str, Describe | None] = {}
        self._global: list[Describe] | None = None
        self._lock = threading.Lock()

    def sobject_names(self) -> list[str]:
        """The API names of every sObject of the org, from describe global."""
        if self._global is None:
            self.requests += 1
            response = self.transport.request("GET", "sobjects/")
            self._global = list(orjson.loads(response.content)["sobjects"])
        return [str(item["name"]) for item in self._global]

    def describe(self, sobject: str) -> Describe | None:
        """The describe payload of an sObject, or None when the org has no such
        object."""
        key = sobject.lower()
        with self._lock:
            if key in self._objects:
                return self._objects[key]
        try:
            self.requests += 1
            response = self.transport.request("GET", f"sobjects/{sobject}/describe")
            found: Describe | None = orjson.loads(response.content)
        except SalesforceError as error:
            if error.status != 404:
                raise
            found = None
        with self._lock:
            self._objects[key] = found
        return found

    def add(self, payloads: Iterable[Describe]) -> None:
        """Put describe payloads in the cache (for tests and offline use)."""
        with self._lock:
            for payload in payloads:
                self._objects[str(payload["name"]).lower()] = payload

    def clear(self) -> None:
        """Forget everything fetched so far."""
        with self._lock:
            self._objects.clear()
            self._global = None


def describe_cache(conn: object, *, tooling: bool = False) -> DescribeCache:
    """The ``DescribeCache`` of a connection at its current API version.

    With ``tooling`` the cache describes the Tooling API's objects instead.
    """
    transport = as_transport(conn)
    owner: object = conn if _weakrefable(conn) else transport
    key = f"{transport.api_version}/tooling" if tooling else transport.api_version
    with _CACHES_LOCK:
        per_version = _CACHES.setdefault(owner, {})
        cache = per_version.get(key)
        if cache is None or cache.transport.instance_url != transport.instance_url:
            source = ToolingTransport(transport) if tooling else transport
            cache = DescribeCache(source)
            per_version[key] = cache
    return cache


def find_field(describe: Describe, name: str) -> Mapping[str, Any] | None:
    """The describe entry of a field, by case-insensitive API name."""
    lowered = name.lower()
    for field in describe.get("fields", ()):
        if str(field["name"]).lower() == lowered:
            return dict(field)
    return None


def find_relationship(describe: Describe, name: str) -> Mapping[str, Any] | None:
    """The reference field whose ``relationshipName`` is ``name`` (any case)."""
    lowered = name.lower()
    for field in describe.get("fields", ()):
        relationship = field.get("relationshipName")
        if relationship and str(relationship).lower() == lowered:
            return dict(field)
    return None


def find_child_relationship(describe: Describe, name: str) -> Mapping[str, Any] | None:
    """The child relationship called ``name`` (any case), with its childSObject."""
    lowered = name.lower()
    for child in describe.get("childRelationships", ()):
        relationship = child.get("relationshipName")
        if relationship and str(relationship).lower() == lowered:
            return dict(child)
    return None


def _weakrefable(value: object) -> bool:
    try:
        weakref.ref(value)
    except TypeError:
        return False
    return True
