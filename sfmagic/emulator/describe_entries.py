"""The parts of a describe payload, filled to every key a real describe has.

Two places build describe payloads by hand: custom objects and fields from a
user's schema file (``custom_schema.py``), and the standard objects that have no
captured describe (``tools/schema_builders.py``, at development time). Both start
from the entries here, which carry the neutral defaults and leave the choices that
depend on a field's type or an object's kind to the caller.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "child_relationship",
    "field_entry",
    "object_describe",
    "object_urls",
    "picklist_value",
]

# Where each optional entry of a describe's ``urls`` points, below the object.
_URL_PATHS = {
    "compactLayouts": "describe/compactLayouts",
    "approvalLayouts": "describe/approvalLayouts",
    "layouts": "describe/layouts",
    "listviews": "listviews",
    "quickActions": "quickActions",
    "defaultValues": "defaultValues?recordTypeId&fields",
}


def field_entry(name: str, label: str, type_: str, **keys: Any) -> dict[str, Any]:
    """A describe field entry with the 57 keys of a real describe.

    The defaults are those of an editable, nillable, standard text-like field
    that can be filtered, grouped, sorted and aggregated; ``keys`` (describe key
    names) set the rest. A field that is required or read-only is not
    permissionable, as in Salesforce.
    """
    entry: dict[str, Any] = {
        "aggregatable": True,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": 0,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": True,
        "custom": False,
        "defaultValue": None,
        "defaultValueFormula": None,
        "defaultedOnCreate": False,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": True,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": True,
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": False,
        "inlineHelpText": None,
        "label": label,
        "length": 0,
        "mask": None,
        "maskType": None,
        "name": name,
        "nameField": False,
        "namePointing": False,
        "nillable": True,
        "permissionable": True,
        "picklistValues": [],
        "polymorphicForeignKey": False,
        "precision": 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": [],
        "relationshipName": None,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": 0,
        "searchPrefilterable": False,
        "soapType": "xsd:string",
        "sortable": True,
        "type": type_,
        "unique": False,
        "updateable": True,
        "writeRequiresMasterRead": False,
    }
    unknown = set(keys) - set(entry)
    if unknown:
        raise ValueError(f"{name}: unknown describe keys {sorted(unknown)}")
    entry.update(keys)
    if not entry["nillable"] or not (entry["createable"] or entry["updateable"]):
        entry["permissionable"] = False
    return entry


def picklist_value(
    value: str, label: str | None = None, *, default: bool = False
) -> dict[str, Any]:
    """One ``picklistValues`` entry, active; the label defaults to the value."""
    return {
        "active": True,
        "defaultValue": default,
        "label": value if label is None else label,
        "validFor": None,
        "value": value,
    }


def child_relationship(
    relationship: str | None,
    child_sobject: str,
    field: str,
    *,
    cascade: bool = False,
    restricted: bool = False,
) -> dict[str, Any]:
    """One ``childRelationships`` entry: ``child_sobject.field`` points here."""
    return {
        "cascadeDelete": cascade,
        "childSObject": child_sobject,
        "deprecatedAndHidden": False,
        "field": field,
        "junctionIdListNames": [],
        "junctionReferenceTo": [],
        "relationshipName": relationship,
        "restrictedDelete": restricted,
    }


def object_urls(name: str, prefix: str | None, *extra: str) -> dict[str, str]:
    """An object's ``urls``, with ``{version}`` and ``{instance_url}`` unfilled.

    ``extra`` names the optional entries (``layouts``, ``listviews``, ...) in
    the order wanted; an object with a key prefix and layouts also gets the
    ``ui*`` urls of the Salesforce user interface.
    """
    base = f"/services/data/v{{version}}/sobjects/{name}"
    urls = {
        "sobject": base,
        "describe": f"{base}/describe",
        "rowTemplate": f"{base}/{{ID}}",
    }
    for key in extra:
        urls[key] = f"{base}/{_URL_PATHS[key]}"
    if prefix and "layouts" in extra:
        urls["uiDetailTemplate"] = "{instance_url}/{ID}"
        urls["uiEditTemplate"] = "{instance_url}/{ID}/e"
        urls["uiNewRecord"] = f"{{instance_url}}/{prefix}/e"
    return urls


def object_describe(
    name: str,
    label: str,
    plural: str,
    prefix: str | None,
    fields: list[dict[str, Any]],
    **keys: Any,
) -> dict[str, Any]:
    """A top-level describe payload with the keys of a real describe.

    The defaults are those of a standard, layoutable object that can be
    created, read, updated, deleted and undeleted; ``keys`` set the rest.
    ``urls`` defaults to the three that every object has.
    """
    describe: dict[str, Any] = {
        "actionOverrides": [],
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "childRelationships": [],
        "compactLayoutable": True,
        "createable": True,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "defaultImplementation": None,
        "deletable": True,
        "deprecatedAndHidden": False,
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": False,
        "fields": fields,
        "hasSubtypes": False,
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": prefix,
        "label": label,
        "labelPlural": plural,
        "layoutable": True,
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": False,
        "mruEnabled": False,
        "name": name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        "recordTypeInfos": [],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": True,
        "searchable": True,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [],
        "triggerable": True,
        "undeletable": True,
        "updateable": True,
        "urls": object_urls(name, prefix),
    }
    unknown = set(keys) - set(describe)
    if unknown:
        raise ValueError(f"{name}: unknown describe keys {sorted(unknown)}")
    describe.update(keys)
    return describe
