"""Completion candidates from describe metadata, on partial query text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sfmagic.client.completion import complete, suggest
from sfmagic.client.describe_cache import DescribeCache, describe_cache
from sfmagic.client.errors import SalesforceError
from sfmagic.client.frames import run_query
from sfmagic.client.query_transport import SessionTransport
from sfmagic.emulator import start

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def cache() -> Iterator[DescribeCache]:
    with start() as org:
        conn = SessionTransport(
            org.session(), org.instance_url, "62.0", access_token=org.access_token()
        )
        yield describe_cache(conn)


@pytest.mark.parametrize(
    ("soql", "expected"),
    [
        ("SELECT Nmae FROM Account", "Name"),
        ("SELECT Id FROM Acount", "Account"),
        ("SELECT Ownr.Name FROM Account", "Owner"),
        ("SELECT Id, (SELECT Id FROM Contcts) FROM Account", "Contacts"),
        ("SELECT Id, Account.Nme FROM Contact", "Name"),
    ],
)
def test_query_errors_get_did_you_mean(
    cache: DescribeCache, soql: str, expected: str
) -> None:
    with pytest.raises(SalesforceError) as raised:
        run_query(cache.transport, soql, progress=False)
    assert suggest(raised.value.message, soql, cache)[0] == expected


def test_unrelated_messages_get_no_suggestion(cache: DescribeCache) -> None:
    assert suggest("Something else went wrong", "SELECT Id FROM Account", cache) == []


def at_bar(text: str, cache: DescribeCache) -> tuple[str, list[str]]:
    """Complete where ``|`` stands; return the replaced text and the matches."""
    cursor = text.index("|")
    text = text.replace("|", "")
    found = complete(text, cursor, cache)
    return text[found.start : found.end], found.matches


@pytest.mark.parametrize(
    ("text", "replaced", "expected", "absent"),
    [
        ("SELECT Id FROM Acc|", "Acc", ["Account"], ["Contact"]),
        ("SELECT Id FROM | WHERE", "", ["Account", "Contact", "Opportunity"], []),
        ("SELECT Na| FROM Account", "Na", ["Name"], ["Id"]),
        ("SELECT Id, Owner.Na| FROM Account", "Owner.Na", ["Owner.Name"], []),
        ("SELECT Id, Ow| FROM Account", "Ow", ["OwnerId", "Owner."], []),
        (
            "SELECT Account.Owner.Em| FROM Contact",
            "Account.Owner.Em",
            ["Account.Owner.Email"],
            [],
        ),
        ("SELECT Id FROM Contact WHERE Las|", "Las", ["LastName"], []),
        (
            "SELECT Id, (SELECT Id FROM Con|) FROM Account",
            "Con",
            ["Contacts"],
            ["Contact"],
        ),
        (
            "SELECT Id, (SELECT Las| FROM Contacts) FROM Account",
            "Las",
            ["LastName"],
            [],
        ),
        (
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Con|)",
            "Con",
            ["Contact"],
            [],
        ),
        (
            "SELECT Id FROM Account WHERE Industry = 'Ban|",
            "Ban",
            ["Banking"],
            ["Energy"],
        ),
        ("SELECT Id FROM Account WHERE Industry != '|'", "", ["Banking", "Energy"], []),
        (
            "SELECT Id FROM Account WHERE Industry IN ('Banking', 'En|",
            "En",
            ["Energy", "Engineering"],
            [],
        ),
        ("SELECT Id FROM Case WHERE Status = 'N|", "N", ["New"], []),
        ("SELECT Id FROM Nothing WHERE Fo|", "Fo", [], []),
        ("SELECT Id FROM Account WHERE Name = 'x' AND Ty|", "Ty", ["Type"], []),
        ("SELECT Id FROM Account WHERE Nam| = 'a(b'", "Nam", ["Name"], []),
    ],
)
def test_candidates_depend_on_the_cursor(
    cache: DescribeCache,
    text: str,
    replaced: str,
    expected: list[str],
    absent: list[str],
) -> None:
    got_replaced, matches = at_bar(text, cache)
    assert got_replaced == replaced
    for name in expected:
        assert name in matches
    for name in absent:
        assert name not in matches
    if not expected:
        assert matches == []


def test_completion_is_case_insensitive_and_canonical(cache: DescribeCache) -> None:
    _, matches = at_bar("select id from account where owner.na|", cache)
    assert "Owner.Name" in matches


def test_cursor_outside_text_is_clamped(cache: DescribeCache) -> None:
    found = complete("SELECT Id FROM Acc", 999, cache)
    assert "Account" in found.matches
