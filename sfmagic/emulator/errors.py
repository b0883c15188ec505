"""Errors the emulator answers with, in Salesforce's JSON shape.

Every failure inside the emulator is raised as an ``ApiError`` (or a subclass) and
turned into a response in one place, the app's exception handler: a JSON list of
``{"message", "errorCode", "fields"}`` with the status Salesforce uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["ApiError", "ErrorItem", "not_found"]


class ErrorItem:
    """One entry of an error list."""

    __slots__ = ("error_code", "fields", "message")

    def __init__(
        self, error_code: str, message: str, fields: Sequence[str] = ()
    ) -> None:
        self.error_code = error_code
        self.message = message
        self.fields = list(fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "errorCode": self.error_code,
            "fields": self.fields,
        }


class ApiError(Exception):
    """A Salesforce-shaped failure: an HTTP status and one or more error items."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] = (),
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.items = [ErrorItem(error_code, message, fields)]
        self.headers = headers or {}

    @classmethod
    def many(cls, status: int, items: Sequence[ErrorItem]) -> ApiError:
        error = cls(status, items[0].error_code, items[0].message, items[0].fields)
        error.items = list(items)
        return error

    @property
    def error_code(self) -> str:
        return self.items[0].error_code

    @property
    def message(self) -> str:
        return self.items[0].message

    def to_json(self) -> list[dict[str, Any]]:
        return [item.to_json() for item in self.items]


def not_found() -> ApiError:
    """The answer for any unknown resource."""
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")
