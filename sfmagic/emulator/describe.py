"""Describe payloads: describe global, sObject basic info, sObject describe.

The payloads come from the schema (``SObjectDef.raw``), which keeps them with two
placeholders in their urls: ``{version}`` for the API version and
``{instance_url}`` for the org's address (see ``tools/derive_schema.py``). This
module fills them in for the version a request used. The describe-global entry of
each object (28 keys) ships in the schema data under ``x-sfmagic.global``;
objects without one (custom objects) get one built from their describe.

Payloads are cached per object, version and instance url: treat the returned
dicts as read-only.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sfmagic.emulator.schema import Schema, SObjectDef

__all__ = [
    "GLOBAL_KEYS",
    "basic_info",
    "describe_global",
    "describe_sobject",
    "global_entry",
    "global_template",
]

GLOBAL_KEYS = (
    "activateable",
    "associateEntityType",
    "associateParentEntity",
    "createable",
    "custom",
    "customSetting",
    "deepCloneable",
    "deletable",
    "deprecatedAndHidden",
    "feedEnabled",
    "hasSubtypes",
    "isInterface",
    "isSubtype",
    "keyPrefix",
    "label",
    "labelPlural",
    "layoutable",
    "mergeable",
    "mruEnabled",
    "name",
    "queryable",
    "replicateable",
    "retrieveable",
    "searchable",
    "triggerable",
    "undeletable",
    "updateable",
    "urls",
)
GLOBAL_URL_KEYS = (
    "sobject",
    "describe",
    "rowTemplate",
    "compactLayouts",
    "approvalLayouts",
    "listviews",
    "quickActions",
    "layouts",
)
MAX_BATCH_SIZE = 200

# (kind, object name, version, instance url) -> (the SObjectDef, payload); the
# payload is reused only for the very same SObjectDef (schemas can be rebuilt).
_cache: dict[tuple[str, str, str, str], tuple[SObjectDef, Any]] = {}
_cache_lock = threading.Lock()


def _fill(value: Any, version: str, instance_url: str) -> Any:
    if isinstance(value, str):
        if "{" not in value:
            return value
        return value.replace("{version}", version).replace(
            "{instance_url}", instance_url
        )
    if isinstance(value, list):
        return [_fill(item, version, instance_url) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, version, instance_url) for key, item in value.items()}
    return value


def _cached(
    kind: str, sobject: SObjectDef, version: str, instance_url: str, build: Any
) -> Any:
    key = (kind, sobject.name, version, instance_url)
    with _cache_lock:
        found = _cache.get(key)
    if found is not None and found[0] is sobject:
        return found[1]
    payload = _fill(build(), version, instance_url)
    with _cache_lock:
        _cache[key] = (sobject, payload)
    return payload


def global_template(describe: Mapping[str, Any]) -> dict[str, Any]:
    """The 28-key describe-global entry taken from a describe payload.

    The urls keep their placeholders; ``tools/derive_schema.py`` uses this for
    the entries it ships, ``global_entry`` for objects shipped without one.
    """
    entry = {key: describe.get(key) for key in GLOBAL_KEYS}
    urls = describe.get("urls") or {}
    entry["urls"] = {key: urls[key] for key in GLOBAL_URL_KEYS if key in urls}
    return entry


def _global_template(sobject: SObjectDef) -> dict[str, Any]:
    shipped = sobject.extra.get("global")
    if isinstance(shipped, dict):
        return dict(shipped)
    return global_template(sobject.raw)


def global_entry(sobject: SObjectDef, api_version: str) -> dict[str, Any]:
    """The object's entry in ``GET /sobjects`` (28 keys, urls for the version)."""
    entry: dict[str, Any] = _cached(
        "global", sobject, api_version, "", lambda: _global_template(sobject)
    )
    return entry


def describe_global(schema: Schema, api_version: str) -> dict[str, Any]:
    """``GET /services/data/vXX.X/sobjects``: every object of the org."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": MAX_BATCH_SIZE,
        "sobjects": [
            global_entry(sobject, api_version)
            for sobject in sorted(schema, key=lambda o: o.name.lower())
        ],
    }


def describe_sobject(
    sobject: SObjectDef, api_version: str, *, instance_url: str = ""
) -> dict[str, Any]:
    """``GET /sobjects/<O>/describe``: the full describe payload.

    ``instance_url`` fills the absolute ``ui*Template`` urls; without it they
    are relative to the org (``/{ID}``).
    """
    payload: dict[str, Any] = _cached(
        "describe", sobject, api_version, instance_url, lambda: dict(sobject.raw)
    )
    return payload


def basic_info(
    sobject: SObjectDef, api_version: str, recent: list[dict[str, Any]]
) -> dict[str, Any]:
    """``GET /sobjects/<O>``: the global entry and recently viewed records."""
    return {"objectDescribe": global_entry(sobject, api_version), "recentItems": recent}
