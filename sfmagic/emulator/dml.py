"""Record writes with Salesforce's validation: create, update, upsert, delete.

Every operation validates its payload against the describe data, maintains the
system fields, and writes inside one ``store.transaction()``, so a call either
happens completely or not at all and concurrent calls are serialised. Failures
are ``ApiError`` with Salesforce's codes and messages:

* ``INVALID_FIELD`` (unknown field), ``INVALID_FIELD_FOR_INSERT_UPDATE``
  (not createable / not updateable), ``REQUIRED_FIELD_MISSING``;
* value errors from ``values.from_json_value`` (``JSON_PARSER_ERROR``,
  ``STRING_TOO_LONG``, ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ...);
* references: ``MALFORMED_ID`` (not an id, or an id of an object the lookup
  cannot point to), ``INVALID_CROSS_REFERENCE_KEY`` (no such record, or a group
  that is not a queue as owner), ``ENTITY_IS_DELETED``,
  ``INACTIVE_OWNER_OR_USER``;
* ``DUPLICATE_VALUE`` for unique fields, ``DELETE_FAILED`` when a restricted
  child relationship (Account.Cases, Contact.Cases) still has records,
  ``PRECONDITION_FAILED`` (412) for a stale ``If-Unmodified-Since``.

System fields: Id, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById,
SystemModstamp, IsDeleted, OwnerId (the acting user unless given) and describe
defaults are set here; fields Salesforce computes (names, CaseNumber, Case/Task/
Event/Opportunity status fields, ...) by ``derived.py``. Audit datetimes are whole
seconds, as Salesforce's are, and every write moves LastModifiedDate forward by
at least a second, so ``If-Unmodified-Since`` (a second-resolution HTTP date)
always notices a later write.

Deletes (``recycle.py``) are soft (``IsDeleted = 1``, visible to ``queryAll``) and
follow the child relationships: cascade-delete children go with the record, other
lookups to it are cleared, and ``undelete`` restores both. ``hard_delete`` removes
rows.

Replication: ``updated`` and ``deleted`` answer the ``updated/`` and
``deleted/`` resources in their JSON shape (``{"ids", "latestDateCovered"}`` and
``{"deletedRecords", "earliestDateAvailable", "latestDateCovered"}``).

Known limits: no validation rules, triggers, workflow, sharing or field-level
security; dependent picklists are not enforced; a queue owner is not checked
against the queue's supported objects; Event recurrence is stored only; the
``updated/``/``deleted/`` 30-day window of Salesforce is not enforced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sfmagic.emulator import ids
from sfmagic.emulator.derived import DerivedFields, audit_stamp
from sfmagic.emulator.errors import ApiError, not_found
from sfmagic.emulator.recycle import RecycleBin
from sfmagic.emulator.schema import FieldDef, Schema, SObjectDef
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store
from sfmagic.emulator.values import (
    format_datetime,
    from_json_value,
    parse_stored_datetime,
)

__all__ = ["Dml", "MultipleMatchesError"]

WRITE_ACCESS_HINT = (
    "Please check the security settings of this field and verify that it is "
    "read/write for your profile or permission set."
)
PICKLIST_TYPES = frozenset({"picklist", "multipicklist", "combobox"})


class MultipleMatchesError(ApiError):
    """300: an external id value matches several records.

    Salesforce answers with a JSON list of the matching records' URLs instead of
    an error list; ``urls(api_version)`` gives that body.
    """

    def __init__(self, sobject: str, record_ids: list[str]) -> None:
        super().__init__(
            300,
            "MULTIPLE_CHOICES",
            f"More than one record found for external id field: {sobject}",
        )
        self.sobject = sobject
        self.record_ids = record_ids

    def urls(self, api_version: str) -> list[str]:
        base = f"/services/data/v{api_version}/sobjects/{self.sobject}"
        return [f"{base}/{record_id}" for record_id in self.record_ids]


def _field_list(fields: Iterable[FieldDef]) -> list[str]:
    return [f.name for f in fields]


class Dml:
    """Validated writes to the org's records.

    Parameters
    ----------
    store, schema, settings
        The org's storage, schema and settings.
    """

    def __init__(self, store: Store, schema: Schema, settings: OrgSettings) -> None:
        self.store = store
        self.schema = schema
        self.settings = settings
        self.derived = DerivedFields(store, schema)
        self.recycle = RecycleBin(store, schema)

    # --- lookups ---------------------------------------------------------------

    def sobject(self, name: str) -> SObjectDef:
        """The sObject called ``name`` (any case); 404 NOT_FOUND otherwise."""
        found = self.schema.get(name)
        if found is None:
            raise not_found()
        return found

    def resolve_id(self, sobject: str, text: str) -> str:
        """The 18-character id of ``text`` if it is an id of ``sobject``.

        Raises MALFORMED_ID (400) for anything else, including a well-formed id
        of another object.
        """
        definition = self.sobject(sobject)
        try:
            full = ids.to_18(text.strip())
        except ValueError:
            full = ""
        if not full or full[:3] != definition.key_prefix:
            raise ApiError(
                400,
                "MALFORMED_ID",
                f"{definition.label} ID: id value of incorrect type: {text}",
                ["Id"],
            )
        return full

    def fetch(self, sobject: str, record_id: str) -> dict[str, Any]:
        """A live row by id: 404 NOT_FOUND if missing, ENTITY_IS_DELETED if deleted."""
        definition = self.sobject(sobject)
        full = self.resolve_id(definition.name, record_id)
        row = self.store.get(definition.name, full, include_deleted=True)
        if row is None:
            raise not_found()
        if row.get("IsDeleted"):
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return row

    # --- create / update / upsert ---------------------------------------------------

    def create(self, sobject: str, payload: Any, *, user_id: str) -> str:
        """Insert one record from a JSON payload; return its new id."""
        definition = self._writable(sobject, "createable", "inserted")
        with self.store.transaction():
            changes = self._read_payload(definition, payload, creating=True)
            return self._insert(definition, changes, user_id)

    def update(
        self,
        sobject: str,
        record_id: str,
        payload: Any,
        *,
        user_id: str,
        if_unmodified_since: datetime | None = None,
    ) -> None:
        """Change one record; 412 if it was modified after ``if_unmodified_since``."""
        definition = self._writable(sobject, "updateable", "updated")
        full = self.resolve_id(definition.name, record_id)
        with self.store.transaction():
            row = self.fetch(definition.name, full)
            if if_unmodified_since is not None:
                self._check_unmodified(definition, row, if_unmodified_since)
            changes = self._read_payload(definition, payload, creating=False)
            self._apply_update(definition, row, changes, user_id)

    def upsert(
        self,
        sobject: str,
        external_field: str,
        value: str | None,
        payload: Any,
        *,
        user_id: str,
        update_only: bool = False,
    ) -> tuple[str, bool]:
        """Update the record whose external id is ``value``, or create it.

        ``external_field`` is an external-id field, an ``idLookup`` field of a
        standard object (``Contact.Email``, as Salesforce's upsert allows) or
        ``Id`` (then ``value`` None creates). Returns ``(id, created)``. Several
        matches raise ``MultipleMatchesError`` (300); any other field is 404.
        """
        definition = self.sobject(sobject)
        field = definition.field(external_field)
        if field is None or not is_upsert_key(definition, field):
            raise not_found()
        body = self._without_key(definition, payload, field, value)
        with self.store.transaction():
            if field.name == "Id":
                matches = [self.resolve_id(definition.name, value)] if value else []
                if matches and self.store.get(definition.name, matches[0]) is None:
                    raise not_found()
            else:
                stored = from_json_value(field, value)
                matches = self.store.find_ids(definition.name, field.name, stored)
            if len(matches) > 1:
                raise MultipleMatchesError(definition.name, matches)
            if matches:
                self._writable(definition.name, "updateable", "updated")
                row = self.fetch(definition.name, matches[0])
                changes = self._read_payload(definition, body, creating=False)
                self._apply_update(definition, row, changes, user_id)
                return matches[0], False
            if update_only:
                raise not_found()
            self._writable(definition.name, "createable", "inserted")
            if field.name != "Id":
                body[field.name] = value
            changes = self._read_payload(definition, body, creating=True)
            return self._insert(definition, changes, user_id), True

    def _without_key(
        self, definition: SObjectDef, payload: Any, field: FieldDef, value: Any
    ) -> dict[str, Any]:
        """The upsert body minus the key field (which must agree with the URL)."""
        body = self._payload_dict(definition, payload)
        for key in list(body):
            if key.lower() != field.name.lower():
                continue
            sent = body.pop(key)
            if sent is not None and str(sent).lower() != str(value or "").lower():
                raise ApiError(
                    400,
                    "INVALID_FIELD",
                    f"The value of the external id field {field.name} in the body "
                    "does not match the value in the URL",
                    [field.name],
                )
        return body

    def _check_unmodified(
        self, definition: SObjectDef, row: Mapping[str, Any], since: datetime
    ) -> None:
        stamp_field = "LastModifiedDate" if "LastModifiedDate" in row else None
        stamp_field = stamp_field or "SystemModstamp"
        stored = row.get(stamp_field)
        if not stored:
            return
        modified = parse_stored_datetime(stored).replace(microsecond=0)
        limit = since.astimezone(UTC).replace(microsecond=0)
        if modified > limit:
            raise ApiError(
                412,
                "PRECONDITION_FAILED",
                f"The requested {definition.name} has been modified since "
                f"{format_datetime(limit)}: it was last modified at "
                f"{format_datetime(modified)}",
            )

    def _writable(self, sobject: str, flag: str, verb: str) -> SObjectDef:
        definition = self.sobject(sobject)
        if definition.virtual or not definition.raw.get(flag):
            raise ApiError(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                f"entity type cannot be {verb}: {definition.label}",
            )
        return definition

    def _insert(
        self, definition: SObjectDef, changes: dict[str, Any], user_id: str
    ) -> str:
        now = datetime.now(UTC)
        stamp = audit_stamp(now)
        self._check_references(definition, changes)
        row: dict[str, Any] = {"Id": self.store.new_id(definition.name)}
        self._apply_defaults(definition, changes)
        row.update(changes)
        system = {
            "IsDeleted": 0,
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
            "CreatedById": user_id,
            "LastModifiedById": user_id,
        }
        for name, value in system.items():
            if definition.field(name) is not None:
                row[name] = value
        if definition.field("OwnerId") is not None and not row.get("OwnerId"):
            row["OwnerId"] = user_id
        self.derived.apply(definition, row, row, now)
        self._check_required(definition, row, creating=True)
        self._check_unique(definition, row, None)
        self.derived.assign_autonumbers(definition, row)
        self.store.insert_rows(definition.name, [row])
        return str(row["Id"])

    def _apply_update(
        self,
        definition: SObjectDef,
        old: Mapping[str, Any],
        changes: dict[str, Any],
        user_id: str,
    ) -> None:
        now = datetime.now(UTC)
        merged = dict(old)
        merged.update(changes)
        self._check_references(definition, changes)
        self.derived.apply(definition, merged, changes, now, old=old)
        self._check_required(definition, changes, creating=False)
        self._check_unique(definition, changes, str(old["Id"]))
        previous = old.get("LastModifiedDate") or old.get("SystemModstamp")
        stamp = audit_stamp(now, previous)
        for name, value in (
            ("LastModifiedDate", stamp),
            ("SystemModstamp", stamp),
            ("LastModifiedById", user_id),
        ):
            if definition.field(name) is not None:
                changes[name] = value
        self.store.update_row(definition.name, str(old["Id"]), changes)

    # --- payload reading ----------------------------------------------------------

    def _payload_dict(self, definition: SObjectDef, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            kind = "START_ARRAY" if isinstance(payload, list) else "VALUE_STRING"
            raise ApiError(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {definition.name} from {kind} "
                "value or request may be missing a required field",
            )
        return {k: v for k, v in payload.items() if k != "attributes"}

    def _read_payload(
        self, definition: SObjectDef, payload: Any, *, creating: bool
    ) -> dict[str, Any]:
        """Storage values of a JSON payload, after Salesforce's field checks."""
        body = self._payload_dict(definition, payload)
        chosen: list[tuple[FieldDef, Any]] = []
        for key, value in body.items():
            field = definition.field(key)
            if field is None and isinstance(value, dict):
                chosen.append(self._foreign_key(definition, key, value))
                continue
            if field is None:
                raise ApiError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{key}' on sobject of type {definition.name}",
                    [key],
                )
            if field.name == "Id" and not creating:
                continue
            chosen.append((field, value))

        flag = "createable" if creating else "updateable"
        locked = [f for f, _ in chosen if not f.raw.get(flag)]
        if locked:
            names = ", ".join(_field_list(locked))
            raise ApiError(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {names}. {WRITE_ACCESS_HINT}",
                _field_list(locked),
            )
        return {field.name: from_json_value(field, value) for field, value in chosen}

    def _foreign_key(
        self, definition: SObjectDef, key: str, value: dict[str, Any]
    ) -> tuple[FieldDef, Any]:
        """A lookup given as ``"Account": {"Ext__c": "X"}``: resolve it to an id."""
        field = definition.relationship(key)
        if field is None:
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"No such column '{key}' on sobject of type {definition.name}",
                [key],
            )
        attributes = value.get("attributes") or {}
        target_name = attributes.get("type") if isinstance(attributes, dict) else None
        if target_name is None and len(field.reference_to) == 1:
            target_name = field.reference_to[0]
        target = self.schema.get(str(target_name or ""))
        keys = [k for k in value if k != "attributes"]
        if target is None or target.name not in field.reference_to or len(keys) != 1:
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID reference for field {field.name} must name "
                "the target sObject type and exactly one external id field",
                [field.name],
            )
        lookup = target.field(keys[0])
        if lookup is None or not (lookup.external_id or lookup.id_lookup):
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"Field {keys[0]} is not an external id field of {target.name}",
                [field.name],
            )
        raw = value[keys[0]]
        matches = self.store.find_ids(
            target.name, lookup.name, from_json_value(lookup, raw)
        )
        if not matches:
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {raw} not found for field {lookup.name} "
                f"in entity {target.name}",
                [field.name],
            )
        if len(matches) > 1:
            raise ApiError(
                400,
                "DUPLICATE_EXTERNAL_ID",
                f"More than 1 record found for an external ID field {lookup.name} "
                f"of {target.name}: {raw}",
                [field.name],
            )
        return field, matches[0]

    # --- checks -------------------------------------------------------------------

    def _apply_defaults(self, definition: SObjectDef, changes: dict[str, Any]) -> None:
        for field in definition.fields.values():
            if field.name in changes or not field.createable:
                continue
            default = field.default_value
            if default is None and field.type in PICKLIST_TYPES:
                default = next(
                    (p.value for p in field.picklist_values if p.default), None
                )
            if default is not None:
                changes[field.name] = from_json_value(field, default)

    def _check_required(
        self, definition: SObjectDef, values: Mapping[str, Any], *, creating: bool
    ) -> None:
        missing = []
        for field in definition.fields.values():
            if field.nillable or field.type == "boolean" or field.storage is None:
                continue
            writable = field.createable if creating else field.updateable
            if not writable or (creating and field.defaulted_on_create):
                continue
            if not creating and field.name not in values:
                continue
            if values.get(field.name) is None:
                missing.append(field.name)
        if missing:
            raise ApiError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )

    def _check_references(
        self, definition: SObjectDef, changes: Mapping[str, Any]
    ) -> None:
        for name, value in changes.items():
            field = definition.field(name)
            if field is None or field.type != "reference" or value is None:
                continue
            if field.name in ("CreatedById", "LastModifiedById"):
                continue
            self._check_reference(definition, field, str(value))

    def _check_reference(
        self, definition: SObjectDef, field: FieldDef, value: str
    ) -> None:
        target = self.schema.by_key_prefix(value[:3])
        if target is None or target.name not in field.reference_to:
            raise ApiError(
                400,
                "MALFORMED_ID",
                f"{field.label}: id value of incorrect type: {value}",
                [field.name],
            )
        row = self.store.get(target.name, value, include_deleted=True)
        if row is None:
            raise ApiError(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"{field.label}: invalid cross reference id",
                [field.name],
            )
        if row.get("IsDeleted"):
            raise ApiError(400, "ENTITY_IS_DELETED", "entity is deleted", [field.name])
        if field.name != "OwnerId":
            return
        if target.name == "Group" and row.get("Type") != "Queue":
            raise ApiError(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"{field.label}: invalid cross reference id",
                [field.name],
            )
        if target.name == "User" and row.get("IsActive") == 0:
            raise ApiError(
                400,
                "INACTIVE_OWNER_OR_USER",
                f"operation performed with inactive user [{value}] as owner of "
                f"[{definition.name}]",
                [field.name],
            )

    def _check_unique(
        self, definition: SObjectDef, changes: Mapping[str, Any], own_id: str | None
    ) -> None:
        for name, value in changes.items():
            field = definition.field(name)
            if field is None or not field.unique or value is None:
                continue
            others = [
                i
                for i in self.store.find_ids(
                    definition.name, field.name, value, include_deleted=True
                )
                if i != own_id
            ]
            if others:
                raise ApiError(
                    400,
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field.name} duplicates value on "
                    f"record with id: {others[0][:15]}",
                    [field.name],
                )

    # --- delete / undelete ----------------------------------------------------------

    def delete(self, sobject: str, record_id: str, *, user_id: str) -> None:
        """Soft-delete a record, its cascade children, and clear lookups to it."""
        definition = self._writable(sobject, "deletable", "deleted")
        full = self.resolve_id(definition.name, record_id)
        with self.store.transaction():
            self.fetch(definition.name, full)
            self.recycle.delete(definition, full, user_id)

    def hard_delete(self, sobject: str, record_id: str, *, user_id: str) -> None:
        """Remove a record and its cascade children for good (deleted or not)."""
        definition = self._writable(sobject, "deletable", "deleted")
        full = self.resolve_id(definition.name, record_id)
        with self.store.transaction():
            self.recycle.hard_delete(definition, full, user_id)

    def undelete(self, sobject: str, record_id: str, *, user_id: str) -> None:
        """Bring back a soft-deleted record and what its delete took along."""
        definition = self._writable(sobject, "undeletable", "undeleted")
        full = self.resolve_id(definition.name, record_id)
        with self.store.transaction():
            self.recycle.undelete(definition, full, user_id)

    # --- replication -----------------------------------------------------------------

    def updated(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """The ``updated/`` answer: ids changed in ``[start, end)``."""
        definition = self._replicable(sobject, start, end)
        found = self.store.updated_ids(definition.name, start, end)
        return {"ids": found, "latestDateCovered": _latest_covered(end)}

    def deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """The ``deleted/`` answer: records deleted in ``[start, end)``."""
        definition = self._replicable(sobject, start, end)
        records = self.store.deleted_records(definition.name, start, end)
        earliest = self.store.earliest_deleted_date(definition.name)
        return {
            "deletedRecords": [
                {"deletedDate": _json_datetime(when), "id": record_id}
                for record_id, when in records
            ],
            "earliestDateAvailable": _json_datetime(earliest),
            "latestDateCovered": _latest_covered(end),
        }

    def _replicable(self, sobject: str, start: datetime, end: datetime) -> SObjectDef:
        definition = self.sobject(sobject)
        if definition.virtual or not definition.raw.get("replicateable"):
            raise ApiError(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                f"entity type does not support replication: {definition.label}",
            )
        if start >= end:
            raise ApiError(
                400,
                "INVALID_REPLICATION_DATE",
                "startDate must chronologically precede endDate",
            )
        return definition


def _json_datetime(stored: str) -> str:
    return stored[:-1] + "+0000" if stored.endswith("Z") else stored


def _latest_covered(end: datetime) -> str:
    """``end``, or now if earlier, cut down to the minute (as Salesforce reports)."""
    moment = min(end.astimezone(UTC), datetime.now(UTC))
    return format_datetime(moment.replace(second=0, microsecond=0))


def is_upsert_key(definition: SObjectDef, field: FieldDef) -> bool:
    """Whether upsert may match records on ``field``."""
    if field.external_id or field.name == "Id":
        return True
    return field.id_lookup and not definition.custom
