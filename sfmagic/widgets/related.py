"""Related lists: the children of a record as small tables whose rows open.

A :class:`RelatedListView` shows one :class:`~sfmagic.client.records.RelatedList`
as a grid: a button per row naming the record, then the list's columns. Clicking
the button (or calling :meth:`RelatedListView.open`) hands the row's object and
id to the editor, which opens it in a new editor.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from sfmagic.client.records import RelatedList

__all__ = ["RelatedListView", "row_sobject"]

#: ``open_record(sobject, record_id)``, returning the new editor.
OpenRecord = Callable[[str, str], Any]

# Activities come from virtual objects whose rows are really Tasks or Events.
_ACTIVITY_OBJECTS = frozenset({"ActivityHistory", "OpenActivity"})


def row_sobject(related: RelatedList, row: Mapping[str, Any]) -> str:
    """The object a row belongs to: the child object, or Task/Event for activities."""
    if related.sobject in _ACTIVITY_OBJECTS:
        return "Task" if row.get("IsTask", True) else "Event"
    return related.sobject


class RelatedListView:
    """One related list as a table whose rows open in a new editor.

    Attributes
    ----------
    related
        The loaded list (label, rows, total).
    buttons
        One button per row; its description names the record.
    widget
        The title and the table.
    """

    def __init__(self, related: RelatedList, open_record: OpenRecord) -> None:
        self.related = related
        self._open_record = open_record
        shown = len(related.rows)
        more = f", first {shown}" if related.total > shown else ""
        self.title = widgets.HTML(
            f"<b>{_escape(related.label)}</b> ({related.total}{more})"
        )
        self.buttons = [self._button(i, row) for i, row in enumerate(related.rows)]
        self.widget = widgets.VBox([self.title, self._table()])
        # A stable hook for browser tests and notebook styling.
        self.widget.add_class(f"sfmagic-related-{related.spec.relationship}")

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The loaded rows (at most ``records.RELATED_LIMIT``)."""
        return self.related.rows

    def open(self, index: int) -> Any:
        """Open row ``index`` in a new editor and return that editor."""
        row = self.related.rows[index]
        return self._open_record(row_sobject(self.related, row), str(row["Id"]))

    def _button(self, index: int, row: Mapping[str, Any]) -> widgets.Button:
        columns = self.related.spec.columns
        name = row.get(columns[0]) if columns else None
        button = widgets.Button(
            description=str(name or row["Id"])[:40],
            tooltip=f"Open {row_sobject(self.related, row)} {row['Id']}",
            layout=widgets.Layout(width="auto"),
        )
        button.on_click(lambda _button: self.open(index))
        return button

    def _table(self) -> widgets.Widget:
        if not self.related.rows:
            return widgets.HTML("<i>None</i>")
        columns = self.related.spec.columns
        cells: list[widgets.Widget] = [
            widgets.HTML(f"<b>{_escape(c)}</b>") for c in columns
        ]
        for button, row in zip(self.buttons, self.related.rows, strict=True):
            cells.append(button)
            cells += [widgets.HTML(_escape(_shown(row.get(c)))) for c in columns[1:]]
        template = " ".join(["minmax(160px, auto)"] * len(columns))
        return widgets.GridBox(
            cells,
            layout=widgets.Layout(grid_template_columns=template, grid_gap="2px 12px"),
        )


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
