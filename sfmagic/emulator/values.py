"""Field values between Salesforce JSON and SQLite storage.

Salesforce JSON (what the REST API sends and receives) and the storage contract of
``schema.py`` differ in a few places: datetimes travel as
``2024-01-15T10:30:00.000+0000`` but are stored as ``2024-01-15T10:30:00.000Z``,
booleans travel as ``true``/``false`` and are stored as 0/1, compound address and
location fields travel as objects but are stored as their parts. This module does
both directions, one field at a time, and builds the record JSON that ``GET
/sobjects/<O>/<id>`` answers.

Incoming values are checked the way Salesforce's JSON reader and field validation
check them (``from_json_value``), raising ``ApiError`` with Salesforce's error codes:
``JSON_PARSER_ERROR`` when a value cannot be read as the field's type at all,
``INVALID_TYPE_ON_FIELD_IN_RECORD`` when it is read but is the wrong kind,
``STRING_TOO_LONG``, ``NUMBER_OUTSIDE_VALID_RANGE``, ``INVALID_EMAIL_ADDRESS``,
``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`` and ``MALFORMED_ID``. Whether a
referenced record exists is checked by ``dml.py``, which has the store.

Known limits: dependent picklists (``validFor``) are not enforced; numbers are
rounded half-up to the field's scale, as Salesforce does for currency, and the
JSON reader's ``at [line:L, column:C]`` position is not reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from sfmagic.emulator import ids
from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.schema import FieldDef, SObjectDef

__all__ = [
    "compound_parts",
    "format_datetime",
    "from_json_value",
    "now_stored",
    "parse_date",
    "parse_datetime",
    "parse_stored_datetime",
    "record_json",
    "stored_datetime",
    "to_json_value",
    "unknown_field_error",
]

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BOOLEAN_TEXT = {"true": True, "false": False}
# Enough digits for any precision a describe allows (18) plus the scale.
_CONTEXT = Context(prec=60)
_STRING_LIKE = frozenset(
    {
        "string",
        "textarea",
        "combobox",
        "phone",
        "url",
        "encryptedstring",
        "base64",
        "anyType",
    }
)


# --- datetimes ------------------------------------------------------------------


def stored_datetime(moment: datetime) -> str:
    """The storage form of a datetime: UTC, milliseconds, ``Z``."""
    m = _as_utc(moment)
    # Spelled out: strftime does not pad years before 1000 on every platform.
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:"
        f"{m.second:02d}.{m.microsecond // 1000:03d}Z"
    )


def format_datetime(moment: datetime) -> str:
    """Salesforce's JSON form of a datetime: ``2024-01-15T10:30:00.000+0000``."""
    return stored_datetime(moment)[:-1] + "+0000"


def now_stored() -> str:
    """The current time in storage form."""
    return stored_datetime(datetime.now(UTC))


def parse_stored_datetime(text: str) -> datetime:
    """A timezone-aware datetime from its storage form."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def parse_datetime(text: str) -> datetime:
    """Read an ISO-8601 datetime the way Salesforce accepts it, in UTC.

    Accepts a date alone (midnight UTC), minutes with or without seconds,
    fractions of a second, and ``Z``, ``+01:00``, ``+0100`` or ``+01`` offsets;
    without an offset the time is taken as UTC. Raises ``ValueError`` otherwise.
    """
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"not a datetime: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micros,
            tzinfo=_offset(offset),
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"not a datetime: {text!r}") from None


def parse_date(text: str) -> date:
    """Read ``YYYY-MM-DD`` (a datetime's date part is accepted too)."""
    text = text.strip()
    match = _DATE.match(text) or _DATETIME.match(text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError(f"not a date: {text!r}") from None


def _offset(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad time zone offset: {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _stored_time(text: str) -> str:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"not a time: {text!r}")
    hour, minute, second, fraction, _zone = match.groups()
    if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
        raise ValueError(f"not a time: {text!r}")
    millis = (fraction or "0")[:3].ljust(3, "0")
    return f"{hour}:{minute}:{second or '00'}.{millis}Z"


# --- storage -> JSON --------------------------------------------------------------


def _datetime_json(stored: Any) -> Any:
    text = str(stored)
    return text[:-1] + "+0000" if text.endswith("Z") else text


_TO_JSON: dict[str, Callable[[Any], Any]] = {
    "boolean": bool,
    "int": int,
    "double": float,
    "currency": float,
    "percent": float,
    "datetime": _datetime_json,
}


def to_json_value(field: FieldDef, stored: Any) -> Any:
    """The Salesforce JSON value of a stored (SQLite) value; None stays None."""
    if stored is None:
        return None
    convert = _TO_JSON.get(field.type)
    if convert is None:
        return stored if isinstance(stored, str) else str(stored)
    return convert(stored)


# --- JSON -> storage --------------------------------------------------------------


def _json_kind(value: Any) -> str:
    """The JSON token Salesforce's reader would name for ``value``."""
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, list):
        return "START_ARRAY"
    return "START_OBJECT"


def _parser_error(type_name: str, value: Any) -> ApiError:
    if isinstance(value, dict):
        shown = "{"
    elif isinstance(value, list):
        shown = "["
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    else:
        shown = str(value)
    return ApiError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {_json_kind(value)} "
        f"value {shown} or request may be missing a required field",
    )


def _field_error(field: FieldDef, code: str, detail: str) -> ApiError:
    """A 400 about one field's value, worded as Salesforce words them."""
    return ApiError(400, code, f"{field.label}: {detail}", [field.name])


def _wrong_type(field: FieldDef, value: Any) -> ApiError:
    detail = f"value not of required type: {value}"
    return _field_error(field, "INVALID_TYPE_ON_FIELD_IN_RECORD", detail)


def _text(field: FieldDef, value: Any) -> str | None:
    if isinstance(value, dict | list):
        raise _parser_error("string", value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value)) if abs(value) < 1e15 else repr(value)
    else:
        text = str(value)
    if text == "":
        # Salesforce stores an empty string as null.
        return None
    if field.length and len(text) > field.length:
        detail = f"data value too large: {text} (max length={field.length})"
        raise _field_error(field, "STRING_TOO_LONG", detail)
    return text


def _string(field: FieldDef, value: Any) -> Any:
    return _text(field, value)


def _email(field: FieldDef, value: Any) -> Any:
    text = _text(field, value)
    if text is not None and not _EMAIL.match(text):
        detail = f"invalid email address: {text}"
        raise _field_error(field, "INVALID_EMAIL_ADDRESS", detail)
    return text


def _picklist(field: FieldDef, value: Any) -> Any:
    text = _text(field, value)
    if text is None or not field.restricted_picklist:
        return text
    allowed = {p.value for p in field.picklist_values if p.active}
    if text not in allowed:
        raise _restricted(field, text)
    return text


def _multipicklist(field: FieldDef, value: Any) -> Any:
    if isinstance(value, str | type(None)):
        text = value
    else:
        raise _parser_error("string", value)
    if text is None:
        return None
    chosen: list[str] = []
    for part in text.split(";"):
        item = part.strip()
        if item and item not in chosen:
            chosen.append(item)
    if field.restricted_picklist:
        allowed = {p.value for p in field.picklist_values if p.active}
        for item in chosen:
            if item not in allowed:
                raise _restricted(field, item)
    return _text(field, ";".join(chosen))


def _restricted(field: FieldDef, text: str) -> ApiError:
    detail = f"bad value for restricted picklist field: {text}"
    return _field_error(field, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", detail)


def _boolean(field: FieldDef, value: Any) -> Any:
    if value is None:
        # A checkbox is never null: Salesforce saves null as false.
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT:
        return int(_BOOLEAN_TEXT[value.strip().lower()])
    if isinstance(value, int | float):
        raise _wrong_type(field, value)
    raise _parser_error("boolean", value)


def _decimal(field: FieldDef, value: Any, type_name: str) -> Decimal:
    if isinstance(value, bool):
        raise _wrong_type(field, value)
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _parser_error(type_name, value) from None
        if number.is_finite():
            return number
    raise _parser_error(type_name, value)


def _out_of_range(field: FieldDef, value: Any) -> ApiError:
    detail = f"value outside of valid range on numeric field: {value}"
    return _field_error(field, "NUMBER_OUTSIDE_VALID_RANGE", detail)


def _real(field: FieldDef, value: Any) -> Any:
    number = _decimal(field, value, "double")
    whole_digits = field.precision - field.scale
    if field.precision and abs(number) >= Decimal(10) ** whole_digits:
        raise _out_of_range(field, value)
    if field.scale or field.precision:
        number = number.quantize(
            Decimal(1).scaleb(-field.scale), ROUND_HALF_UP, _CONTEXT
        )
    result = float(number)
    if not math.isfinite(result):
        raise _out_of_range(field, value)
    return result


def _int(field: FieldDef, value: Any) -> Any:
    number = _decimal(field, value, "int")
    if number != number.to_integral_value():
        raise _parser_error("int", value)
    digits = field.digits or 9
    if abs(number) >= Decimal(10) ** digits:
        raise _out_of_range(field, value)
    return int(number)


def _date(field: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        raise _parser_error("date", value)
    try:
        return parse_date(value).isoformat()
    except ValueError:
        raise _parser_error("date", value) from None


def _datetime(field: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        raise _parser_error("datetime", value)
    try:
        return stored_datetime(parse_datetime(value))
    except ValueError:
        raise _parser_error("datetime", value) from None


def _time(field: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        raise _parser_error("time", value)
    try:
        return _stored_time(value)
    except ValueError:
        raise _parser_error("time", value) from None


def _reference(field: FieldDef, value: Any) -> Any:
    if not isinstance(value, str):
        raise _parser_error("id", value)
    if value.strip() == "":
        return None
    try:
        return ids.to_18(value.strip())
    except ValueError:
        detail = f"id value of incorrect type: {value}"
        raise _field_error(field, "MALFORMED_ID", detail) from None


_FROM_JSON: dict[str, Callable[[FieldDef, Any], Any]] = {
    "boolean": _boolean,
    "int": _int,
    "double": _real,
    "currency": _real,
    "percent": _real,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
    "reference": _reference,
    "id": _reference,
    "email": _email,
    "picklist": _picklist,
    "multipicklist": _multipicklist,
}


def from_json_value(field: FieldDef, value: Any) -> Any:
    """The storage value of a JSON value sent for ``field``, validated.

    ``None`` means null (for checkboxes: false). Raises ``ApiError`` 400 with
    Salesforce's error code when the value does not fit the field.
    """
    if field.type in ("address", "location"):
        raise _parser_error(field.type, value)
    if value is None and field.type != "boolean":
        return None
    convert = _FROM_JSON.get(field.type, _string)
    return convert(field, value)


# --- record JSON ------------------------------------------------------------------


def compound_parts(sobject: SObjectDef, compound: FieldDef) -> list[tuple[str, str]]:
    """``(json key, field name)`` pairs of an address or location field's parts."""
    stem = compound.name.removesuffix("Address")
    stem = stem.removesuffix("__c")
    parts = []
    for part in sobject.fields.values():
        if part.compound_field_name != compound.name or part.name == compound.name:
            continue
        if part.storage is None:
            continue
        suffix = part.name[len(stem) :] if part.name.startswith(stem) else part.name
        suffix = suffix.removesuffix("__s")
        key = suffix[:1].lower() + suffix[1:]
        parts.append((key, part.name))
    parts.sort()
    return parts


def _compound_json(
    sobject: SObjectDef, compound: FieldDef, row: Mapping[str, Any], keys: set[str]
) -> dict[str, Any] | None:
    values = {
        key: to_json_value(sobject.fields[name], row[name] if name in keys else None)
        for key, name in compound_parts(sobject, compound)
    }
    if all(value is None for value in values.values()):
        return None
    return values


def unknown_field_error(sobject: SObjectDef, name: str) -> ApiError:
    """INVALID_FIELD for a field name the object does not have (``?fields=``)."""
    return ApiError(
        400,
        "INVALID_FIELD",
        f"No such column '{name}' on entity '{sobject.name}'. If you are attempting "
        "to use a custom field, be sure to append the '__c' after the custom field "
        "name. Please reference your WSDL or the describe call for the appropriate "
        "names.",
    )


def record_json(
    sobject: SObjectDef,
    row: Mapping[str, Any],
    api_version: str,
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A record as ``GET /sobjects/<O>/<id>`` answers it.

    ``row`` maps column names to storage values (a dict or ``sqlite3.Row``).
    Without ``fields`` every field is present, nulls included, in describe order,
    compound address/location fields as objects (null when every part is). With
    ``fields`` (any case) only those are present, then ``Id``; an unknown name
    raises INVALID_FIELD.
    """
    keys = set(row.keys())
    record_id = row["Id"] if "Id" in keys else None
    record: dict[str, Any] = {
        "attributes": {
            "type": sobject.name,
            "url": f"/services/data/v{api_version}/sobjects/{sobject.name}/{record_id}",
        }
    }
    if fields is None:
        chosen = list(sobject.fields.values())
    else:
        chosen = []
        for name in fields:
            found = sobject.field(name.strip())
            if found is None:
                raise unknown_field_error(sobject, name.strip())
            if found not in chosen:
                chosen.append(found)
        id_field = sobject.field("Id")
        if id_field is not None and id_field not in chosen:
            chosen.append(id_field)
    for field in chosen:
        if field.storage is None:
            record[field.name] = _compound_json(sobject, field, row, keys)
        else:
            stored = row[field.name] if field.name in keys else None
            record[field.name] = to_json_value(field, stored)
    return record
