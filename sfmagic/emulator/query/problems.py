"""The errors a query can fail with, worded as Salesforce words them.

Errors about the query text carry Salesforce's caret prefix (the offending line,
a caret under the column, ``ERROR at Row:R:Column:C``) followed by the detail.
"""

from __future__ import annotations

from sfmagic.emulator.errors import ApiError
from sfmagic.soql import ast, caret_message

__all__ = ["Problems"]

_CUSTOM_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' "
    "after the custom field name. Please reference your WSDL or the describe call "
    "for the appropriate names."
)
_CUSTOM_OBJECT_HINT = (
    "If you are attempting to use a custom object, be sure to append the '__c' "
    "after the entity name. Please reference your WSDL or the describe call for "
    "the appropriate names."
)
_CUSTOM_RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the "
    "'__r' after the custom relationship name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)


class Problems:
    """Builds ``ApiError`` s that point into one query text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def at(self, code: str, pos: ast.Position | None, detail: str) -> ApiError:
        """A 400 error with the caret prefix at ``pos`` (none without one)."""
        if pos is None:
            return ApiError(400, code, detail)
        message = caret_message(self.text, pos.line, pos.column, detail)
        return ApiError(400, code, message)

    def malformed(self, pos: ast.Position | None, detail: str) -> ApiError:
        return self.at("MALFORMED_QUERY", pos, detail)

    def unknown_object(self, pos: ast.Position, name: str) -> ApiError:
        detail = f"sObject type '{name}' is not supported. {_CUSTOM_OBJECT_HINT}"
        return self.at("INVALID_TYPE", pos, detail)

    def unknown_field(self, pos: ast.Position, name: str, entity: str) -> ApiError:
        detail = f"No such column '{name}' on entity '{entity}'. {_CUSTOM_FIELD_HINT}"
        return self.at("INVALID_FIELD", pos, detail)

    def unknown_relationship(self, pos: ast.Position, name: str) -> ApiError:
        detail = (
            f"Didn't understand relationship '{name}' in field path. "
            f"{_CUSTOM_RELATIONSHIP_HINT}"
        )
        return self.at("INVALID_FIELD", pos, detail)

    def unknown_child_relationship(self, pos: ast.Position, name: str) -> ApiError:
        detail = (
            f"Didn't understand relationship '{name}' in FROM part of query call. "
            f"{_CUSTOM_RELATIONSHIP_HINT}"
        )
        return self.at("INVALID_TYPE", pos, detail)

    def invalid_field(self, pos: ast.Position | None, detail: str) -> ApiError:
        return self.at("INVALID_FIELD", pos, detail)

    def bad_filter(self, pos: ast.Position | None, detail: str) -> ApiError:
        return self.at("INVALID_QUERY_FILTER_OPERATOR", pos, detail)

    def unsupported(self, pos: ast.Position | None, what: str) -> ApiError:
        """A feature the emulator does not implement, refused rather than faked."""
        return self.malformed(pos, f"{what} is not supported by the sfmagic emulator")
