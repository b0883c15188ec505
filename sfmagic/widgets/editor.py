"""The record editor: one record as a form built from describe, safe to save.

``RecordEditor("Account", "001…")`` in a notebook cell shows the record as a form
(one input per field, see ``sfmagic.widgets.fields``) in three sections
(information, address, system information), a toolbar (load, new, save, revert,
delete, close) and the record's related lists, whose rows open in a new editor.
``%sf_edit Account 001…`` (``sfmagic.magics.edit``) opens the same editor.

Saving creates the record, or PATCHes only the fields that changed with
``If-Unmodified-Since`` set to the loaded ``LastModifiedDate``. When someone else
changed the record meanwhile, nothing is written: a conflict panel lists the
fields changed remotely and locally and offers *reload* (drop mine) or
*overwrite* (send mine). Errors the org reports for fields are shown next to
those fields; format mistakes are shown as soon as they are typed.

Scripts use the same object without a browser::

    editor = RecordEditor("Account", "001…", conn=conn)
    editor.fields["Industry"].value = "Energy"
    editor.save()                 # True when written
    editor.record["Industry"]     # "Energy"
    editor.delete(confirm=True)

A delete is held the same way when the record changed since it was loaded
(*reload*, or *delete anyway*). An overwrite or a delete-anyway is still checked
against the version the conflict showed, so a third change made while the user
was choosing is held again rather than lost.

Known limits: see ``sfmagic.client.records`` (whole-second conflict detection,
related lists capped at 50 rows) and ``sfmagic.widgets.fields``. Record types,
page layouts and field-level security beyond describe's flags are not applied.
A lookup that can point to many objects (a Task's ``WhatId``) searches the first
:data:`LOOKUP_TARGETS` of them. The toolbar's Load, New and Close warn once
before dropping unsaved changes; the methods of the same names do not ask.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from sfmagic.client import records
from sfmagic.client.records import (
    SYSTEM_FIELDS,
    LoadedRecord,
    RecordConflictError,
    RecordError,
)
from sfmagic.widgets.fields import (
    FieldWidget,
    LookupField,
    field_widget,
    is_editable,
)
from sfmagic.widgets.related import RelatedListView

__all__ = ["RecordEditor", "parse_criteria"]

#: Objects a lookup's search box looks in, from the field's ``referenceTo``.
LOOKUP_TARGETS = 3

_SECTIONS = ("Information", "Address", "System information")
_COMPOUND_TYPES = frozenset({"address", "location"})
_RED = "#c23934"


class RecordEditor:
    """Edit one record of ``sobject`` in a form built from its describe.

    Parameters
    ----------
    sobject
        The object's API name, e.g. ``"Account"`` or ``"Invoice__c"``.
    record_id
        The record to load; None starts a new record (unless ``where`` is given).
    where
        Load the single record whose fields equal these values, as a mapping
        (``{"Name": "Acme"}``) or text (``"Name=Acme"``, values quoted when they
        contain spaces). Zero or several matches leave the editor empty with a
        message listing them.
    conn
        A ``Connection`` (or any ``QueryTransport``); None for the notebook's
        current connection.

    Attributes
    ----------
    fields
        Field name → :class:`~sfmagic.widgets.fields.FieldWidget`.
    related
        Related list label → :class:`~sfmagic.widgets.related.RelatedListView`.
    opened
        The editors opened from related-list rows.
    conflict
        The pending :class:`~sfmagic.client.records.RecordConflictError`, if any.
    message
        The last status message, as plain text.
    widget
        The whole editor, an ``ipywidgets.VBox``.
    """

    def __init__(
        self,
        sobject: str,
        record_id: str | None = None,
        *,
        where: str | Mapping[str, Any] | None = None,
        conn: object | None = None,
    ) -> None:
        self.conn = records.resolve(conn)
        self.meta = records.describe(self.conn, sobject)
        self.sobject = str(self.meta["name"])
        self.loaded: LoadedRecord | None = None
        self.related: dict[str, RelatedListView] = {}
        self.opened: list[RecordEditor] = []
        self.conflict: RecordConflictError | None = None
        self._held = "save"
        self._seen: dict[str, Any] | None = None
        self._warned: tuple[str, tuple[str, ...]] | None = None
        self.matches: list[dict[str, Any]] = []
        self.message = ""
        self.message_is_error = False
        self.fields = self._build_fields()
        self._build_layout()

        # A new record first, so a load that fails leaves a consistent form.
        self.new()
        if record_id:
            self.load(record_id)
        elif where:
            self.load_where(where)

    # -- script API -----------------------------------------------------------------

    @property
    def record(self) -> dict[str, Any]:
        """The current values of every field (unsaved changes included)."""
        return {name: field.value for name, field in self.fields.items()}

    @property
    def record_id(self) -> str | None:
        """The id of the loaded record; None for a new or closed one."""
        return self.loaded.id if self.loaded else None

    @property
    def creating(self) -> bool:
        """Whether saving will create a record."""
        return self.loaded is None

    @property
    def changes(self) -> dict[str, Any]:
        """Field → value for every editable field the user changed."""
        return {
            name: field.value
            for name, field in self.fields.items()
            if not field.disabled and field.changed
        }

    @property
    def dirty(self) -> bool:
        """Whether there are unsaved changes."""
        return bool(self.changes)

    def load(self, record_id: str | None = None) -> bool:
        """Load a record by id, or by ``Field=Value`` text; False when not found.

        Without an argument, loads what the toolbar's search box holds. Unsaved
        changes are dropped.
        """
        target = (record_id if record_id is not None else self.locator.value).strip()
        if "=" in target:
            return self.load_where(target)
        if not target:
            self._say("Type an id, or Field=Value, to load a record.", error=True)
            return False
        try:
            loaded = records.get_with_related(self.conn, self.sobject, target)
        except RecordError as exc:
            self._say(str(exc), error=True)
            return False
        self.show(loaded)
        return True

    def show(self, loaded: LoadedRecord) -> None:
        """Show a record loaded with ``records.get_with_related``; unsaved changes
        are dropped."""
        if loaded.sobject != self.sobject:
            raise ValueError(f"This editor shows {self.sobject}, not {loaded.sobject}.")
        self._show(loaded)
        self._say(f"Loaded {self._title()}.")

    def load_where(self, where: str | Mapping[str, Any]) -> bool:
        """Load the one record whose fields equal ``where``; False otherwise."""
        try:
            criteria = parse_criteria(where) if isinstance(where, str) else where
            self.matches = records.find(self.sobject, criteria, conn=self.conn)
        except (RecordError, ValueError) as exc:
            self._say(str(exc), error=True)
            return False
        wanted = " and ".join(f"{k} = {v!r}" for k, v in criteria.items())
        if len(self.matches) == 1:
            return self.load(str(self.matches[0]["Id"]))
        if not self.matches:
            self._say(f"No {self.sobject} has {wanted}.", error=True)
            return False
        listed = ", ".join(_describe_row(row) for row in self.matches[:10])
        more = " or more" if len(self.matches) > 10 else ""
        self._say(
            f"{len(self.matches)}{more} {self.meta.get('labelPlural', self.sobject)} "
            f"have {wanted}: {listed}. Load one by its id.",
            error=True,
        )
        return False

    def reload(self) -> bool:
        """Load the record again from the org, dropping unsaved changes."""
        if self.loaded is None:
            self._say("There is no saved record to reload.", error=True)
            return False
        return self.load(self.loaded.id)

    def new(self) -> None:
        """Start a new record with describe's default values."""
        self._clear()
        for field in self.fields.values():
            field.reset(None if field.disabled else _default_value(field.meta))
        self._say(f"New {self.meta.get('label', self.sobject)}.")

    def save(self) -> bool:
        """Create the record, or PATCH the changed fields; True when written.

        A remote change since the load is held as a conflict (see
        :meth:`resolve_conflict`); field errors are shown next to their fields.
        """
        return self._write(force=False)

    def revert(self) -> None:
        """Drop unsaved changes."""
        for field in self.fields.values():
            if field.changed:
                field.reset(field.baseline, names=self._names())
        self._hide_panels()
        self._say("Unsaved changes dropped.")

    def delete(self, confirm: bool = False) -> bool:
        """Delete the record: ``confirm=False`` only asks, naming the record.

        Returns True when the record was deleted.
        """
        if self.loaded is None:
            self._say("There is no saved record to delete.", error=True)
            return False
        if not confirm:
            self.confirm_text.value = (
                f"Delete {self._title()}? It goes to the recycle bin. "
                "Click <b>Delete</b> to confirm."
            )
            self.confirm_box.layout.display = "flex"
            return False
        return self._delete(force=False)

    def _delete(self, *, force: bool) -> bool:
        """Delete; ``force`` deletes the version the conflict showed."""
        assert self.loaded is not None
        if not force:
            self._seen = None
        title = self._title()
        self._hide_panels()
        try:
            records.delete(
                self.sobject,
                self.loaded.id,
                loaded=self._stamp_source(),
                conn=self.conn,
            )
        except RecordConflictError as exc:
            self._show_conflict(exc, action="delete")
            return False
        except RecordError as exc:
            self._say(str(exc), error=True)
            return False
        self.new()
        self._say(f"Deleted {title}.")
        return True

    def close(self) -> None:
        """Forget the record: values, names, related lists, panels, opened editors.

        The form stays, empty, ready to load or start another record.
        """
        for editor in self.opened:
            editor.close()
        self._clear()
        for field in self.fields.values():
            field.forget()
        self.locator.value = ""
        self.confirm_text.value = ""
        self.conflict_text.value = ""
        self._say("Closed.")

    def resolve_conflict(self, choice: str) -> bool:
        """Settle a held conflict: ``"reload"`` (drop mine) or ``"overwrite"``."""
        if self.conflict is None:
            self._say("There is no conflict to resolve.", error=True)
            return False
        if choice == "reload":
            self.conflict = None
            return self.reload()
        if choice == "overwrite":
            if self._held == "delete":
                return self._delete(force=True)
            return self._write(force=True)
        raise ValueError(f"choice must be 'reload' or 'overwrite', not {choice!r}")

    def open_related(self, sobject: str, record_id: str) -> RecordEditor:
        """Open a record in a new editor shown under this one; that editor.

        Raises :class:`~sfmagic.client.records.RecordError` when the org cannot
        describe ``sobject`` (a row's button shows the message instead).
        """
        editor = RecordEditor(sobject, record_id, conn=self.conn)
        self.opened.append(editor)
        self.opened_box.children = [*self.opened_box.children, editor.widget]
        return editor

    def _open_row(self, sobject: str, record_id: str) -> RecordEditor | None:
        try:
            return self.open_related(sobject, record_id)
        except RecordError as exc:
            self._say(f"Cannot open {sobject} {record_id}: {exc}", error=True)
            return None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<RecordEditor {self.sobject} {self.record_id or '(new)'}>"

    # -- building the form ----------------------------------------------------------

    def _build_fields(self) -> dict[str, FieldWidget]:
        built: dict[str, FieldWidget] = {}
        for meta in _ordered(self.meta):
            field = field_widget(meta)
            if isinstance(field, LookupField):
                field.search = self._searcher(meta)
            field.on_change(self._field_changed)
            built[field.name] = field
        return built

    def _searcher(self, meta: Mapping[str, Any]) -> Any:
        targets = list(meta.get("referenceTo") or ())[:LOOKUP_TARGETS]

        def search(text: str) -> list[tuple[str, str]]:
            try:
                found = records.search_names(self.conn, targets, text)
            except RecordError:
                return []
            return [(record_id, name) for record_id, name, _ in found]

        return search

    def _build_layout(self) -> None:
        self.heading = widgets.HTML()
        self.status = widgets.HTML()
        self.locator = widgets.Text(placeholder="Id, or Field=Value")
        self.buttons = {
            name: widgets.Button(description=name.title(), layout={"width": "auto"})
            for name in ("load", "new", "save", "revert", "delete", "close")
        }
        for name, button in self.buttons.items():
            button.add_class(f"sfmagic-{name}")
        self.buttons["save"].button_style = "primary"
        self.buttons["delete"].button_style = "danger"
        self.buttons["load"].on_click(lambda _: self._unless_unsaved("load"))
        self.buttons["new"].on_click(lambda _: self._unless_unsaved("new"))
        self.buttons["save"].on_click(lambda _: self.save())
        self.buttons["revert"].on_click(lambda _: self.revert())
        self.buttons["delete"].on_click(lambda _: self.delete())
        self.buttons["close"].on_click(lambda _: self._unless_unsaved("close"))
        toolbar = widgets.HBox([self.locator, *self.buttons.values()])

        self.confirm_text = widgets.HTML()
        self.confirm_button = widgets.Button(
            description="Delete", button_style="danger"
        )
        self.confirm_button.on_click(lambda _: self.delete(confirm=True))
        cancel = widgets.Button(description="Cancel")
        cancel.on_click(lambda _: self._hide_panels())
        self.confirm_box = widgets.HBox(
            [self.confirm_text, self.confirm_button, cancel]
        )

        self.conflict_text = widgets.HTML()
        self.reload_button = widgets.Button(description="Reload (drop mine)")
        self.reload_button.on_click(lambda _: self.resolve_conflict("reload"))
        self.overwrite_button = widgets.Button(
            description="Overwrite with mine", button_style="warning"
        )
        self.overwrite_button.on_click(lambda _: self.resolve_conflict("overwrite"))
        self.conflict_box = widgets.VBox(
            [
                self.conflict_text,
                widgets.HBox([self.reload_button, self.overwrite_button]),
            ]
        )
        self.sections = {
            title: widgets.VBox([widgets.HTML(f"<h4>{title}</h4>")])
            for title in _SECTIONS
        }
        for field in self.fields.values():
            section = self.sections[_section_of(self.meta, field.meta)]
            section.children = [*section.children, field.container]
        self.related_box = widgets.VBox()
        self.opened_box = widgets.VBox()
        self.widget = widgets.VBox(
            [
                self.heading,
                toolbar,
                self.status,
                self.confirm_box,
                self.conflict_box,
                *self.sections.values(),
                self.related_box,
                self.opened_box,
            ]
        )
        self.widget.add_class("sfmagic-editor")
        self.status.add_class("sfmagic-status")
        self._hide_panels()

    # -- state changes --------------------------------------------------------------

    def _show(self, loaded: LoadedRecord) -> None:
        self._clear()
        self.loaded = loaded
        for name, field in self.fields.items():
            field.reset(loaded.values.get(name), names=loaded.names)
        self._set_disabled()
        self.locator.value = loaded.id
        self.related = {
            related.label: RelatedListView(related, self._open_row)
            for related in loaded.related
        }
        boxes: list[widgets.Widget] = [view.widget for view in self.related.values()]
        if loaded.unavailable:
            # Said rather than hidden, so nobody takes a missing list for an
            # empty one (Case has no Notes where Note cannot point to a Case).
            missing = ", ".join(loaded.unavailable)
            boxes.append(
                widgets.HTML(
                    f"<i>Not available in this org: {_html(missing)} (the "
                    f"{_html(self.sobject)} object has no such relationship).</i>"
                )
            )
        self.related_box.children = (
            [widgets.HTML("<h4>Related</h4>"), *boxes] if boxes else []
        )

    def _clear(self) -> None:
        self.loaded = None
        self.conflict = None
        self._seen = None
        self._held = "save"
        self.matches = []
        self.related = {}
        self.related_box.children = []
        self.opened = []
        self.opened_box.children = []
        self._hide_panels()
        self._set_disabled()

    def _set_disabled(self) -> None:
        for field in self.fields.values():
            field.disabled = not is_editable(field.meta, creating=self.creating)

    def _hide_panels(self) -> None:
        self.confirm_box.layout.display = "none"
        self.conflict_box.layout.display = "none"

    def _names(self) -> dict[str, str]:
        return self.loaded.names if self.loaded else {}

    def _title(self) -> str:
        label = self.meta.get("label", self.sobject)
        if self.loaded is None:
            return f"new {label}"
        display = records.name_field(self.meta)
        name = self.loaded.values.get(display)
        return (
            f'{label} "{name}" ({self.loaded.id})'
            if name
            else f"{label} {self.loaded.id}"
        )

    def _unless_unsaved(self, action: str) -> None:
        """Run a toolbar action that drops unsaved changes, after a warning.

        With unsaved changes the first click only warns; a second click on the
        same button, with nothing changed in between, goes ahead.
        """
        changed = sorted(self.changes)
        if changed and self._warned != (action, tuple(changed)):
            self._warned = (action, tuple(changed))
            self._say(
                f"Unsaved changes to {', '.join(changed)} would be lost; save or "
                f"revert them, or click {action.title()} again to drop them.",
                error=True,
            )
            return
        self._warned = None
        if action == "load":
            self.load()
        elif action == "new":
            self.new()
        else:
            self.close()

    def _field_changed(self, _field: FieldWidget) -> None:
        self._warned = None
        self._refresh_status()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message = text
        self.message_is_error = error
        self._refresh_status()

    def _refresh_status(self) -> None:
        changed = sorted(self.changes)
        mark = "● " if changed else ""
        self.heading.value = f"<h3>{mark}{_html(self._title())}</h3>"
        colour = _RED if self.message_is_error else "#3e3e3c"
        unsaved = ""
        if changed:
            unsaved = f"Unsaved changes: {', '.join(changed)}."
            unsaved = f'<span style="color:#dd7a01">{unsaved}</span> '
        message = f'<span style="color:{colour}">{_html(self.message)}</span>'
        self.status.value = unsaved + message

    def _write(self, *, force: bool) -> bool:
        """Create or update; ``force`` overwrites the version the conflict showed."""
        if not force:
            self._seen = None
        # Only what will be sent is checked: a value stored in an odd format by
        # someone else must not block saving an unrelated change.
        for field in self.fields.values():
            sent = not field.disabled and (self.creating or field.changed)
            field.error = field.check() if sent else None
        bad = [f.name for f in self.fields.values() if f.error]
        if bad:
            self._say(f"Fix {', '.join(bad)} before saving.", error=True)
            return False
        try:
            if self.loaded is None:
                values = {
                    name: field.value
                    for name, field in self.fields.items()
                    if not field.disabled and field.value is not None
                }
                new_id = records.create(self.sobject, values, conn=self.conn)
                self.load(new_id)
                self._say(f"Created {self._title()}.")
                return True
            changes = self.changes
            if not changes:
                self._say("Nothing to save.")
                return False
            records.update(
                self.sobject,
                self.loaded.id,
                changes,
                loaded=self._stamp_source(),
                conn=self.conn,
            )
        except RecordConflictError as exc:
            self._show_conflict(exc, action="save")
            return False
        except RecordError as exc:
            self._show_errors(exc)
            return False
        self.load(self.loaded.id)
        self._say(f"Saved {self._title()}.")
        return True

    def _stamp_source(self) -> dict[str, Any]:
        """The version a write may replace: as loaded, or as the conflict showed.

        Overwriting after a conflict still sends ``If-Unmodified-Since``, with the
        date of the version shown in the conflict, so a third change made while
        the user was choosing is caught again instead of being overwritten unseen.
        """
        assert self.loaded is not None
        return dict(self._seen or self.loaded.values)

    def _show_errors(self, exc: RecordError) -> None:
        for name, messages in exc.field_errors.items():
            if name in self.fields:
                self.fields[name].error = " ".join(messages)
        general = exc.general_errors
        unplaced = [n for n in exc.field_errors if n not in self.fields]
        detail = " ".join(general) or str(exc)
        if unplaced:
            detail += f" (fields: {', '.join(unplaced)})"
        self._say(f"Not saved: {detail}", error=True)

    def _show_conflict(self, exc: RecordConflictError, *, action: str) -> None:
        self.conflict = exc
        self._held = action
        self._seen = exc.current
        self.overwrite_button.description = (
            "Delete anyway" if action == "delete" else "Overwrite with mine"
        )
        verb = "deleted" if action == "delete" else "saved"
        rows = [
            _conflict_row(self.fields.get(name), name, exc)
            for name in sorted(set(exc.remote) | set(exc.local))
        ]
        self.conflict_text.value = (
            f"<b>{_html(self._title())} was changed by someone else since you loaded "
            f"it.</b> Nothing was {verb}. Reload to see their version (your "
            "changes are dropped), or overwrite with your changes."
            "<table><tr><th>Field</th><th>Changed remotely</th>"
            "<th>Your change</th></tr>" + "".join(rows) + "</table>"
        )
        self.conflict_box.layout.display = "flex"
        self._say(
            f"Not {verb}: the record changed remotely; reload or overwrite.",
            error=True,
        )


def _conflict_row(
    field: FieldWidget | None, name: str, exc: RecordConflictError
) -> str:
    label = field.title if field else name
    remote = ""
    if name in exc.remote:
        before, after = exc.remote[name]
        remote = f"{_cell(before)} → {_cell(after)}"
    mine = _cell(exc.local[name]) if name in exc.local else ""
    style = f' style="color:{_RED}"' if name in exc.overlapping else ""
    return f"<tr{style}><td>{_html(label)}</td><td>{remote}</td><td>{mine}</td></tr>"


def parse_criteria(text: str) -> dict[str, str]:
    """``"Name='Acme Corp' Type=Customer"`` as ``{"Name": "Acme Corp", …}``."""
    criteria: dict[str, str] = {}
    for part in shlex.split(text):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"Expected Field=Value, got {part!r}.")
        criteria[name.strip()] = value
    return criteria


def _ordered(meta: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Fields in form order: the name field first, then describe's order."""
    fields = [f for f in meta["fields"] if f["type"] not in _COMPOUND_TYPES]
    fields = [f for f in fields if not f.get("deprecatedAndHidden")]
    return sorted(fields, key=lambda f: not f.get("nameField"))


def _section_of(meta: Mapping[str, Any], field: Mapping[str, Any]) -> str:
    if field["name"] in SYSTEM_FIELDS:
        return "System information"
    compound = field.get("compoundFieldName")
    if compound:
        parent = next((f for f in meta["fields"] if f["name"] == compound), None)
        if parent is not None and parent["type"] in _COMPOUND_TYPES:
            return "Address"
    return "Information"


def _default_value(meta: Mapping[str, Any]) -> Any:
    if meta.get("type") in ("picklist", "multipicklist"):
        chosen = [
            str(item["value"])
            for item in meta.get("picklistValues") or ()
            if item.get("defaultValue") and item.get("active", True)
        ]
        if meta["type"] == "picklist":
            return chosen[0] if chosen else None
        return ";".join(chosen) or None
    default = meta.get("defaultValue")
    if meta.get("type") == "boolean":
        return bool(default)
    return default if isinstance(default, str | int | float) else None


def _describe_row(row: Mapping[str, Any]) -> str:
    names = [str(v) for k, v in row.items() if k != "Id" and v is not None]
    return f"{names[0]} ({row['Id']})" if names else str(row["Id"])


def _cell(value: Any) -> str:
    return "<i>empty</i>" if value in (None, "") else _html(str(value))


def _html(text: str) -> str:
    return html.escape(text, quote=False)
