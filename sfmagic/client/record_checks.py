"""Checks and conversions of record values, from describe, before any request.

``validate(describe, values, creating=…)`` finds what Salesforce would refuse in a
create or update payload and reports it as :class:`Problem` items with
Salesforce's error codes and the fields they name; ``json_value`` turns Python
values (dates, datetimes, times, Decimals, lists for multi-select picklists) into
Salesforce JSON; ``soql_literal`` quotes a value for a SOQL comparison.

Known limits: validation rules, duplicate rules, dangling lookups and unique
fields are only known to the org, which reports them when the record is sent.
Dependent picklists are not checked against their controlling field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sfmagic.client.binding import quote_value

__all__ = [
    "Problem",
    "is_email",
    "is_record_id",
    "json_value",
    "parse_datetime",
    "required",
    "soql_literal",
    "validate",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?$")
_TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
    }
)
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})


@dataclass(frozen=True)
class Problem:
    """One error as Salesforce reports it: message, ``errorCode`` and fields."""

    message: str
    error_code: str
    fields: tuple[str, ...] = ()


def json_value(meta_field: Mapping[str, Any], value: Any) -> Any:
    """``value`` as Salesforce JSON for the field: dates, datetimes, lists, Decimals."""
    kind = meta_field.get("type")
    if value is None or (value == "" and kind not in ("string", "textarea")):
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{moment.microsecond // 1000:03d}+0000"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.strftime('%H:%M:%S')}.{value.microsecond // 1000:03d}Z"
    if isinstance(value, Decimal):
        return int(value) if kind == "int" else float(value)
    if kind == "multipicklist" and isinstance(value, list | tuple | set | frozenset):
        return ";".join(str(v) for v in value) or None
    return value


def _check_value(item: Mapping[str, Any], value: Any) -> Problem | None:
    """A problem with ``value`` for the field described by ``item``, if any."""
    name, label, kind = item["name"], item.get("label", item["name"]), item["type"]
    if value is None:
        return None
    bad_type = Problem(
        f"{label}: value not of required type: {value}",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        (name,),
    )
    if kind in _TEXT_TYPES:
        if not isinstance(value, str):
            return bad_type
        return _check_text(item, value)
    if kind == "boolean":
        return None if isinstance(value, bool) else bad_type
    if kind == "int" or kind in _NUMBER_TYPES:
        return _check_number(item, value, bad_type)
    if kind == "date":
        ok = isinstance(value, str) and _DATE.match(value) and _parses_date(value)
        return None if ok else bad_type
    if kind == "datetime":
        return None if isinstance(value, str) and _parses_datetime(value) else bad_type
    if kind == "time":
        return None if isinstance(value, str) and _TIME.match(value) else bad_type
    if kind in ("reference", "id") and not (
        isinstance(value, str) and _ID.match(value)
    ):
        return Problem(
            f"{label}: id value of incorrect type: {value}", "MALFORMED_ID", (name,)
        )
    return None


def _check_text(item: Mapping[str, Any], value: str) -> Problem | None:
    name, label, kind = item["name"], item.get("label", item["name"]), item["type"]
    length = int(item.get("length") or 0)
    if length and len(value) > length:
        return Problem(
            f"{label}: data value too large: {value[:40]} (max length={length})",
            "STRING_TOO_LONG",
            (name,),
        )
    if kind == "email" and value and not _EMAIL.match(value):
        return Problem(
            f"{label}: invalid email address: {value}", "INVALID_EMAIL_ADDRESS", (name,)
        )
    if kind in ("picklist", "multipicklist") and item.get("restrictedPicklist"):
        allowed = {p["value"] for p in item.get("picklistValues") or () if p["active"]}
        chosen = value.split(";") if kind == "multipicklist" else [value]
        for choice in chosen:
            if choice and choice not in allowed:
                return Problem(
                    f"{label}: bad value for restricted picklist field: {choice}",
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    (name,),
                )
    return None


def _check_number(
    item: Mapping[str, Any], value: Any, bad_type: Problem
) -> Problem | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return bad_type
    if item["type"] == "int" and value != int(value):
        return bad_type
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return bad_type
    if not number.is_finite():
        return bad_type
    precision = int(item.get("precision") or item.get("digits") or 0)
    scale = int(item.get("scale") or 0)
    whole_digits = len(str(abs(int(number)))) if int(number) else 0
    if precision and whole_digits > precision - scale:
        return Problem(
            f"{item.get('label', item['name'])}: number outside valid range: {value}",
            "NUMBER_OUTSIDE_VALID_RANGE",
            (item["name"],),
        )
    return None


def _parses_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _parses_datetime(text: str) -> bool:
    try:
        parse_datetime(text)
    except ValueError:
        return False
    return True


def parse_datetime(text: str) -> datetime:
    """A Salesforce datetime (``…+0000``, ``…Z`` or ``…+01:00``), timezone-aware."""
    cleaned = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
    moment = datetime.fromisoformat(cleaned)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def validate(
    meta: Mapping[str, Any], values: Mapping[str, Any], *, creating: bool
) -> list[Problem]:
    """Check a create or update payload against the describe ``meta``.

    Returns the problems found, in Salesforce's terms (``REQUIRED_FIELD_MISSING``,
    ``INVALID_FIELD``, ``INVALID_FIELD_FOR_INSERT_UPDATE``,
    ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``STRING_TOO_LONG``,
    ``INVALID_EMAIL_ADDRESS``, ``INVALID_TYPE_ON_FIELD_IN_RECORD``,
    ``NUMBER_OUTSIDE_VALID_RANGE``, ``MALFORMED_ID``); empty when it looks valid.
    """
    fields = {f["name"]: f for f in meta["fields"]}
    flag = "createable" if creating else "updateable"
    problems: list[Problem] = []
    for name, value in values.items():
        item = fields.get(name)
        if item is None:
            message = f"No such column '{name}' on sobject of type {meta['name']}"
            problems.append(Problem(message, "INVALID_FIELD", (name,)))
        elif not item.get(flag):
            problems.append(
                Problem(
                    f"Unable to create/update fields: {name}. Please check the "
                    "security settings of this field and verify that it is "
                    "read/write for your profile or permission set.",
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    (name,),
                )
            )
        elif (problem := _check_value(item, value)) is not None:
            problems.append(problem)
    missing = [
        name
        for name, item in fields.items()
        if required(item)
        and (name in values or creating)
        and values.get(name) in (None, "")
    ]
    if missing:
        problems.append(
            Problem(
                f"Required fields are missing: [{', '.join(missing)}]",
                "REQUIRED_FIELD_MISSING",
                tuple(missing),
            )
        )
    return problems


def required(item: Mapping[str, Any]) -> bool:
    """Whether a create needs a value: createable, not nillable, no default."""
    return bool(
        item.get("createable")
        and not item.get("nillable")
        and not item.get("defaultedOnCreate")
        and item["type"] != "boolean"
    )


def soql_literal(meta_field: Mapping[str, Any], value: Any) -> str:
    """``value`` as a SOQL literal for comparing with the field."""
    kind = meta_field.get("type")
    value = json_value(meta_field, value)
    if value is None:
        return "null"
    if kind == "boolean":
        return "true" if str(value).lower() in ("true", "1") else "false"
    if kind in ("int", "double", "currency", "percent", "date", "datetime"):
        text = str(value)
        if re.fullmatch(r"[0-9T:.+\-Z]+", text):
            return text
    return quote_value(str(value))


def is_email(text: str) -> bool:
    """Whether ``text`` looks like an e-mail address (``name@domain.tld``)."""
    return bool(_EMAIL.match(text))


def is_record_id(text: str) -> bool:
    """Whether ``text`` is shaped like a 15- or 18-character record id."""
    return bool(_ID.match(text))
