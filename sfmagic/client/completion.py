"""Completion candidates for SOQL text being typed.

``complete(text, cursor, source)`` looks at the query around the cursor and
offers, from describe metadata (``source`` is a ``DescribeCache``):

* sObject names after ``FROM`` (child relationship names of the parent object
  after ``FROM`` inside a parent-to-child subquery; every sObject inside a
  semi-join ``IN (SELECT …)``);
* field names and relationship paths of the query's object anywhere else
  (``Owner.`` offers the fields of User; inside a child subquery the fields of
  the child object);
* picklist values inside an open string after ``Field =``, ``Field !=`` or in
  ``Field IN ('…', '``.

``suggest(message, soql, source)`` reads an ``INVALID_FIELD`` or
``INVALID_TYPE`` message and offers the closest names for a "did you mean".

It works on partial, unparsable text: it never calls the parser. The answer
says which part of the text the candidates replace (``start`` to ``end``), as
IPython's completer API expects.

Known limits: aliases (``FROM Account a`` … ``a.Name``) and TYPEOF branches
are not followed; keywords are not offered.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sfmagic.client.describe_cache import (
    find_child_relationship,
    find_field,
    find_relationship,
)

__all__ = ["Completions", "DescribeSource", "complete", "suggest"]

_TOKEN = re.compile(r"[\w.]*$")
_WORD_BEFORE = re.compile(r"(\w+)\s*$")
_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)
_SEMI_JOIN = re.compile(r"\bIN\s*$", re.IGNORECASE)
_VALUE_CONTEXT = re.compile(
    r"(?P<field>\w[\w.]*)\s*(?:"
    r"(?:=|!=|<>)\s*"
    r"|(?:NOT\s+)?(?:IN|INCLUDES|EXCLUDES)\s*\((?:\s*'(?:[^'\\]|\\.)*'\s*,)*\s*"
    r")$",
    re.IGNORECASE,
)


_NO_COLUMN = re.compile(r"No such column '([^']+)' on entity '([^']+)'")
_NO_OBJECT = re.compile(r"sObject type '([^']+)' is not supported")
_NO_PATH = re.compile(r"Didn't understand relationship '([^']+)' in field path")
_NO_CHILD = re.compile(r"Didn't understand relationship '([^']+)' in FROM part")


class DescribeSource(Protocol):
    """Where completion reads metadata from (a ``DescribeCache``)."""

    def sobject_names(self) -> list[str]:
        """Every sObject name of the org."""

    def describe(self, sobject: str) -> Mapping[str, Any] | None:
        """The describe payload of an sObject, or None."""


@dataclass(frozen=True)
class Completions:
    """Candidates that replace ``text[start:end]``."""

    start: int
    end: int
    matches: list[str]


@dataclass(frozen=True)
class _Level:
    """One (sub)query around the cursor: where it starts and its FROM object."""

    start: int
    sobject: str | None
    kind: str  # "top", "child" or "semi"


def complete(text: str, cursor: int, source: DescribeSource) -> Completions:
    """The completion candidates at ``cursor`` in ``text``.

    Parameters
    ----------
    text
        The query typed so far (the whole cell).
    cursor
        The cursor's offset in ``text``.
    source
        Describe metadata.
    """
    cursor = max(0, min(cursor, len(text)))
    quote = _open_quote(text, cursor)
    levels = _levels(text, cursor)
    if quote is not None:
        return _values(text, cursor, quote, levels, source)
    token = _TOKEN.search(text, 0, cursor)
    typed = token.group() if token else ""
    start = cursor - len(typed)
    before = _WORD_BEFORE.search(text, 0, start)
    if before and before.group(1).upper() == "FROM":
        return Completions(start, cursor, _objects(typed, levels, source))
    sobject = _resolve_level(levels, source)
    return Completions(start, cursor, _fields(typed, sobject, source))


def _open_quote(text: str, cursor: int) -> int | None:
    """Where the string literal open at the cursor starts, if any."""
    opened: int | None = None
    for _, _, quote in _scan(text, 0, cursor):
        opened = quote
    return opened


def _scan(text: str, start: int, stop: int) -> Iterator[tuple[int, str, int | None]]:
    """Each character of ``text[start:stop]``, and the string literal it is in.

    The third item is where the string literal open after that character starts
    (None outside one, and for a closing quote). A backslash inside a string
    escapes the character after it; neither is yielded.
    """
    index, opened = start, None
    while index < stop:
        char = text[index]
        if opened is not None and char == "\\":
            index += 2
            continue
        if char == "'":
            opened = index if opened is None else None
        yield index, char, opened
        index += 1


def _levels(text: str, cursor: int) -> list[_Level]:
    """The (sub)queries enclosing the cursor, outermost first."""
    opens: list[int] = []
    for index, char, quote in _scan(text, 0, cursor):
        if quote is None and char == "(":
            opens.append(index)
        elif quote is None and char == ")" and opens:
            opens.pop()
    levels = [_Level(0, _from_of(text, 0), "top")]
    for position in opens:
        if not re.match(r"\(\s*SELECT\b", text[position:], re.IGNORECASE):
            continue
        kind = "semi" if _SEMI_JOIN.search(text, 0, position) else "child"
        levels.append(_Level(position + 1, _from_of(text, position + 1), kind))
    return levels


def _from_of(text: str, start: int) -> str | None:
    """The name after FROM at the nesting depth of ``start``."""
    depth = 0
    for index, char, quote in _scan(text, start, len(text)):
        if quote is not None:
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return None
            depth -= 1
        elif depth == 0 and char in "Ff":
            match = _FROM.match(text, index)
            if match and (index == 0 or not (text[index - 1].isalnum())):
                return match.group(1)
    return None


def _resolve_level(levels: list[_Level], source: DescribeSource) -> str | None:
    """The sObject the innermost level queries."""
    sobject: str | None = None
    for level in levels:
        if level.kind == "child":
            parent = source.describe(sobject) if sobject else None
            child = (
                find_child_relationship(parent, level.sobject)
                if parent and level.sobject
                else None
            )
            sobject = str(child["childSObject"]) if child else None
        else:
            sobject = level.sobject
    return sobject


def _objects(typed: str, levels: list[_Level], source: DescribeSource) -> list[str]:
    if levels[-1].kind == "child":
        parent = _resolve_level(levels[:-1], source)
        info = source.describe(parent) if parent else None
        names = [
            str(child["relationshipName"])
            for child in (info or {}).get("childRelationships", ())
            if child.get("relationshipName")
        ]
    else:
        names = source.sobject_names()
    return _starting(names, typed)


def _fields(typed: str, sobject: str | None, source: DescribeSource) -> list[str]:
    info = source.describe(sobject) if sobject else None
    *path, partial = typed.split(".")
    prefix = ""
    for part in path:
        if info is None:
            return []
        reference = find_relationship(info, part)
        if reference is None:
            return []
        prefix += str(reference["relationshipName"]) + "."
        targets = reference.get("referenceTo") or []
        info = source.describe(str(targets[0])) if targets else None
    if info is None:
        return []
    names = []
    for field in info.get("fields", ()):
        names.append(str(field["name"]))
        if field.get("relationshipName"):
            names.append(str(field["relationshipName"]) + ".")
    return [prefix + name for name in _starting(names, partial)]


def _values(
    text: str, cursor: int, quote: int, levels: list[_Level], source: DescribeSource
) -> Completions:
    typed = text[quote + 1 : cursor]
    context = _VALUE_CONTEXT.search(text, 0, quote)
    sobject = _resolve_level(levels, source)
    info = source.describe(sobject) if sobject else None
    if context is None or info is None:
        return Completions(quote + 1, cursor, [])
    *path, name = context.group("field").split(".")
    for part in path:
        reference = find_relationship(info, part) if info else None
        targets = (reference or {}).get("referenceTo") or []
        info = source.describe(str(targets[0])) if targets else None
    field = find_field(info, name) if info else None
    values = [
        str(entry["value"])
        for entry in (field or {}).get("picklistValues", ())
        if entry.get("active", True)
    ]
    return Completions(quote + 1, cursor, _starting(values, typed))


def _starting(names: list[str], typed: str) -> list[str]:
    lowered = typed.lower()
    return [name for name in names if name.lower().startswith(lowered)]


def suggest(message: str, soql: str, source: DescribeSource) -> list[str]:
    """Names close to the unknown one in a Salesforce query error, best first.

    Parameters
    ----------
    message
        The error's message (``No such column 'Nmae' on entity 'Account'`` …).
    soql
        The query that failed (for the FROM object of relationship errors).
    source
        Describe metadata.
    """
    top = _from_of(soql, 0)
    info = source.describe(top) if top else None
    if match := _NO_COLUMN.search(message):
        entity = source.describe(match.group(2))
        names = [str(f["name"]) for f in (entity or {}).get("fields", ())]
        names += _relationship_names(entity)
    elif match := _NO_OBJECT.search(message):
        names = source.sobject_names()
    elif match := _NO_PATH.search(message):
        names = _relationship_names(info)
    elif match := _NO_CHILD.search(message):
        names = [
            str(child["relationshipName"])
            for child in (info or {}).get("childRelationships", ())
            if child.get("relationshipName")
        ]
    else:
        return []
    by_lower = {name.lower(): name for name in names}
    close = difflib.get_close_matches(match.group(1).lower(), list(by_lower), n=3)
    return [by_lower[name] for name in close]


def _relationship_names(info: Mapping[str, Any] | None) -> list[str]:
    return [
        str(field["relationshipName"])
        for field in (info or {}).get("fields", ())
        if field.get("relationshipName")
    ]
