"""Pieces of parameterised SQLite SQL.

Every value from a query travels as a bound parameter: a ``Sql`` fragment carries
its text (with ``?`` placeholders) and its parameters in textual order, and
fragments are only ever joined in the order they appear in the statement.
Identifiers come from the schema, never from the query text, and ``quote``
refuses anything that is not a plain API name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["IDS", "Sql", "column", "join_sql", "quote"]

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class _IdsParameter:
    """Marks where the JSON list of record ids goes in a page statement."""

    def __repr__(self) -> str:
        return "IDS"


IDS = _IdsParameter()


def quote(name: str) -> str:
    """A double-quoted SQLite identifier for a schema name."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not an API name: {name!r}")
    return f'"{name}"'


def column(alias: str, name: str) -> str:
    """``alias."Name"``."""
    return f"{alias}.{quote(name)}"


@dataclass(frozen=True)
class Sql:
    """SQL text with ``?`` placeholders and the parameters they stand for."""

    text: str
    params: tuple[Any, ...] = ()

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            return Sql(self.text + other, self.params)
        return Sql(self.text + other.text, self.params + other.params)

    def __radd__(self, other: str) -> Sql:
        return Sql(other + self.text, self.params)

    def wrap(self, before: str, after: str) -> Sql:
        return Sql(before + self.text + after, self.params)

    def bind(self, ids_json: str) -> tuple[Any, ...]:
        """The parameters with the ids placeholder filled in."""
        return tuple(ids_json if p is IDS else p for p in self.params)


def join_sql(separator: str, parts: Iterable[Sql]) -> Sql:
    """Join fragments with a separator, keeping parameters in order."""
    texts: list[str] = []
    params: list[Any] = []
    for part in parts:
        texts.append(part.text)
        params.extend(part.params)
    return Sql(separator.join(texts), tuple(params))
