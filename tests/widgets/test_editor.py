"""The record editor driven through its widgets against a live demo org."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from sfmagic.client import records
from sfmagic.client.record_checks import parse_datetime
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
    is_editable,
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


def _held_conflict(conn: Any, offset: int) -> tuple[str, RecordEditor]:
    """An account saved as "Theirs" by one editor, and the editor holding "Mine"."""
    record_id = _account(conn, offset)
    first = RecordEditor("Account", record_id, conn=conn)
    second = RecordEditor("Account", record_id, conn=conn)
    first.fields["Site"].input.value = "Theirs"
    assert first.save()
    second.fields["Site"].input.value = "Mine"
    assert not second.save()
    return record_id, second


def test_conflict_overwrite_writes_mine(conn: Any) -> None:
    record_id, second = _held_conflict(conn, 3)

    second.overwrite_button.click()

    assert records.get("Account", record_id, conn=conn)["Site"] == "Mine"
    assert second.conflict is None
    assert second.conflict_box.layout.display == "none"


def test_conflict_reload_shows_theirs(conn: Any) -> None:
    record_id, second = _held_conflict(conn, 4)

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


@pytest.fixture
def wire(conn: Any) -> Iterator[list[tuple[str, str, Any, str | None]]]:
    """Every HTTP request the connection sends meanwhile.

    Each as (method, path, JSON body, ``If-Unmodified-Since`` header).
    """
    sent: list[tuple[str, str, Any, str | None]] = []

    def record(response: Any, *args: Any, **kwargs: Any) -> None:
        request = response.request
        body = json.loads(request.body) if request.body else None
        since = request.headers.get("If-Unmodified-Since")
        sent.append((request.method, urlsplit(request.url).path, body, since))

    hooks = conn.http.hooks["response"]
    hooks.append(record)
    yield sent
    hooks.remove(record)


def test_save_sends_only_the_changed_fields_if_unmodified_since_the_load(
    conn: Any, wire: list[tuple[str, str, Any, str | None]]
) -> None:
    record_id = _account(conn, 6)
    editor = RecordEditor("Account", record_id, conn=conn)
    loaded = parse_datetime(editor.record["LastModifiedDate"])
    wire.clear()

    editor.fields["Site"].input.value = "Only this"
    editor.fields["NumberOfEmployees"].input.value = "77"
    assert editor.save(), editor.message

    patches = [sent[1:] for sent in wire if sent[0] == "PATCH"]
    assert patches == [
        (
            f"/services/data/v{conn.api_version}/sobjects/Account/{record_id}",
            {"Site": "Only this", "NumberOfEmployees": 77},
            format_datetime(loaded.astimezone(UTC), usegmt=True),
        )
    ]


def test_record_and_related_lists_load_in_one_request(
    conn: Any, wire: list[tuple[str, str, Any, str | None]]
) -> None:
    account_id = _first_id(
        conn,
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Case) "
        "AND Id IN (SELECT AccountId FROM Contact) ORDER BY Name",
    )
    RecordEditor("Account", account_id, conn=conn)  # describes are cached now
    wire.clear()
    before = conn.api_usage.used

    editor = RecordEditor("Account", account_id, conn=conn)

    assert [(sent[0], sent[1]) for sent in wire] == [
        ("GET", f"/services/data/v{conn.api_version}/query/")
    ]
    assert conn.api_usage.used - before == 1
    assert editor.related["Contacts"].rows
    assert editor.related["Cases"].rows


def test_changed_fields_are_marked_until_saved_or_reverted(conn: Any) -> None:
    editor = RecordEditor("Account", _account(conn, 7), conn=conn)
    site, phone = editor.fields["Site"], editor.fields["Phone"]

    site.input.value = "Marked"

    assert "●" in site.label.value
    assert "●" not in phone.label.value
    assert "Unsaved changes: Site." in editor.status.value
    editor.revert()
    assert "●" not in site.label.value
    assert "Unsaved changes:" not in editor.status.value


def test_close_leaves_nothing_of_the_record_in_the_widgets(conn: Any) -> None:
    record_id = _first_id(
        conn,
        "SELECT Id FROM Contact WHERE AccountId != null AND Id IN "
        "(SELECT ContactId FROM Case) ORDER BY Name",
    )
    editor = RecordEditor("Contact", record_id, conn=conn)
    account = editor.fields["AccountId"].input.value
    last_name = editor.record["LastName"]
    editor.fields["AccountId"].input.value = account[:3]  # a search offers names
    editor.delete()  # the confirmation names the record
    editor.related["Cases"].open(0)  # an editor opened from a related list

    editor.close()

    shown = json.dumps(_widget_state(editor.widget), default=str)
    assert record_id not in shown
    assert last_name not in shown
    assert account not in shown
    assert editor.record_id is None
    assert editor.opened == []
    assert editor.message == "Closed."


def _widget_state(widget: Any) -> list[Any]:
    """Every value, option, description and child state under ``widget``."""
    found = [
        getattr(widget, name, None)
        for name in ("value", "options", "description", "placeholder", "tooltip")
    ]
    for child in getattr(widget, "children", ()):
        found.extend(_widget_state(child))
    return found


def test_an_odd_stored_value_does_not_block_an_unrelated_save(conn: Any) -> None:
    record_id = records.create(
        "Account", {"Name": "Odd Website Ltd", "Website": "not a url"}, conn=conn
    )
    editor = RecordEditor("Account", record_id, conn=conn)

    editor.fields["Site"].input.value = "Fixed elsewhere"

    assert editor.save(), editor.message
    assert records.get("Account", record_id, conn=conn)["Site"] == "Fixed elsewhere"


def test_overwrite_is_held_again_when_a_third_change_lands(conn: Any) -> None:
    record_id = _account(conn, 8)
    mine = RecordEditor("Account", record_id, conn=conn)
    theirs = RecordEditor("Account", record_id, conn=conn)
    theirs.fields["Site"].input.value = "Theirs first"
    assert theirs.save()
    mine.fields["Site"].input.value = "Mine"
    assert not mine.save()

    theirs.fields["Site"].input.value = "Theirs again"
    assert theirs.save()
    overwritten = mine.resolve_conflict("overwrite")

    assert not overwritten
    assert mine.conflict is not None
    assert mine.conflict.remote == {"Site": ("Theirs first", "Theirs again")}
    assert records.get("Account", record_id, conn=conn)["Site"] == "Theirs again"
    assert mine.resolve_conflict("overwrite"), mine.message
    assert records.get("Account", record_id, conn=conn)["Site"] == "Mine"


def test_delete_of_a_record_changed_since_load_is_held(conn: Any) -> None:
    record_id = records.create("Account", {"Name": "Changed Then Doomed"}, conn=conn)
    editor = RecordEditor("Account", record_id, conn=conn)
    loaded = records.get("Account", record_id, conn=conn)
    records.update("Account", record_id, {"Site": "Busy"}, loaded=loaded, conn=conn)

    deleted = editor.delete(confirm=True)

    assert not deleted
    assert editor.conflict is not None
    assert editor.conflict.remote == {"Site": (None, "Busy")}
    assert editor.overwrite_button.description == "Delete anyway"
    assert "Nothing was deleted" in editor.conflict_text.value
    assert records.get("Account", record_id, conn=conn)["Site"] == "Busy"
    editor.overwrite_button.click()
    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", record_id, conn=conn)


@pytest.mark.parametrize(
    ("sobject", "field", "value"),
    [
        ("Account", "Site", "Checked by support"),
        ("Contact", "Title", "Head of Support"),
        ("Case", "Subject", "Printer still on fire"),
        ("Lead", "Company", "Renamed Leads Ltd"),
        ("Opportunity", "NextStep", "Call the buyer"),
        ("Task", "Subject", "Call back tomorrow"),
        ("Note", "Title", "Rewritten note"),
    ],
)
def test_every_listed_object_opens_and_saves(
    conn: Any, sobject: str, field: str, value: str
) -> None:
    record_id = _first_id(conn, f"SELECT Id FROM {sobject} ORDER BY Id DESC")
    editor = RecordEditor(sobject, record_id, conn=conn)

    editor.fields[field].input.value = value

    assert editor.save(), editor.message
    assert records.get(sobject, record_id, conn=conn)[field] == value
    assert editor.fields["Id"].disabled
    assert editor.fields["CreatedDate"].disabled


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Shiny", "Clean Status: bad value for restricted picklist field: Shiny"),
        (None, None),
    ],
)
def test_restricted_picklist_error_is_shown_next_to_it(
    conn: Any, value: str | None, message: str | None
) -> None:
    editor = RecordEditor("Account", _account(conn, 9), conn=conn)

    editor.fields["CleanStatus"].value = value or "Matched"
    saved = editor.save()

    assert saved is (message is None)
    assert editor.fields["CleanStatus"].error == message


@pytest.mark.parametrize(
    ("meta", "creating", "editable"),
    [
        ({"calculated": True, "createable": False, "updateable": False}, False, False),
        # Belt and braces: a formula flagged writable is still read-only.
        ({"calculated": True, "createable": True, "updateable": True}, True, False),
        ({"autoNumber": True, "createable": False, "updateable": False}, True, False),
        ({"createable": True, "updateable": False}, True, True),
        ({"createable": True, "updateable": False}, False, False),
        ({"createable": False, "updateable": True}, False, True),
    ],
)
def test_formula_auto_number_and_read_only_fields_are_disabled(
    meta: dict[str, Any], creating: bool, editable: bool
) -> None:
    assert is_editable(meta, creating=creating) is editable


def test_read_only_standard_fields_are_shown_disabled(conn: Any) -> None:
    editor = RecordEditor(
        "Opportunity", _first_id(conn, "SELECT Id FROM Opportunity"), conn=conn
    )
    case = RecordEditor("Case", _first_id(conn, "SELECT Id FROM Case"), conn=conn)

    assert editor.fields["ExpectedRevenue"].disabled
    assert editor.fields["IsWon"].disabled
    assert case.fields["CaseNumber"].disabled
    assert case.fields["CaseNumber"].value


def test_case_says_which_related_lists_the_org_lacks(conn: Any) -> None:
    editor = RecordEditor("Case", _first_id(conn, "SELECT Id FROM Case"), conn=conn)

    notes = [
        child.value
        for child in editor.related_box.children
        if "Not available" in getattr(child, "value", "")
    ]

    assert list(editor.related) == ["Tasks", "Comments"]
    assert notes == [
        "<i>Not available in this org: Notes (the Case object has no such "
        "relationship).</i>"
    ]


def test_sections_follow_describe_with_the_name_first(conn: Any) -> None:
    editor = RecordEditor("Contact", conn=conn)

    def names(title: str) -> list[str]:
        boxes = editor.sections[title].children[1:]
        return [f.name for f in editor.fields.values() if f.container in boxes]

    information = names("Information")
    assert information[0] == "Name"
    assert information.index("LastName") < information.index("Email")
    assert names("Address")[:2] == ["OtherStreet", "OtherCity"]
    assert "MailingPostalCode" in names("Address")
    assert set(names("System information")) >= {"Id", "CreatedDate", "CreatedById"}
    assert "LastName" not in names("System information")


def test_empty_picklist_shows_none_and_lookups_drop_the_id_suffix(conn: Any) -> None:
    editor = RecordEditor("Account", conn=conn)
    ownership, parent = editor.fields["Ownership"], editor.fields["ParentId"]

    assert ownership.input.label == "--None--"
    assert ownership.value is None
    ownership.input.value = "Public"
    ownership.value = None
    assert ownership.input.label == "--None--"
    assert parent.meta["label"] == "Parent Account ID"
    assert parent.title == "Parent Account"
    assert parent.label.value.startswith("Parent Account")


def test_delete_anyway_is_held_again_when_a_third_change_lands(conn: Any) -> None:
    record_id = records.create("Account", {"Name": "Twice Changed Ltd"}, conn=conn)
    editor = RecordEditor("Account", record_id, conn=conn)
    other = RecordEditor("Account", record_id, conn=conn)
    other.fields["Site"].input.value = "First"
    assert other.save()
    assert not editor.delete(confirm=True)

    other.fields["Site"].input.value = "Second"
    assert other.save()
    deleted = editor.resolve_conflict("overwrite")

    assert not deleted
    assert editor.conflict is not None
    assert editor.conflict.remote == {"Site": ("First", "Second")}
    assert records.get("Account", record_id, conn=conn)["Site"] == "Second"
    assert editor.resolve_conflict("overwrite")
    with pytest.raises(records.RecordNotFoundError):
        records.get("Account", record_id, conn=conn)


def test_a_new_delete_after_a_conflict_is_checked_against_the_load(
    conn: Any,
) -> None:
    record_id = records.create("Account", {"Name": "Not Chosen Ltd"}, conn=conn)
    editor = RecordEditor("Account", record_id, conn=conn)
    other = RecordEditor("Account", record_id, conn=conn)
    other.fields["Site"].input.value = "Theirs"
    assert other.save()
    assert not editor.delete(confirm=True)

    deleted = editor.delete(confirm=True)  # again, without choosing

    assert not deleted
    assert editor.conflict is not None
    assert records.get("Account", record_id, conn=conn)["Site"] == "Theirs"


class ValidationRuleOrg:
    """The demo org plus one validation rule, which the emulator cannot have.

    Every write is answered as Salesforce answers a failed validation rule: 400
    with ``FIELD_CUSTOM_VALIDATION_EXCEPTION`` items, one naming a field and one
    naming none (a rule shown at the top of the page).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.instance_url = inner.instance_url
        self.api_version = inner.api_version

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if method not in ("PATCH", "POST"):
            return self.inner.request(method, path, **kwargs)
        import requests

        from sfmagic.client.errors import error_for_response

        answer = requests.Response()
        answer.status_code = 400
        answer._content = json.dumps(
            [
                {
                    "message": "Close Date cannot be in the past",
                    "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    "fields": ["CloseDate"],
                },
                {
                    "message": "Closed deals need a next step",
                    "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    "fields": [],
                },
            ]
        ).encode()
        raise error_for_response(answer)


def test_validation_rule_errors_land_next_to_fields_and_on_top(conn: Any) -> None:
    record_id = _first_id(conn, "SELECT Id FROM Opportunity ORDER BY Name")
    before = records.get("Opportunity", record_id, conn=conn)
    editor = RecordEditor("Opportunity", record_id, conn=ValidationRuleOrg(conn))

    editor.fields["CloseDate"].input.value = date(2001, 1, 1)
    saved = editor.save()

    assert not saved
    assert editor.fields["CloseDate"].error == "Close Date cannot be in the past"
    assert "Close Date cannot be in the past" in (
        editor.fields["CloseDate"].error_line.value
    )
    assert editor.message == "Not saved: Closed deals need a next step"
    assert editor.dirty
    assert records.get("Opportunity", record_id, conn=conn) == before


def test_a_missing_record_leaves_a_consistent_new_form(conn: Any) -> None:
    editor = RecordEditor("Account", "0018a00000zzzzzAAA", conn=conn)

    assert editor.creating
    assert editor.message_is_error
    assert "no Account with id 0018a00000zzzzzAAA" in editor.message
    assert editor.fields["CreatedDate"].disabled
    assert not editor.fields["Name"].disabled


@pytest.mark.parametrize("kind", ["picklist", "multipicklist"])
def test_forgetting_a_picklist_drops_values_the_record_brought(kind: str) -> None:
    meta = {
        "name": "Stage__c",
        "label": "Stage",
        "type": kind,
        "picklistValues": [
            {"value": v, "label": v, "active": True, "defaultValue": False}
            for v in ("Open", "Won")
        ],
    }
    field = field_widget(meta)
    field.reset("Retired value")  # inactive in describe, still on the record

    assert field.value == "Retired value"
    field.forget()

    assert field.value is None
    assert "Retired value" not in json.dumps(list(field.input.options))


@pytest.mark.parametrize("button", ["load", "new", "close"])
def test_toolbar_warns_once_before_dropping_unsaved_changes(
    conn: Any, button: str
) -> None:
    record_id = _account(conn, 10)
    editor = RecordEditor("Account", record_id, conn=conn)
    editor.fields["Site"].input.value = "Typed, not saved"

    editor.buttons[button].click()

    assert editor.record["Site"] == "Typed, not saved"
    assert editor.message == (
        "Unsaved changes to Site would be lost; save or revert them, or click "
        f"{button.title()} again to drop them."
    )
    editor.buttons[button].click()
    assert editor.record["Site"] != "Typed, not saved"
    assert not editor.dirty


def test_a_new_change_resets_the_warning(conn: Any) -> None:
    editor = RecordEditor("Account", _account(conn, 11), conn=conn)
    editor.fields["Site"].input.value = "First"
    editor.buttons["new"].click()

    editor.fields["Phone"].input.value = "555 0100"
    editor.buttons["new"].click()

    assert editor.record["Site"] == "First"
    assert "Phone, Site would be lost" in editor.message
