"""SOSL: the statement parser, the search over a store, and ``search/`` over HTTPS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmagic.emulator import search
from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.org import OrgState, build_state
from sfmagic.emulator.schema import SObjectDef
from sfmagic.emulator.search import SearchEngine, searched_fields
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.sosl import (
    AllOf,
    AnyOf,
    Term,
    Without,
    parse_sosl,
    search_words,
)
from tests.emulator.conftest import Api

VERSION = "59.0"

# --- the parser ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Acme", ["acme"]),
        ("ACME Corp.", ["acme", "corp"]),
        ("joe.smith@acme.example", ["joe", "smith", "acme", "example"]),
        ("(415) 555-1212", ["415", "555", "1212"]),
        ("R2D2", ["r", "2", "d", "2"]),
        ("Initech2000", ["initech", "2000"]),
        ("sm?th*", ["sm?th*"]),
        ("Café Zürich", ["café", "zürich"]),
        ("under_score", ["under", "score"]),
        ("  ", []),
    ],
)
def test_search_words_cut_like_the_index(text: str, words: list[str]) -> None:
    assert search_words(text) == words


def t(*words: str) -> Term:
    return Term(tuple(words))


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("FIND {Acme}", t("acme")),
        ("find {acme}", t("acme")),
        ("FIND{acme}", t("acme")),
        ("FIND {Acme Corp}", AllOf((t("acme"), t("corp")))),
        ('FIND {"Acme Corp"}', t("acme", "corp")),
        ("FIND {acme OR globex}", AnyOf((t("acme"), t("globex")))),
        ("FIND {acme or globex}", AnyOf((t("acme"), t("globex")))),
        ("FIND {acme AND globex}", AllOf((t("acme"), t("globex")))),
        ("FIND {acme AND NOT globex}", AllOf((t("acme"), Without(t("globex"))))),
        (
            "FIND {a1 OR b2 AND c3}",
            AnyOf((t("a", "1"), AllOf((t("b", "2"), t("c", "3"))))),
        ),
        (
            "FIND {(acme OR globex) AND corp}",
            AllOf((AnyOf((t("acme"), t("globex"))), t("corp"))),
        ),
        ('FIND {"and" OR "or"}', AnyOf((t("and"), t("or")))),
        ("FIND {not me}", AllOf((t("not"), t("me")))),
        ("FIND {Joe Sm?th*}", AllOf((t("joe"), t("sm?th*")))),
        ("FIND {smith \\& sons}", AllOf((t("smith"), t("sons")))),
        ("FIND {smith \\} sons}", AllOf((t("smith"), t("sons")))),
        ("FIND {ab\\*}", t("ab")),
        ("FIND {415-555-1212}", t("415", "555", "1212")),
        ("FIND {acme & globex}", AllOf((t("acme"), t("globex")))),
    ],
)
def test_search_query_is_parsed(query: str, expression: Any) -> None:
    assert parse_sosl(query).expression == expression


@pytest.mark.parametrize(
    ("query", "scope", "limit"),
    [
        ("FIND {acme}", "ALL", 2000),
        ("FIND {acme} IN ALL FIELDS", "ALL", 2000),
        ("FIND {acme} in name fields", "NAME", 2000),
        ("FIND {acme} IN EMAIL FIELDS", "EMAIL", 2000),
        ("FIND {acme} IN PHONE FIELDS LIMIT 5", "PHONE", 5),
        ("FIND {acme} IN SIDEBAR FIELDS", "NAME", 2000),
        ("FIND {acme} LIMIT 5000", "ALL", 2000),
        ("FIND {acme} WITH HIGHLIGHT LIMIT 3", "ALL", 3),
        ("FIND {acme} RETURNING Account WITH DIVISION = 'Global' LIMIT 7", "ALL", 7),
        (
            "FIND {acme} RETURNING Account WITH DATA CATEGORY Geo__c AT (usa__c, uk__c)"
            " AND Product__c BELOW all__c WITH SNIPPET (target_length=120)"
            " WITH NETWORK IN ('0DB1', '0DB2') WITH SPELL_CORRECTION = false"
            " WITH METADATA = 'LABELS' WITH PricebookId = '01s1' WITH USER_MODE"
            " LIMIT 9 UPDATE TRACKING, VIEWSTAT",
            "ALL",
            9,
        ),
    ],
)
def test_scope_and_limit_are_read(query: str, scope: str, limit: int) -> None:
    statement = parse_sosl(query)
    assert (statement.scope, statement.limit) == (scope, limit)


def test_returning_objects_keep_their_soql_clauses() -> None:
    text = (
        "FIND {acme} RETURNING Account(Id, Name WHERE (Name = 'x' OR Id IN "
        "(SELECT AccountId FROM Contact LIMIT 3)) order by Name DESC LIMIT 5 "
        "OFFSET 2), Contact, Lead(Name)"
    )
    account, contact, lead = parse_sosl(text).returning
    assert account.name.text == "Account"
    assert account.fields is not None
    assert account.fields.text.strip() == "Id, Name"
    assert account.where is not None
    assert account.where.text.strip() == (
        "(Name = 'x' OR Id IN (SELECT AccountId FROM Contact LIMIT 3))"
    )
    assert account.order_by is not None
    assert account.order_by.text.strip() == "Name DESC"
    assert (account.limit, account.offset) == (5, 2)
    assert text[account.where.offset :].startswith(account.where.text)
    assert contact.fields is None
    assert lead.fields is not None
    assert lead.fields.text == "Name"
    assert (lead.where, lead.order_by, lead.limit) == (None, None, None)


NO_TERM = "No search term found. The search term must be enclosed in braces."
TOO_SHORT = "search term must be longer than one character"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", NO_TERM),
        ("Acme", NO_TERM),
        ("FIND Acme", NO_TERM),
        ("FIND 'Acme'", NO_TERM),
        ("FIND {Acme", NO_TERM),
        ("SELECT Id FROM Account", NO_TERM),
        ("FIND {a}", TOO_SHORT),
        ("FIND {a*}", TOO_SHORT),
        ("FIND {}", TOO_SHORT),
        ("FIND {  }", TOO_SHORT),
        ("FIND {&&}", TOO_SHORT),
        ("FIND {*?}", TOO_SHORT),
    ],
)
def test_missing_or_short_search_terms_are_malformed(query: str, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_sosl(query)
    assert (caught.value.status, caught.value.error_code) == (400, "MALFORMED_SEARCH")
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("query", "column", "detail"),
    [
        ("FIND {acme} RETURNING", 22, "unexpected token: '<EOF>'"),
        ("FIND {acme} RETURNING  ", 22, "unexpected token: '<EOF>'"),
        ("FIND {acme} RETURNING Account(", 31, "unexpected token: '<EOF>'"),
        ("FIND {acme} RETURNING Account()", 31, "unexpected token: ')'"),
        ("FIND {acme} IN BOGUS FIELDS", 16, "unexpected token: 'BOGUS'"),
        ("FIND {acme} LIMIT many", 19, "unexpected token: 'many'"),
        ("FIND {acme} garbage", 13, "unexpected token: 'garbage'"),
        ("FIND {acme AND}", 15, "unexpected token: '}'"),
        ("FIND {OR acme}", 7, "unexpected token: 'OR'"),
        ("FIND {(acme}", 12, "unexpected token: '}'"),
        ("FIND {acme)}", 11, "unexpected token: ')'"),
        ("FIND {acme ()}", 13, "unexpected token: ')'"),
        ('FIND {"acme}', 7, "unmatched '\"'"),
        ("FIND {acme} RETURNING Account(Name WHERE Name = )", 48, "'<EOF>'"),
        ("FIND {acme} RETURNING Account(Name,, Id)", 36, "unexpected token: ','"),
        ("FIND {acme} RETURNING Account(Name GROUP BY Name)", 36, "'GROUP'"),
        ("FIND {acme} RETURNING Account(Name USING ListView=Recent)", 36, "USING"),
        ("FIND {acme} RETURNING Account(Name WITH SECURITY_ENFORCED)", 36, "'WITH'"),
    ],
)
def test_syntax_errors_point_at_the_culprit(
    query: str, column: int, detail: str
) -> None:
    with pytest.raises(ApiError) as caught:
        parse_sosl(query)
    message = caught.value.message
    assert caught.value.error_code == "MALFORMED_SEARCH"
    assert message.startswith(f"\n{query}\n{' ' * (column - 1)}^\n")
    assert f"ERROR at Row:1:Column:{column}\n" in message
    assert detail in message.rsplit("\n", 1)[-1]


def test_errors_on_later_lines_name_their_row() -> None:
    query = "FIND {acme}\nRETURNING Account(Name,\n  Phone WHERE Name = )"
    with pytest.raises(ApiError) as caught:
        parse_sosl(query)
    assert "\n  Phone WHERE Name = )\n" in caught.value.message
    assert "ERROR at Row:3:Column:21\n" in caught.value.message


def test_offset_past_2000_is_out_of_range() -> None:
    with pytest.raises(ApiError) as caught:
        parse_sosl("FIND {acme} RETURNING Account(Name ORDER BY Name OFFSET 2001)")
    assert caught.value.error_code == "NUMBER_OUTSIDE_VALID_RANGE"


def test_overlong_queries_find_nothing_and_long_ones_lose_operators() -> None:
    assert parse_sosl("FIND {" + "ab " * 3400 + "}").expression is None
    long = parse_sosl("FIND {acme AND NOT " + "globex " * 600 + "}").expression
    assert isinstance(long, AnyOf)
    assert t("acme") in long.items


# --- searching a store ----------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> Iterator[OrgState]:
    """An in-memory org with a small, known set of records."""
    org = build_state("https://127.0.0.1:1", database=None, settings=OrgSettings())
    user = org.admin.user_id

    def create(sobject: str, **fields: Any) -> str:
        return org.dml.create(sobject, fields, user_id=user)

    create(
        "Account",
        Name="Acme Corporation",
        Phone="(415) 555-1212",
        Website="www.acme.example",
        Description="Makers of anvils and rockets",
        Industry="Energy",
    )
    create("Account", Name="Acme-West Holdings", BillingCity="San Francisco")
    create("Account", Name="Globex", Description="The acme competitor")
    create("Account", Name="Initech 2000", Phone="+1 212 555 0199")
    create("Account", Name="Umbrella Smith & Sons")
    create("Account", Name="Smithson Metals")
    create("Account", Name="R2D2 Droids")
    create("Account", Name="Café Zürich")
    create("Account", Name="Plain Digits", Fax="4085550123")
    create("Account", Name="Slash Phone", Phone="415/555/0177")
    create("Account", Name="\u212aelvin L\u0130bs")  # Kelvin sign, dotted capital I
    gone = create("Account", Name="Acme Deleted")
    org.dml.delete("Account", gone, user_id=user)
    create(
        "Contact",
        FirstName="Joe",
        LastName="Smith",
        Email="joe.smith@acme.example",
        Phone="650-555-0000",
    )
    create("Contact", FirstName="Joe", LastName="Smythe", Email="js@globex.example")
    create(
        "Contact",
        FirstName="Mary",
        LastName="Jones",
        Email="mary@initech.example",
        Description="and or not",
    )
    create("Lead", FirstName="Larry", LastName="Lead", Company="Acme Leads")
    yield org
    org.store.close()


def run(state: OrgState, query: str) -> list[dict[str, Any]]:
    engine = SearchEngine(state.store, state.schema, state.queries)
    body = engine.search(query, api_version=VERSION, user_id=state.admin.user_id)
    assert list(body) == ["searchRecords"]
    records: list[dict[str, Any]] = body["searchRecords"]
    return records


def names(state: OrgState, query: str) -> list[str]:
    return [record["Name"] for record in run(state, query)]


ACCOUNTS_AND_CONTACTS = " RETURNING Account(Name), Contact(Name), Lead(Name)"
ACME = ["Acme Corporation", "Acme-West Holdings"]


@pytest.mark.parametrize(
    ("find", "expected"),
    [
        ("{acme}", [*ACME, "Globex", "Joe Smith", "Larry Lead"]),
        ("{ACME}", [*ACME, "Globex", "Joe Smith", "Larry Lead"]),
        ("{acme} IN NAME FIELDS", [*ACME, "Larry Lead"]),
        ("{acme} IN EMAIL FIELDS", ["Joe Smith"]),
        ("{acm*}", [*ACME, "Globex", "Joe Smith", "Larry Lead"]),
        ("{ac?e} IN NAME FIELDS", [*ACME, "Larry Lead"]),
        ("{le?d*} IN NAME FIELDS", ["Larry Lead"]),
        ("{acme*s}", []),
        ("{smith}", ["Umbrella Smith & Sons", "Joe Smith"]),
        ("{smith*}", ["Umbrella Smith & Sons", "Smithson Metals", "Joe Smith"]),
        (
            "{sm?th*}",
            ["Umbrella Smith & Sons", "Smithson Metals", "Joe Smith", "Joe Smythe"],
        ),
        ('{"joe smith"}', ["Joe Smith"]),
        ('{"smith joe"}', []),
        ("{joe AND NOT smythe}", ["Joe Smith"]),
        ("{joe OR mary}", ["Joe Smith", "Joe Smythe", "Mary Jones"]),
        ("{joe mary}", []),
        ("{(joe OR mary) AND jones}", ["Mary Jones"]),
        ('{"and" OR "or"}', ["Acme Corporation", "Mary Jones"]),
        ('{"or"}', ["Mary Jones"]),
        ("{initech}", ["Initech 2000", "Mary Jones"]),
        ("{2000}", ["Initech 2000"]),
        ("{r2d2}", ["R2D2 Droids"]),
        ("{smith \\& sons}", ["Umbrella Smith & Sons"]),
        ("{zürich}", ["Café Zürich"]),
        ("{ZÜRICH}", ["Café Zürich"]),
        ("{zurich}", []),
        ("{kelvin}", ["\u212aelvin L\u0130bs"]),
        ("{KELVIN}", ["\u212aelvin L\u0130bs"]),
        ("{li*}", ["\u212aelvin L\u0130bs"]),
        ("{anvils rockets}", ["Acme Corporation"]),
        ("{www.acme.example} IN NAME FIELDS", ["Acme Corporation"]),
        ("{joe.smith@acme.example} IN EMAIL FIELDS", ["Joe Smith"]),
        ("{4155551212} IN PHONE FIELDS", ["Acme Corporation"]),
        ("{415-555-1212} IN PHONE FIELDS", ["Acme Corporation"]),
        ("{5551212} IN PHONE FIELDS", ["Acme Corporation"]),
        ("{2125550199} IN PHONE FIELDS", ["Initech 2000"]),
        ("{12125550199} IN PHONE FIELDS", ["Initech 2000"]),
        ("{650555*} IN PHONE FIELDS", ["Joe Smith"]),
        ("{415555} IN PHONE FIELDS", []),
        ("{(408) 555-0123} IN PHONE FIELDS", ["Plain Digits"]),
        ("{4155550177} IN PHONE FIELDS", ["Slash Phone"]),
        ("{415-555-0177} IN PHONE FIELDS", ["Slash Phone"]),
        ("{408-555-0123} IN PHONE FIELDS", ["Plain Digits"]),
        ("{(415) 555-1212} IN PHONE FIELDS", ["Acme Corporation"]),
        ("{(408) 555-0124} IN PHONE FIELDS", []),
        ("{408 OR 555-0123} IN PHONE FIELDS", ["Plain Digits"]),
        (
            "{555} IN PHONE FIELDS",
            ["Acme Corporation", "Initech 2000", "Slash Phone", "Joe Smith"],
        ),
        ("{acme} IN PHONE FIELDS", []),
        ("{deleted}", []),
        ("{nothing-like-this}", []),
    ],
)
def test_search_finds_what_the_index_would(
    state: OrgState, find: str, expected: list[str]
) -> None:
    assert names(state, f"FIND {find}{ACCOUNTS_AND_CONTACTS}") == expected


def test_name_field_matches_rank_first(state: OrgState) -> None:
    found = names(state, "FIND {acme} RETURNING Account(Name)")
    assert found == ["Acme Corporation", "Acme-West Holdings", "Globex"]


@pytest.mark.parametrize(
    ("returning", "expected"),
    [
        ("Account(Name WHERE BillingCity = 'San Francisco')", ["Acme-West Holdings"]),
        (
            "Account(Name WHERE Name LIKE 'Acme%')",
            ["Acme Corporation", "Acme-West Holdings"],
        ),
        (
            "Account(Name ORDER BY Name DESC)",
            ["Globex", "Acme-West Holdings", "Acme Corporation"],
        ),
        ("Account(Name ORDER BY Name LIMIT 1 OFFSET 1)", ["Acme-West Holdings"]),
        ("Account(Name LIMIT 1)", ["Acme Corporation"]),
        ("Account(Name LIMIT 2 OFFSET 1)", ["Acme-West Holdings", "Globex"]),
        ("Account(Name WHERE Industry = 'Retail')", []),
        (
            "account(name order by name)",
            ["Acme Corporation", "Acme-West Holdings", "Globex"],
        ),
    ],
)
def test_returning_clauses_filter_order_and_limit(
    state: OrgState, returning: str, expected: list[str]
) -> None:
    assert names(state, f"FIND {{acme}} RETURNING {returning}") == expected


def test_returning_fields_are_shaped_like_soql_records(state: OrgState) -> None:
    records = run(
        state,
        "FIND {Acme Corporation} RETURNING Account(Id, Name, toLabel(Industry), "
        "Owner.Name, Phone)",
    )
    assert len(records) == 1
    record = records[0]
    assert list(record) == ["attributes", "Id", "Name", "Industry", "Owner", "Phone"]
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v{VERSION}/sobjects/Account/{record['Id']}",
    }
    assert record["Owner"]["attributes"]["type"] == "User"
    assert record["Phone"] == "(415) 555-1212"


@pytest.mark.parametrize(
    "query",
    ["FIND {Acme Corporation} RETURNING Account", "FIND {Acme Corporation}"],
)
def test_objects_without_fields_give_ids(state: OrgState, query: str) -> None:
    records = run(state, query)
    assert len(records) == 1
    assert list(records[0]) == ["attributes", "Id"]
    assert records[0]["attributes"]["type"] == "Account"
    assert records[0]["Id"].startswith("001")


def test_without_returning_every_searchable_object_is_searched(state: OrgState) -> None:
    records = run(state, "FIND {acme}")
    types = [record["attributes"]["type"] for record in records]
    assert sorted(set(types)) == ["Account", "Contact", "Lead"]
    assert types.count("Account") == 3


def test_overall_limit_is_filled_in_returning_order(state: OrgState) -> None:
    query = "FIND {acme} RETURNING Contact(Name), Account(Name) LIMIT 2"
    assert names(state, query) == ["Joe Smith", "Acme Corporation"]


def test_records_come_in_returning_order(state: OrgState) -> None:
    query = "FIND {initech} RETURNING Contact(Name), Account(Name)"
    assert names(state, query) == ["Mary Jones", "Initech 2000"]


def test_too_long_search_query_finds_nothing(state: OrgState) -> None:
    assert run(state, "FIND {" + "acme " * 2001 + "}") == []


@pytest.mark.parametrize(
    ("query", "code", "column", "detail"),
    [
        (
            "FIND {acme} RETURNING Foo",
            "INVALID_TYPE",
            23,
            "sObject type 'Foo' is not supported.",
        ),
        (
            "FIND {acme} RETURNING Account(Id), Foo__c(Id)",
            "INVALID_TYPE",
            36,
            "'Foo__c'",
        ),
        (
            "FIND {acme} RETURNING CaseComment",
            "INVALID_TYPE",
            23,
            "entity type CaseComment does not support search",
        ),
        (
            "FIND {acme} RETURNING OpenActivity(Id)",
            "INVALID_TYPE",
            23,
            "support search",
        ),
        (
            "FIND {acme} RETURNING Account(Id, Nmae)",
            "INVALID_FIELD",
            35,
            "No such column 'Nmae' on entity 'Account'",
        ),
        (
            "FIND {acme} RETURNING Account(Id WHERE Nmae = 'x')",
            "INVALID_FIELD",
            40,
            "No such column 'Nmae'",
        ),
        (
            "FIND {acme} RETURNING Account(Id ORDER BY Nmae)",
            "INVALID_FIELD",
            43,
            "No such column 'Nmae'",
        ),
        ("FIND {acme} RETURNING Account, account", "MALFORMED_SEARCH", 32, "duplicate"),
        ("FIND {zzzz} RETURNING Account(Nmae)", "INVALID_FIELD", 31, "'Nmae'"),
    ],
)
def test_bad_returning_objects_and_fields(
    state: OrgState, query: str, code: str, column: int, detail: str
) -> None:
    with pytest.raises(ApiError) as caught:
        run(state, query)
    assert (caught.value.status, caught.value.error_code) == (400, code)
    assert caught.value.message.startswith(f"\n{query}\n{' ' * (column - 1)}^\n")
    assert detail in caught.value.message


@pytest.mark.parametrize(
    ("sobject", "fields"),
    [
        ("Account", {"Name", "Site", "Website"}),
        ("Contact", {"Name", "AssistantName"}),
        ("Lead", {"Name", "Company"}),
        ("Case", {"CaseNumber", "Subject", "SuppliedName", "SuppliedCompany"}),
        ("Task", {"Subject"}),
    ],
)
def test_name_scope_adds_salesforce_extra_fields(
    state: OrgState, sobject: str, fields: set[str]
) -> None:
    found = searched_fields(sobject_def(state, sobject), "NAME")
    assert {field.name for field in found} == fields


@pytest.mark.parametrize("sobject", ["Account", "Contact", "Lead", "Case"])
@pytest.mark.parametrize("scope", ["EMAIL", "PHONE"])
def test_email_and_phone_scopes_take_fields_of_their_type(
    state: OrgState, scope: str, sobject: str
) -> None:
    definition = sobject_def(state, sobject)
    expected = {
        field.name
        for field in definition.fields.values()
        if field.type == scope.lower() and field.storage is not None
    }
    found = {field.name for field in searched_fields(definition, scope)}
    assert found == expected


def sobject_def(state: OrgState, name: str) -> SObjectDef:
    found = state.schema.get(name)
    assert found is not None
    return found


def test_all_fields_search_text_but_not_picklists_or_ids(state: OrgState) -> None:
    found = {
        field.name for field in searched_fields(sobject_def(state, "Account"), "ALL")
    }
    assert {"Name", "Description", "Phone", "Website", "BillingCity"} <= found
    assert not {"Id", "Industry", "OwnerId", "AnnualRevenue"} & found


WORDS = [
    "acme",
    "smith",
    "joe",
    "globex",
    "555",
    "zürich",
    "2000",
    "r2",
    "sm?th",
    "ac*",
    "kelvin",
    "li*",
    "4155550177",
    "4085550123",
    "jones",
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    st.lists(st.sampled_from(["AND", "OR", "AND NOT"]), min_size=2, max_size=2),
    st.sampled_from(["ALL", "NAME", "PHONE", "EMAIL"]),
)
def test_sql_prefilter_never_loses_a_match(
    state: OrgState,
    monkeypatch: pytest.MonkeyPatch,
    words: list[str],
    operators: list[str],
    scope: str,
) -> None:
    query = words[0]
    for operator, word in zip(operators, words[1:], strict=False):
        query += f" {operator} {word}"
    statement = f"FIND {{{query}}} IN {scope} FIELDS RETURNING Account, Contact"
    with_prefilter = run(state, statement)
    with monkeypatch.context() as patched:
        patched.setattr(search, "_prefilter", lambda expression, fields: None)
        without_prefilter = run(state, statement)
    assert with_prefilter == without_prefilter


@pytest.fixture(scope="module")
def crowded() -> Iterator[OrgState]:
    """An org with 2,500 accounts matching one word."""
    org = build_state("https://127.0.0.1:1", database=None, settings=OrgSettings())
    rows = [
        {
            "Id": org.store.new_id("Account"),
            "Name": f"Widget {number:04d}",
            "Industry": "Energy" if number % 10 == 0 else "Retail",
            "OwnerId": org.admin.user_id,
            "IsDeleted": 0,
        }
        for number in range(2500)
    ]
    org.store.insert_rows("Account", rows)
    yield org
    org.store.close()


def test_at_most_2000_records_per_object(crowded: OrgState) -> None:
    assert len(run(crowded, "FIND {widget} RETURNING Account(Name)")) == 2000
    assert len(run(crowded, "FIND {widget} RETURNING Account")) == 2000


def test_where_sees_every_match_beyond_2000(crowded: OrgState) -> None:
    query = (
        "FIND {widget} RETURNING Account(Name WHERE Industry = 'Energy' "
        "ORDER BY Name DESC LIMIT 3)"
    )
    assert names(crowded, query) == ["Widget 2490", "Widget 2480", "Widget 2470"]
    energy = "FIND {widget} RETURNING Account(Name WHERE Industry = 'Energy')"
    assert len(run(crowded, energy)) == 250


INVOICES = {
    "objects": {
        "Invoice__c": {
            "label": "Invoice",
            "plural_label": "Invoices",
            "fields": {
                "Notes__c": {"type": "textarea"},
                "Billing_Email__c": {"type": "email"},
            },
        }
    }
}


@pytest.fixture(scope="module")
def invoices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrgState]:
    """An org with a custom object and two records of it."""
    schema_file = tmp_path_factory.mktemp("sosl") / "invoices.json"
    schema_file.write_text(json.dumps(INVOICES), encoding="utf-8")
    org = build_state(
        "https://127.0.0.1:1",
        database=None,
        settings=OrgSettings(),
        schema_file=schema_file,
    )
    for name, notes, email in [
        ("Spring Invoice", "paid by wire", "ap@northwind.example"),
        ("Autumn Invoice", "northwind overdue", "billing@contoso.example"),
    ]:
        fields = {"Name": name, "Notes__c": notes, "Billing_Email__c": email}
        org.dml.create("Invoice__c", fields, user_id=org.admin.user_id)
    yield org
    org.store.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "FIND {invoice} RETURNING Invoice__c(Name ORDER BY Name)",
            ["Autumn Invoice", "Spring Invoice"],
        ),
        (
            "FIND {northwind} RETURNING Invoice__c(Name)",
            ["Spring Invoice", "Autumn Invoice"],
        ),
        ("FIND {northwind} IN NAME FIELDS RETURNING Invoice__c(Name)", []),
        (
            "FIND {northwind} IN EMAIL FIELDS RETURNING Invoice__c(Name)",
            ["Spring Invoice"],
        ),
        ("FIND {wire} RETURNING invoice__c(name, Notes__c)", ["Spring Invoice"]),
    ],
)
def test_custom_objects_are_searched(
    invoices: OrgState, query: str, expected: list[str]
) -> None:
    assert names(invoices, query) == expected


def test_custom_objects_are_searched_without_returning(invoices: OrgState) -> None:
    types = {record["attributes"]["type"] for record in run(invoices, "FIND {wire}")}
    assert types == {"Invoice__c"}


# --- the resource over HTTPS ------------------------------------------------------


@pytest.fixture(scope="module")
def quillfeathers(api: Api) -> list[str]:
    """Two contacts of this module's own in the shared live org."""
    ids = []
    for first in ("Zephyrine", "Ottoline"):
        body = {"FirstName": first, "LastName": "Quillfeather", "Email": "q@q.example"}
        response = api.request("POST", "sobjects/Contact/", json=body)
        assert response.status_code == 201
        ids.append(response.json()["id"])
    return ids


@pytest.mark.live
def test_simple_salesforce_search(sf: Salesforce, quillfeathers: list[str]) -> None:
    result = sf.search(
        "FIND {Quillfeather} IN NAME FIELDS RETURNING Contact(Id, FirstName, Email)"
    )
    records = result["searchRecords"]
    assert sorted(record["Id"] for record in records) == sorted(quillfeathers)
    assert sorted(record["FirstName"] for record in records) == [
        "Ottoline",
        "Zephyrine",
    ]
    assert all(record["attributes"]["type"] == "Contact" for record in records)


@pytest.mark.live
def test_simple_salesforce_quick_search(
    sf: Salesforce, quillfeathers: list[str]
) -> None:
    result = sf.quick_search("Zephyrine")
    assert [record["Id"] for record in result["searchRecords"]] == quillfeathers[:1]


@pytest.mark.live
def test_simple_salesforce_malformed_search(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.search("FIND Twin")
    content: Any = caught.value.content
    assert content == [{"message": NO_TERM, "errorCode": "MALFORMED_SEARCH"}]


@pytest.mark.live
@pytest.mark.parametrize("path", ["search/", "search"])
def test_both_url_forms_answer(api: Api, quillfeathers: list[str], path: str) -> None:
    response = api.get(path, params={"q": "FIND {Ottoline}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "api-usage=" in response.headers["Sforce-Limit-Info"]
    assert len(response.json()["searchRecords"]) == 1


@pytest.mark.live
@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "code"),
    [
        (
            "GET",
            "/services/data/v59.0/search/?q=FIND+%7BTwin%7D",
            {},
            401,
            "INVALID_SESSION_ID",
        ),
        (
            "GET",
            "/services/data/v20.0/search/?q=FIND+%7BTwin%7D",
            None,
            404,
            "NOT_FOUND",
        ),
        (
            "POST",
            "/services/data/v59.0/search/?q=FIND+%7BTwin%7D",
            None,
            405,
            "METHOD_NOT_ALLOWED",
        ),
        ("GET", "/services/data/v59.0/search/", None, 400, "MALFORMED_SEARCH"),
        (
            "GET",
            "/services/data/v59.0/search/?q=FIND+%7Ba%7D",
            None,
            400,
            "MALFORMED_SEARCH",
        ),
    ],
)
def test_errors_over_https(
    api: Api,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    if headers is None:
        response = api.request(method, path)
    else:
        anonymous = api.org.session()
        response = anonymous.request(method, api.url(path), headers=headers, timeout=30)
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list)
    assert body[0]["errorCode"] == code
