"""Hand-built describe payloads for objects without a captured describe.

Task, Note, CaseComment, User, Group, QueueSobject and the virtual OpenActivity
and ActivityHistory follow the Salesforce object reference; every field entry is
filled to the 57 keys of a real describe by ``make_field``, with defaults per
field type measured over the captured describes, on top of the neutral entries of
``sfmagic.emulator.describe_entries`` (which custom objects use too). Used by
``derive_schema.py``.
"""

from __future__ import annotations

from typing import Any

from sfmagic.emulator.describe_entries import (
    child_relationship,
    field_entry,
    object_describe,
    object_urls,
    picklist_value,
)

# Per field type: (soapType, aggregatable, groupable, sortable, filterable),
# as measured over the captured describes.
TYPE_TRAITS: dict[str, tuple[str, bool, bool, bool, bool]] = {
    "id": ("tns:ID", True, True, True, True),
    "reference": ("tns:ID", True, True, True, True),
    "string": ("xsd:string", True, True, True, True),
    "textarea": ("xsd:string", True, True, True, True),
    "picklist": ("xsd:string", True, True, True, True),
    "multipicklist": ("xsd:string", False, False, False, True),
    "combobox": ("xsd:string", True, False, True, True),
    "email": ("xsd:string", True, True, True, True),
    "phone": ("xsd:string", True, True, True, True),
    "url": ("xsd:string", True, True, True, True),
    "boolean": ("xsd:boolean", False, True, True, True),
    "int": ("xsd:int", True, True, True, True),
    "double": ("xsd:double", True, False, True, True),
    "currency": ("xsd:double", True, False, True, True),
    "percent": ("xsd:double", True, False, True, True),
    "date": ("xsd:date", True, True, True, True),
    "datetime": ("xsd:dateTime", True, False, True, True),
    "time": ("xsd:time", True, True, True, True),
    "address": ("urn:address", False, False, False, True),
    "location": ("urn:location", False, False, False, True),
}
TEXT_TYPES = frozenset(
    {"string", "textarea", "picklist", "multipicklist", "combobox", "email"}
    | {"phone", "url"}
)
GEOCODE_ACCURACY = (
    "Address",
    "NearAddress",
    "Block",
    "Street",
    "ExtendedZip",
    "Zip",
    "Neighborhood",
    "City",
    "County",
    "State",
    "Unknown",
)


# --- field construction -------------------------------------------------------


def picklist(*values: str, default: str | None = None) -> list[dict[str, Any]]:
    """Picklist entries shaped like the describe's, labels equal to values."""
    return [picklist_value(value, default=value == default) for value in values]


def make_field(name: str, label: str, type_: str, **overrides: Any) -> dict[str, Any]:
    """A describe field entry with all 57 keys, defaults chosen by type.

    The defaults are those of an ordinary editable, nillable standard field;
    ``overrides`` set anything else (``nillable=False``, ``length=80``, ...).
    """
    soap, aggregatable, groupable, sortable, filterable = TYPE_TRAITS[type_]
    length = int(overrides.pop("length", 18 if type_ in ("id", "reference") else 0))
    long_text = type_ == "textarea" and length > 255
    if long_text:
        aggregatable = groupable = sortable = filterable = False
    keys: dict[str, Any] = {
        "aggregatable": aggregatable,
        "byteLength": length * 3 if type_ in TEXT_TYPES else length,
        "filterable": filterable,
        "groupable": groupable,
        "length": length,
        "queryByDistance": type_ in ("address", "location"),
        "soapType": soap,
        "sortable": sortable,
    }
    if type_ == "boolean":
        keys.update(nillable=False, defaultedOnCreate=True, defaultValue=False)
    if type_ in ("double", "currency", "percent"):
        keys.update(precision=18, scale=2)
    if type_ == "int":
        keys.update(digits=9)
    if type_ in ("address", "location"):
        keys.update(createable=False, updateable=False)
    keys.update(overrides)
    entry = field_entry(name, label, type_, **keys)
    if entry["picklistValues"] and "defaultValue" not in overrides:
        defaults = [p["value"] for p in entry["picklistValues"] if p["defaultValue"]]
        entry["defaultValue"] = defaults[0] if defaults else None
    return entry


def system_field(name: str, label: str, type_: str, **overrides: Any) -> dict[str, Any]:
    """A read-only field the server maintains (Id, audit fields, flags)."""
    values: dict[str, Any] = {
        "createable": False,
        "updateable": False,
        "nillable": False,
        "defaultedOnCreate": True,
    }
    values.update(overrides)
    return make_field(name, label, type_, **values)


def lookup(
    name: str,
    label: str,
    targets: list[str],
    relationship: str | None,
    **overrides: Any,
) -> dict[str, Any]:
    """A reference field to ``targets`` under ``relationship``."""
    values: dict[str, Any] = {
        "referenceTo": targets,
        "relationshipName": relationship,
        "polymorphicForeignKey": len(targets) > 1,
    }
    values.update(overrides)
    return make_field(name, label, "reference", **values)


def audit_fields(*, deletable: bool = True) -> list[dict[str, Any]]:
    """CreatedDate ... SystemModstamp, and IsDeleted for soft-deletable objects."""
    fields = [
        system_field("CreatedDate", "Created Date", "datetime"),
        system_field(
            "CreatedById", "Created By ID", "reference",
            referenceTo=["User"], relationshipName="CreatedBy",
        ),
        system_field("LastModifiedDate", "Last Modified Date", "datetime"),
        system_field(
            "LastModifiedById", "Last Modified By ID", "reference",
            referenceTo=["User"], relationshipName="LastModifiedBy",
        ),
        system_field("SystemModstamp", "System Modstamp", "datetime"),
    ]  # fmt: skip
    if deletable:
        fields.insert(0, system_field("IsDeleted", "Deleted", "boolean"))
    return fields


def id_field(label: str) -> dict[str, Any]:
    return system_field("Id", label, "id", length=18, idLookup=True)


def owner_field(targets: list[str], label: str = "Owner ID") -> dict[str, Any]:
    return lookup(
        "OwnerId", label, targets, "Owner",
        nillable=False, defaultedOnCreate=True,
    )  # fmt: skip


def address_fields(prefix: str, label: str) -> list[dict[str, Any]]:
    """The street ... geocode parts and the compound address field."""
    compound = f"{prefix}Address"
    parts = [
        ("Street", "Street", "textarea", 255),
        ("City", "City", "string", 40),
        ("State", "State/Province", "string", 80),
        ("PostalCode", "Zip/Postal Code", "string", 20),
        ("Country", "Country", "string", 80),
    ]
    fields = [
        make_field(
            f"{prefix}{part}", f"{label} {text}".strip(), type_,
            length=length, compoundFieldName=compound,
        )
        for part, text, type_, length in parts
    ]  # fmt: skip
    for part in ("Latitude", "Longitude"):
        fields.append(
            make_field(
                f"{prefix}{part}", f"{label} {part}".strip(), "double",
                precision=18, scale=15, compoundFieldName=compound,
            )
        )  # fmt: skip
    fields.append(
        make_field(
            f"{prefix}GeocodeAccuracy", f"{label} Geocode Accuracy".strip(),
            "picklist", length=40, restrictedPicklist=True,
            picklistValues=picklist(*GEOCODE_ACCURACY), compoundFieldName=compound,
        )
    )  # fmt: skip
    fields.append(make_field(compound, f"{label} Address".strip(), "address"))
    return fields


# --- object construction ------------------------------------------------------


def master_record_type(name: str) -> list[dict[str, Any]]:
    record_type_id = "012000000000000AAA"
    layout = f"/services/data/v{{version}}/sobjects/{name}/describe/layouts"
    return [
        {
            "active": True,
            "available": True,
            "defaultRecordTypeMapping": True,
            "developerName": "Master",
            "master": True,
            "name": "Master",
            "recordTypeId": record_type_id,
            "urls": {"layout": f"{layout}/{record_type_id}"},
        }
    ]


def make_object(
    name: str,
    label: str,
    plural: str,
    prefix: str | None,
    fields: list[dict[str, Any]],
    children: list[dict[str, Any]],
    **flags: Any,
) -> dict[str, Any]:
    """A top-level describe payload with the same keys as the captured ones."""
    layoutable = bool(flags.get("layoutable", True))
    url_keys = (
        ("compactLayouts", "approvalLayouts", "layouts", "listviews", "quickActions")
        if layoutable
        else ()
    )
    keys: dict[str, Any] = {
        "childRelationships": children,
        "compactLayoutable": layoutable,
        "recordTypeInfos": master_record_type(name) if layoutable else [],
        "searchLayoutable": layoutable,
        "searchable": layoutable,
        "urls": object_urls(name, prefix, *url_keys),
    }
    keys.update(flags)
    return object_describe(name, label, plural, prefix, fields, **keys)


def scopes(plural: str) -> list[dict[str, str]]:
    return [
        {"label": f"All {plural.lower()}", "name": "everything"},
        {"label": f"My {plural.lower()}", "name": "mine"},
    ]


def build_task() -> dict[str, Any]:
    fields = [
        id_field("Activity ID"),
        lookup("WhoId", "Name ID", ["Contact", "Lead"], "Who"),
        lookup("WhatId", "Related To ID", ["Account", "Opportunity", "Case"], "What"),
        make_field(
            "Subject", "Subject", "combobox", length=255, nameField=True,
            picklistValues=picklist("Call", "Send Letter", "Send Quote", "Other"),
        ),
        make_field("ActivityDate", "Due Date Only", "date"),
        make_field(
            "Status", "Status", "picklist", length=40, nillable=False,
            defaultedOnCreate=True,
            picklistValues=picklist(
                "Not Started", "In Progress", "Completed",
                "Waiting on someone else", "Deferred", default="Not Started",
            ),
        ),
        make_field(
            "Priority", "Priority", "picklist", length=40, nillable=False,
            defaultedOnCreate=True,
            picklistValues=picklist("High", "Normal", "Low", default="Normal"),
        ),
        system_field("IsHighPriority", "High Priority", "boolean"),
        owner_field(["Group", "User"], "Assigned To ID"),
        make_field("Description", "Comments", "textarea", length=32000),
        system_field("IsDeleted", "Deleted", "boolean"),
        lookup(
            "AccountId", "Account ID", ["Account"], "Account",
            createable=False, updateable=False,
        ),
        system_field("IsClosed", "Closed", "boolean"),
        *audit_fields(deletable=False),
        system_field("IsArchived", "Archived", "boolean"),
        make_field("CallDurationInSeconds", "Call Duration", "int", digits=8),
        make_field(
            "CallType", "Call Type", "picklist", length=40, restrictedPicklist=True,
            picklistValues=picklist("Internal", "Inbound", "Outbound"),
        ),
        make_field("CallDisposition", "Call Result", "string", length=255),
        make_field("CallObject", "Call Object Identifier", "string", length=255),
        make_field("ReminderDateTime", "Reminder Date/Time", "datetime"),
        make_field("IsReminderSet", "Reminder Set", "boolean"),
        make_field(
            "TaskSubtype", "Task Subtype", "picklist", length=40, updateable=False,
            restrictedPicklist=True,
            picklistValues=picklist(
                "Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"
            ),
        ),
        system_field(
            "CompletedDateTime", "Completed Date/Time", "datetime",
            nillable=True, defaultedOnCreate=False,
        ),
    ]  # fmt: skip
    return make_object(
        "Task", "Task", "Tasks", "00T", fields, [],
        mruEnabled=True, mergeable=False, feedEnabled=True,
        supportedScopes=scopes("Tasks"),
    )  # fmt: skip


def build_note() -> dict[str, Any]:
    fields = [
        id_field("Note ID"),
        system_field("IsDeleted", "Deleted", "boolean"),
        lookup(
            "ParentId", "Parent ID",
            ["Account", "Contact", "Lead", "Opportunity"], "Parent",
            nillable=False, updateable=False,
        ),
        make_field("Title", "Title", "string", length=80, nillable=False,
                   nameField=True),
        make_field("IsPrivate", "Private", "boolean"),
        make_field("Body", "Body", "textarea", length=32000),
        owner_field(["User"]),
        *audit_fields(deletable=False),
    ]  # fmt: skip
    return make_object("Note", "Note", "Notes", "002", fields, [])


def build_case_comment() -> dict[str, Any]:
    fields = [
        id_field("Case Comment ID"),
        lookup(
            "ParentId", "Parent ID", ["Case"], "Parent",
            nillable=False, updateable=False,
        ),
        make_field("IsPublished", "Published", "boolean"),
        make_field("CommentBody", "Body", "textarea", length=4000),
        *audit_fields(deletable=True),
    ]  # fmt: skip
    return make_object(
        "CaseComment", "Case Comment", "Case Comments", "00a", fields, [],
        searchable=False, undeletable=False,
    )  # fmt: skip


TIME_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Zurich",
    "Europe/Helsinki",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "GMT",
)
LOCALES = ("en_US", "en_GB", "en_AU", "de_DE", "fr_FR", "es_ES", "it_IT", "ja_JP")
LANGUAGES = ("en_US", "en_GB", "de", "fr", "es", "it", "ja")
ENCODINGS = ("UTF-8", "ISO-8859-1", "Shift_JIS", "EUC-JP", "ISO-2022-JP")


def build_user() -> dict[str, Any]:
    def required_pick(name: str, label: str, values: tuple[str, ...]) -> Any:
        return make_field(
            name, label, "picklist", length=40, nillable=False,
            restrictedPicklist=True, picklistValues=picklist(*values),
        )  # fmt: skip

    fields = [
        id_field("User ID"),
        make_field(
            "Username", "Username", "string", length=80, nillable=False,
            unique=True, idLookup=True,
        ),
        make_field("LastName", "Last Name", "string", length=80, nillable=False,
                   compoundFieldName="Name"),
        make_field("FirstName", "First Name", "string", length=40,
                   compoundFieldName="Name"),
        system_field("Name", "Full Name", "string", length=121, nameField=True,
                     defaultedOnCreate=False),
        make_field("CompanyName", "Company Name", "string", length=80),
        make_field("Division", "Division", "string", length=80),
        make_field("Department", "Department", "string", length=80),
        make_field("Title", "Title", "string", length=80),
        *address_fields("", ""),
        make_field("Email", "Email", "email", length=128, nillable=False),
        make_field("Phone", "Phone", "phone", length=40),
        make_field("MobilePhone", "Mobile", "phone", length=40),
        make_field("Alias", "Alias", "string", length=8, nillable=False),
        make_field(
            "CommunityNickname", "Nickname", "string", length=40,
            defaultedOnCreate=True, unique=True,
        ),
        make_field("IsActive", "Active", "boolean", defaultValue=True),
        required_pick("TimeZoneSidKey", "Time Zone", TIME_ZONES),
        required_pick("LocaleSidKey", "Locale", LOCALES),
        required_pick("EmailEncodingKey", "Email Encoding", ENCODINGS),
        required_pick("LanguageLocaleKey", "Language", LANGUAGES),
        system_field(
            "UserType", "User Type", "picklist", length=40, nillable=True,
            restrictedPicklist=True,
            picklistValues=picklist("Standard", "PowerPartner", "CsnOnly",
                                    "Guest", default="Standard"),
        ),
        lookup("ManagerId", "Manager ID", ["User"], "Manager"),
        make_field("FederationIdentifier", "SAML Federation ID", "string",
                   length=512, idLookup=True),
        make_field("EmployeeNumber", "Employee Number", "string", length=20),
        make_field("AboutMe", "About Me", "textarea", length=1000),
        system_field("LastLoginDate", "Last Login", "datetime", nillable=True,
                     defaultedOnCreate=False),
        *audit_fields(deletable=False),
    ]  # fmt: skip
    children = [child_relationship("ManagedUsers", "User", "ManagerId")]
    return make_object(
        "User", "User", "Users", "005", fields, children,
        deletable=False, undeletable=False, feedEnabled=True, mruEnabled=True,
    )  # fmt: skip


def build_group() -> dict[str, Any]:
    fields = [
        id_field("Group ID"),
        make_field("Name", "Name", "string", length=40, nillable=False,
                   nameField=True),
        make_field("DeveloperName", "Developer Name", "string", length=80,
                   defaultedOnCreate=True, nillable=False),
        make_field(
            "Type", "Type", "picklist", length=40, nillable=False,
            updateable=False, restrictedPicklist=True, defaultedOnCreate=True,
            picklistValues=picklist(
                "Regular", "Role", "RoleAndSubordinates", "Organization",
                "Queue", "Manager", default="Regular",
            ),
        ),
        make_field("Email", "Email", "email", length=255),
        owner_field(["User"]),
        make_field("DoesSendEmailToMembers", "Send Email to Members", "boolean"),
        make_field("DoesIncludeBosses", "Include Bosses", "boolean",
                   defaultValue=True),
        *audit_fields(deletable=False),
    ]  # fmt: skip
    children = [
        child_relationship("QueueSobjects", "QueueSobject", "QueueId", cascade=True)
    ]
    return make_object(
        "Group", "Group", "Groups", "00G", fields, children,
        layoutable=False, undeletable=False, replicateable=True,
    )  # fmt: skip


def build_queue_sobject() -> dict[str, Any]:
    fields = [
        id_field("Queue Sobject ID"),
        lookup("QueueId", "Group ID", ["Group"], "Queue", nillable=False,
               updateable=False),
        make_field(
            "SobjectType", "sObject Type", "picklist", length=40, nillable=False,
            updateable=False, restrictedPicklist=True,
            picklistValues=picklist("Case", "Lead", "Task"),
        ),
        system_field(
            "CreatedById", "Created By ID", "reference",
            referenceTo=["User"], relationshipName="CreatedBy",
        ),
        system_field("SystemModstamp", "System Modstamp", "datetime"),
    ]  # fmt: skip
    return make_object(
        "QueueSobject", "Queue Sobject", "Queue Sobjects", "03g", fields, [],
        layoutable=False, updateable=False, undeletable=False,
    )  # fmt: skip


def build_activity_view(name: str, label: str, plural: str) -> dict[str, Any]:
    """OpenActivity or ActivityHistory: a read-only union of Tasks and Events."""

    def read_only(field: dict[str, Any]) -> dict[str, Any]:
        field.update(createable=False, updateable=False, permissionable=False)
        field.update(defaultedOnCreate=False)
        return field

    fields = [
        id_field("Activity ID"),
        lookup("AccountId", "Account ID", ["Account"], "Account"),
        lookup("WhoId", "Name ID", ["Contact", "Lead"], "Who"),
        lookup("WhatId", "Related To ID", ["Account", "Opportunity", "Case"], "What"),
        make_field("Subject", "Subject", "combobox", length=255, nameField=True),
        make_field("IsTask", "Task", "boolean"),
        make_field("ActivityDate", "Due Date Only", "date"),
        make_field("ActivityDateTime", "Due Date Time", "datetime"),
        owner_field(["User"], "Assigned To ID"),
        make_field("Status", "Status", "picklist", length=40),
        make_field("Priority", "Priority", "picklist", length=40),
        make_field("IsHighPriority", "High Priority", "boolean"),
        make_field(
            "ActivitySubtype", "Activity Subtype", "picklist", length=40,
            picklistValues=picklist("Task", "Email", "ListEmail", "Cadence",
                                    "Call", "Event", "LinkedIn"),
        ),
        make_field("IsClosed", "Closed", "boolean"),
        make_field("IsAllDayEvent", "All-Day Event", "boolean"),
        make_field("DurationInMinutes", "Duration", "int", digits=8),
        make_field("StartDateTime", "Start", "datetime"),
        make_field("EndDateTime", "End", "datetime"),
        make_field("Location", "Location", "string", length=255),
        make_field("Description", "Description", "textarea", length=32000),
        *audit_fields(deletable=True),
        make_field("CallDurationInSeconds", "Call Duration", "int", digits=8),
        make_field("CallType", "Call Type", "picklist", length=40),
        make_field("CallDisposition", "Call Result", "string", length=255),
        make_field("CallObject", "Call Object Identifier", "string", length=255),
        make_field("ReminderDateTime", "Reminder Date/Time", "datetime"),
        make_field("IsReminderSet", "Reminder Set", "boolean"),
    ]  # fmt: skip
    describe = make_object(
        name, label, plural, None, [read_only(f) for f in fields], [],
        createable=False, updateable=False, deletable=False, undeletable=False,
        layoutable=False, replicateable=False, retrieveable=False,
        triggerable=False, searchable=False, searchLayoutable=False,
    )  # fmt: skip
    describe["x-sfmagic"] = {"virtual": True}
    return describe
