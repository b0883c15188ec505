"""Deleting records the way Salesforce does: soft delete, cascades, undelete.

A delete follows the child relationships of the describe data:

* children under a ``cascadeDelete`` relationship (Account → Contacts,
  Opportunities, Tasks, Events, Notes; custom master-detail children) are
  deleted with the record, recursively;
* children under a ``restrictedDelete`` relationship (Account → Cases,
  Contact → Cases) block the delete with ``DELETE_FAILED``;
* every other lookup pointing at a deleted record is cleared (Account.ParentId of
  child accounts, Contact.ReportsToId, ...).

A soft delete sets ``IsDeleted = 1`` (``queryAll`` still sees the rows) and logs
each record for ``deleted/``; ``_delete_links`` remembers what went with the
record so that ``undelete`` can bring the children back and refill the cleared
lookups. A hard delete removes the rows; the ``deleted/`` log keeps them.

The caller (``Dml``) checks the object and id and holds the store's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sfmagic.emulator.derived import audit_stamp
from sfmagic.emulator.errors import ApiError, not_found
from sfmagic.emulator.schema import Schema, SObjectDef
from sfmagic.emulator.store import Store, quote

__all__ = ["RecycleBin"]

Plan = tuple[list[tuple[str, str]], list[tuple[str, str, str]]]


class RecycleBin:
    """Delete, hard-delete and undelete records of one org."""

    def __init__(self, store: Store, schema: Schema) -> None:
        self.store = store
        self.schema = schema

    def delete(self, definition: SObjectDef, record_id: str, user_id: str) -> None:
        """Soft-delete a live record with its cascade children; clear lookups."""
        cascade, cleared = self._plan(definition, record_id)
        stamp = audit_stamp(datetime.now(UTC))
        for name, child_id in cascade:
            changes = self._audit(name, stamp, user_id, IsDeleted=1)
            self.store.update_row(name, child_id, changes)
            self.store.log_deleted(name, child_id, stamp)
        self._clear(cleared, stamp, user_id)
        self._record_links(record_id, cascade, cleared)

    def hard_delete(self, definition: SObjectDef, record_id: str, user_id: str) -> None:
        """Remove a record (live or soft-deleted) and its cascade children."""
        row = self.store.get(definition.name, record_id, include_deleted=True)
        if row is None:
            raise not_found()
        if row.get("IsDeleted"):
            cascade = self._linked(definition, record_id)
        else:
            cascade, cleared = self._plan(definition, record_id)
            stamp = audit_stamp(datetime.now(UTC))
            self._clear(cleared, stamp, user_id)
            for name, child_id in cascade:
                self.store.log_deleted(name, child_id, stamp)
        for name, child_id in cascade:
            self.store.delete_rows(name, [child_id])
        self.store.execute("DELETE FROM _delete_links WHERE root_id = ?", (record_id,))

    def undelete(self, definition: SObjectDef, record_id: str, user_id: str) -> None:
        """Bring back a soft-deleted record and what its delete took along."""
        row = self.store.get(definition.name, record_id, include_deleted=True)
        if row is None:
            raise not_found()
        if not row.get("IsDeleted"):
            raise ApiError(400, "UNDELETE_FAILED", "Entity is not in the recycle bin")
        stamp = audit_stamp(datetime.now(UTC), row.get("SystemModstamp"))
        links = self.store.execute(
            "SELECT sobject, id, field FROM _delete_links WHERE root_id = ?",
            (record_id,),
        )
        restored = [(definition.name, record_id)] + [
            (str(r["sobject"]), str(r["id"])) for r in links if r["field"] is None
        ]
        for name, child_id in dict.fromkeys(restored):
            changes = self._audit(name, stamp, user_id, IsDeleted=0)
            self.store.update_row(name, child_id, changes)
            self.store.unlog_deleted(name, child_id)
        for link in links:
            if link["field"] is not None:
                self._restore_lookup(
                    str(link["sobject"]), str(link["id"]), str(link["field"]), record_id
                )
        self.store.execute("DELETE FROM _delete_links WHERE root_id = ?", (record_id,))

    # --- planning -----------------------------------------------------------------

    def _plan(self, definition: SObjectDef, record_id: str) -> Plan:
        """Records a delete takes along, and lookups it clears on other records."""
        cascade: dict[tuple[str, str], None] = {(definition.name, record_id): None}
        restricted: list[tuple[str, str]] = []
        cleared: list[tuple[str, str, str]] = []
        queue = [(definition, record_id)]
        while queue:
            parent, parent_id = queue.pop()
            for rel in parent.raw.get("childRelationships") or ():
                child = self.schema.get(str(rel.get("childSObject")))
                field = str(rel.get("field"))
                if child is None or child.virtual or child.field(field) is None:
                    continue
                for child_id in self._live_children(child, field, parent_id):
                    if (child.name, child_id) in cascade:
                        continue
                    if rel.get("cascadeDelete"):
                        cascade[(child.name, child_id)] = None
                        queue.append((child, child_id))
                    elif rel.get("restrictedDelete"):
                        restricted.append((child.name, child_id))
                    else:
                        cleared.append((child.name, child_id, field))
        blocking = list(dict.fromkeys(r for r in restricted if r not in cascade))
        if blocking:
            raise self._delete_failed(definition, record_id, blocking)
        cleared = [c for c in cleared if (c[0], c[1]) not in cascade]
        return list(cascade), cleared

    def _live_children(
        self, child: SObjectDef, field: str, parent_id: str
    ) -> list[str]:
        rows = self.store.execute(
            f"SELECT Id FROM {quote(child.name)} WHERE {quote(field)} = ? "
            "AND IsDeleted = 0",
            (parent_id,),
        )
        return [str(r[0]) for r in rows]

    def _delete_failed(
        self, definition: SObjectDef, record_id: str, blocking: list[tuple[str, str]]
    ) -> ApiError:
        row = self.store.get(definition.name, record_id) or {}
        name_field = definition.name_field
        shown = row.get(name_field.name) if name_field else None
        child = self.schema.get(blocking[0][0])
        assert child is not None
        child_name = child.name_field
        labels = []
        for _, child_id in blocking[:5]:
            child_row = self.store.get(child.name, child_id) or {}
            label = child_row.get(child_name.name) if child_name else None
            labels.append(str(label or child_id))
        plural = str(child.raw.get("labelPlural") or child.name).lower()
        return ApiError(
            400,
            "DELETE_FAILED",
            f"Your attempt to delete {shown or record_id} could not be completed "
            f"because it is associated with the following {plural}.: "
            f"{', '.join(labels)}",
        )

    # --- bookkeeping ----------------------------------------------------------------

    def _audit(
        self, sobject: str, stamp: str, user_id: str, **values: Any
    ) -> dict[str, Any]:
        definition = self.schema.get(sobject)
        assert definition is not None
        result = dict(values)
        if definition.field("SystemModstamp") is not None:
            result["SystemModstamp"] = stamp
        if "IsDeleted" in values and definition.field("LastModifiedById") is not None:
            result["LastModifiedById"] = user_id
            result["LastModifiedDate"] = stamp
        return result

    def _clear(
        self, cleared: list[tuple[str, str, str]], stamp: str, user_id: str
    ) -> None:
        for name, child_id, field in cleared:
            changes = self._audit(name, stamp, user_id, **{field: None})
            self.store.update_row(name, child_id, changes)

    def _restore_lookup(
        self, sobject: str, record_id: str, field: str, parent: str
    ) -> None:
        table, column = quote(sobject), quote(field)
        self.store.execute(
            f"UPDATE {table} SET {column} = ? WHERE Id = ? AND {column} IS NULL",
            (parent, record_id),
        )

    def _linked(self, definition: SObjectDef, root_id: str) -> list[tuple[str, str]]:
        rows = self.store.execute(
            "SELECT sobject, id FROM _delete_links WHERE root_id = ? AND field IS NULL",
            (root_id,),
        )
        found = [(str(r["sobject"]), str(r["id"])) for r in rows]
        return [(definition.name, root_id), *found]

    def _record_links(
        self,
        root_id: str,
        cascade: list[tuple[str, str]],
        cleared: list[tuple[str, str, str]],
    ) -> None:
        rows: list[tuple[str, str, str, str | None]] = [
            (root_id, name, child_id, None)
            for name, child_id in cascade
            if child_id != root_id
        ]
        rows += [(root_id, name, child_id, field) for name, child_id, field in cleared]
        with self.store.lock:
            self.store.conn.executemany(
                "INSERT INTO _delete_links (root_id, sobject, id, field) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
