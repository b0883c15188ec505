"""The record editor on a custom object (Invoice__c) from a custom schema file.

Nothing in the editor knows Invoice__c: the form, the checks and the save all
come from the describe the emulator builds from the schema below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sfmagic
from sfmagic.emulator import start
from sfmagic.widgets.fields import (
    CheckboxField,
    DateField,
    DateTimeField,
    LookupField,
    MultiPicklistField,
    NumberField,
    PicklistField,
    TextAreaField,
    TextField,
)
from tests.login_support import admin_connection

pytestmark = pytest.mark.live

SCHEMA = {
    "objects": {
        "Invoice__c": {
            "label": "Invoice",
            "plural_label": "Invoices",
            "name_field": {
                "label": "Invoice Number",
                "type": "autonumber",
                "format": "INV-{0000}",
            },
            "fields": {
                "Account__c": {
                    "type": "lookup",
                    "reference_to": "Account",
                    "child_relationship": "Invoices",
                },
                "Amount__c": {"type": "currency", "precision": 16, "scale": 2},
                "Discount__c": {"type": "percent", "precision": 5, "scale": 1},
                "Units__c": {"type": "number", "precision": 6, "scale": 0},
                "Status__c": {
                    "type": "picklist",
                    "values": ["Draft", "Sent", "Paid"],
                    "default": "Draft",
                    "restricted": True,
                },
                "Channels__c": {
                    "type": "multipicklist",
                    "values": [
                        {"value": "Post", "default": True},
                        {"value": "Email", "default": True},
                        {"value": "Portal"},
                    ],
                },
                "Paid__c": {"type": "checkbox"},
                "Due__c": {"type": "date", "required": True},
                "Sent_At__c": {"type": "datetime"},
                "Billing_Email__c": {"type": "email"},
                "Billing_Phone__c": {"type": "phone"},
                "Portal__c": {"type": "url"},
                "Notes__c": {"type": "textarea"},
                "Reference__c": {
                    "type": "text",
                    "length": 12,
                    "external_id": True,
                    "unique": True,
                },
            },
        }
    }
}


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    schema = tmp_path_factory.mktemp("schema") / "invoice.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    with start(demo=True, schema_file=Path(schema)) as running:
        yield running


@pytest.fixture(scope="module")
def conn(org: Any) -> Any:
    return admin_connection(org)


def _account(conn: Any) -> dict[str, Any]:
    soql = "SELECT Id, Name FROM Account ORDER BY Name LIMIT 1"
    return dict(conn.get("query/", q=soql)["records"][0])


def _invoice(conn: Any, reference: str, **values: Any) -> str:
    values = {"Due__c": "2031-01-31", "Reference__c": reference, **values}
    return str(sfmagic.records.create("Invoice__c", values, conn=conn))


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("Name", TextField),
        ("Account__c", LookupField),
        ("Amount__c", NumberField),
        ("Discount__c", NumberField),
        ("Units__c", NumberField),
        ("Status__c", PicklistField),
        ("Channels__c", MultiPicklistField),
        ("Paid__c", CheckboxField),
        ("Due__c", DateField),
        ("Sent_At__c", DateTimeField),
        ("Billing_Email__c", TextField),
        ("Billing_Phone__c", TextField),
        ("Portal__c", TextField),
        ("Notes__c", TextAreaField),
    ],
)
def test_custom_fields_get_widgets_by_type(conn: Any, field: str, kind: type) -> None:
    editor = sfmagic.RecordEditor("Invoice__c", conn=conn)

    assert type(editor.fields[field]) is kind


def test_new_invoice_has_defaults_marks_and_disabled_auto_number(conn: Any) -> None:
    editor = sfmagic.RecordEditor("Invoice__c", conn=conn)

    assert editor.record["Status__c"] == "Draft"
    assert editor.fields["Status__c"].input.options[0] == ("--None--", "")
    assert editor.record["Channels__c"] == "Post;Email"
    assert editor.record["Paid__c"] is False
    assert editor.fields["Name"].disabled
    assert editor.fields["Due__c"].required
    assert "*" in editor.fields["Due__c"].label.value
    assert not editor.fields["Notes__c"].required
    assert editor.fields["Amount__c"].input.placeholder == "amount, e.g. 0.00"
    assert editor.fields["Discount__c"].input.placeholder == "percent, e.g. 0.0"


def test_invoice_created_in_the_editor_then_edited(conn: Any) -> None:
    account = _account(conn)
    editor = sfmagic.RecordEditor("Invoice__c", conn=conn)
    editor.fields["Due__c"].value = "2031-03-31"
    editor.fields["Amount__c"].input.value = "1250.5"
    editor.fields["Discount__c"].input.value = "12.5"
    editor.fields["Account__c"].input.value = account["Id"]
    editor.fields["Reference__c"].input.value = "REF-EDITOR"
    assert editor.save(), editor.message

    invoice_id = editor.record_id or ""
    created = sfmagic.records.get("Invoice__c", invoice_id, conn=conn)
    assert created["Amount__c"] == 1250.5
    assert created["Discount__c"] == 12.5
    assert created["Status__c"] == "Draft"
    assert created["Name"].startswith("INV-")
    assert editor.fields["Account__c"].input.value == account["Name"]
    assert editor.fields["Amount__c"].input.value == "1250.50"

    editor.fields["Status__c"].input.value = "Paid"
    editor.fields["Channels__c"].input.value = ("Portal",)
    editor.fields["Paid__c"].input.value = True
    assert editor.save(), editor.message
    updated = sfmagic.records.get("Invoice__c", invoice_id, conn=conn)
    assert updated["Status__c"] == "Paid"
    assert updated["Channels__c"] == "Portal"
    assert updated["Paid__c"] is True


def test_unique_value_refused_by_the_org_is_shown_next_to_its_field(
    conn: Any,
) -> None:
    _invoice(conn, "REF-TAKEN")
    editor = sfmagic.RecordEditor("Invoice__c", conn=conn)
    editor.fields["Due__c"].value = "2031-04-30"
    editor.fields["Reference__c"].input.value = "REF-TAKEN"

    saved = editor.save()

    assert not saved
    assert editor.creating
    assert "duplicate value" in (editor.fields["Reference__c"].error or "").lower()
    assert editor.message.startswith("Not saved")


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"Status__c": "Lost"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status__c"),
        ({"Reference__c": "R" * 13}, "STRING_TOO_LONG", "Reference__c"),
        ({"Due__c": None}, "REQUIRED_FIELD_MISSING", "Due__c"),
        ({"Billing_Email__c": "nobody"}, "INVALID_EMAIL_ADDRESS", "Billing_Email__c"),
        ({"Name": "INV-9999"}, "INVALID_FIELD_FOR_INSERT_UPDATE", "Name"),
    ],
)
def test_records_update_checks_custom_fields(
    conn: Any, values: dict[str, Any], code: str, field: str
) -> None:
    invoice_id = _invoice(conn, f"R-{field[:4]}")
    loaded = sfmagic.records.get("Invoice__c", invoice_id, conn=conn)

    with pytest.raises(sfmagic.records.RecordError) as caught:
        sfmagic.records.update(
            "Invoice__c", invoice_id, values, loaded=loaded, conn=conn
        )

    assert [p.error_code for p in caught.value.problems] == [code]
    assert field in caught.value.field_errors
    assert sfmagic.records.get("Invoice__c", invoice_id, conn=conn) == loaded


def test_custom_object_conflict_is_held(conn: Any) -> None:
    invoice_id = _invoice(conn, "REF-CONFLICT")
    first = sfmagic.RecordEditor("Invoice__c", invoice_id, conn=conn)
    second = sfmagic.RecordEditor("Invoice__c", invoice_id, conn=conn)

    first.fields["Units__c"].input.value = "3"
    assert first.save(), first.message
    second.fields["Units__c"].input.value = "4"

    assert not second.save()
    assert second.conflict is not None
    assert second.conflict.remote == {"Units__c": (None, 3)}
    assert sfmagic.records.get("Invoice__c", invoice_id, conn=conn)["Units__c"] == 3


def test_lookup_search_finds_accounts_by_name(conn: Any) -> None:
    account = _account(conn)
    editor = sfmagic.RecordEditor("Invoice__c", conn=conn)
    lookup = editor.fields["Account__c"]

    lookup.input.value = account["Name"][:4]
    label = f"{account['Name']} · {account['Id']}"

    assert label in lookup.input.options
    lookup.input.value = label
    assert lookup.value == account["Id"]
