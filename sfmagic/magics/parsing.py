"""Reading a magic's line without ever echoing a secret typed on it.

argparse's own errors repeat the offending words ("unrecognized arguments:
hunter2"), which would put a mistyped password in the cell's output. Options
that look like secrets are refused by name, and other errors name only the
options, never free words.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring
from IPython.utils._process_common import arg_split

__all__ = ["SECRET_OPTIONS", "parse_line"]

_LONG_OPTION = re.compile(r"^--[A-Za-z][A-Za-z0-9-]*$")

SECRET_OPTIONS = frozenset(
    {
        "--password",
        "-p",
        "--security-token",
        "--token",
        "--client-secret",
        "--secret",
        "--access-token",
        "--refresh-token",
        "--session-id",
    }
)


def parse_line(magic_function: Callable[..., Any], line: str, magic: str) -> Any:
    """The parsed arguments of ``%magic line``; ``UsageError`` naming no secret."""
    try:
        words = arg_split(line)
    except ValueError:
        raise UsageError(
            f"%{magic}: the line has an unbalanced quote, so close it and run the "
            "cell again."
        ) from None
    for word in words:
        option = word.split("=", 1)[0]
        # "-phunter2" is "-p hunter2" to argparse: a short option glued to its value.
        glued = not option.startswith("--") and option[:2] in SECRET_OPTIONS
        if glued:
            option = option[:2]
        if option in SECRET_OPTIONS:
            raise UsageError(
                f"%{magic}: {option} is not accepted because secrets typed on the "
                "magic line end up in the notebook and its history, so use an "
                f"environment variable or the hidden prompt (see %{magic}?)."
            )
    try:
        return parse_argstring(magic_function, line)
    except UsageError as error:
        options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
        raise UsageError(
            f"%{magic}: {_first_line(str(error), options)}, so see %{magic}? for "
            "the options."
        ) from None
    except argparse.ArgumentError:
        raise UsageError(
            f"%{magic}: the options are not valid, see %{magic}?."
        ) from None


def _first_line(message: str, options: list[str]) -> str:
    """argparse's message, without the free words it may repeat."""
    if message.startswith("unrecognized arguments"):
        # Long option names only: a short one may be glued to a value.
        shown = [
            word
            for word in message.split(":", 1)[1].split()
            if word in options and _LONG_OPTION.match(word)
        ]
        if shown:
            return "unknown option " + ", ".join(shown)
        return "unexpected words on the line"
    if message.startswith("argument "):
        return message.split(":", 1)[0] + " is missing or not valid"
    return "the options are not valid"
