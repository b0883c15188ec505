"""``%sf_edit``: opening records by id or field values, its help and its errors.

The shell is logged in with ``%sf_login --local`` to the shared test org (no demo
data); each test makes the records it opens, with names of its own.
"""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import sfmagic
from tests.magics.helpers import python_facts, usage_error

pytestmark = pytest.mark.live


def _tag() -> str:
    return secrets.token_hex(4)


def _account(**values: Any) -> str:
    return str(sfmagic.records.create("Account", values, conn=sfmagic.connection()))


def _edit(ip: InteractiveShell, line: str) -> Any:
    """Run ``editor = %sf_edit LINE`` as a cell and return the editor."""
    result = ip.run_cell(f"editor = %sf_edit {line}")
    assert result.success, result.error_in_exec
    return ip.user_ns["editor"]


def test_help_has_usage_summary_and_examples(ip: InteractiveShell) -> None:
    doc = ip.find_line_magic("sf_edit").__doc__ or ""

    paragraphs = [p for p in doc.split("\n\n") if p.strip()]
    assert paragraphs[0].strip().startswith("::")
    assert "%sf_edit [--alias NAME] OBJECT" in paragraphs[1]
    assert "Open a record in an editor form" in doc
    assert "Examples\n" in doc
    assert "%sf_edit Contact Email=ada@example.com" in doc
    assert "--alias NAME" in doc


def test_object_alone_opens_a_new_record(ip_logged_in: InteractiveShell) -> None:
    editor = _edit(ip_logged_in, "Account")

    assert isinstance(editor, sfmagic.RecordEditor)
    assert editor.creating
    assert editor.message == "New Account."


def test_opens_by_id_from_the_namespace(ip_logged_in: InteractiveShell) -> None:
    name = f"Magic By Id {_tag()}"
    ip_logged_in.user_ns["wanted"] = _account(Name=name)

    editor = _edit(ip_logged_in, "Account {wanted}")

    assert editor.record_id == ip_logged_in.user_ns["wanted"]
    assert editor.record["Name"] == name
    assert editor.message == f'Loaded Account "{name}" ({editor.record_id}).'


def test_opens_by_quoted_field_values(ip_logged_in: InteractiveShell) -> None:
    tag = _tag()
    wanted = _account(Name=f"Quoted Name {tag} Ltd", Site="Leeds")
    _account(Name=f"Quoted Name {tag} Ltd", Site="York")

    editor = _edit(ip_logged_in, f"Account Name='Quoted Name {tag} Ltd' Site=Leeds")

    assert editor.record_id == wanted


def test_edit_opened_by_the_magic_saves_to_the_org(
    ip_logged_in: InteractiveShell,
) -> None:
    record_id = _account(Name=f"Saved Through Magic {_tag()}")
    editor = _edit(ip_logged_in, f"Account {record_id}")

    editor.fields["Phone"].input.value = "+44 113 496 0000"
    assert editor.save(), editor.message

    stored = sfmagic.records.get("Account", record_id, conn=sfmagic.connection())
    assert stored["Phone"] == "+44 113 496 0000"


def test_alias_picks_the_connection(ip_logged_in: InteractiveShell) -> None:
    ip_logged_in.run_line_magic("sf_login", "--local --alias second")
    ip_logged_in.run_line_magic("sf_use", "default")

    editor = _edit(ip_logged_in, "Contact --alias second")

    assert editor.conn is sfmagic.connection("second")


def test_several_matches_are_listed(ip_logged_in: InteractiveShell) -> None:
    site = f"dup-{_tag()}"
    first = _account(Name="Twin Alpha", Site=site)
    second = _account(Name="Twin Beta", Site=site)

    message = usage_error(ip_logged_in, "sf_edit", f"Account Site={site}")

    assert message == (
        f"%sf_edit: 2 Accounts have Site = '{site}' (Twin Alpha ({first}), "
        f"Twin Beta ({second})), so add a Field=Value pair or use an id."
    )


def test_many_matches_are_cut_short(ip_logged_in: InteractiveShell) -> None:
    site = f"many-{_tag()}"
    for index in range(7):
        _account(Name=f"Many {index}", Site=site)

    message = usage_error(ip_logged_in, "sf_edit", f"Account Site={site}")

    assert message.startswith(f"%sf_edit: more than 5 Accounts have Site = '{site}'")
    assert "Many 4 (" in message
    assert "Many 5 (" not in message
    assert ", …)" in message


def test_no_match_says_so(ip_logged_in: InteractiveShell) -> None:
    message = usage_error(ip_logged_in, "sf_edit", "Account Name='Nobody At All'")

    assert message == (
        "%sf_edit: no Account has Name = 'Nobody At All', so check the values "
        "(they must match exactly) or use an id."
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", "name an object"),
        ("Account 'unclosed", "unbalanced quote"),
        ("Account --bogus", "is not OBJECT [ID | Field=Value …]"),
        ("Account 001000000000001AAA Name=x", "'001000000000001AAA' is not a"),
        ("Account =x", "'=x' is not a Field=Value pair"),
        ("Nope__c", "no object called Nope__c"),
        ("Account Nope__c=1", "Account has no field called Nope__c"),
        ("Account NumberOfEmployees=many", "NumberOfEmployees needs a whole number"),
        ("Account IsPartner=maybe", "IsPartner needs true or false"),
        ("Account 001000000000001AAA", "there is no Account with id"),
        ("Account not-an-id", "there is no Account with id not-an-id"),
    ],
)
def test_bad_lines_are_one_sentence(
    ip_logged_in: InteractiveShell, line: str, expected: str
) -> None:
    message = usage_error(ip_logged_in, "sf_edit", line)

    assert expected in message


def test_without_a_login_it_says_to_log_in(ip: InteractiveShell) -> None:
    message = usage_error(ip, "sf_edit", "Account")

    assert message == ("%sf_edit: there is no connection open, so run %sf_login first.")


def test_sfmagic_exports_the_editor_and_records() -> None:
    from sfmagic.client import records
    from sfmagic.widgets.editor import RecordEditor

    assert sfmagic.RecordEditor is RecordEditor
    assert sfmagic.records is records
    assert {"RecordEditor", "records"} <= set(sfmagic.__all__)
    with pytest.raises(AttributeError):
        _ = sfmagic.RecordEditors


def test_load_ext_and_help_import_neither_widgets_nor_client() -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_line_magic("load_ext", "sfmagic")
        doc = shell.find_line_magic("sf_edit").__doc__
        heavy = sorted(
            m for m in sys.modules
            if m.split(".")[0] == "ipywidgets"
            or m.startswith(("sfmagic.widgets", "sfmagic.client"))
        )
        print(json.dumps({"heavy": heavy, "help": bool(doc)}))
        """
    )

    facts = python_facts(script)

    assert facts == {
        "heavy": [],
        "help": True,
    }


def test_two_editors_in_the_kernel_keep_the_first_save(
    ip_logged_in: InteractiveShell,
) -> None:
    ip_logged_in.user_ns["wanted"] = _account(Name=f"Shared Desk {_tag()}")
    cell = """
first = %sf_edit Account {wanted}
second = %sf_edit Account {wanted}
first.fields["Site"].value = "First desk"
first_saved = first.save()
second.fields["Site"].value = "Second desk"
second_saved = second.save()
"""

    result = ip_logged_in.run_cell(cell)

    namespace = ip_logged_in.user_ns
    stored = sfmagic.records.get(
        "Account", namespace["wanted"], conn=sfmagic.connection()
    )
    assert result.success, result.error_in_exec
    assert namespace["first_saved"] is True
    assert namespace["second_saved"] is False
    assert namespace["second"].conflict.remote["Site"] == (None, "First desk")
    assert namespace["second"].conflict.local == {"Site": "Second desk"}
    assert stored["Site"] == "First desk"


def test_delete_in_the_kernel_asks_then_deletes(
    ip_logged_in: InteractiveShell,
) -> None:
    ip_logged_in.user_ns["wanted"] = _account(Name="Kernel Doomed Ltd")
    cell = """
doomed = %sf_edit Account {wanted}
asked = doomed.delete()
question = doomed.confirm_text.value
still_there = sfmagic.records.get("Account", wanted)["Name"]
deleted = doomed.delete(confirm=True)
"""
    ip_logged_in.user_ns["sfmagic"] = sfmagic

    result = ip_logged_in.run_cell(cell)

    namespace = ip_logged_in.user_ns
    assert result.success, result.error_in_exec
    assert namespace["asked"] is False
    assert '"Kernel Doomed Ltd"' in namespace["question"]
    assert namespace["still_there"] == "Kernel Doomed Ltd"
    assert namespace["deleted"] is True
    with pytest.raises(sfmagic.records.RecordNotFoundError):
        sfmagic.records.get("Account", namespace["wanted"], conn=sfmagic.connection())


def test_validation_errors_in_the_kernel_sit_next_to_fields(
    ip_logged_in: InteractiveShell,
) -> None:
    cell = """
contact = %sf_edit Contact
contact.fields["Email"].value = "not-an-address"
contact.fields["FirstName"].value = "Grace"
format_saved = contact.save()
email_error = contact.fields["Email"].error
contact.fields["Email"].value = "grace@example.com"
required_saved = contact.save()
last_name_error = contact.fields["LastName"].error
"""

    result = ip_logged_in.run_cell(cell)

    namespace = ip_logged_in.user_ns
    assert result.success, result.error_in_exec
    assert namespace["format_saved"] is False
    assert namespace["email_error"] == "Not an e-mail address."
    assert namespace["required_saved"] is False
    assert namespace["last_name_error"] == "Required fields are missing: [LastName]"


def test_an_org_that_went_away_is_one_sentence(
    ip: InteractiveShell, tmp_path: Path
) -> None:
    from sfmagic.emulator import start
    from sfmagic.magics import local

    gone = start(data=tmp_path)  # its CA file outlives it, as a real org's does
    local.use_org(gone)
    ip.run_line_magic("sf_login", "--local --alias gone")
    gone.stop()

    message = usage_error(ip, "sf_edit", "Account --alias gone")

    assert message == (
        "%sf_edit: the org could not be reached, so check the network (or that "
        "the emulator is still running) and try again."
    )
