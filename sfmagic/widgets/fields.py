"""One input per field, chosen from the field's describe entry.

``field_widget(meta)`` returns a :class:`FieldWidget`: a label (with ``*`` when
the field is required), the ipywidgets input that suits the field's type, and an
error line. Its ``value`` is always in Salesforce JSON form (``"2024-01-15"``,
``"2024-01-15T10:30:00.000+0000"``, ``"a;b"``, numbers, booleans, ids), whatever
the input holds, so the editor can compare and send values without knowing types.

==========================================  ========================================
field type                                  input
==========================================  ========================================
string, encryptedstring, email, phone, url  ``Text`` (e-mail, phone, URL checked)
textarea                                    ``Textarea``
combobox                                    ``Combobox`` with the picklist values
picklist                                    ``Dropdown``: "--None--" and the values
multipicklist                               ``SelectMultiple``
boolean                                     ``Checkbox``
date, datetime, time                        ``DatePicker``, ``DatetimePicker``
                                            (UTC), ``TimePicker``
int, double, currency, percent              ``Text`` parsed as a number, checked
                                            against precision and scale
reference                                   ``Combobox``: search as you type, shows
                                            the related record's name
id, base64, anyType                         ``Text``, always disabled
==========================================  ========================================

Known limits: dependent picklists offer every value of the field, whatever the
controlling field holds; date-times are edited to the second.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import ipywidgets as widgets

from sfmagic.client.record_checks import (
    is_email,
    is_record_id,
    json_value,
    parse_datetime,
    required,
)

__all__ = ["FieldWidget", "LookupField", "field_widget", "is_editable"]

#: ``search(text) -> [(id, name)]`` used by lookups.
Search = Callable[[str], Sequence[tuple[str, str]]]

_PHONE = re.compile(r"^\+?[0-9 ().\-/]{3,}(\s*(x|ext\.?)\s*\d+)?$", re.IGNORECASE)
_URL = re.compile(r"^(https?://)?[^\s/$.?#][^\s]*\.[^\s]+$", re.IGNORECASE)
_LABEL_WIDTH = "190px"
_INPUT_WIDTH = "340px"
_NONE = "--None--"


class FieldWidget:
    """A labelled input for one field, with its error line.

    Attributes
    ----------
    name, meta
        The field's API name and describe entry.
    input
        The ipywidgets input (drive it with ``.value`` in tests).
    container
        What the form shows: label, input and error line.
    """

    def __init__(self, meta: Mapping[str, Any]) -> None:
        self.name = str(meta["name"])
        self.meta = dict(meta)
        self.required = required(meta)
        self.input = self._make_input()
        self.input.layout = widgets.Layout(width=_INPUT_WIDTH)
        self.label = widgets.HTML(layout=widgets.Layout(width=_LABEL_WIDTH))
        self.error_line = widgets.HTML("", layout=widgets.Layout(width="auto"))
        self._error: str | None = None
        self.container = widgets.HBox([self.label, self.input, self.error_line])
        # A stable hook for browser tests and notebook styling.
        self.container.add_class(f"sfmagic-field-{self.name}")
        self._baseline: Any = None
        self._listeners: list[Callable[[FieldWidget], None]] = []
        self._show_label()
        self.input.observe(self._changed, names="value")

    def _show_label(self) -> None:
        """The label, ``*`` when required, and ``●`` while the value is unsaved."""
        text = _escape(self.title)
        if self.required:
            text += ' <b style="color:#c23934" title="required">*</b>'
        if self.changed:
            text = f'<span style="color:#dd7a01" title="unsaved change">● {text}</span>'
        self.label.value = text

    @property
    def title(self) -> str:
        """The label shown: describe's, without the " ID" of lookups."""
        label = str(self.meta.get("label") or self.name)
        if self.meta.get("type") == "reference" and label.endswith(" ID"):
            return label[: -len(" ID")]
        return label

    # -- what subclasses provide --------------------------------------------------

    def _make_input(self) -> Any:
        return widgets.Text()

    def _read(self) -> Any:
        return str(self.input.value) or None

    def _write(self, value: Any) -> None:
        self.input.value = "" if value is None else str(value)

    def check(self) -> str | None:
        """A message when the input cannot be sent as it is (format, shape)."""
        return None

    # -- shared behaviour -----------------------------------------------------------

    @property
    def value(self) -> Any:
        """The value in Salesforce JSON form (None when empty)."""
        if self.check() is not None:
            return self._raw_text()
        return self._read()

    @value.setter
    def value(self, new: Any) -> None:
        self._write(json_value(self.meta, new))

    def _raw_text(self) -> Any:
        return self.input.value

    def reset(self, value: Any, *, names: Mapping[str, str] | None = None) -> None:
        """Show ``value`` as the saved value (no unsaved change)."""
        self._write(json_value(self.meta, value))
        self._baseline = self.value
        self.error = None
        self._show_label()

    def forget(self) -> None:
        """Empty the input and drop everything it remembers of a record."""
        self.reset(None)

    @property
    def changed(self) -> bool:
        """Whether the input differs from the value last loaded or saved."""
        return bool(self.value != self._baseline)

    @property
    def baseline(self) -> Any:
        """The value last loaded or saved."""
        return self._baseline

    @property
    def error(self) -> str | None:
        """The message shown next to the field, if any."""
        return self._error if self.error_line.value else None

    @error.setter
    def error(self, message: str | None) -> None:
        self._error = message
        self.error_line.value = (
            f'<span style="color:#c23934">{_escape(message)}</span>' if message else ""
        )

    @property
    def disabled(self) -> bool:
        """Whether the input is read-only."""
        return bool(self.input.disabled)

    @disabled.setter
    def disabled(self, flag: bool) -> None:
        self.input.disabled = flag

    def on_change(self, callback: Callable[[FieldWidget], None]) -> None:
        """Call ``callback(field)`` whenever the user changes the input."""
        self._listeners.append(callback)

    def _changed(self, _change: Any) -> None:
        self.error = self.check()
        self._show_label()
        for callback in self._listeners:
            callback(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}={self.value!r}>"


class TextField(FieldWidget):
    """Text, e-mail, phone and URL fields, with a format check for the last three."""

    def _read(self) -> Any:
        text = str(self.input.value)
        return text or None

    def check(self) -> str | None:
        text = str(self.input.value).strip()
        length = int(self.meta.get("length") or 0)
        if length and len(self.input.value) > length:
            return f"At most {length} characters."
        checks: dict[str, tuple[Callable[[str], object], str]] = {
            "email": (is_email, "Not an e-mail address."),
            "phone": (_PHONE.match, "Not a phone number."),
            "url": (_URL.match, "Not a web address."),
        }
        found = checks.get(self.meta["type"])
        if text and found and not found[0](text):
            return found[1]
        return None


class TextAreaField(TextField):
    """Long text."""

    def _make_input(self) -> Any:
        return widgets.Textarea(rows=3)


class ComboboxField(TextField):
    """Free text with suggested values (``combobox`` fields such as Task.Subject)."""

    def _make_input(self) -> Any:
        return widgets.Combobox(options=_choices(self.meta), ensure_option=False)


class PicklistField(FieldWidget):
    """A dropdown of the active picklist values, with ``--None--`` first."""

    def _make_input(self) -> Any:
        # "--None--" holds "" rather than None: a Dropdown whose value is None
        # shows an empty box instead of the "--None--" option.
        options: list[tuple[str, str]] = [(_NONE, "")]
        options += [(label, value) for label, value in _labelled_choices(self.meta)]
        return widgets.Dropdown(options=options, value="")

    def _read(self) -> Any:
        return self.input.value or None

    def _write(self, value: Any) -> None:
        known = [v for _, v in self.input.options]
        if value is not None and value not in known:
            # An inactive or unknown value stays visible instead of vanishing.
            self.input.options = [*self.input.options, (str(value), value)]
        self.input.value = "" if value is None else value

    def _raw_text(self) -> Any:
        return self._read()

    def forget(self) -> None:
        """Empty the dropdown and drop values a record added to its options."""
        self.input.options = self._make_input().options
        self.reset(None)


class MultiPicklistField(FieldWidget):
    """Several picklist values, sent as ``"a;b"``."""

    def _make_input(self) -> Any:
        return widgets.SelectMultiple(options=_labelled_choices(self.meta), rows=4)

    def _read(self) -> Any:
        return ";".join(self.input.value) or None

    def _write(self, value: Any) -> None:
        chosen = [v for v in str(value or "").split(";") if v]
        known = [v for _, v in self.input.options]
        extra = [(v, v) for v in chosen if v not in known]
        if extra:
            self.input.options = [*self.input.options, *extra]
        self.input.value = tuple(chosen)

    def _raw_text(self) -> Any:
        return self._read()

    def forget(self) -> None:
        """Clear the selection and drop values a record added to the options."""
        self.input.value = ()
        self.input.options = _labelled_choices(self.meta)
        self.reset(None)


class CheckboxField(FieldWidget):
    """A checkbox."""

    def _make_input(self) -> Any:
        return widgets.Checkbox(indent=False)

    def _read(self) -> Any:
        return bool(self.input.value)

    def _write(self, value: Any) -> None:
        self.input.value = bool(value)


class DateField(FieldWidget):
    """A date picker; the value is ``"YYYY-MM-DD"``."""

    def _make_input(self) -> Any:
        return widgets.DatePicker()

    def _read(self) -> Any:
        picked = self.input.value
        return picked.isoformat() if isinstance(picked, date) else None

    def _write(self, value: Any) -> None:
        self.input.value = date.fromisoformat(str(value)[:10]) if value else None


class DateTimeField(FieldWidget):
    """A date-time picker in UTC; the value is ``"…T…000+0000"``."""

    def _make_input(self) -> Any:
        return widgets.DatetimePicker()

    def _read(self) -> Any:
        picked = self.input.value
        if not isinstance(picked, datetime):
            return None
        return json_value(self.meta, picked.replace(microsecond=0))

    def _write(self, value: Any) -> None:
        if not value:
            self.input.value = None
            return
        moment = parse_datetime(str(value))
        self.input.value = moment.astimezone(UTC).replace(microsecond=0)


class TimeField(FieldWidget):
    """A time picker; the value is ``"HH:MM:SS.000Z"``."""

    def _make_input(self) -> Any:
        return widgets.TimePicker()

    def _read(self) -> Any:
        picked = self.input.value
        return json_value(self.meta, picked) if isinstance(picked, time) else None

    def _write(self, value: Any) -> None:
        if not value:
            self.input.value = None
            return
        self.input.value = time.fromisoformat(str(value).rstrip("Z")[:12])


class NumberField(FieldWidget):
    """Integers, decimals, currency and percent, checked against their scale."""

    def _make_input(self) -> Any:
        scale = int(self.meta.get("scale") or 0)
        example = "0" if self.meta["type"] == "int" or not scale else f"0.{'0' * scale}"
        unit = {"currency": "amount, ", "percent": "percent, "}
        hint = f"{unit.get(self.meta['type'], '')}e.g. {example}"
        return widgets.Text(placeholder=hint)

    def _number(self) -> Decimal | None:
        text = str(self.input.value).strip().replace(",", "")
        if not text:
            return None
        return Decimal(text.rstrip("%").strip())

    def _read(self) -> Any:
        number = self._number()
        if number is None:
            return None
        if self.meta["type"] == "int":
            return int(number)
        return float(number)

    def _write(self, value: Any) -> None:
        if value is None:
            self.input.value = ""
        elif self.meta["type"] == "int":
            self.input.value = str(int(value))
        else:
            scale = int(self.meta.get("scale") or 0)
            self.input.value = f"{Decimal(str(value)):.{scale}f}"

    def check(self) -> str | None:
        try:
            number = self._number()
        except InvalidOperation:
            return "Not a number."
        if number is None:
            return None
        if not number.is_finite():
            return "Not a number."
        exponent = number.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        scale = 0 if self.meta["type"] == "int" else int(self.meta.get("scale") or 0)
        if decimals > scale:
            return "A whole number." if not scale else f"At most {scale} decimals."
        precision = int(self.meta.get("precision") or self.meta.get("digits") or 0)
        whole = len(str(abs(int(number)))) if int(number) else 0
        if precision and whole > precision - scale:
            return f"At most {precision - scale} digits before the decimal point."
        return None


class LookupField(FieldWidget):
    """A search-as-you-type box for a lookup; shows names, holds the record id.

    Typing two characters or more asks ``search`` for matching records and offers
    them as ``"Name · Id"``; choosing one (or typing an id) sets the value. The
    editor sets ``search`` before the field is used.
    """

    search: Search | None = None

    def _make_input(self) -> Any:
        self._by_label: dict[str, str] = {}
        self._current: tuple[str, str | None] = ("", None)
        return widgets.Combobox(options=[], ensure_option=False, placeholder="Search…")

    def _read(self) -> Any:
        text = str(self.input.value).strip()
        if not text:
            return None
        if text in self._by_label:
            return self._by_label[text]
        if text == self._current[0]:
            return self._current[1]
        return text

    def _write(self, value: Any) -> None:
        self._write_named(value, None)

    def _write_named(self, value: Any, name: str | None) -> None:
        record_id = None if value is None else str(value)
        label = name or record_id or ""
        self._current = (label, record_id)
        self.input.value = label

    def reset(self, value: Any, *, names: Mapping[str, str] | None = None) -> None:
        """Show the lookup's record by name, as saved."""
        self._write_named(value, (names or {}).get(self.name))
        self._baseline = self.value
        self.error = None
        self._show_label()

    def forget(self) -> None:
        """Empty the box and drop the names it found or was shown."""
        self._by_label = {}
        self.input.options = []
        self.reset(None)

    def check(self) -> str | None:
        chosen = self._read()
        if chosen is None or is_record_id(str(chosen)):
            return None
        return "Pick a record from the list, or type an id."

    def _changed(self, change: Any) -> None:
        text = str(self.input.value).strip()
        known = text in self._by_label or text == self._current[0]
        searching = self.search is not None and len(text) >= 2
        if searching and not known and not is_record_id(text):
            self.suggest(text)
        super()._changed(change)

    def suggest(self, text: str) -> list[str]:
        """Search for records named ``text…`` and offer them; the offered labels."""
        if self.search is None:
            return []
        found = self.search(text)
        self._by_label = {
            f"{name} · {record_id}": record_id for record_id, name in found
        }
        self.input.options = list(self._by_label)
        return list(self._by_label)


class ReadOnlyField(FieldWidget):
    """Ids and values the form cannot edit, shown as text."""

    def _make_input(self) -> Any:
        self._shown: Any = None
        return widgets.Text(disabled=True)

    def _read(self) -> Any:
        return self._shown

    def _write(self, value: Any) -> None:
        self._shown = value
        self.input.value = "" if value is None else str(value)

    @property
    def disabled(self) -> bool:
        """Always true."""
        return True

    @disabled.setter
    def disabled(self, flag: bool) -> None:
        self.input.disabled = True


_BY_TYPE: dict[str, type[FieldWidget]] = {
    "string": TextField,
    "encryptedstring": TextField,
    "email": TextField,
    "phone": TextField,
    "url": TextField,
    "textarea": TextAreaField,
    "combobox": ComboboxField,
    "picklist": PicklistField,
    "multipicklist": MultiPicklistField,
    "boolean": CheckboxField,
    "date": DateField,
    "datetime": DateTimeField,
    "time": TimeField,
    "int": NumberField,
    "double": NumberField,
    "currency": NumberField,
    "percent": NumberField,
    "reference": LookupField,
}


def is_editable(meta: Mapping[str, Any], *, creating: bool) -> bool:
    """Whether the form lets the user change the field.

    Formula (``calculated``) and auto-number fields never; others when describe
    says the field is createable (new record) or updateable (loaded record).
    """
    if meta.get("calculated") or meta.get("autoNumber"):
        return False
    return bool(meta.get("createable" if creating else "updateable"))


def field_widget(meta: Mapping[str, Any]) -> FieldWidget:
    """The widget that suits the field described by ``meta``."""
    kind = _BY_TYPE.get(str(meta.get("type")), ReadOnlyField)
    field = kind(meta)
    field.reset(None)
    return field


def _labelled_choices(meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(p.get("label") or p["value"]), str(p["value"]))
        for p in meta.get("picklistValues") or ()
        if p.get("active", True)
    ]


def _choices(meta: Mapping[str, Any]) -> list[str]:
    return [value for _, value in _labelled_choices(meta)]


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
