"""The record editor driven through its widgets against a live demo org."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sfmagic.client import records
from sfmagic.widgets.editor import RecordEditor
from sfmagic.widgets.fields import (
    CheckboxField,
    ComboboxField,
    DateField,
    DateTimeField,
    LookupField,
    MultiPicklistField,
    NumberField,
    PicklistField,
    ReadOnlyField,
    TextAreaField,
    TextField,
    field_widget,
)

pytestmark = pytest.mark.live


def _first_id(conn: Any, soql: str) -> str:
    return str(conn.get("query/", q=soql)["records"][0]["Id"])


def _account(conn: Any, offset: int) -> str:
    soql = f"SELECT Id FROM Account ORDER BY Name DESC LIMIT 1 OFFSET {offset}"
    return _first_id(conn, soql)


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("Name", TextField),
        ("Phone", TextField),
        ("Website", TextField),
        ("Description", TextAreaField),
        ("Industry", PicklistField),
        ("IsPartner", CheckboxField),
        ("AnnualRevenue", NumberField),
        ("NumberOfEmployees", NumberField),
        ("ParentId", LookupField),
        ("OwnerId", LookupField),
        ("LastActivityDate", DateField),
        ("CreatedDate", DateTimeField),
        ("Id", ReadOnlyField),
    ],
)
def test_account_fields_get_widgets_by_type(conn: Any, field: str, kind: type) -> None:
    editor = RecordEditor("Account", conn=conn)

    assert type(editor.fields[field]) is kind


def test_form_marks_required_disables_read_only_and_groups_sections(conn: Any) -> None:
    editor = RecordEditor("Account", _account(conn, 0), conn=conn)

    name, created = editor.fields["Name"], editor.fields["CreatedDate"]
    sections = {
        title: [c for c in box.children if hasattr(c, "children")]
        for title, box in editor.sections.items()
    }

    assert name.required
    assert "*" in name.label.value
    assert not name.disabled
    assert created.disabled
    assert editor.fields["Id"].disabled
    assert editor.fields["BillingCity"].container in sections["Address"]
    assert created.container in sections["System information"]
    assert name.container is sections["Information"][0]
    assert "BillingAddress" not in editor.fields


def test_loaded_record_shows_values_and_lookup_names(conn: Any) -> None:
    record_id = _first_id(conn, "SELECT Id FROM Contact WHERE AccountId != null")
    expected = conn.get(
        "query/",
        q=f"SELECT LastName, Account.Name FROM Contact WHERE Id = '{record_id}'",
    )["records"][0]

    editor = RecordEditor("Contact", record_id, conn=conn)

    assert editor.record["LastName"] == expected["LastName"]
    assert editor.fields["AccountId"].input.value == expected["Account"]["Name"]
    assert editor.fields["AccountId"].value.startswith("001")
    assert not editor.dirty


def test_set_values_and_save_patches_only_changes(conn: Any) -> None:
    record_id = _account(conn, 0)
    editor = RecordEditor("Account", record_id, conn=conn)

    editor.fields["Industry"].input.value = "Energy"
    editor.fields["NumberOfEmployees"].input.value = "321"
    editor.fields["IsPartner"].input.value = True
    marker = editor.status.value
    heading = editor.heading.value
    saved = editor.save()

    stored = records.get("Account", record_id, conn=conn)
    assert "Unsaved changes: Industry, IsPartner, NumberOfEmployees" in marker
    assert "●" in heading
    assert "●" not in editor.heading.value
    assert saved, editor.message
    assert stored["Industry"] == "Energy"
    assert stored["NumberOfEmployees"] == 321
    assert stored["IsPartner"] is True
    assert not editor.dirty
    assert "Unsaved" not in editor.status.value


def test_save_button_writes_dates_and_multiline_text(conn: Any) -> None:
    record_id = _first_id(conn, "SELECT Id FROM Opportunity ORDER BY Name LIMIT 1")
    editor = RecordEditor("Opportunity", record_id, conn=conn)

    editor.fields["CloseDate"].input.value = date(2031, 5, 17)
    editor.fields["Description"].input.value = "line one\nline two"
    editor.fields["Amount"].input.value = "1234.5"
    editor.buttons["save"].click()

    stored = records.get("Opportunity", record_id, conn=conn)
    assert stored["CloseDate"] == "2031-05-17"
    assert stored["Description"] == "line one\nline two"
    assert stored["Amount"] == 1234.5
    assert editor.fields["Amount"].input.value == "1234.50"


def test_datetime_picker_round_trips_in_utc(conn: Any) -> None:
    task_id = _first_id(conn, "SELECT Id FROM Task ORDER BY Subject LIMIT 1")
    editor = RecordEditor("Task", task_id, conn=conn)
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    editor.fields["ReminderDateTime"].input.value = moment
    assert editor.save(), editor.message

    stored = records.get("Task", task_id, conn=conn)
    assert stored["ReminderDateTime"] == "2030-01-02T03:04:05.000+0000"
    assert editor.fields["ReminderDateTime"].input.value == moment


def test_revert_drops_unsaved_changes(conn: Any) -> None:
    editor = RecordEditor("Account", _account(conn, 1), conn=conn)
    before = editor.record

    editor.fields["Name"].input.value = "Changed"
    editor.fields["Rating"].input.value = "Cold"
    assert editor.dirty
    editor.buttons["revert"].click()

    assert editor.record == before
    assert not editor.dirty


def test_new_record_starts_from_describe_defaults(conn: Any) -> None:
    editor = RecordEditor("Task", conn=conn)

    assert editor.creating
    assert editor.record["Status"] == "Not Started"
    assert editor.record["Priority"] == "Normal"
    assert not editor.dirty
    assert isinstance(editor.fields["Subject"], ComboboxField)
    assert "Call" in editor.fields["Subject"].input.options


def test_new_record_is_created_on_save(conn: Any) -> None:
    editor = RecordEditor("Account", conn=conn)

    editor.fields["Name"].input.value = "Editor Made Ltd"
    editor.fields["Industry"].value = "Banking"
    assert editor.save(), editor.message

    stored = records.get("Account", editor.record_id or "", conn=conn)
    assert stored["Name"] == "Editor Made Ltd"
    assert stored["Industry"] == "Banking"
    assert not editor.creating
    assert editor.message.startswith("Created Account")


def test_missing_required_field_is_shown_next_to_it(conn: Any) -> None:
    editor = RecordEditor("Contact", conn=conn)

    editor.fields["FirstName"].input.value = "Ada"
    saved = editor.save()

    assert not saved
    assert editor.fields["LastName"].error == "Required fields are missing: [LastName]"
    assert "Required fields are missing" in editor.fields["LastName"].error_line.value
    assert editor.creating


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("Email", "ada-at-example", "Not an e-mail address."),
        ("Phone", "call me", "Not a phone number."),
        ("LastName", "x" * 81, "At most 80 characters."),
    ],
)
def test_format_errors_appear_as_typed_and_block_saving(
    conn: Any, field: str, text: str, message: str
) -> None:
    editor = RecordEditor(
        "Contact", _first_id(conn, "SELECT Id FROM Contact"), conn=conn
    )

    editor.fields[field].input.value = text

    assert editor.fields[field].error == message
    assert not editor.save()
    assert editor.message == f"Fix {field} before saving."


@pytest.mark.parametrize(
    ("sobject", "field", "text", "message"),
    [
        ("Account", "Website", "not a url", "Not a web address."),
        ("Account", "NumberOfEmployees", "12.5", "A whole number."),
        ("Account", "NumberOfEmployees", "many", "Not a number."),
        ("Opportunity", "Amount", "1.234", "At most 2 decimals."),
        (
            "Opportunity",
            "Probability",
            "1234",
            "At most 3 digits before the decimal point.",
        ),
        ("Contact", "AccountId", "Nobody in particular", None),
    ],
)
def test_number_and_url_checks(
    conn: Any, sobject: str, field: str, text: str, message: str | None
) -> None:
    editor = RecordEditor(sobject, conn=conn)

    editor.fields[field].input.value = text

    expected = message or "Pick a record from the list, or type an id."
    assert editor.fields[field].error == expected


def test_org_side_errors_land_next_to_fields(conn: Any) -> None:
    editor = RecordEditor("Contact", conn=conn)

    editor.fields["LastName"].input.value = "Dangling"
    editor.fields["AccountId"].input.value = "0018a00000zzzzzAAA"
    saved = editor.save()

    assert not saved
    assert editor.fields["AccountId"].error
    assert editor.message.startswith("Not saved")


def test_lookup_searches_as_you_type_and_holds_the_id(conn: Any) -> None:
    editor = RecordEditor("Contact", conn=conn)
    lookup = editor.fields["AccountId"]

    lookup.input.value = "Clear"
    options = list(lookup.input.options)
    lookup.input.value = options[0]

    assert options
    assert all(option.startswith("Clear") for option in options)
    assert lookup.value == options[0].rsplit(" · ", 1)[1]
    assert lookup.error is None


def test_multi_select_picklist_joins_values() -> None:
    meta = {
        "name": "Colours__c",
        "label": "Colours",
        "type": "multipicklist",
        "picklistValues": [
            {"value": v, "label": v, "active": True, "defaultValue": False}
            for v in ("Red", "Green", "Blue")
        ],
    }
    field = field_widget(meta)

    field.input.value = ("Red", "Blue")
    assert isinstance(field, MultiPicklistField)
    assert field.value == "Red;Blue"
    field.value = "Green"
    assert field.input.value == ("Green",)


def test_two_editors_second_save_is_held_as_conflict(conn: Any) -> None:
    record_id = _account(conn, 2)
    first = RecordEditor("Account", record_id, conn=conn)
    second = RecordEditor("Account", record_id, conn=conn)

    first.fields["Phone"].input.value = "(555) 000-0001"
    assert first.save(), first.message
    second.fields["Phone"].input.value = "(555) 000-0002"
    second.fields["Rating"].input.value = "Hot"
    saved = second.save()

    stored = records.get("Account", record_id, conn=conn)
    assert not saved
    assert stored["Phone"] == "(555) 000-0001"
    assert second.conflict is not None
    assert second.conflict.overlapping == {"Phone"}
    assert second.conflict_box.layout.display == "flex"
    assert "(555) 000-0001" in second.conflict_text.value
    assert second.dirty


def test_conflict_overwrite_writes_mine(conn: Any) -> None:
    record_id = _account(conn, 3)
    first = RecordEditor("Account", record_id, conn=conn)
    second = RecordEditor("Account", record_id, conn=conn)
    first.fields["Site"].input.value = "Theirs"
    assert first.save()
    second.fields["Site"].input.value = "Mine"
    assert not second.save()

    second.overwrite_button.click()

    assert records.get("Account", record_id, conn=conn)["Site"] == "Mine"
    assert second.conflict is None
    assert second.conflict_box.layout.display == "none"


def test_conflict_reload_shows_theirs(conn: Any) -> None:
    record_id = _account(conn, 4)
    first = RecordEditor("Account", record_id, conn=conn)
    second = RecordEditor("Account", record_id, conn=conn)
    first.fields["Site"].input.value = "Theirs"
    assert first.save()
    second.fields["Site"].input.value = "Mine"
    assert not second.save()

    second.reload_button.click()

    assert second.record["Site"] == "Theirs"
    assert not second.dirty
    assert records.get("Account", record_id, conn=conn)["Site"] == "Theirs"


def test_delete_asks_for_confirmation_naming_the_record(conn: Any) -> None:
    record_id = records.create("Account", {"Name": "Doomed Inc"}, conn=conn)
    editor = RecordEditor("Account", record_id, conn=conn)

    editor.buttons["delete"].click()

    assert editor.confirm_box.layout.display == "flex"
    assert '"Doomed Inc"' in editor.confirm_text.value
    assert records.get("Account", record_id, conn=conn)["Name"] == "Doomed Inc"
    editor.confirm_button.click()
    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", record_id, conn=conn)
    assert editor.message == f'Deleted Account "Doomed Inc" ({record_id}).'
    assert editor.record_id is None


def test_delete_from_a_script(conn: Any) -> None:
    record_id = records.create("Account", {"Name": "Scripted Away"}, conn=conn)
    editor = RecordEditor("Account", record_id, conn=conn)

    assert not editor.delete()
    assert editor.delete(confirm=True)
    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", record_id, conn=conn)


def test_close_forgets_the_record(conn: Any) -> None:
    editor = RecordEditor("Account", _account(conn, 5), conn=conn)

    editor.buttons["close"].click()

    assert editor.record_id is None
    assert editor.record["Name"] is None
    assert editor.related == {}


@pytest.mark.parametrize(
    ("where", "loaded", "message"),
    [
        ({"Name": "No Such Account Anywhere"}, False, "No Account has Name"),
        ("Industry=Energy", False, "have Industry = 'Energy'"),
    ],
)
def test_load_by_field_value_explains_zero_or_many(
    conn: Any, where: Any, loaded: bool, message: str
) -> None:
    editor = RecordEditor("Account", where=where, conn=conn)

    assert (editor.record_id is not None) is loaded
    assert message in editor.message


def test_load_by_field_value_with_the_load_button(conn: Any) -> None:
    name = conn.get("query/", q="SELECT Name FROM Account ORDER BY Name LIMIT 1")
    name = name["records"][0]["Name"]
    editor = RecordEditor("Account", conn=conn)

    editor.locator.value = f'Name="{name}"'
    editor.buttons["load"].click()

    assert editor.record["Name"] == name


def test_related_lists_open_rows_in_a_new_editor(conn: Any) -> None:
    account_id = _first_id(
        conn,
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) "
        "ORDER BY Name",
    )
    editor = RecordEditor("Account", account_id, conn=conn)
    contacts = editor.related["Contacts"]

    contacts.buttons[0].click()

    assert list(editor.related) == [
        "Contacts",
        "Cases",
        "Opportunities",
        "Open tasks",
        "Activity history",
        "Notes",
    ]
    opened = editor.opened[0]
    assert opened.sobject == "Contact"
    assert opened.record_id == contacts.rows[0]["Id"]
    assert opened.widget in editor.opened_box.children


def test_activity_history_rows_open_as_tasks(conn: Any) -> None:
    account_id = _first_id(
        conn,
        "SELECT Id FROM Account WHERE Id IN (SELECT WhatId FROM Task "
        "WHERE IsClosed = true) ORDER BY Name",
    )
    editor = RecordEditor("Account", account_id, conn=conn)

    history = editor.related["Activity history"]
    opened = history.open(0)

    assert opened.sobject == "Task"
