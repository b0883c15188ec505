"""Tab completion inside ``%%soql``, ``%soql`` and ``%sf_describe``.

``install(shell)`` adds one matcher (IPython's matcher API v2) to the shell's
completer. When the cursor is in the query of a ``%%soql`` cell (below its
first line) or after the options of a ``%soql`` line, it asks
``sfmagic.client.completion.complete`` for candidates from the describe cache
of the connection (``--conn`` or the active one): sObject names after FROM,
fields and relationship paths, child relationships in subqueries, picklist
values inside quotes. After ``%sf_describe`` it offers sObject names.
Elsewhere, or with no connection, it offers nothing and the usual completers
answer. Installing twice changes nothing; after ``%unload_ext`` the matcher
stays but stays silent.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SoqlMatcher", "install"]

_CELL = re.compile(r"\A\s*%%soql\b[^\n]*\n")
_LINE = re.compile(r"^(?:[^%]*=\s*)?%soql\b")
_DESCRIBE = re.compile(r"^\s*(?:\w+\s*=\s*)?%sf_describe\s+(?:--conn\s+\S+\s+)?(\w*)$")
_CONN = re.compile(r"--conn(?:=|\s+)(\S+)")


class SoqlMatcher:
    """The completer matcher of one shell (a callable, matcher API v2)."""

    matcher_api_version = 2
    matcher_priority = 100
    matcher_identifier = "sfmagic_soql"

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        # IPython reads __qualname__ of every matcher, even one with an identifier.
        self.__qualname__ = self.matcher_identifier

    def active(self) -> bool:
        """Whether ``%%soql`` is registered in the shell right now."""
        manager = getattr(self.shell, "magics_manager", None)
        return manager is not None and "soql" in manager.magics.get("cell", {})

    def __call__(self, context: Any) -> dict[str, Any]:
        empty: dict[str, Any] = {"completions": [], "suppress": False}
        if not self.active():
            return empty
        lines = context.full_text.split("\n")
        offset = sum(len(line) + 1 for line in lines[: context.cursor_line])
        offset += context.cursor_position
        found = self.locate(context.full_text, offset)
        if found is None:
            return empty
        text, cursor, options, describe_only = found
        try:
            return self.answer(text, cursor, options, describe_only)
        except Exception:  # completion must never break typing
            return empty

    def locate(self, full: str, offset: int) -> tuple[str, int, str, bool] | None:
        """The query text, the cursor in it, the options, and whether only
        sObject names are wanted; None when the cursor is not in a query."""
        from sfmagic.magics.query import split_options

        cell = _CELL.match(full)
        if cell is not None:
            if offset < cell.end():
                return None
            first = full[: cell.end()]
            return full[cell.end() :], offset - cell.end(), first, False
        start = full.rfind("\n", 0, offset) + 1
        end = full.find("\n", offset)
        line = full[start : end if end >= 0 else len(full)]
        cursor = offset - start
        describe = _DESCRIBE.match(line[:cursor])
        if describe is not None:
            return describe.group(1), len(describe.group(1)), line, True
        magic = _LINE.match(line)
        if magic is None:
            return None
        options, query = split_options(line[magic.end() :])
        query_start = len(line) - len(query)
        if not query or cursor < query_start:
            return None
        return line[query_start:], cursor - query_start, options, False

    def answer(
        self, text: str, cursor: int, options: str, describe_only: bool
    ) -> dict[str, Any]:
        """The matcher result for ``text`` with the cursor at ``cursor``."""
        from IPython.core.completer import SimpleCompletion

        from sfmagic.client.completion import complete
        from sfmagic.client.describe_cache import describe_cache
        from sfmagic.client.registry import CONNECTIONS

        alias = _CONN.search(options)
        name = alias.group(1) if alias else CONNECTIONS.active
        if name is None or name not in CONNECTIONS.aliases():
            return {"completions": [], "suppress": False}
        cache = describe_cache(CONNECTIONS.get(name), tooling="--tooling" in options)
        if describe_only:
            typed = text[:cursor].lower()
            names = [n for n in cache.sobject_names() if n.lower().startswith(typed)]
            start = 0
        else:
            found = complete(text, cursor, cache)
            names, start = found.matches, found.start
        return {
            "completions": [SimpleCompletion(n, type="soql") for n in names],
            "matched_fragment": text[start:cursor],
            "suppress": bool(names),
            "ordered": True,
        }


def install(shell: Any) -> None:
    """Add the matcher to ``shell``'s completer, once."""
    completer = getattr(shell, "Completer", None)
    if completer is None:
        return
    matchers = completer.custom_matchers
    if any(isinstance(m, SoqlMatcher) for m in matchers):
        return
    matchers.append(SoqlMatcher(shell))
