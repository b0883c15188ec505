"""The shipped standard schema and custom schema files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfmagic.emulator.custom_schema import CustomSchemaError
from sfmagic.emulator.schema import Schema, load_custom_schema

STANDARD = Schema.standard()
OBJECTS = [
    "Account",
    "Contact",
    "Case",
    "CaseComment",
    "Lead",
    "Opportunity",
    "Task",
    "Event",
    "Note",
    "User",
    "Group",
    "QueueSobject",
    "OpenActivity",
    "ActivityHistory",
]
FIELD_KEYS = 57

CUSTOM_TOML = """
[objects.Invoice__c]
label = "Invoice"
plural_label = "Invoices"
key_prefix = "a01"
name_field = { label = "Invoice Number", type = "autonumber", format = "INV-{0000}" }

[objects.Invoice__c.fields.Account__c]
type = "lookup"
label = "Account"
reference_to = "Account"
child_relationship = "Invoices"

[objects.Invoice__c.fields.Amount__c]
type = "currency"
precision = 16
scale = 2
required = true

[objects.Invoice__c.fields.Status__c]
type = "picklist"
values = ["Draft", { value = "Sent", label = "Sent to customer" }, "Paid"]
default = "Draft"
restricted = true

[fields.Account.Region__c]
type = "picklist"
values = ["North", "South", "East", "West"]
restricted = true

[fields.Account.External_Id__c]
type = "text"
length = 40
external_id = true
unique = true
"""


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    path = tmp_path_factory.mktemp("schema") / "org.toml"
    path.write_text(CUSTOM_TOML)
    return STANDARD.with_custom(load_custom_schema(path))


@pytest.mark.parametrize("name", OBJECTS)
def test_standard_objects_are_shipped(name: str) -> None:
    sobject = STANDARD.get(name)
    assert sobject is not None
    assert sobject.field("Id") is not None
    assert sobject.virtual == (name in ("OpenActivity", "ActivityHistory"))


@pytest.mark.parametrize("name", OBJECTS)
def test_every_field_has_the_full_describe_shape(name: str) -> None:
    sobject = STANDARD.get(name)
    assert sobject is not None
    for field in sobject.fields.values():
        assert len(field.raw) == FIELD_KEYS, field.name
        assert not field.name.endswith("__c")


@pytest.mark.parametrize("name", OBJECTS)
def test_references_stay_inside_the_object_set(name: str) -> None:
    sobject = STANDARD.get(name)
    assert sobject is not None
    for field in sobject.fields.values():
        for target in field.reference_to:
            assert target in STANDARD, f"{name}.{field.name} -> {target}"
    for relation in sobject.child_relationships:
        child = STANDARD.get(relation.child_sobject)
        assert child is not None
        child_field = child.field(relation.field)
        assert child_field is not None
        assert name in child_field.reference_to


@pytest.mark.parametrize(
    ("parent", "relationships"),
    [
        ("Account", {"ChildAccounts", "Contacts", "Cases", "Opportunities", "Tasks",
                     "Events", "Notes", "OpenActivities", "ActivityHistories"}),
        ("Contact", {"Cases", "Tasks", "Events", "Notes", "OpenActivities",
                     "ActivityHistories", "Opportunities"}),
        ("Case", {"Tasks", "Events", "CaseComments", "Cases"}),
        ("Lead", {"Tasks", "Events", "Notes"}),
        ("Opportunity", {"Tasks", "Events", "Notes"}),
        ("Group", {"QueueSobjects"}),
    ],
)  # fmt: skip
def test_child_relationships(parent: str, relationships: set[str]) -> None:
    sobject = STANDARD.get(parent)
    assert sobject is not None
    assert relationships <= {c.relationship_name for c in sobject.child_relationships}


def test_activity_views_only_under_account_and_contact() -> None:
    for sobject in STANDARD:
        names = {c.relationship_name for c in sobject.child_relationships}
        if sobject.name not in ("Account", "Contact"):
            assert "OpenActivities" not in names


@pytest.mark.parametrize(
    ("path", "targets", "polymorphic"),
    [
        ("Case.OwnerId", ("Group", "User"), True),
        ("Lead.OwnerId", ("Group", "User"), True),
        ("Task.OwnerId", ("Group", "User"), True),
        ("Account.OwnerId", ("User",), False),
        ("Event.OwnerId", ("User",), False),
        ("Event.WhatId", ("Account", "Case", "Opportunity"), True),
        ("Task.WhoId", ("Contact", "Lead"), True),
        ("QueueSobject.QueueId", ("Group",), False),
    ],
)
def test_lookup_targets(path: str, targets: tuple[str, ...], polymorphic: bool) -> None:
    sobject, name = path.split(".")
    field = STANDARD.get(sobject).field(name)  # type: ignore[union-attr]
    assert field is not None
    assert sorted(field.reference_to) == sorted(targets)
    assert field.polymorphic == polymorphic


@pytest.mark.parametrize(
    ("path", "check"),
    [
        ("Account.Name", lambda f: f.length == 255 and f.name_field and not f.nillable),
        ("Account.Industry", lambda f: len(f.picklist_values) == 32),
        ("Case.Status", lambda f: f.default_value == "New"),
        ("Lead.Status", lambda f: f.defaulted_on_create),
        ("Contact.Name", lambda f: not f.createable),
        ("Account.BillingGeocodeAccuracy", lambda f: f.restricted_picklist),
        ("Account.RecordTypeId", lambda f: f is None),
        ("Task.Subject", lambda f: f.type == "combobox" and f.name_field),
        ("User.Username", lambda f: f.unique and f.id_lookup),
    ],
)
def test_real_describe_facts_are_kept(path: str, check: object) -> None:
    sobject, name = path.split(".")
    field = STANDARD.get(sobject).field(name)  # type: ignore[union-attr]
    assert check(field)  # type: ignore[operator]


def test_global_entries_have_28_keys() -> None:
    for sobject in STANDARD:
        assert len(sobject.extra["global"]) == 28, sobject.name


def test_custom_object_is_added(custom: Schema) -> None:
    invoice = custom.get("invoice__c")
    assert invoice is not None
    assert custom.by_key_prefix("a01") is invoice
    assert invoice.custom
    assert invoice.label == "Invoice"
    assert invoice.raw["labelPlural"] == "Invoices"
    name = invoice.field("Name")
    assert name is not None
    assert name.raw["autoNumber"]
    assert not name.createable
    assert invoice.extra["autonumber"] == {"Name": "INV-{0000}"}
    for field in invoice.fields.values():
        assert len(field.raw) == FIELD_KEYS, field.name
    owner = invoice.field("OwnerId")
    assert owner is not None
    assert owner.polymorphic


def test_custom_lookup_and_child_relationship(custom: Schema) -> None:
    invoice, account = custom.get("Invoice__c"), custom.get("Account")
    assert invoice is not None
    assert account is not None
    lookup = invoice.field("Account__c")
    assert lookup is not None
    assert lookup.reference_to == ("Account",)
    assert lookup.relationship_name == "Account__r"
    assert invoice.relationship("account__r") is lookup
    relation = account.child_relationship("Invoices__r")
    assert relation is not None
    assert (relation.child_sobject, relation.field) == ("Invoice__c", "Account__c")


def test_custom_fields_on_standard_object(custom: Schema) -> None:
    account = custom.get("Account")
    assert account is not None
    region = account.field("Region__c")
    assert region is not None
    assert region.custom
    assert region.restricted_picklist
    assert [p.value for p in region.picklist_values] == ["North", "South", "East",
                                                          "West"]  # fmt: skip
    external = account.field("External_Id__c")
    assert external is not None
    assert external.external_id
    assert external.unique
    assert external.length == 40
    assert STANDARD.get("Account").field("Region__c") is None  # type: ignore[union-attr]


def test_custom_field_options(custom: Schema) -> None:
    invoice = custom.get("Invoice__c")
    assert invoice is not None
    amount = invoice.field("Amount__c")
    status = invoice.field("Status__c")
    assert amount is not None
    assert status is not None
    assert (amount.type, amount.precision, amount.scale) == ("currency", 16, 2)
    assert not amount.nillable
    assert status.default_value == "Draft"
    assert [p.label for p in status.picklist_values][1] == "Sent to customer"


def test_json_schema_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(
        json.dumps(
            {"fields": {"Contact": {"Score__c": {"type": "number", "scale": 1}}}}
        )
    )
    schema = STANDARD.with_custom(path)
    score = schema.get("Contact").field("Score__c")  # type: ignore[union-attr]
    assert score is not None
    assert score.type == "double"
    assert score.scale == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[objects.Invoice]\nlabel = "x"\n', "ends in __c"),
        ('[fields.Account.Region]\ntype = "text"\n', "ends in __c"),
        ('[fields.Account.Region__c]\ntype = "hologram"\n', "type must be one of"),
        ('[fields.Account.Region__c]\ntype = "text"\ncolour = 1\n', "unknown keys"),
        ('[fields.Nope__c.Region__c]\ntype = "text"\n', "no such object"),
        ('[fields.Account.Name__c]\ntype = "lookup"\n', "reference_to"),
        ('[fields.Account.P__c]\ntype = "lookup"\nreference_to = "Nope"\n',
         "is not an object"),
        ('[fields.Account.Region__c]\ntype = "picklist"\n', "list of values"),
        ('[objects.A__c]\nkey_prefix = "001"\n', "already used"),
        ('[objects.A__c]\nkey_prefix = "toolong"\n', "3 letters"),
        ("not toml [", "not a valid schema file"),
    ],
)  # fmt: skip
def test_bad_schema_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CustomSchemaError, match=message):
        STANDARD.with_custom(path)
