"""Ingest jobs: CSV rows turned into the same DML calls the REST API makes.

Each row goes through ``Dml`` exactly as a REST request would, so validation and
error codes are the REST API's. A row's failure is written the way Bulk API 2.0
reports it in ``sf__Error``: ``ERROR_CODE:message:fields --``.

CSV conventions, as Salesforce's:

* an empty value leaves the field alone (unset on insert, unchanged on update);
* ``#N/A`` sets the field to null;
* ``Rel.ExtField`` (or ``Type:Rel.ExtField`` for a polymorphic lookup) sets the
  lookup behind relationship ``Rel`` to the record whose external-id or
  id-lookup field ``ExtField`` has that value;
* booleans may be ``true``/``false``, ``1``/``0`` or ``yes``/``no``.

Limits: relationship columns reach one level (``Account.Ext__c``, not
``Account.Owner.Username``); assignment rules and ``Sforce-Call-Options`` are
ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfmagic.emulator.bulk.csvio import CsvError
from sfmagic.emulator.errors import ApiError, ErrorItem
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef

if TYPE_CHECKING:
    from sfmagic.emulator.dml import Dml
    from sfmagic.emulator.store import Store

__all__ = ["IngestPlan", "RowOutcome", "error_text"]

logger = logging.getLogger("sfmagic.emulator.bulk")

NULL_MARKER = "#N/A"
_BOOLEAN_TEXT = {"1": True, "0": False, "yes": True, "no": False}


@dataclass(frozen=True)
class RowOutcome:
    """What happened to one uploaded row."""

    success: bool
    record_id: str | None = None
    created: bool = False
    error: str | None = None


def error_text(items: Sequence[ErrorItem]) -> str:
    """Bulk API's ``sf__Error`` text for an error: ``CODE:message:fields --``."""
    parts = []
    for item in items:
        fields = f"{', '.join(item.fields)} --" if item.fields else "--"
        parts.append(f"{item.error_code}:{item.message}:{fields}")
    return " ".join(parts)


@dataclass(frozen=True)
class _Column:
    """How one CSV column feeds the payload."""

    header: str
    field: FieldDef | None = None
    lookup: FieldDef | None = None
    parent: SObjectDef | None = None
    parent_field: FieldDef | None = None


class IngestPlan:
    """A checked header of an ingest job, ready to apply rows.

    Parameters
    ----------
    schema
        The org's schema.
    sobject
        The job's object.
    operation
        ``insert``, ``update``, ``upsert``, ``delete`` or ``hardDelete``.
    header
        The CSV header as uploaded.
    external_id_field
        The upsert key (a field name, or ``Id``).

    Raises
    ------
    CsvError
        A column that names no field of the object, a repeated column, or a
        header that does not fit the operation; the job fails with the message.
    """

    def __init__(
        self,
        schema: Schema,
        sobject: SObjectDef,
        operation: str,
        header: Sequence[str],
        external_id_field: str | None = None,
    ) -> None:
        self.sobject = sobject
        self.operation = operation
        self.header = list(header)
        self._schema = schema
        seen: set[str] = set()
        for name in self.header:
            if name.lower() in seen:
                raise CsvError(f"InvalidBatch : Duplicate field name: {name}")
            seen.add(name.lower())
        only_ids = [name.lower() for name in self.header] == ["id"]
        if operation in ("delete", "hardDelete") and not only_ids:
            raise CsvError(
                f"InvalidBatch : The '{operation}' batch must contain only 'Id'"
            )
        self.columns = [self._column(name) for name in self.header]
        self._id_index = self._index_of("Id")
        self._key_field: FieldDef | None = None
        self._key_index: int | None = None
        if operation == "upsert":
            self._key_field = sobject.field(external_id_field or "Id")
            self._key_index = self._index_of(external_id_field or "Id")
            if self._key_index is None or self._key_field is None:
                raise CsvError(
                    "InvalidBatch : The upsert key field "
                    f"{external_id_field or 'Id'} is not in the CSV header"
                )

    def _index_of(self, name: str) -> int | None:
        for index, column in enumerate(self.columns):
            if column.field is not None and column.field.name.lower() == name.lower():
                return index
        return None

    def _column(self, header: str) -> _Column:
        found = self.sobject.field(header)
        if found is not None:
            return _Column(header, field=found)
        if "." in header:
            column = self._relationship_column(header)
            if column is not None:
                return column
        raise CsvError(f"InvalidBatch : Field name not found : {header}")

    def _relationship_column(self, header: str) -> _Column | None:
        path, _, parent_field_name = header.rpartition(".")
        type_name, _, relationship = path.rpartition(":")
        lookup = self.sobject.relationship(relationship)
        if lookup is None or not lookup.reference_to:
            return None
        parent_name = type_name or lookup.reference_to[0]
        if parent_name.lower() not in (name.lower() for name in lookup.reference_to):
            return None
        parent = self._schema.get(parent_name)
        if parent is None or parent.virtual:
            return None
        parent_field = parent.field(parent_field_name)
        if parent_field is None or not (
            parent_field.external_id
            or parent_field.id_lookup
            or parent_field.name == "Id"
        ):
            return None
        return _Column(header, lookup=lookup, parent=parent, parent_field=parent_field)

    # --- applying rows -----------------------------------------------------------

    def apply(
        self, dml: Dml, store: Store, row: Sequence[str], *, user_id: str
    ) -> RowOutcome:
        """Run one row through DML; failures come back as an outcome, not raised.

        The caller holds a transaction; the row's writes go in a savepoint of
        their own, so a failing row leaves nothing behind.
        """
        known_id = self._known_id(row)
        try:
            with store.transaction():
                return self._apply(dml, row, user_id)
        except ApiError as error:
            return RowOutcome(False, known_id, error=error_text(_bulk_items(error)))
        except Exception:
            logger.exception("bulk ingest row failed unexpectedly")
            return RowOutcome(
                False,
                known_id,
                error="UNKNOWN_EXCEPTION:An unexpected error occurred:--",
            )

    def _known_id(self, row: Sequence[str]) -> str | None:
        if self._id_index is None:
            return None
        value = row[self._id_index].strip()
        return value if value and value != NULL_MARKER else None

    def _apply(self, dml: Dml, row: Sequence[str], user_id: str) -> RowOutcome:
        name = self.sobject.name
        if self.operation in ("delete", "hardDelete"):
            record_id = self._required_id(dml, row)
            if self.operation == "delete":
                dml.delete(name, record_id, user_id=user_id)
            else:
                dml.hard_delete(name, record_id, user_id=user_id)
            return RowOutcome(True, record_id)

        payload = self._payload(row)
        if self.operation == "insert":
            if payload.pop("Id", None) is not None:
                raise ApiError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    ["Id"],
                )
            return RowOutcome(True, dml.create(name, payload, user_id=user_id), True)
        if self.operation == "update":
            record_id = self._required_id(dml, row)
            payload.pop("Id", None)
            dml.update(name, record_id, payload, user_id=user_id)
            return RowOutcome(True, record_id)
        return self._upsert(dml, row, payload, user_id)

    def _upsert(
        self, dml: Dml, row: Sequence[str], payload: dict[str, Any], user_id: str
    ) -> RowOutcome:
        assert self._key_field is not None
        assert self._key_index is not None
        name = self.sobject.name
        key = self._key_field.name
        value = row[self._key_index].strip()
        payload.pop(key, None)
        if key == "Id":
            # Upserting on Id: no id creates, an id updates that record.
            given = value and value != NULL_MARKER
            record_id = dml.resolve_id(name, value) if given else None
            return _upserted(dml.upsert(name, key, record_id, payload, user_id=user_id))
        if not value or value == NULL_MARKER:
            raise ApiError(400, "MISSING_ARGUMENT", f"{key} not specified", [key])
        return _upserted(dml.upsert(name, key, value, payload, user_id=user_id))

    def _required_id(self, dml: Dml, row: Sequence[str]) -> str:
        value = self._known_id(row)
        if value is None:
            call = "delete" if self.operation in ("delete", "hardDelete") else "update"
            raise ApiError(
                400, "MISSING_ARGUMENT", f"Id not specified in an {call} call"
            )
        return dml.resolve_id(self.sobject.name, value)

    def _payload(self, row: Sequence[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for column, raw in zip(self.columns, row, strict=True):
            if raw == "":
                continue
            if column.field is not None:
                payload[column.field.name] = _field_value(column.field, raw)
            elif column.lookup is not None:
                payload.update(_reference_value(column, raw))
        return payload


def _field_value(field: FieldDef, raw: str) -> Any:
    if raw == NULL_MARKER:
        return None
    if field.type == "boolean":
        return _BOOLEAN_TEXT.get(raw.strip().lower(), raw)
    return raw


def _reference_value(column: _Column, raw: str) -> dict[str, Any]:
    """The payload entry of a relationship column, as REST's nested form.

    ``Account.Ext__c`` = ``X`` becomes ``{"Account": {"Ext__c": "X"}}``, which DML
    resolves (with REST's errors when no record or several match); ``#N/A``
    clears the lookup.
    """
    assert column.lookup is not None
    assert column.parent is not None
    assert column.parent_field is not None
    if raw == NULL_MARKER:
        return {column.lookup.name: None}
    relationship = column.lookup.relationship_name or column.lookup.name
    reference: dict[str, Any] = {column.parent_field.name: raw}
    if len(column.lookup.reference_to) > 1:
        reference["attributes"] = {"type": column.parent.name}
    return {relationship: reference}


def _upserted(result: tuple[str, bool]) -> RowOutcome:
    return RowOutcome(True, result[0], result[1])


def _bulk_items(error: ApiError) -> list[ErrorItem]:
    """The error items of a DML failure as Bulk API names them.

    REST answers an ambiguous upsert with 300 and a list of matching URLs;
    Bulk API reports it as ``DUPLICATE_EXTERNAL_ID``, and a missing record as
    Salesforce's data loads do, ``INVALID_CROSS_REFERENCE_KEY``.
    """
    if error.status == 300:
        return [
            ErrorItem(
                "DUPLICATE_EXTERNAL_ID",
                "more than one record found for external id field",
            )
        ]
    if error.error_code == "NOT_FOUND":
        return [ErrorItem("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]
    return list(error.items)
