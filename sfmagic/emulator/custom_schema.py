"""Custom objects and custom fields from a user's schema file (TOML or JSON).

A schema file adds custom objects (``Invoice__c``) and custom fields on standard
objects (``Account.Region__c``). It is read once at start-up, checked, and expanded
into describe-shaped payloads with every key a real describe has, so the rest of
the emulator treats custom and standard metadata the same way. Example (TOML)::

    [objects.Invoice__c]
    label = "Invoice"
    plural_label = "Invoices"
    key_prefix = "a01"                # optional: a00, a01, ... in file order
    name_field = { label = "Invoice Number", type = "autonumber",
                   format = "INV-{0000}" }   # default: text, 80 characters

    [objects.Invoice__c.fields.Account__c]
    type = "lookup"                   # or "master_detail"
    reference_to = "Account"
    child_relationship = "Invoices"   # Account.Invoices__r in SOQL
    delete = "cascade"                # "clear" (default), "cascade", "restrict"

    [objects.Invoice__c.fields.Amount__c]
    type = "currency"
    precision = 16
    scale = 2

    [fields.Account.Region__c]
    type = "picklist"
    values = ["North", "South", "East", "West"]
    restricted = true

    [fields.Account.External_Id__c]
    type = "text"
    length = 40
    external_id = true
    unique = true

The JSON form has the same structure. Field types: ``text``, ``textarea``,
``long_textarea``, ``email``, ``phone``, ``url``, ``picklist``, ``multipicklist``,
``checkbox``, ``number``, ``currency``, ``percent``, ``date``, ``datetime``,
``time``, ``lookup``, ``master_detail``, ``autonumber`` (describe type names such
as ``string``, ``boolean``, ``double``, ``reference`` are accepted too). Field
options: ``label``, ``required``, ``unique``, ``external_id``, ``case_sensitive``,
``length``, ``precision``, ``scale``, ``values``, ``restricted``, ``default``,
``reference_to``, ``relationship_name``, ``child_relationship``, ``delete``,
``help``, ``format``.

Known limits: no formula or roll-up summary fields, no record types, no
validation rules; custom objects do not take activities (no Tasks/Events
relationship) and are not added to the polymorphic Who/What lookups.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfmagic.emulator.describe_entries import (
    child_relationship,
    field_entry,
    object_describe,
    object_urls,
    picklist_value,
)
from sfmagic.emulator.schema import Schema, SObjectDef

__all__ = ["CustomSchema", "CustomSchemaError", "apply_custom", "load_custom_schema"]

CUSTOM_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*__c$")
RELATIONSHIP_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
KEY_PREFIX = re.compile(r"^[0-9A-Za-z]{3}$")
# type -> (describe type, soapType, default length, default precision/scale)
FIELD_TYPES: dict[str, tuple[str, str, int, tuple[int, int]]] = {
    "text": ("string", "xsd:string", 255, (0, 0)),
    "textarea": ("textarea", "xsd:string", 255, (0, 0)),
    "long_textarea": ("textarea", "xsd:string", 32768, (0, 0)),
    "email": ("email", "xsd:string", 80, (0, 0)),
    "phone": ("phone", "xsd:string", 40, (0, 0)),
    "url": ("url", "xsd:string", 255, (0, 0)),
    "picklist": ("picklist", "xsd:string", 255, (0, 0)),
    "multipicklist": ("multipicklist", "xsd:string", 4099, (0, 0)),
    "checkbox": ("boolean", "xsd:boolean", 0, (0, 0)),
    "number": ("double", "xsd:double", 0, (18, 0)),
    "currency": ("currency", "xsd:double", 0, (18, 2)),
    "percent": ("percent", "xsd:double", 0, (18, 2)),
    "date": ("date", "xsd:date", 0, (0, 0)),
    "datetime": ("datetime", "xsd:dateTime", 0, (0, 0)),
    "time": ("time", "xsd:time", 0, (0, 0)),
    "lookup": ("reference", "tns:ID", 18, (0, 0)),
    "master_detail": ("reference", "tns:ID", 18, (0, 0)),
    "autonumber": ("string", "xsd:string", 30, (0, 0)),
}
TYPE_ALIASES = {
    "string": "text",
    "boolean": "checkbox",
    "double": "number",
    "int": "number",
    "reference": "lookup",
    "masterdetail": "master_detail",
    "longtextarea": "long_textarea",
}
FIELD_OPTIONS = frozenset(
    {
        "type",
        "label",
        "required",
        "unique",
        "external_id",
        "case_sensitive",
        "length",
        "precision",
        "scale",
        "values",
        "restricted",
        "default",
        "reference_to",
        "relationship_name",
        "child_relationship",
        "delete",
        "help",
        "format",
        "description",
    }
)
OBJECT_OPTIONS = frozenset(
    {"label", "plural_label", "key_prefix", "name_field", "fields", "description"}
)
# The optional urls of a custom object's describe, in the order it lists them.
_URL_KEYS = (
    "compactLayouts",
    "approvalLayouts",
    "listviews",
    "quickActions",
    "layouts",
)
NOT_GROUPABLE = frozenset(
    {"double", "currency", "percent", "datetime", "multipicklist"}
)


class CustomSchemaError(ValueError):
    """A schema file that cannot be used; the message names the offending key."""


@dataclass(frozen=True)
class CustomSchema:
    """What a schema file adds, as describe-shaped payloads.

    ``objects`` are full describes of the custom objects; ``fields`` are
    ``(sObject name, field entry)`` pairs for fields on existing objects;
    ``children`` are ``(parent name, childRelationships entry)`` pairs.
    """

    objects: tuple[dict[str, Any], ...]
    fields: tuple[tuple[str, dict[str, Any]], ...]
    children: tuple[tuple[str, dict[str, Any]], ...]


def load_custom_schema(path: Path) -> CustomSchema:
    """Read and check a TOML (``.toml``) or JSON schema file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        if Path(path).suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise CustomSchemaError(f"{path}: not a valid schema file: {error}") from None
    if not isinstance(data, dict):
        raise CustomSchemaError(f"{path}: the top level must be a table/object")
    return parse_custom_schema(data, source=str(path))


def parse_custom_schema(
    data: Mapping[str, Any], *, source: str = "schema"
) -> CustomSchema:
    """Check a schema mapping (the parsed file) and expand it into payloads."""
    unknown = set(data) - {"objects", "fields"}
    if unknown:
        raise CustomSchemaError(f"{source}: unknown top-level keys {sorted(unknown)}")
    objects_spec = _table(data.get("objects") or {}, f"{source}: objects")
    fields_spec = _table(data.get("fields") or {}, f"{source}: fields")

    prefixes = _assign_prefixes(objects_spec, source)
    objects: list[dict[str, Any]] = []
    fields: list[tuple[str, dict[str, Any]]] = []
    children: list[tuple[str, dict[str, Any]]] = []
    for name, spec in objects_spec.items():
        where = f"{source}: objects.{name}"
        spec = _table(spec, where)
        describe = _object_describe(name, spec, prefixes[name], where)
        objects.append(describe)
        for field_name, field_spec in _table(spec.get("fields") or {}, where).items():
            entry, child = _field(name, field_name, field_spec, f"{where}.{field_name}")
            fields.append((name, entry))
            if child is not None:
                children.append(child)
    for sobject, table in fields_spec.items():
        for field_name, field_spec in _table(
            table, f"{source}: fields.{sobject}"
        ).items():
            where = f"{source}: fields.{sobject}.{field_name}"
            entry, child = _field(sobject, field_name, field_spec, where)
            fields.append((sobject, entry))
            if child is not None:
                children.append(child)
    return CustomSchema(tuple(objects), tuple(fields), tuple(children))


def apply_custom(schema: Schema, custom: CustomSchema) -> Schema:
    """A new schema: ``schema`` plus the custom objects, fields and relationships."""
    describes: dict[str, dict[str, Any]] = {}
    for existing in schema:
        describe = copy.deepcopy(existing.raw)
        describe["x-sfmagic"] = copy.deepcopy(dict(existing.extra))
        describes[existing.name.lower()] = describe
    used_prefixes = {o.key_prefix for o in schema if o.key_prefix}

    for describe in custom.objects:
        name = describe["name"]
        if name.lower() in describes:
            raise CustomSchemaError(f"object {name} is defined twice")
        if describe["keyPrefix"] in used_prefixes:
            raise CustomSchemaError(
                f"object {name}: key prefix {describe['keyPrefix']} is already used"
            )
        used_prefixes.add(describe["keyPrefix"])
        describes[name.lower()] = copy.deepcopy(describe)

    for sobject, entry in custom.fields:
        target = describes.get(sobject.lower())
        if target is None:
            raise CustomSchemaError(f"fields.{sobject}: no such object")
        if any(f["name"].lower() == entry["name"].lower() for f in target["fields"]):
            raise CustomSchemaError(f"{sobject}.{entry['name']} is defined twice")
        for reference in entry["referenceTo"]:
            if reference.lower() not in describes:
                raise CustomSchemaError(
                    f"{sobject}.{entry['name']}: reference_to {reference} is not an "
                    "object of the org"
                )
        entry = copy.deepcopy(entry)
        entry["referenceTo"] = [
            describes[r.lower()]["name"] for r in entry["referenceTo"]
        ]
        target["fields"].append(entry)
        for key, autonumber_format in entry.pop("x-sfmagic-format", {}).items():
            target["x-sfmagic"].setdefault("autonumber", {})[key] = autonumber_format

    for parent, child in custom.children:
        target = describes[parent.lower()]
        names = {c.get("relationshipName") for c in target["childRelationships"]}
        if child["relationshipName"] in names:
            raise CustomSchemaError(
                f"{parent}: child relationship {child['relationshipName']} is "
                "defined twice"
            )
        target["childRelationships"].append(copy.deepcopy(child))
    return Schema([SObjectDef.from_describe(d) for d in describes.values()])


# --- objects ------------------------------------------------------------------------


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CustomSchemaError(f"{where}: expected a table/object")
    return value


def _assign_prefixes(objects: Mapping[str, Any], source: str) -> dict[str, str]:
    given = {}
    for name, spec in objects.items():
        prefix = spec.get("key_prefix") if isinstance(spec, dict) else None
        if prefix is not None:
            if not isinstance(prefix, str) or not KEY_PREFIX.match(prefix):
                raise CustomSchemaError(
                    f"{source}: objects.{name}.key_prefix must be 3 letters or digits"
                )
            given[name] = prefix
    if len(set(given.values())) != len(given):
        raise CustomSchemaError(f"{source}: two objects share a key prefix")
    free = (f"a{n:02d}" for n in range(100) if f"a{n:02d}" not in given.values())
    return {name: given.get(name) or next(free) for name in objects}


def _label_from(api_name: str) -> str:
    return api_name.removesuffix("__c").replace("_", " ")


def _object_describe(
    name: str, spec: Mapping[str, Any], prefix: str, where: str
) -> dict[str, Any]:
    if not CUSTOM_NAME.match(name):
        raise CustomSchemaError(f"{where}: a custom object name ends in __c")
    unknown = set(spec) - OBJECT_OPTIONS
    if unknown:
        raise CustomSchemaError(f"{where}: unknown keys {sorted(unknown)}")
    label = str(spec.get("label") or _label_from(name))
    plural = str(spec.get("plural_label") or f"{label}s")
    name_spec = _table(spec.get("name_field") or {}, f"{where}.name_field")
    autonumber = name_spec.get("type") == "autonumber"
    name_entry = _entry(
        "Name",
        str(name_spec.get("label") or f"{label} Name"),
        "string",
        length=30 if autonumber else 80,
        nameField=True,
        nillable=autonumber,
        createable=not autonumber,
        updateable=not autonumber,
        autoNumber=autonumber,
        defaultedOnCreate=autonumber,
        custom=False,
    )
    has_master = any(
        isinstance(f, dict) and f.get("type") in ("master_detail", "masterdetail")
        for f in (spec.get("fields") or {}).values()
    )
    fields = [
        _system("Id", "Record ID", "id", idLookup=True, length=18),
        *([] if has_master else [_owner()]),
        _system("IsDeleted", "Deleted", "boolean", defaultValue=False),
        name_entry,
        _system("CreatedDate", "Created Date", "datetime"),
        _system_lookup("CreatedById", "Created By ID", "CreatedBy"),
        _system("LastModifiedDate", "Last Modified Date", "datetime"),
        _system_lookup("LastModifiedById", "Last Modified By ID", "LastModifiedBy"),
        _system("SystemModstamp", "System Modstamp", "datetime"),
    ]
    extra: dict[str, Any] = {}
    if autonumber:
        extra["autonumber"] = {"Name": str(name_spec.get("format") or "{0}")}
    describe = object_describe(
        name,
        label,
        plural,
        prefix,
        fields,
        custom=True,
        mruEnabled=True,
        supportedScopes=[
            {"label": "All records", "name": "everything"},
            {"label": "My records", "name": "mine"},
        ],
        urls=object_urls(name, prefix, *_URL_KEYS),
    )
    describe["x-sfmagic"] = extra
    return describe


# --- fields -------------------------------------------------------------------------


def _entry(name: str, label: str, type_: str, **overrides: Any) -> dict[str, Any]:
    """A custom field entry; the traits that depend on the type come first."""
    soap = next((t[1] for t in FIELD_TYPES.values() if t[0] == type_), "xsd:string")
    text_like = type_ in {"string", "textarea", "picklist", "multipicklist"} | {
        "email",
        "phone",
        "url",
    }
    length = int(overrides.get("length", 0))
    long_text = type_ == "textarea" and length > 255
    keys: dict[str, Any] = {
        "aggregatable": type_ not in {"boolean", "multipicklist"} and not long_text,
        "byteLength": length * 3 if text_like else length,
        "custom": True,
        "filterable": not long_text,
        "groupable": type_ not in NOT_GROUPABLE and not long_text,
        "soapType": soap,
        "sortable": type_ != "multipicklist" and not long_text,
    }
    keys.update(overrides)
    return field_entry(name, label, type_, **keys)


def _system(name: str, label: str, type_: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "createable": False,
        "updateable": False,
        "nillable": False,
        "defaultedOnCreate": True,
        "custom": False,
    }
    values.update(overrides)
    return _entry(name, label, type_, **values)


def _system_lookup(name: str, label: str, relationship: str) -> dict[str, Any]:
    return _system(
        name,
        label,
        "reference",
        length=18,
        referenceTo=["User"],
        relationshipName=relationship,
    )


def _owner() -> dict[str, Any]:
    return _entry(
        "OwnerId",
        "Owner ID",
        "reference",
        length=18,
        custom=False,
        nillable=False,
        defaultedOnCreate=True,
        referenceTo=["Group", "User"],
        relationshipName="Owner",
        polymorphicForeignKey=True,
    )


def _picklist_values(values: Any, default: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(values, list) or not values:
        raise CustomSchemaError(f"{where}: a picklist needs a list of values")
    entries = []
    for item in values:
        if isinstance(item, str):
            value, label, is_default = item, item, item == default
        elif isinstance(item, dict) and isinstance(item.get("value"), str):
            value = item["value"]
            label = str(item.get("label") or value)
            is_default = bool(item.get("default")) or value == default
        else:
            raise CustomSchemaError(f"{where}: bad picklist value {item!r}")
        entries.append(picklist_value(value, label, default=is_default))
    return entries


def _field(
    sobject: str, name: str, spec: Any, where: str
) -> tuple[dict[str, Any], tuple[str, dict[str, Any]] | None]:
    """A custom field's describe entry, and the child relationship it adds."""
    spec = _table(spec, where)
    if not CUSTOM_NAME.match(name):
        raise CustomSchemaError(f"{where}: a custom field name ends in __c")
    unknown = set(spec) - FIELD_OPTIONS
    if unknown:
        raise CustomSchemaError(f"{where}: unknown keys {sorted(unknown)}")
    kind = str(spec.get("type") or "")
    kind = TYPE_ALIASES.get(kind.lower(), kind.lower())
    if kind not in FIELD_TYPES:
        raise CustomSchemaError(
            f"{where}: type must be one of {', '.join(sorted(FIELD_TYPES))}"
        )
    type_, _soap, default_length, (precision, scale) = FIELD_TYPES[kind]
    required = bool(spec.get("required")) or kind == "master_detail"
    length = int(spec.get("length") or default_length)
    overrides: dict[str, Any] = {
        "length": length if type_ not in ("boolean", "double", "currency") else 0,
        "nillable": not required and kind != "checkbox",
        "unique": bool(spec.get("unique")),
        "externalId": bool(spec.get("external_id")),
        "caseSensitive": bool(spec.get("case_sensitive")),
        "inlineHelpText": spec.get("help"),
    }
    if overrides["externalId"]:
        if type_ not in ("string", "email", "double"):
            raise CustomSchemaError(
                f"{where}: only text, email and number fields can be external ids"
            )
        overrides["idLookup"] = True
    if type_ in ("percent", "date", "datetime", "time"):
        overrides["length"] = 0
    if type_ in ("double", "currency", "percent"):
        overrides["precision"] = int(spec.get("precision") or precision)
        overrides["scale"] = int(spec.get("scale", scale))
        if not 0 <= overrides["scale"] <= overrides["precision"] <= 18:
            raise CustomSchemaError(f"{where}: need 0 <= scale <= precision <= 18")
    if type_ in ("picklist", "multipicklist"):
        overrides["picklistValues"] = _picklist_values(
            spec.get("values"), spec.get("default"), where
        )
        overrides["restrictedPicklist"] = bool(spec.get("restricted"))
        defaults = [
            p["value"] for p in overrides["picklistValues"] if p["defaultValue"]
        ]
        overrides["defaultValue"] = defaults[0] if defaults else None
    elif type_ == "boolean":
        overrides.update(
            defaultValue=bool(spec.get("default", False)), defaultedOnCreate=True
        )
    elif spec.get("default") is not None:
        overrides["defaultValue"] = spec["default"]
    if kind == "autonumber":
        overrides.update(
            autoNumber=True,
            createable=False,
            updateable=False,
            defaultedOnCreate=True,
            nillable=False,
            idLookup=True,
        )
        overrides["x-sfmagic-format"] = {name: str(spec.get("format") or "{0}")}

    child = None
    if type_ == "reference":
        child = _reference(sobject, name, kind, spec, overrides, where)
    entry = _entry(name, str(spec.get("label") or _label_from(name)), type_)
    entry.update(overrides)
    if not entry["nillable"] or not (entry["createable"] or entry["updateable"]):
        entry["permissionable"] = False
    return entry, child


def _reference(
    sobject: str,
    name: str,
    kind: str,
    spec: Mapping[str, Any],
    overrides: dict[str, Any],
    where: str,
) -> tuple[str, dict[str, Any]]:
    target = spec.get("reference_to")
    if not isinstance(target, str) or not target:
        raise CustomSchemaError(f"{where}: a lookup needs reference_to = <object>")
    relationship = str(spec.get("relationship_name") or name.removesuffix("__c"))
    child_name = str(
        spec.get("child_relationship") or f"{sobject.removesuffix('__c')}s"
    )
    for text in (relationship, child_name):
        if not RELATIONSHIP_NAME.match(text.removesuffix("__r")):
            raise CustomSchemaError(f"{where}: bad relationship name {text!r}")
    delete = str(
        spec.get("delete") or ("cascade" if kind == "master_detail" else "clear")
    )
    if delete not in ("clear", "cascade", "restrict"):
        raise CustomSchemaError(f"{where}: delete must be clear, cascade or restrict")
    overrides.update(
        referenceTo=[target],
        relationshipName=relationship.removesuffix("__r") + "__r",
        cascadeDelete=delete == "cascade",
        restrictedDelete=delete == "restrict",
        updateable=kind != "master_detail",
        relationshipOrder=0 if kind == "master_detail" else None,
        writeRequiresMasterRead=kind == "master_detail",
    )
    relationship_entry = child_relationship(
        child_name.removesuffix("__r") + "__r",
        sobject,
        name,
        cascade=delete == "cascade",
        restricted=delete == "restrict",
    )
    return target, relationship_entry
