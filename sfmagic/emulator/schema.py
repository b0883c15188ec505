"""The emulated org's schema: sObjects, their fields and relationships.

The standard objects ship as describe payloads in ``sfmagic/emulator/data/``
(derived from real org describes by ``tools/derive_schema.py``); custom objects and
custom fields on standard objects come from a schema file the user passes (see
``load_custom_schema``). Everything the emulator knows about an object, from the
SQLite table layout to DML validation and SOQL compilation, is read from here.

Storage contract (shared by the store, the SOQL compiler and the demo data):

* one table per queryable sObject, named by the API name, one column per field that
  is not compound (``address`` and ``location`` fields have no column; their parts
  do), quoted with double quotes;
* ``FieldDef.storage`` gives the SQLite column type: ids, references, text,
  picklists, dates, datetimes and times are ``TEXT``; booleans and integers are
  ``INTEGER``; double, currency and percent are ``REAL``;
* dates are stored as ``YYYY-MM-DD``, datetimes as UTC ``YYYY-MM-DDTHH:MM:SS.sssZ``
  (fixed width, so text order is time order), times as ``HH:MM:SS.sssZ``, booleans
  as 0/1, multi-select picklists as ``a;b;c``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfmagic.emulator.custom_schema import CustomSchema

__all__ = [
    "COMPOUND_TYPES",
    "ChildRelationshipDef",
    "FieldDef",
    "PicklistValue",
    "SObjectDef",
    "Schema",
    "load_custom_schema",
]

COMPOUND_TYPES = frozenset({"address", "location"})
TEXT_TYPES = frozenset(
    {
        "id",
        "reference",
        "string",
        "textarea",
        "picklist",
        "multipicklist",
        "combobox",
        "email",
        "phone",
        "url",
        "encryptedstring",
        "base64",
        "anyType",
        "date",
        "datetime",
        "time",
    }
)
INTEGER_TYPES = frozenset({"boolean", "int"})
REAL_TYPES = frozenset({"double", "currency", "percent"})


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str
    active: bool
    default: bool


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject, read from its describe entry (``raw``)."""

    name: str
    label: str
    type: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_describe(cls, entry: Mapping[str, Any]) -> FieldDef:
        return cls(
            name=entry["name"], label=entry["label"], type=entry["type"], raw=entry
        )

    def _flag(self, key: str) -> bool:
        return bool(self.raw.get(key, False))

    @property
    def storage(self) -> str | None:
        """SQLite column type, or None for compound fields (no column)."""
        if self.type in COMPOUND_TYPES:
            return None
        if self.type in INTEGER_TYPES:
            return "INTEGER"
        if self.type in REAL_TYPES:
            return "REAL"
        return "TEXT"

    @property
    def length(self) -> int:
        return int(self.raw.get("length") or 0)

    @property
    def precision(self) -> int:
        return int(self.raw.get("precision") or 0)

    @property
    def scale(self) -> int:
        return int(self.raw.get("scale") or 0)

    @property
    def digits(self) -> int:
        return int(self.raw.get("digits") or 0)

    @property
    def nillable(self) -> bool:
        return self._flag("nillable")

    @property
    def createable(self) -> bool:
        return self._flag("createable")

    @property
    def updateable(self) -> bool:
        return self._flag("updateable")

    @property
    def defaulted_on_create(self) -> bool:
        return self._flag("defaultedOnCreate")

    @property
    def default_value(self) -> Any:
        return self.raw.get("defaultValue")

    @property
    def calculated(self) -> bool:
        return self._flag("calculated")

    @property
    def external_id(self) -> bool:
        return self._flag("externalId")

    @property
    def id_lookup(self) -> bool:
        return self._flag("idLookup")

    @property
    def name_field(self) -> bool:
        return self._flag("nameField")

    @property
    def unique(self) -> bool:
        return self._flag("unique")

    @property
    def custom(self) -> bool:
        return self._flag("custom")

    @property
    def filterable(self) -> bool:
        return self._flag("filterable")

    @property
    def sortable(self) -> bool:
        return self._flag("sortable")

    @property
    def groupable(self) -> bool:
        return self._flag("groupable")

    @property
    def aggregatable(self) -> bool:
        return self._flag("aggregatable")

    @property
    def restricted_picklist(self) -> bool:
        return self._flag("restrictedPicklist")

    @property
    def picklist_values(self) -> tuple[PicklistValue, ...]:
        return tuple(
            PicklistValue(
                value=p["value"],
                label=p.get("label") or p["value"],
                active=bool(p.get("active", True)),
                default=bool(p.get("defaultValue", False)),
            )
            for p in self.raw.get("picklistValues") or ()
        )

    @property
    def reference_to(self) -> tuple[str, ...]:
        return tuple(self.raw.get("referenceTo") or ())

    @property
    def relationship_name(self) -> str | None:
        name = self.raw.get("relationshipName")
        return str(name) if name else None

    @property
    def polymorphic(self) -> bool:
        return self._flag("polymorphicForeignKey") or len(self.reference_to) > 1

    @property
    def compound_field_name(self) -> str | None:
        name = self.raw.get("compoundFieldName")
        return str(name) if name else None


@dataclass(frozen=True)
class ChildRelationshipDef:
    """A parent-to-child relationship (``Account.Contacts`` is Contact.AccountId)."""

    relationship_name: str
    child_sobject: str
    field: str
    cascade_delete: bool
    restricted_delete: bool


@dataclass
class SObjectDef:
    """One sObject: its describe payload and fast, case-insensitive lookups.

    ``virtual`` objects (OpenActivity, ActivityHistory) have no table of their own
    and may only be read as child subqueries.
    """

    name: str
    raw: dict[str, Any] = field(repr=False)
    fields: dict[str, FieldDef] = field(repr=False)
    child_relationships: tuple[ChildRelationshipDef, ...] = field(repr=False)
    virtual: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    _by_lower: dict[str, FieldDef] = field(default_factory=dict, repr=False)
    _by_relationship: dict[str, FieldDef] = field(default_factory=dict, repr=False)
    _children: dict[str, ChildRelationshipDef] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_lower = {name.lower(): f for name, f in self.fields.items()}
        self._by_relationship = {
            f.relationship_name.lower(): f
            for f in self.fields.values()
            if f.relationship_name
        }
        self._children = {
            c.relationship_name.lower(): c for c in self.child_relationships
        }

    @classmethod
    def from_describe(cls, describe: Mapping[str, Any]) -> SObjectDef:
        fields = {
            entry["name"]: FieldDef.from_describe(entry)
            for entry in describe.get("fields") or ()
        }
        children = tuple(
            ChildRelationshipDef(
                relationship_name=c["relationshipName"],
                child_sobject=c["childSObject"],
                field=c["field"],
                cascade_delete=bool(c.get("cascadeDelete")),
                restricted_delete=bool(c.get("restrictedDelete")),
            )
            for c in describe.get("childRelationships") or ()
            if c.get("relationshipName")
        )
        raw = {k: v for k, v in describe.items() if k != "x-sfmagic"}
        extra = describe.get("x-sfmagic") or {}
        return cls(
            name=describe["name"],
            raw=raw,
            fields=fields,
            child_relationships=children,
            virtual=bool(extra.get("virtual", False)),
            extra=dict(extra),
        )

    @property
    def key_prefix(self) -> str:
        return str(self.raw.get("keyPrefix") or "")

    @property
    def label(self) -> str:
        return str(self.raw.get("label") or self.name)

    @property
    def custom(self) -> bool:
        return bool(self.raw.get("custom"))

    def field(self, name: str) -> FieldDef | None:
        """The field called ``name`` (any case), or None."""
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The lookup field whose relationship is ``name`` (``Owner``), or None."""
        return self._by_relationship.get(name.lower())

    def child_relationship(self, name: str) -> ChildRelationshipDef | None:
        """The child relationship called ``name`` (``Contacts``), or None."""
        return self._children.get(name.lower())

    @property
    def name_field(self) -> FieldDef | None:
        return next((f for f in self.fields.values() if f.name_field), None)

    def stored_fields(self) -> Iterator[FieldDef]:
        """Fields that have a column, in describe order."""
        return (f for f in self.fields.values() if f.storage is not None)


class Schema:
    """All sObjects of an org, looked up case-insensitively by name or key prefix."""

    def __init__(self, objects: list[SObjectDef]) -> None:
        self._objects = {o.name.lower(): o for o in objects}
        self._by_prefix = {o.key_prefix: o for o in objects if o.key_prefix}

    def __iter__(self) -> Iterator[SObjectDef]:
        return iter(self._objects.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._objects

    def get(self, name: str) -> SObjectDef | None:
        return self._objects.get(name.lower())

    def by_key_prefix(self, prefix: str) -> SObjectDef | None:
        return self._by_prefix.get(prefix)

    @classmethod
    def standard(cls) -> Schema:
        """The shipped standard objects."""
        return cls([SObjectDef.from_describe(d) for d in _standard_describes()])

    def with_custom(self, custom: CustomSchema | Path | str) -> Schema:
        """A new schema with the custom objects and fields of a schema file.

        ``custom`` is a ``CustomSchema`` from ``load_custom_schema`` or the path
        of a TOML/JSON schema file (format: ``sfmagic.emulator.custom_schema``).
        Raises ``CustomSchemaError`` (a ``ValueError``) when it does not fit.
        """
        from sfmagic.emulator import custom_schema

        if not isinstance(custom, custom_schema.CustomSchema):
            custom = custom_schema.load_custom_schema(Path(custom))
        return custom_schema.apply_custom(self, custom)


def load_custom_schema(path: Path) -> CustomSchema:
    """Read a TOML or JSON schema file of custom objects and fields.

    See ``sfmagic.emulator.custom_schema`` for the format; pass the result to
    ``Schema.with_custom``.
    """
    from sfmagic.emulator.custom_schema import load_custom_schema as load

    return load(Path(path))


def _standard_describes() -> list[dict[str, Any]]:
    text = (
        resources.files("sfmagic.emulator")
        .joinpath("data/standard_objects.json")
        .read_text(encoding="utf-8")
    )
    data: list[dict[str, Any]] = json.loads(text)
    return data
