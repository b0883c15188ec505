"""SOQL syntax errors and Salesforce's caret message.

Salesforce reports a query problem (``MALFORMED_QUERY``, ``INVALID_FIELD``,
``INVALID_TYPE``) with the offending line of the query, a caret under the offending
token and its 1-based row and column::

    <empty line>
    SELECT Id FROM FROM Account
                   ^
    ERROR at Row:1:Column:16
    unexpected token: 'FROM'

``caret_message`` builds that text; ``SoqlSyntaxError`` uses it as its message, so
``str(error)`` is what Salesforce would put in the ``message`` of a
``MALFORMED_QUERY`` error.
"""

from __future__ import annotations

import re

__all__ = ["SoqlSyntaxError", "TokenError", "caret_message"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def caret_message(text: str, line: int, column: int, detail: str) -> str:
    """Format a query error the way Salesforce does.

    Parameters
    ----------
    text
        The whole query as sent.
    line, column
        1-based position of the offending token. Lines are separated by ``\\n``; a
        trailing ``\\r`` is not shown.
    detail
        The last line of the message, for example ``"unexpected token: 'FROM'"``.
        A lone surrogate in the shown line becomes U+FFFD, so that the message can
        always be encoded as UTF-8.

    Returns
    -------
    str
        ``"\\n<line text>\\n<padding>^\\nERROR at Row:R:Column:C\\n<detail>"``. The
        padding copies the tabs of the line so that the caret stays under the token.
    """
    lines = text.split("\n")
    row_text = lines[line - 1].rstrip("\r") if 1 <= line <= len(lines) else ""
    row_text = _SURROGATE.sub("\ufffd", row_text)
    before = row_text[: max(column - 1, 0)]
    padding = "".join("\t" if char == "\t" else " " for char in before)
    padding += " " * (column - 1 - len(before))
    return f"\n{row_text}\n{padding}^\nERROR at Row:{line}:Column:{column}\n{detail}"


class SoqlSyntaxError(Exception):
    """A query that does not follow the SOQL grammar.

    Parameters
    ----------
    detail
        What is wrong, in Salesforce's words where they are known:
        ``"unexpected token: 'FROM'"``, ``"unexpected token: '<EOF>'"``.
    query
        The query text.
    line, column
        1-based position of the offending token (for the end of the input: just
        after the last character that is not whitespace).
    token
        The offending token as written, or ``None`` at the end of the input.

    Attributes
    ----------
    detail, query, line, column, token
        As given. ``str(error)`` is the full caret message of ``caret_message``.
    """

    def __init__(
        self,
        detail: str,
        *,
        query: str,
        line: int,
        column: int,
        token: str | None = None,
    ) -> None:
        super().__init__(caret_message(query, line, column, detail))
        self.detail = detail
        self.query = query
        self.line = line
        self.column = column
        self.token = token

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling (multiprocessing).
        return (
            _rebuild,
            (self.detail, self.query, self.line, self.column, self.token),
        )


def _rebuild(
    detail: str, query: str, line: int, column: int, token: str | None
) -> SoqlSyntaxError:
    return SoqlSyntaxError(detail, query=query, line=line, column=column, token=token)


class TokenError(Exception):
    """A syntax error found at a token while the tree is built.

    The parser turns it into a ``SoqlSyntaxError`` once the query text is at hand.

    Parameters
    ----------
    detail
        What is wrong, as for ``SoqlSyntaxError``.
    line, column
        1-based position of the token.
    token
        The token as written.
    """

    def __init__(self, detail: str, line: int, column: int, token: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line = line
        self.column = column
        self.token = token
