"""Tab completion inside %%soql, %soql and %sf_describe, through IPython's
completer API (``Completer.completions`` and ``InteractiveShell.complete``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import sfmagic
from sfmagic.emulator.org import RunningOrg
from tests.magics.query_support import demo_org

pytestmark = pytest.mark.live

CURSOR = "|"


@pytest.fixture(scope="session")
def org() -> RunningOrg:
    """The demo org with custom fields, in place of the shared empty one."""
    return demo_org()


@pytest.fixture
def ipc(ip_logged_in: InteractiveShell) -> Iterator[InteractiveShell]:
    """The logged-in shell with Jedi off (its answers would only add noise)."""
    before = ip_logged_in.Completer.use_jedi
    ip_logged_in.Completer.use_jedi = False
    yield ip_logged_in
    ip_logged_in.Completer.use_jedi = before


def completions(ip: InteractiveShell, marked: str) -> list[tuple[str, str]]:
    """(replaced text, candidate) pairs at the ``|`` in ``marked``."""
    offset = marked.index(CURSOR)
    text = marked.replace(CURSOR, "", 1)
    with provisionalcompleter():
        found = list(ip.Completer.completions(text, offset))
    return [(text[c.start : c.end], c.text) for c in found]


def candidates(ip: InteractiveShell, marked: str) -> list[str]:
    return [text for _, text in completions(ip, marked)]


def field_names(sobject: str) -> list[str]:
    """The fields of an object, then its parent relationships with a dot."""
    info = sfmagic.connection().get(f"sobjects/{sobject}/describe")
    names = [str(field["name"]) for field in info["fields"]]
    return names + [
        f"{field['relationshipName']}."
        for field in info["fields"]
        if field.get("relationshipName")
    ]


def test_objects_after_from(ipc: InteractiveShell) -> None:
    found = completions(ipc, "%%soql\nSELECT Id FROM Opp|")
    assert found == [("Opp", "Opportunity")]
    assert candidates(ipc, "%%soql df\nSELECT Id\nFROM acc|") == ["Account"]
    assert "Case" in candidates(ipc, "%%soql\nSELECT Id FROM |")


def test_fields_of_the_from_object_anywhere_in_the_query(
    ipc: InteractiveShell,
) -> None:
    names = candidates(ipc, "%%soql\nSELECT Id, Ann| FROM Account")
    assert names == ["AnnualRevenue"]
    where = candidates(ipc, "%%soql\nSELECT Id FROM Contact WHERE Last|")
    assert set(where) == {n for n in field_names("Contact") if n.startswith("Last")}
    custom = candidates(ipc, "%%soql\nSELECT Reg| FROM Account")
    assert custom == ["Region__c"]


def test_relationship_paths(ipc: InteractiveShell) -> None:
    first = completions(ipc, "%%soql\nSELECT Own| FROM Account")
    assert ("Own", "Owner.") in first
    assert ("Own", "OwnerId") in first
    deep = completions(ipc, "%%soql\nSELECT Account.Owner.Na| FROM Contact")
    assert deep == [("Account.Owner.Na", "Account.Owner.Name")]
    user = candidates(ipc, "%%soql\nSELECT Owner.| FROM Account")
    assert sorted(user) == sorted(f"Owner.{n}" for n in field_names("User"))
    assert "Owner.Manager." in user


def test_child_subqueries(ipc: InteractiveShell) -> None:
    relationships = candidates(
        ipc, "%%soql\nSELECT Id, (SELECT Id FROM Con|) FROM Account"
    )
    assert relationships == ["Contacts"]
    fields = candidates(
        ipc, "%%soql\nSELECT Id, (SELECT Last| FROM Contacts) FROM Account"
    )
    assert set(fields) == {n for n in field_names("Contact") if n.startswith("Last")}
    outer = candidates(
        ipc, "%%soql\nSELECT Id, (SELECT Id FROM Contacts), Ind| FROM Account"
    )
    assert outer == ["Industry"]


def test_picklist_values_inside_quotes(ipc: InteractiveShell) -> None:
    describe = sfmagic.connection().get("sobjects/Account/describe")
    industry = next(f for f in describe["fields"] if f["name"] == "Industry")
    values = [v["value"] for v in industry["picklistValues"] if v["active"]]
    assert candidates(ipc, "%%soql\nSELECT Id FROM Account WHERE Industry = '|") == (
        values
    )
    banking = completions(ipc, "%%soql\nSELECT Id FROM Account WHERE Industry = 'Ban|")
    assert banking == [("Ban", "Banking")]
    in_list = candidates(
        ipc, "%%soql\nSELECT Id FROM Account WHERE Region__c IN ('North', 'S|"
    )
    assert in_list == ["South"]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_line_magic_completes_after_its_options(ipc: InteractiveShell) -> None:
    assert candidates(ipc, "df = %soql --no-bulk SELECT Id FROM Lea|") == ["Lead"]
    assert candidates(ipc, "%soql SELECT Id FROM Account WHERE Type = 'Cust|") == [
        v
        for v in (
            p["value"]
            for f in sfmagic.connection().get("sobjects/Account/describe")["fields"]
            if f["name"] == "Type"
            for p in f["picklistValues"]
        )
        if v.startswith("Cust")
    ]
    line = "%soql SELECT Id FROM Opp"
    assert ipc.complete("Opp", line, len(line)) == ("Opp", ["Opportunity"])


def test_describe_completes_object_names(ipc: InteractiveShell) -> None:
    assert candidates(ipc, "%sf_describe Opp|") == ["Opportunity"]
    assert candidates(ipc, "fields = %sf_describe Cas|") == ["Case", "CaseComment"]


def test_conn_option_picks_the_connection(ipc: InteractiveShell) -> None:
    assert candidates(ipc, "%%soql --conn nowhere\nSELECT Id FROM Opp|") == []
    with capture_output():
        ipc.run_line_magic("sf_login", "--local --alias other")
    assert candidates(ipc, "%%soql --conn other\nSELECT Id FROM Opp|") == [
        "Opportunity"
    ]


def test_nothing_outside_queries_or_without_a_connection(
    ipc: InteractiveShell,
) -> None:
    assert "Opportunity" not in candidates(ipc, "x = Opp|")
    options = candidates(ipc, "%%soql --con|\nSELECT Id FROM Account")
    assert "Account" not in options
    with capture_output():
        ipc.run_line_magic("sf_logout", "")
    assert candidates(ipc, "%%soql\nSELECT Id FROM Opp|") == []


def test_silent_after_unload(ipc: InteractiveShell) -> None:
    assert candidates(ipc, "%%soql\nSELECT Id FROM Opp|") == ["Opportunity"]
    ipc.run_line_magic("unload_ext", "sfmagic")
    assert candidates(ipc, "%%soql\nSELECT Id FROM Opp|") == []
    ipc.run_line_magic("load_ext", "sfmagic")
    matchers = [
        m
        for m in ipc.Completer.custom_matchers
        if getattr(m, "matcher_identifier", "") == "sfmagic_soql"
    ]
    assert len(matchers) == 1
    assert candidates(ipc, "%%soql\nSELECT Id FROM Opp|") == ["Opportunity"]
