"""sObject collections: create, update, upsert, delete and retrieve many records.

``POST composite/sobjects`` creates, ``PATCH composite/sobjects`` updates,
``PATCH composite/sobjects/{Object}/{ExtField}`` upserts and ``DELETE
composite/sobjects?ids=`` deletes up to 200 records, each answered with
``{"id", "success", "errors"}`` (plus ``created`` for upsert); ``allOrNone`` rolls
back every record when one fails, the others answering
``ALL_OR_NONE_OPERATION_ROLLED_BACK``. ``GET composite/sobjects/{Object}?ids=
&fields=`` (or POST with the two lists in the body) retrieves up to 2,000 records,
null for ids that name no live record. Each record goes through ``Dml`` as a
REST call would, so the validation and error codes are the REST API's; a record
that names no existing row answers ``INVALID_CROSS_REFERENCE_KEY``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sfmagic.emulator.app import method_not_allowed
from sfmagic.emulator.errors import ApiError, ErrorItem, not_found
from sfmagic.emulator.ids import to_18
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.values import record_json

if TYPE_CHECKING:
    from sfmagic.emulator.org import OrgState

__all__ = ["MAX_COLLECTION_RECORDS", "AllOrNoneError", "Collections", "bad_body"]

MAX_COLLECTION_RECORDS = 200
MAX_RETRIEVE_IDS = 2000
_ROLLED_BACK = (
    "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header"
)


def bad_body(message: str) -> ApiError:
    """400 ``JSON_PARSER_ERROR``: the body is not the JSON the resource expects."""
    return ApiError(400, "JSON_PARSER_ERROR", message)


class AllOrNoneError(Exception):
    """Raised inside an all-or-none transaction to roll it back."""


def find_key(mapping: Mapping[str, Any], name: str) -> Any:
    """The value of key ``name`` in any case, or None."""
    for key, value in mapping.items():
        if key.lower() == name.lower():
            return value
    return None


def _error_json(items: Sequence[ErrorItem]) -> list[dict[str, Any]]:
    return [
        {"statusCode": item.error_code, "message": item.message, "fields": item.fields}
        for item in items
    ]


def _record_errors(error: ApiError) -> list[dict[str, Any]]:
    if error.error_code == "NOT_FOUND":
        return _error_json(
            [ErrorItem("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]
        )
    return _error_json(error.items)


class Collections:
    """sObject collections for one caller and API version."""

    def __init__(self, org: OrgState, user_id: str, version: str) -> None:
        self.org = org
        self.user_id = user_id
        self.version = version

    def dispatch(
        self,
        method: str,
        segments: Sequence[str],
        params: Mapping[str, str],
        body: Any,
        force_all_or_none: bool = False,
    ) -> list[Any]:
        """Answer a collections request by method and the path after ``sobjects``."""
        if len(segments) == 1 and method in ("GET", "POST"):
            if method == "GET":
                ids = _split(params.get("ids"))
                fields = _split(params.get("fields"))
            else:
                ids, fields = _id_and_field_lists(body)
            return self.retrieve(segments[0], ids, fields)
        if len(segments) == 2 and method == "PATCH":
            records, all_or_none = _records(body)
            upsert = self._upserter(segments[0], segments[1])
            return self._save(records, all_or_none or force_all_or_none, upsert)
        if segments:
            raise not_found()
        if method == "DELETE":
            ids = _split(params.get("ids"))
            if len(ids) > MAX_COLLECTION_RECORDS:
                raise _too_many()
            all_or_none = params.get("allOrNone", "").lower() == "true"
            return self._save(ids, all_or_none or force_all_or_none, self._delete)
        if method in ("POST", "PATCH"):
            records, all_or_none = _records(body)
            if method == "POST":
                return self._save(
                    records,
                    all_or_none or force_all_or_none,
                    self._create,
                    creates=True,
                )
            return self._save(records, all_or_none or force_all_or_none, self._update)
        raise method_not_allowed(method, ["POST", "PATCH", "DELETE"])

    def _save(
        self,
        items: Sequence[Any],
        all_or_none: bool,
        action: Callable[[Any], dict[str, Any]],
        *,
        creates: bool = False,
    ) -> list[dict[str, Any]]:
        """Apply ``action`` to each item in a savepoint of its own.

        With ``all_or_none`` one failure rolls back every item. ``creates`` says
        that successful items were new records.
        """
        store = self.org.store
        results: list[dict[str, Any]] = []
        try:
            with store.transaction():
                for item in items:
                    results.append(self._one(item, action))
                if all_or_none and not all(result["success"] for result in results):
                    raise AllOrNoneError
        except AllOrNoneError:
            undone = _error_json(
                [ErrorItem("ALL_OR_NONE_OPERATION_ROLLED_BACK", _ROLLED_BACK)]
            )
            for result in results:
                if result["success"]:
                    # A created record is gone again: its id means nothing.
                    if result.pop("created", creates):
                        result.pop("id", None)
                    result.update(success=False, errors=undone)
        return results

    def _one(
        self, item: Any, action: Callable[[Any], dict[str, Any]]
    ) -> dict[str, Any]:
        known = item.get("id") or item.get("Id") if isinstance(item, dict) else item
        try:
            with self.org.store.transaction():
                return action(item)
        except ApiError as error:
            result: dict[str, Any] = {"success": False, "errors": _record_errors(error)}
            if isinstance(known, str) and known:
                result = {"id": known, **result}
            return result

    def _create(self, record: Any) -> dict[str, Any]:
        sobject, payload = _typed(self.org.schema, record)
        record_id = self.org.dml.create(sobject, payload, user_id=self.user_id)
        return {"id": record_id, "success": True, "errors": []}

    def _update(self, record: Any) -> dict[str, Any]:
        sobject, payload = _typed(self.org.schema, record)
        record_id = payload.pop("id", None) or payload.pop("Id", None)
        if not isinstance(record_id, str) or not record_id:
            raise ApiError(
                400, "MISSING_ARGUMENT", "Id not specified in an update call"
            )
        full = self.org.dml.resolve_id(sobject, record_id)
        self.org.dml.update(sobject, full, payload, user_id=self.user_id)
        return {"id": full, "success": True, "errors": []}

    def _delete(self, record_id: Any) -> dict[str, Any]:
        try:
            full = to_18(str(record_id))
        except ValueError:
            full = ""
        sobject = self.org.schema.by_key_prefix(full[:3]) if full else None
        if sobject is None:
            raise ApiError(400, "MALFORMED_ID", f"malformed id {record_id}", ["Id"])
        self.org.dml.delete(sobject.name, full, user_id=self.user_id)
        return {"id": full, "success": True, "errors": []}

    def _upserter(
        self, sobject_name: str, field_name: str
    ) -> Callable[[Any], dict[str, Any]]:
        sobject = self.org.schema.get(sobject_name)
        if sobject is None or sobject.virtual:
            raise not_found()
        field = sobject.field(field_name)
        if field is None or not (field.external_id or field.id_lookup):
            raise ApiError(
                404,
                "NOT_FOUND",
                "Provided external ID field does not exist or is not accessible: "
                f"{field_name}",
            )

        def upsert(record: Any) -> dict[str, Any]:
            name, payload = _typed(self.org.schema, record, sobject.name)
            if name.lower() != sobject.name.lower():
                raise ApiError(
                    400,
                    "INVALID_TYPE",
                    f"The record type {name} does not match the URL's {sobject.name}",
                )
            value = find_key(payload, field.name)
            if field.name != "Id" and value in (None, ""):
                raise ApiError(
                    400, "MISSING_ARGUMENT", f"{field.name} not specified", [field.name]
                )
            record_id, created = self.org.dml.upsert(
                sobject.name,
                field.name,
                None if value is None else str(value),
                payload,
                user_id=self.user_id,
            )
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return upsert

    def retrieve(
        self, sobject_name: str, ids: Sequence[str], fields: Sequence[str]
    ) -> list[Any]:
        """Records by id, null for ids that name no live record of the object."""
        sobject = self.org.schema.get(sobject_name)
        if sobject is None or sobject.virtual:
            raise not_found()
        if not ids or not fields:
            raise ApiError(
                400,
                "MISSING_ARGUMENT",
                "Both ids and fields are required to retrieve records",
            )
        if len(ids) > MAX_RETRIEVE_IDS:
            raise ApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"Cannot retrieve more than {MAX_RETRIEVE_IDS} records in one call",
            )
        records: list[Any] = []
        for text in ids:
            row = self.org.store.get(sobject.name, text)
            if row is not None and not str(row["Id"]).startswith(sobject.key_prefix):
                row = None
            records.append(
                None if row is None else record_json(sobject, row, self.version, fields)
            )
        if not records or all(record is None for record in records):
            # Unknown field names must still be reported.
            record_json(sobject, {"Id": None}, self.version, fields)
        return records


def _too_many() -> ApiError:
    return ApiError(
        400,
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than "
        f"{MAX_COLLECTION_RECORDS} records into this call",
    )


def _records(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise bad_body("The body must be a JSON object with a records list")
    records: list[Any] = body["records"]
    if len(records) > MAX_COLLECTION_RECORDS:
        raise _too_many()
    return records, body.get("allOrNone") is True


def _typed(
    schema: Schema, record: Any, default_type: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The sObject type of a collection record and its fields."""
    if not isinstance(record, dict):
        raise bad_body("Each record must be a JSON object")
    attributes = record.get("attributes")
    name = attributes.get("type") if isinstance(attributes, dict) else None
    name = name or default_type
    if not isinstance(name, str) or not name:
        raise ApiError(
            400, "INVALID_TYPE", "The record's attributes must name its sObject type"
        )
    sobject = schema.get(name)
    if sobject is None or sobject.virtual:
        raise ApiError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return sobject.name, {k: v for k, v in record.items() if k != "attributes"}


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _id_and_field_lists(body: Any) -> tuple[list[str], list[str]]:
    if not isinstance(body, dict):
        raise bad_body("The body must be a JSON object with ids and fields lists")
    lists = []
    for key in ("ids", "fields"):
        value = body.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_body(f"{key} must be a list of strings")
        lists.append(value)
    return lists[0], lists[1]
