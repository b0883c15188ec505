"""The record editor magic: ``%sf_edit OBJECT [ID | Field=Value …]``.

The magic reads its line, finds the one record it names (by id, or by field
values), and returns a ``RecordEditor`` showing it, or a new record when only the
object is given. Every mistake on the line, an unknown object or field, and a
search matching no record or several, is one ``UsageError`` sentence; the editor
and the client load only when the magic runs.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from sfmagic.magics.connections import connection_for

if TYPE_CHECKING:
    from sfmagic.client.connection import Connection
    from sfmagic.client.records import RecordError
    from sfmagic.widgets.editor import RecordEditor

__all__ = ["EditMagics", "parse_target"]

#: Matches listed in the message of an ambiguous ``Field=Value`` search.
LISTED_MATCHES = 5


@magics_class
class EditMagics(Magics):
    """The ``%sf_edit`` magic."""

    @magic_arguments()
    @argument(
        "sobject",
        metavar="OBJECT",
        help="The object's API name, such as Account, Contact, Case or Invoice__c.",
    )
    @argument(
        "target",
        nargs="*",
        metavar="ID | Field=Value",
        help="The record's id, or one or more Field=Value pairs that match exactly "
        "one record (quote values with spaces); nothing opens a new record.",
    )
    @argument(
        "--alias",
        metavar="NAME",
        help="Use the connection named NAME instead of the active one.",
    )
    @line_magic
    def sf_edit(self, line: str) -> RecordEditor:
        """Open a record in an editor form, or start a new one.

        The form is built from the object's describe: one input per field,
        required fields marked with ``*``, read-only fields greyed out, and the
        related lists of Accounts, Contacts and Cases underneath (click a row to
        open it in its own editor). Save sends only the fields you changed and
        never overwrites a change someone else made after you opened the record:
        you are shown both and choose to reload or overwrite.

        The editor is the cell's result; assign it to work with it from code
        (``editor.fields["Phone"].value = …``, ``editor.save()``). Python values
        can be put on the line with ``{name}``.

        Examples
        --------
        By id, by a field value, and a new record::

            In [1]: %sf_edit Account 001Hs000054Xy2aIAC
            In [2]: %sf_edit Contact Email=ada@example.com
            In [3]: %sf_edit Case Subject='Printer on fire' Status=New
            In [4]: editor = %sf_edit Opportunity

        A search that does not name exactly one record says so::

            In [5]: %sf_edit Account Industry=Energy
            UsageError: %sf_edit: 2 Accounts have Industry = 'Energy' (Acme
            (001…), Bolt (001…)), so add a Field=Value pair or use an id.
        """
        from sfmagic.client import records

        sobject, record_id, criteria, alias = _parse(self.sf_edit, line)
        conn = connection_for("sf_edit", alias)
        try:
            return _open(conn, sobject, record_id, criteria)
        except records.RecordError as error:
            raise _refusal(sobject, record_id, error) from None


def parse_target(words: Sequence[str]) -> tuple[str | None, dict[str, str] | None]:
    """``[]``, ``["001…"]`` or ``["Name=Acme", …]`` as (id, criteria).

    Raises ``UsageError`` when the words mix an id with pairs, or a pair has no
    field name.
    """
    if not words:
        return None, None
    if len(words) == 1 and "=" not in words[0]:
        return words[0], None
    criteria: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                f"%sf_edit: {word!r} is not a Field=Value pair, so give one id or "
                "only Field=Value pairs."
            )
        criteria[name.strip()] = value
    return None, criteria


def _parse(
    magic: Any, line: str
) -> tuple[str, str | None, dict[str, str] | None, str | None]:
    # IPython's own splitting keeps quotes inside words (Name='Acme Corp' would
    # be two words), so the line is split the way a shell does.
    try:
        words = shlex.split(line)
    except ValueError:
        raise UsageError(
            "%sf_edit: the line has an unbalanced quote, so close it and run the "
            "cell again."
        ) from None
    if not words:
        raise UsageError(
            "%sf_edit: name an object, as in %sf_edit Account or %sf_edit Account "
            "001…, to open an editor."
        )
    try:
        args = magic.parser.parse_args(words)
    except UsageError:
        raise UsageError(
            "%sf_edit: the line is not OBJECT [ID | Field=Value …] [--alias NAME], "
            "so see %sf_edit? for examples."
        ) from None
    record_id, criteria = parse_target(args.target)
    return args.sobject, record_id, criteria, args.alias


def _open(
    conn: Connection,
    sobject: str,
    record_id: str | None,
    criteria: Mapping[str, str] | None,
) -> RecordEditor:
    from sfmagic.client import records
    from sfmagic.widgets.editor import RecordEditor

    editor = RecordEditor(sobject, conn=conn)
    if criteria:
        matches = records.find(
            editor.sobject, criteria, conn=conn, limit=LISTED_MATCHES + 1
        )
        if len(matches) != 1:
            raise UsageError(_matches_sentence(editor.meta, criteria, matches))
        record_id = str(matches[0]["Id"])
    if record_id:
        editor.show(records.get_with_related(conn, editor.sobject, record_id))
    return editor


def _matches_sentence(
    meta: Mapping[str, Any],
    criteria: Mapping[str, str],
    matches: Sequence[Mapping[str, Any]],
) -> str:
    wanted = " and ".join(f"{name} = {value!r}" for name, value in criteria.items())
    if not matches:
        return (
            f"%sf_edit: no {meta['label']} has {wanted}, so check the values (they "
            "must match exactly) or use an id."
        )
    listed = [_row_name(row) for row in matches[:LISTED_MATCHES]]
    if len(matches) > LISTED_MATCHES:
        count = f"more than {LISTED_MATCHES}"
        listed.append("…")
    else:
        count = str(len(matches))
    return (
        f"%sf_edit: {count} {meta['labelPlural']} have {wanted} "
        f"({', '.join(listed)}), so add a Field=Value pair or use an id."
    )


def _row_name(row: Mapping[str, Any]) -> str:
    names = [str(v) for k, v in row.items() if k != "Id" and v not in (None, "")]
    return f"{names[0]} ({row['Id']})" if names else str(row["Id"])


def _refusal(sobject: str, record_id: str | None, error: RecordError) -> UsageError:
    codes = {problem.error_code for problem in error.problems}
    fields = sorted({name for p in error.problems for name in p.fields})
    if "UNREACHABLE" in codes:
        return UsageError(
            "%sf_edit: the org could not be reached, so check the network (or that "
            "the emulator is still running) and try again."
        )
    if "INVALID_SESSION_ID" in codes or error.status == 401:
        return UsageError(
            "%sf_edit: the session expired and could not be renewed, so run "
            "%sf_login again."
        )
    if "BAD_CRITERIA" in codes:
        return UsageError(
            f"%sf_edit: {_clause(str(error))}, so fix that Field=Value pair."
        )
    if "INVALID_TYPE" in codes:
        return UsageError(
            f"%sf_edit: the org has no object called {sobject}, so check its API "
            "name (custom objects end in __c)."
        )
    if "INVALID_FIELD" in codes and fields:
        return UsageError(
            f"%sf_edit: {sobject} has no field called {fields[0]}, so check the "
            "field's API name."
        )
    if "MALFORMED_ID" in codes or error.status == 404:
        return UsageError(
            f"%sf_edit: there is no {sobject} with id {record_id} (or it was "
            "deleted), so check the id or search with Field=Value."
        )
    return UsageError(
        f"%sf_edit: the org refused to open the {sobject} ({_clause(str(error))}), "
        "so check the line and try again."
    )


def _clause(message: str) -> str:
    """An org's message as a clause of one sentence."""
    first = message.strip().splitlines()[0] if message.strip() else "no reason given"
    return first.rstrip(".").replace(". ", "; ")


MAGICS = EditMagics
"""The class ``sfmagic.magics.register`` adds to the shell."""
