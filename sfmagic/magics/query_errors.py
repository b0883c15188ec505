"""Query mistakes as one ``UsageError``: a sentence, the query line, a caret.

Salesforce reports ``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE`` and
the other query errors with the offending line and a caret (see
``sfmagic.soql.errors.caret_message``); sfmagic's own parser reports syntax
errors the same way before anything is sent. ``query_error`` turns either into
a ``UsageError`` whose first line is one sentence naming the magic, the error
code, what is wrong and, for an unknown field, object or relationship, the
closest names from describe ("did you mean Name?"); the next two lines show
the query line (as sent, placeholders bound) and a caret under the position::

    %soql: INVALID_FIELD at line 1, column 8: No such column 'Nmae' on entity
    'Account' (did you mean Name?).
        SELECT Nmae FROM Account
               ^
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from sfmagic.client.completion import DescribeSource
    from sfmagic.client.errors import SalesforceError
    from sfmagic.soql import SoqlSyntaxError

__all__ = ["caret_lines", "query_error", "salesforce_error", "syntax_error"]

_CARET = re.compile(
    r"^\n?(?P<line>[^\n]*)\n[ \t]*\^\nERROR at Row:(?P<row>\d+):Column:(?P<column>\d+)"
    r"\n(?P<detail>.*)$",
    re.DOTALL,
)
_INDENT = "    "


def caret_lines(line: str, column: int) -> str:
    """The query line and a caret under ``column`` (1-based), indented."""
    before = line[: max(column - 1, 0)]
    padding = "".join("\t" if char == "\t" else " " for char in before)
    return f"{_INDENT}{line}\n{_INDENT}{padding}^"


def _first_sentence(detail: str) -> str:
    sentence = detail.strip().split(". ", 1)[0].strip()
    return sentence.rstrip(".")


def _with_hint(sentence: str, close: list[str]) -> str:
    if not close:
        return sentence + "."
    return f"{sentence} (did you mean {' or '.join(close)}?)."


def syntax_error(magic: str, error: SoqlSyntaxError) -> UsageError:
    """The ``UsageError`` of a query sfmagic's parser refused."""
    lines = error.query.split("\n")
    row = lines[error.line - 1].rstrip("\r") if 0 < error.line <= len(lines) else ""
    sentence = (
        f"%{magic}: MALFORMED_QUERY at line {error.line}, column {error.column}: "
        f"{_first_sentence(error.detail)}."
    )
    return UsageError(f"{sentence}\n{caret_lines(row, error.column)}")


def salesforce_error(
    magic: str, error: SalesforceError, source: DescribeSource | None, soql: str
) -> UsageError:
    """The ``UsageError`` of a query Salesforce refused.

    ``source`` (a describe cache) gives the "did you mean"; ``soql`` is the
    query as sent.
    """
    code = error.error_code or f"HTTP {error.status}"
    found = _CARET.match(error.message)
    if found is None:
        return UsageError(
            f"%{magic}: Salesforce refused the query ({code}): "
            f"{_first_sentence(error.message)}."
        )
    close: list[str] = []
    if source is not None:
        from sfmagic.client.completion import suggest

        try:
            close = suggest(found.group("detail"), soql, source)
        except Exception:  # a hint must never hide the error
            close = []
    row, column = int(found.group("row")), int(found.group("column"))
    sentence = _with_hint(
        f"%{magic}: {code} at line {row}, column {column}: "
        f"{_first_sentence(found.group('detail'))}",
        close,
    )
    return UsageError(f"{sentence}\n{caret_lines(found.group('line'), column)}")


def query_error(
    magic: str, error: Exception, source: DescribeSource | None, soql: str
) -> UsageError | None:
    """The ``UsageError`` for an exception of ``run_query``, or None when it
    is not a mistake of the notebook user (it should then propagate)."""
    from requests import RequestException

    from sfmagic.client.binding import QueryTooLongError, UnboundNamesError
    from sfmagic.client.errors import (
        InvalidSessionError,
        LoginError,
        SalesforceError,
        ServiceUnavailableError,
    )
    from sfmagic.magics.advice import usage_error
    from sfmagic.soql import SoqlSyntaxError

    if isinstance(error, LoginError):
        # A session renewal refused during the query (revoked refresh token …).
        return usage_error(magic, error)
    if isinstance(error, SoqlSyntaxError):
        return syntax_error(magic, error)
    if isinstance(error, UnboundNamesError):
        names = ", ".join(f":{name}" for name in error.names)
        return UsageError(
            f"%{magic}: no value for the placeholder(s) {names} in the notebook, so "
            "assign a variable of that name (or remove the colon) and run it again."
        )
    if isinstance(error, QueryTooLongError):
        return UsageError(f"%{magic}: {error}, so narrow the query.")
    if isinstance(error, InvalidSessionError):
        return UsageError(
            f"%{magic}: the session expired and cannot be renewed, so run "
            "%sf_login again."
        )
    if isinstance(error, ServiceUnavailableError):
        code = f" {error.error_code}" if error.error_code else ""
        return UsageError(
            f"%{magic}: Salesforce answered {error.status}{code} after retries, so "
            "try again later or check the org's status."
        )
    if isinstance(error, RequestException):
        return UsageError(
            f"%{magic}: the org could not be reached, so check the network (or "
            "restart the emulator) and try again."
        )
    if isinstance(error, SalesforceError):
        return salesforce_error(magic, error, source, soql)
    if isinstance(error, TypeError) and "as a SOQL value" in str(error):
        return UsageError(
            f"%{magic}: a placeholder holds a value SOQL cannot express ({error}), "
            "so bind a string, number, boolean, date, datetime or list."
        )
    if isinstance(error, ValueError):
        return UsageError(f"%{magic}: {str(error).rstrip('.')}.")
    return None
