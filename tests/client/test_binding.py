"""``:name`` placeholders: finding, quoting, splitting, and round trips."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from simple_salesforce.format import quote_soql_value

from sfmagic.client.binding import (
    QueryTooLongError,
    UnboundNamesError,
    bind,
    placeholders,
    quote_value,
)
from sfmagic.client.frames import run_query
from sfmagic.client.query_transport import SessionTransport
from sfmagic.emulator import start
from sfmagic.soql import parse

HOSTILE = [
    "O'Brien",
    'say "hi"',
    "back\\slash\\",
    "100% _sure_",
    "naïve café 日本 🚀",
    "line\nbreak\r\ttab",
    "\\'; DELETE",
    "':name inside",
]


@pytest.mark.parametrize(
    "value",
    [
        *HOSTILE,
        "",
        0,
        -17,
        3.5,
        True,
        False,
        None,
        dt.date(2024, 2, 29),
        dt.datetime(2024, 1, 15, 10, 30, 5, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 15, 10, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        ["a", "b'c"],
        ("x", 1, None),
        [],
    ],
)
def test_quoting_matches_simple_salesforce(value: object) -> None:
    assert quote_value(value) == quote_soql_value(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), "12.50"),
        (np.int64(7), "7"),
        (np.bool_(True), "true"),
        (float("nan"), "null"),
        (pd.NA, "null"),
        (pd.NaT, "null"),
        (pd.Series(["a", "b"]), "('a','b')"),
        (np.array([1, 2]), "(1,2)"),
        ({"b", "a"}, "('a','b')"),
        (pd.Index(["z"]), "('z')"),
        (dt.datetime(2024, 1, 15, 10, 30, 5, 999), "2024-01-15T10:30:05+00:00"),
        (pd.Timestamp("2024-01-15T10:30:05Z"), "2024-01-15T10:30:05+00:00"),
    ],
)
def test_quoting_of_python_and_pandas_values(value: object, expected: str) -> None:
    assert quote_value(value) == expected


def test_unquotable_values_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot quote"):
        quote_value(object())


@pytest.mark.parametrize(
    ("soql", "names"),
    [
        ("SELECT Id FROM Account WHERE Name = :name", ["name"]),
        ("SELECT Id FROM Account WHERE Name = ':name'", []),
        ("SELECT Id FROM Account WHERE Name = 'it\\'s :x' AND Id IN :ids", ["ids"]),
        ("SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:days", ["days"]),
        ("SELECT Id FROM Case WHERE CreatedDate > 2024-01-15T10:30:00Z", []),
        ("SELECT Id FROM Account WHERE Id IN:ids AND Name != :ids", ["ids", "ids"]),
        ("SELECT Id FROM Account WHERE Name = :_n1", ["_n1"]),
    ],
)
def test_placeholders_outside_string_literals(soql: str, names: list[str]) -> None:
    assert [p.name for p in placeholders(soql)] == names


def test_unbound_names_are_listed_once_in_order() -> None:
    with pytest.raises(UnboundNamesError) as raised:
        bind("SELECT Id FROM A WHERE B = :b AND C = :c AND D = :b AND E = :e", {"c": 1})
    assert raised.value.names == ["b", "e"]
    assert ":b, :e" in str(raised.value)


def test_bound_query_parses_with_hostile_values() -> None:
    for value in HOSTILE:
        (text,) = bind("SELECT Id FROM Account WHERE Name = :v", {"v": value}).queries
        literal = parse(text).where.right  # type: ignore[union-attr]
        assert literal.value == value  # type: ignore[union-attr]


def test_long_in_lists_are_split_without_duplicates() -> None:
    ids = [f"001{n:015}" for n in range(3000)] * 2
    bound = bind("SELECT Id FROM Account WHERE Id IN :ids ORDER BY Id", {"ids": ids})
    assert bound.split
    seen: list[str] = []
    for text in bound.queries:
        assert len(urllib.parse.quote_plus(text)) <= 15_000
        literals = parse(text).where.values  # type: ignore[union-attr]
        seen.extend(str(v.value) for v in literals)  # type: ignore[union-attr]
    assert seen == ids[:3000]


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE Id NOT IN :ids",
        "SELECT Id FROM Account WHERE Id IN :ids LIMIT 10",
        "SELECT COUNT(Id) FROM Account WHERE Id IN :ids",
        "SELECT Name FROM Account WHERE Id IN :ids GROUP BY Name",
    ],
)
def test_long_lists_that_cannot_be_split_are_refused(soql: str) -> None:
    ids = [f"001{n:015}" for n in range(2000)]
    with pytest.raises(QueryTooLongError):
        bind(soql, {"ids": ids})


@pytest.fixture(scope="module")
def conn() -> Iterator[SessionTransport]:
    with start(demo=True) as org:
        yield SessionTransport(
            org.session(), org.instance_url, "62.0", access_token=org.access_token()
        )


@pytest.mark.live
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_strings_round_trip_exactly(conn: SessionTransport, name: str) -> None:
    created = conn.request("POST", "sobjects/Account", json={"Name": name})
    result = run_query(
        conn,
        "SELECT Id, Name FROM Account WHERE Name = :name",
        params={"name": name},
        progress=False,
    )
    assert result.frame["Id"].tolist() == [created.json()["id"]]
    assert result.frame["Name"].tolist() == [name]


@pytest.mark.live
def test_a_column_of_ids_is_queried_in_several_requests(conn: SessionTransport) -> None:
    contacts = run_query(conn, "SELECT Id FROM Contact", progress=False).frame
    ids = pd.concat([contacts["Id"], pd.Series(["003000000000000AAA"] * 50)])
    result = run_query(
        conn,
        "SELECT Id, LastName FROM Contact WHERE Id IN :ids",
        params={"ids": ids},
        progress=False,
    )
    assert sorted(result.frame["Id"]) == sorted(contacts["Id"])
    assert result.api_calls > 1
    counted = run_query(
        conn,
        "SELECT COUNT() FROM Contact WHERE Id IN :ids",
        params={"ids": ids},
        progress=False,
    )
    assert counted.rows == len(contacts)
