"""Field values between Salesforce JSON and SQLite storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.values import (
    format_datetime,
    from_json_value,
    now_stored,
    parse_datetime,
    parse_stored_datetime,
    record_json,
    stored_datetime,
    to_json_value,
)

SCHEMA = Schema.standard()


def field(path: str) -> Any:
    sobject, name = path.split(".")
    found = SCHEMA.get(sobject)
    assert found is not None
    result = found.field(name)
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15T10:30:00Z", "2024-01-15T10:30:00.000Z"),
        ("2024-01-15T10:30:00.000+0000", "2024-01-15T10:30:00.000Z"),
        ("2024-01-15T10:30:00.123456Z", "2024-01-15T10:30:00.123Z"),
        ("2024-01-15T10:30:00+01:00", "2024-01-15T09:30:00.000Z"),
        ("2024-01-15T10:30:00-0800", "2024-01-15T18:30:00.000Z"),
        ("2024-01-15T10:30:00+05", "2024-01-15T05:30:00.000Z"),
        ("2024-01-15T10:30", "2024-01-15T10:30:00.000Z"),
        ("2024-01-15 10:30:00", "2024-01-15T10:30:00.000Z"),
        ("2024-01-15", "2024-01-15T00:00:00.000Z"),
        ("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00.000Z"),
    ],
)
def test_parse_datetime_accepts_iso_forms(text: str, expected: str) -> None:
    assert stored_datetime(parse_datetime(text)) == expected


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-13-01", "2024-01-15T25:00:00Z", "15/01/2024"]
)
def test_parse_datetime_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_datetime(text)


def test_format_datetime_is_utc_with_millis() -> None:
    moment = datetime(
        2024, 1, 15, 11, 30, 0, 250000, tzinfo=timezone(timedelta(hours=1))
    )
    assert format_datetime(moment) == "2024-01-15T10:30:00.250+0000"


def test_now_stored_round_trips() -> None:
    text = now_stored()
    assert len(text) == 24
    assert abs(parse_stored_datetime(text) - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("path", "stored", "expected"),
    [
        ("Account.Name", "Acme", "Acme"),
        ("Account.NumberOfEmployees", 12, 12),
        ("Account.AnnualRevenue", 5000000, 5000000.0),
        (
            "Account.CreatedDate",
            "2024-01-15T10:30:00.000Z",
            "2024-01-15T10:30:00.000+0000",
        ),
        ("Account.LastActivityDate", "2024-01-15", "2024-01-15"),
        ("Account.IsDeleted", 0, False),
        ("Case.IsEscalated", 1, True),
        ("Account.Name", None, None),
    ],
)
def test_to_json_value(path: str, stored: Any, expected: Any) -> None:
    value = to_json_value(field(path), stored)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("Account.Name", "Acme", "Acme"),
        ("Account.Name", 42, "42"),
        ("Account.Name", "", None),
        ("Account.NumberOfEmployees", "12", 12),
        ("Account.NumberOfEmployees", 12.0, 12),
        ("Account.AnnualRevenue", "1000.4", 1000.0),
        ("Account.AnnualRevenue", 1000.5, 1001.0),
        ("Opportunity.Amount", 12.345, 12.35),
        ("Account.BillingLatitude", 48.8566, 48.8566),
        ("Case.IsEscalated", True, 1),
        ("Case.IsEscalated", "false", 0),
        ("Case.IsEscalated", None, 0),
        ("Opportunity.CloseDate", "2024-02-29", "2024-02-29"),
        ("Opportunity.CloseDate", "2024-02-29T10:00:00Z", "2024-02-29"),
        (
            "Event.StartDateTime",
            "2024-02-29T10:00:00+02:00",
            "2024-02-29T08:00:00.000Z",
        ),
        ("Contact.Email", "jo@example.com", "jo@example.com"),
        ("Contact.AccountId", "0018a0000000001", "0018a0000000001AAA"),
        ("Account.BillingGeocodeAccuracy", "Zip", "Zip"),
        ("Account.Industry", "Not In The List", "Not In The List"),
        ("Account.Name", None, None),
    ],
)
def test_from_json_value(path: str, value: Any, expected: Any) -> None:
    assert from_json_value(field(path), value) == expected


@pytest.mark.parametrize(
    ("path", "value", "code", "message"),
    [
        (
            "Account.NumberOfEmployees",
            "abc",
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of int from VALUE_STRING value abc",
        ),
        (
            "Account.AnnualRevenue",
            "lots",
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of double from VALUE_STRING value lots",
        ),
        ("Account.NumberOfEmployees", 1.5, "JSON_PARSER_ERROR", "VALUE_NUMBER_FLOAT"),
        ("Account.NumberOfEmployees", 10**9, "NUMBER_OUTSIDE_VALID_RANGE", "Employees"),
        ("Account.Name", {"a": 1}, "JSON_PARSER_ERROR", "START_OBJECT"),
        ("Account.Name", "x" * 256, "STRING_TOO_LONG", "(max length=255)"),
        ("Case.IsEscalated", "maybe", "JSON_PARSER_ERROR", "boolean"),
        ("Case.IsEscalated", 1, "INVALID_TYPE_ON_FIELD_IN_RECORD", "Escalated"),
        ("Opportunity.CloseDate", "tomorrow", "JSON_PARSER_ERROR", "date"),
        ("Opportunity.CloseDate", 20240101, "JSON_PARSER_ERROR", "VALUE_NUMBER_INT"),
        ("Event.StartDateTime", "soon", "JSON_PARSER_ERROR", "datetime"),
        ("Contact.Email", "not-an-email", "INVALID_EMAIL_ADDRESS", "invalid email"),
        ("Contact.AccountId", "xyz", "MALFORMED_ID", "id value of incorrect type"),
        (
            "Account.BillingGeocodeAccuracy",
            "Galaxy",
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Billing Geocode Accuracy: bad value for restricted picklist field: Galaxy",
        ),
        ("Account.BillingAddress", {"city": "Paris"}, "JSON_PARSER_ERROR", "address"),
    ],
)
def test_from_json_value_rejects(
    path: str, value: Any, code: str, message: str
) -> None:
    with pytest.raises(ApiError) as caught:
        from_json_value(field(path), value)
    assert caught.value.status == 400
    assert caught.value.error_code == code
    assert message in caught.value.message


def test_string_too_long_names_label_and_field() -> None:
    with pytest.raises(ApiError) as caught:
        from_json_value(field("Account.Name"), "y" * 300)
    assert caught.value.message.startswith("Account Name: data value too large: yyy")
    assert caught.value.items[0].fields == ["Name"]


def test_record_json_has_every_field_and_compound_address() -> None:
    account = SCHEMA.get("Account")
    assert account is not None
    row = {
        "Id": "0018a0000000001AAA",
        "Name": "Acme",
        "BillingCity": "Paris",
        "BillingLatitude": 48.85,
        "IsDeleted": 0,
        "CreatedDate": "2024-01-15T10:30:00.000Z",
    }
    record = record_json(account, row, "59.0")
    assert record["attributes"] == {
        "type": "Account",
        "url": "/services/data/v59.0/sobjects/Account/0018a0000000001AAA",
    }
    assert record["BillingAddress"] == {
        "city": "Paris",
        "country": None,
        "geocodeAccuracy": None,
        "latitude": 48.85,
        "longitude": None,
        "postalCode": None,
        "state": None,
        "street": None,
    }
    assert record["ShippingAddress"] is None
    assert record["IsDeleted"] is False
    assert record["CreatedDate"] == "2024-01-15T10:30:00.000+0000"
    assert record["Phone"] is None
    assert list(record)[1:] == list(account.fields)


def test_record_json_with_fields_keeps_order_and_appends_id() -> None:
    account = SCHEMA.get("Account")
    assert account is not None
    row = {"Id": "0018a0000000001AAA", "Name": "Acme", "Industry": "Banking"}
    record = record_json(account, row, "59.0", ["industry", "Name"])
    assert list(record) == ["attributes", "Industry", "Name", "Id"]


def test_record_json_unknown_field_is_invalid_field() -> None:
    account = SCHEMA.get("Account")
    assert account is not None
    with pytest.raises(ApiError) as caught:
        record_json(account, {"Id": "0018a0000000001AAA"}, "59.0", ["Nope"])
    assert caught.value.error_code == "INVALID_FIELD"
    assert "No such column 'Nope' on entity 'Account'" in caught.value.message
