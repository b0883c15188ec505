"""The Tooling API's objects: their schema and rows, kept apart from the data.

The Tooling API (``/services/data/vNN.N/tooling/…``) answers describes and SOQL
over metadata objects that the data API does not know, and the data API's
objects are unknown to it. ``ToolingApi.build(schema, settings)`` makes, when an
org starts, a schema of its own and an in-memory SQLite store with the rows
derived from the org's schema, and a query engine over them whose record urls
and ``nextRecordsUrl`` sit under ``tooling/``. The objects are read-only.

Objects
-------
``EntityDefinition`` has one row per sObject of the org's schema, custom objects
included: ``Id``, ``DurableId``, ``QualifiedApiName``, ``DeveloperName``,
``Label``, ``PluralLabel``, ``KeyPrefix``, ``IsCustomizable``, ``IsQueryable``
and ``NamespacePrefix`` (always null: the emulated org has no namespace).
``ApexClass`` (``Id``, ``Name``, ``Status``, ``ApiVersion``,
``LengthWithoutComments``, ``Body``) is served with no rows.

Known differences
-----------------
Salesforce answers ``000000000000000AAA`` as the ``Id`` of every
EntityDefinition row and reports no key prefix; the emulator reports none either
but gives each row an id of its own (``000`` and a counter), because query
paging keys records by id. ``DurableId`` is the API name for standard objects
and an ``01I`` id for custom ones, as on Salesforce. ``IsCustomizable`` is true
for custom objects and for standard objects with page layouts (an approximation
of the objects that take custom fields). Record urls are
``…/tooling/sobjects/EntityDefinition/<Id>``, where Salesforce uses the
``DurableId``. Field lengths not documented by Salesforce (QualifiedApiName 250,
Label and PluralLabel 40, KeyPrefix 3, NamespacePrefix 15) are the emulator's
choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sfmagic.emulator.describe_entries import field_entry, object_describe
from sfmagic.emulator.ids import IdGenerator
from sfmagic.emulator.query import QueryEngine
from sfmagic.emulator.schema import Schema, SObjectDef
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import ID_POD, Store

__all__ = ["API_PATH", "ToolingApi", "tooling_schema"]

API_PATH = "tooling/"
ENTITY_ID_PREFIX = "000"
CUSTOM_OBJECT_PREFIX = "01I"
APEX_CLASS_PREFIX = "01p"
APEX_STATUSES = ("Active", "Deleted", "Inactive")

# What every field of a read-only tooling object shares.
_READ_ONLY = {"createable": False, "updateable": False}


def _text(name: str, label: str, length: int, **keys: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "length": length,
        "byteLength": length * 3,
        **_READ_ONLY,
    }
    values.update(keys)
    return field_entry(name, label, "string", **values)


def _boolean(name: str, label: str) -> dict[str, Any]:
    return field_entry(
        name,
        label,
        "boolean",
        aggregatable=False,
        defaultedOnCreate=True,
        defaultValue=False,
        nillable=False,
        soapType="xsd:boolean",
        **_READ_ONLY,
    )


def _id(label: str) -> dict[str, Any]:
    return field_entry(
        "Id",
        label,
        "id",
        length=18,
        byteLength=18,
        defaultedOnCreate=True,
        idLookup=True,
        nillable=False,
        soapType="tns:ID",
        **_READ_ONLY,
    )


def _read_only_object(
    name: str,
    label: str,
    plural: str,
    prefix: str | None,
    fields: list[dict[str, Any]],
) -> dict[str, Any]:
    base = f"/services/data/v{{version}}/{API_PATH}sobjects/{name}"
    return object_describe(
        name,
        label,
        plural,
        prefix,
        fields,
        compactLayoutable=False,
        createable=False,
        deletable=False,
        layoutable=False,
        replicateable=False,
        searchLayoutable=False,
        searchable=False,
        triggerable=False,
        undeletable=False,
        updateable=False,
        urls={
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        },
    )


def _entity_definition() -> dict[str, Any]:
    fields = [
        _id("Entity Definition ID"),
        _text("DurableId", "Durable ID", 255),
        _text("QualifiedApiName", "Qualified API Name", 250, idLookup=True),
        _text("DeveloperName", "Developer Name", 40),
        _text("Label", "Label", 40),
        _text("PluralLabel", "Plural Label", 40),
        _text("KeyPrefix", "Key Prefix", 3),
        _boolean("IsCustomizable", "Is Customizable?"),
        _boolean("IsQueryable", "Is Queryable?"),
        _text("NamespacePrefix", "Namespace Prefix", 15),
    ]
    return _read_only_object(
        "EntityDefinition", "Entity Definition", "Entity Definitions", None, fields
    )


def _apex_class() -> dict[str, Any]:
    fields = [
        _id("Class ID"),
        _text("Name", "Name", 255, nameField=True, nillable=False),
        field_entry(
            "Status",
            "Status",
            "picklist",
            length=40,
            byteLength=120,
            nillable=False,
            restrictedPicklist=True,
            picklistValues=[
                {
                    "active": True,
                    "defaultValue": False,
                    "label": status,
                    "validFor": None,
                    "value": status,
                }
                for status in APEX_STATUSES
            ],
            **_READ_ONLY,
        ),
        field_entry(
            "ApiVersion",
            "Api Version",
            "double",
            precision=18,
            scale=1,
            nillable=False,
            soapType="xsd:double",
            **_READ_ONLY,
        ),
        field_entry(
            "LengthWithoutComments",
            "Size Without Comments",
            "int",
            digits=9,
            nillable=False,
            soapType="xsd:int",
            **_READ_ONLY,
        ),
        _text(
            "Body",
            "Body",
            1000000,
            type="textarea",
            aggregatable=False,
            filterable=False,
            groupable=False,
            sortable=False,
        ),
    ]
    return _read_only_object(
        "ApexClass", "Apex Class", "Apex Classes", APEX_CLASS_PREFIX, fields
    )


def tooling_schema() -> Schema:
    """The Tooling API's objects (the same for every org)."""
    return Schema(
        [
            SObjectDef.from_describe(_entity_definition()),
            SObjectDef.from_describe(_apex_class()),
        ]
    )


def entity_rows(schema: Schema) -> Iterator[dict[str, Any]]:
    """One EntityDefinition row (storage values) per sObject of ``schema``."""
    ids = IdGenerator(pod=ID_POD)
    for sobject in sorted(schema, key=lambda o: o.name.lower()):
        raw = sobject.raw
        custom = sobject.custom
        yield {
            "Id": ids.new(ENTITY_ID_PREFIX),
            "DurableId": ids.new(CUSTOM_OBJECT_PREFIX) if custom else sobject.name,
            "QualifiedApiName": sobject.name,
            "DeveloperName": sobject.name.removesuffix("__c"),
            "Label": sobject.label,
            "PluralLabel": str(raw.get("labelPlural") or sobject.label),
            "KeyPrefix": sobject.key_prefix or None,
            "IsCustomizable": int(
                custom or (bool(raw.get("layoutable")) and not raw.get("customSetting"))
            ),
            "IsQueryable": int(bool(raw.get("queryable"))),
            "NamespacePrefix": None,
        }


@dataclass(frozen=True)
class ToolingApi:
    """The Tooling API's schema, rows and query engine for one org."""

    schema: Schema
    store: Store
    queries: QueryEngine

    @classmethod
    def build(cls, org_schema: Schema, settings: OrgSettings) -> ToolingApi:
        """The tooling objects of an org whose data objects are ``org_schema``."""
        schema = tooling_schema()
        store = Store(schema, None)
        try:
            store.insert_rows("EntityDefinition", entity_rows(org_schema))
            queries = QueryEngine(store, schema, settings, api_path=API_PATH)
        except BaseException:
            store.close()
            raise
        return cls(schema=schema, store=store, queries=queries)

    def close(self) -> None:
        """Release the in-memory store."""
        self.store.close()
