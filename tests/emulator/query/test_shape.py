"""Result shapes: attributes, nesting, nulls, value types and key order."""

from __future__ import annotations

from typing import Any

import pytest

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.query.compile import RecordsPlan
from sfmagic.emulator.query.shape import label_converter
from sfmagic.emulator.schema import FieldDef
from tests.emulator.query.conftest import API, Org

PREFIX = f"/services/data/v{API}/sobjects"


def url(kind: str, record_id: str) -> str:
    return f"{PREFIX}/{kind}/{record_id}"


def only(org: Org, text: str) -> dict[str, Any]:
    result = org.query(text)
    assert result["totalSize"] == 1, result
    record: dict[str, Any] = result["records"][0]
    return record


def test_record_carries_attributes_and_fields_in_select_order(small_org: Org) -> None:
    ids = small_org.ids
    record = only(
        small_org,
        "SELECT NumberOfEmployees, Name, Id, Owner.Alias, AnnualRevenue, Owner.Name "
        "FROM Account WHERE Id = '{A1}'",
    )
    assert list(record) == [
        "attributes",
        "NumberOfEmployees",
        "Name",
        "Id",
        "Owner",
        "AnnualRevenue",
    ]
    assert record["attributes"] == {"type": "Account", "url": url("Account", ids["A1"])}
    assert record["Owner"] == {
        "attributes": {"type": "User", "url": url("User", ids["U1"])},
        "Alias": "ada",
        "Name": "Ada Admin",
    }


def test_keys_use_the_describe_spelling(small_org: Org) -> None:
    record = only(small_org, "select name, owner.alias from ACCOUNT where id = '{A1}'")
    assert list(record) == ["attributes", "Name", "Owner"]
    assert list(record["Owner"]) == ["attributes", "Alias"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("NumberOfEmployees", 120),
        ("AnnualRevenue", 5000000.0),
        ("Score__c", 9.5),
        ("Flag__c", True),
        ("IsDeleted", False),
        ("CreatedDate", "2024-03-13T18:00:00.000+0000"),
        ("Tags__c", "Red;Green"),
        ("Industry", "Energy"),
        ("LastActivityDate", None),
    ],
)
def test_values_have_salesforce_json_types(
    small_org: Org, field: str, value: Any
) -> None:
    record = only(small_org, f"SELECT {field} FROM Account WHERE Id = '{{A1}}'")
    assert record[field] == value
    assert type(record[field]) is type(value)


def test_date_values_are_plain_dates(small_org: Org) -> None:
    record = only(small_org, "SELECT Birthdate FROM Contact WHERE Id = '{C1}'")
    assert record["Birthdate"] == "1990-05-17"


def test_null_parent_is_null(small_org: Org) -> None:
    record = only(
        small_org,
        "SELECT LastName, Account.Name, Account.Owner.Name FROM Contact "
        "WHERE Id = '{C5}'",
    )
    assert record["Account"] is None


def test_parents_nest_one_object_per_hop(small_org: Org) -> None:
    ids = small_org.ids
    record = only(
        small_org,
        "SELECT Account.Parent.Owner.Alias, Account.Name FROM Contact "
        "WHERE Id = '{C3}'",
    )
    assert record["Account"] == {
        "attributes": {"type": "Account", "url": url("Account", ids["A2"])},
        "Parent": {
            "attributes": {"type": "Account", "url": url("Account", ids["A1"])},
            "Owner": {
                "attributes": {"type": "User", "url": url("User", ids["U1"])},
                "Alias": "ada",
            },
        },
        "Name": "acme labs",
    }


def test_polymorphic_parent_is_a_name_record(small_org: Org) -> None:
    ids = small_org.ids
    record = only(
        small_org,
        "SELECT Who.Name, Who.Type, What.Name, Owner.Name, Owner.Type FROM Task "
        "WHERE Id = '{T2}'",
    )
    assert record["Who"] == {
        "attributes": {"type": "Name", "url": url("Lead", ids["L1"])},
        "Name": "Lee Lead",
        "Type": "Lead",
    }
    assert record["What"] is None
    assert record["Owner"] == {
        "attributes": {"type": "Name", "url": url("Group", ids["G1"])},
        "Name": "Inbound Leads",
        "Type": "Queue",
    }


def test_name_fields_a_target_lacks_are_null(small_org: Org) -> None:
    record = only(
        small_org, "SELECT Owner.Alias, Owner.Email FROM Case WHERE Id = '{K2}'"
    )
    assert record["Owner"]["Alias"] is None
    assert record["Owner"]["Email"] is None


def test_typeof_selects_the_matching_branch(small_org: Org) -> None:
    ids = small_org.ids
    result = small_org.query(
        "SELECT Subject, TYPEOF What WHEN Account THEN Name, Industry "
        "WHEN Opportunity THEN Amount, Account.Name ELSE Name END FROM Task "
        "ORDER BY Subject"
    )
    by_subject = {r["Subject"]: r["What"] for r in result["records"]}
    assert by_subject["Call Jane"] == {
        "attributes": {"type": "Account", "url": url("Account", ids["A1"])},
        "Name": "Acme",
        "Industry": "Energy",
    }
    assert by_subject["Follow up deal"] == {
        "attributes": {"type": "Opportunity", "url": url("Opportunity", ids["O2"])},
        "Amount": 50000.0,
        "Account": {
            "attributes": {"type": "Account", "url": url("Account", ids["A1"])},
            "Name": "Acme",
        },
    }
    assert by_subject["Case review"] == {
        "attributes": {"type": "Case", "url": url("Case", ids["K1"])},
        "Name": "00001001",
    }
    assert by_subject["Email Lee"] is None


def test_typeof_without_else_keeps_only_attributes(small_org: Org) -> None:
    ids = small_org.ids
    record = only(
        small_org,
        "SELECT TYPEOF What WHEN Account THEN Name END FROM Task WHERE Id = '{T4}'",
    )
    assert record["What"] == {
        "attributes": {"type": "Case", "url": url("Case", ids["K1"])}
    }


def test_child_relationship_is_a_nested_query_result(small_org: Org) -> None:
    ids = small_org.ids
    result = small_org.query(
        "SELECT Name, (SELECT LastName, Email FROM Contacts ORDER BY LastName DESC), "
        "Industry FROM Account WHERE Name LIKE 'acme%' OR Name = 'éclair SA' "
        "ORDER BY Name"
    )
    acme, labs, eclair = result["records"]
    assert list(acme) == ["attributes", "Name", "Contacts", "Industry"]
    assert acme["Contacts"] == {
        "totalSize": 2,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Contact", "url": url("Contact", ids["C2"])},
                "LastName": "Smith",
                "Email": "john@acme.com",
            },
            {
                "attributes": {"type": "Contact", "url": url("Contact", ids["C1"])},
                "LastName": "Doe",
                "Email": "jane@acme.com",
            },
        ],
    }
    assert labs["Contacts"]["totalSize"] == 1
    assert eclair["Contacts"] is None


def test_child_subquery_applies_where_and_limit_per_parent(small_org: Org) -> None:
    result = small_org.query(
        "SELECT Name, (SELECT Name FROM Opportunities WHERE Amount > 10000 "
        "ORDER BY Amount DESC LIMIT 1), (SELECT Name FROM Invoices__r "
        "ORDER BY Name OFFSET 1) FROM Account WHERE Id IN ('{A1}', '{A2}') "
        "ORDER BY Name"
    )
    acme, labs = result["records"]
    assert [r["Name"] for r in acme["Opportunities"]["records"]] == ["Acme Big Deal"]
    assert acme["Opportunities"]["totalSize"] == 1
    assert [r["Name"] for r in acme["Invoices__r"]["records"]] == ["INV-2"]
    assert [r["Name"] for r in labs["Opportunities"]["records"]] == ["Labs Pilot"]
    assert labs["Invoices__r"] is None


def test_children_nest_several_levels(small_org: Org) -> None:
    record = only(
        small_org,
        "SELECT Name, (SELECT LastName, (SELECT CaseNumber FROM Cases) FROM Contacts "
        "ORDER BY LastName) FROM Account WHERE Id = '{A1}'",
    )
    doe, smith = record["Contacts"]["records"]
    assert [c["CaseNumber"] for c in doe["Cases"]["records"]] == ["00001001"]
    assert [c["CaseNumber"] for c in smith["Cases"]["records"]] == ["00001002"]


def test_child_rows_carry_their_parents(small_org: Org) -> None:
    record = only(
        small_org,
        "SELECT Id, (SELECT Subject, Who.Name, Owner.Alias FROM Tasks) FROM Account "
        "WHERE Id = '{A1}'",
    )
    (task,) = record["Tasks"]["records"]
    assert task["Who"]["Name"] == "Jane Doe"
    assert task["Owner"]["Alias"] == "ada"


def test_open_activities_and_history(small_org: Org) -> None:
    ids = small_org.ids
    record = only(
        small_org,
        "SELECT Name, (SELECT Subject, IsTask, IsClosed FROM OpenActivities "
        "ORDER BY Subject), (SELECT Subject, IsTask FROM ActivityHistories "
        "ORDER BY Subject) FROM Account WHERE Id = '{A1}'",
    )
    open_ones = record["OpenActivities"]["records"]
    assert [(r["Subject"], r["IsTask"], r["IsClosed"]) for r in open_ones] == [
        ("Call Jane", True, False),
        ("Follow up deal", True, False),
        ("Kickoff", False, False),
    ]
    assert open_ones[0]["attributes"] == {
        "type": "OpenActivity",
        "url": url("OpenActivity", ids["T1"]),
    }
    history = record["ActivityHistories"]["records"]
    assert [(r["Subject"], r["IsTask"]) for r in history] == [
        ("Case review", True),
        ("Past lunch", False),
    ]


def test_contact_activities_follow_who(small_org: Org) -> None:
    record = only(
        small_org,
        "SELECT (SELECT Subject FROM OpenActivities) FROM Contact WHERE Id = '{C1}'",
    )
    subjects = sorted(r["Subject"] for r in record["OpenActivities"]["records"])
    assert subjects == ["Call Jane", "Kickoff"]


def test_compound_address_is_an_object(small_org: Org) -> None:
    record = only(small_org, "SELECT BillingAddress FROM Account WHERE Id = '{A1}'")
    assert record["BillingAddress"] == {
        "city": "Paris",
        "country": "France",
        "geocodeAccuracy": None,
        "latitude": None,
        "longitude": None,
        "postalCode": None,
        "state": None,
        "street": None,
    }
    empty = only(small_org, "SELECT BillingAddress FROM Account WHERE Id = '{A4}'")
    assert empty["BillingAddress"] is None


def test_fields_macros_expand_to_describe_fields(small_org: Org) -> None:
    account = small_org.schema.get("Account")
    assert account is not None
    record = only(
        small_org, "SELECT FIELDS(ALL) FROM Account WHERE Id = '{A1}' LIMIT 1"
    )
    assert list(record)[1:] == list(account.fields)
    custom = only(
        small_org, "SELECT FIELDS(CUSTOM) FROM Account WHERE Id = '{A1}' LIMIT 200"
    )
    assert list(custom)[1:] == ["Region__c", "Tags__c", "Score__c", "Flag__c"]
    standard = only(
        small_org, "SELECT Id, FIELDS(STANDARD) FROM Account WHERE Id = '{A1}'"
    )
    assert "Region__c" not in standard
    assert "BillingAddress" in standard


def test_aggregate_records_have_type_only(small_org: Org) -> None:
    result = small_org.query("SELECT COUNT(Id) n, MAX(Name) FROM Contact")
    assert result == {
        "totalSize": 1,
        "done": True,
        "records": [
            {"attributes": {"type": "AggregateResult"}, "n": 6, "expr0": "Zoë Ünal"}
        ],
    }


def test_count_answers_total_size_only(small_org: Org) -> None:
    assert small_org.query("SELECT COUNT() FROM Contact") == {
        "totalSize": 6,
        "done": True,
        "records": [],
    }


def test_query_all_urls_and_deleted_children(small_org: Org) -> None:
    result = small_org.query(
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account "
        "WHERE Id = '{A1}'",
        include_deleted=True,
    )
    contacts = result["records"][0]["Contacts"]["records"]
    assert [c["LastName"] for c in contacts] == ["Deleted", "Doe", "Smith"]


def test_to_label_maps_values_to_labels() -> None:
    field = FieldDef.from_describe(
        {
            "name": "Stage__c",
            "label": "Stage",
            "type": "multipicklist",
            "picklistValues": [
                {"value": "a", "label": "Alpha"},
                {"value": "b", "label": "Beta"},
            ],
        }
    )
    convert = label_converter(field)
    assert convert("a;b;c") == "Alpha;Beta;c"
    assert convert(None) is None


def test_errors_point_a_caret_at_the_problem(small_org: Org) -> None:
    with pytest.raises(ApiError) as raised:
        small_org.query("SELECT Id,\n  Nope FROM Account")
    assert raised.value.message == (
        "\n  Nope FROM Account\n  ^\nERROR at Row:2:Column:3\n"
        "No such column 'Nope' on entity 'Account'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name. "
        "Please reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_object_message(small_org: Org) -> None:
    with pytest.raises(ApiError) as raised:
        small_org.query("SELECT Id FROM Foo")
    assert raised.value.message.endswith(
        "sObject type 'Foo' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name. Please reference "
        "your WSDL or the describe call for the appropriate names."
    )
    assert "ERROR at Row:1:Column:16" in raised.value.message


def test_unknown_child_relationship_message(small_org: Org) -> None:
    with pytest.raises(ApiError) as raised:
        small_org.query("SELECT Id, (SELECT Id FROM Foos) FROM Account")
    assert "Didn't understand relationship 'Foos' in FROM part of query call" in (
        raised.value.message
    )


def test_grouping_error_names_the_field(small_org: Org) -> None:
    with pytest.raises(ApiError) as raised:
        small_org.query("SELECT Name, COUNT(Id) FROM Account")
    assert raised.value.message.endswith("Field must be grouped or aggregated: Name")


@pytest.mark.parametrize(
    "where",
    [
        "Name = 'Robert\\'); DROP TABLE Account; --'",
        "Name LIKE '%Robert\\'); DROP%'",
        "Industry IN ('Robert\\'); DROP', 'x')",
        "Tags__c INCLUDES ('Robert\\'); DROP')",
        "CreatedDate = LAST_N_DAYS:7",
    ],
)
def test_values_are_bound_not_written_into_sql(small_org: Org, where: str) -> None:
    plan = small_org.engine.plan(
        f"SELECT Id, Name FROM Account WHERE {where}",
        include_deleted=False,
        user_id="u",
    )
    assert isinstance(plan, RecordsPlan)
    statement = plan.ids.text
    assert "Robert" not in statement
    assert "DROP" not in statement
    assert "-" not in statement.replace("->", "")
    small_org.query(f"SELECT Id FROM Account WHERE {where}")


def test_identifiers_must_be_api_names() -> None:
    from sfmagic.emulator.query.sql import quote

    assert quote("Account__c") == '"Account__c"'
    with pytest.raises(ValueError, match="API name"):
        quote('Account"; DROP')
