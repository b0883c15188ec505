"""The SOSL parser: a search statement into a ``SearchStatement``.

The statement grammar (Lark, LALR) covers ``FIND {search query}``, then optionally
``IN ALL|NAME|EMAIL|PHONE|SIDEBAR FIELDS``, ``RETURNING Object[(fields [WHERE …]
[ORDER BY …] [LIMIT n] [OFFSET n])], …``, any number of ``WITH`` clauses
(``DIVISION``, ``DATA CATEGORY``, ``HIGHLIGHT``, ``SNIPPET``, ``NETWORK``,
``PricebookId``, ``METADATA``, ``SPELL_CORRECTION``, ``USER_MODE`` …), ``LIMIT n``
and ``UPDATE TRACKING|VIEWSTAT``. The ``WITH`` and ``UPDATE`` clauses are checked
and have no effect. What a RETURNING object holds in parentheses is SOQL: it is
checked here with ``sfmagic.soql.parse`` (syntax errors point into the SOSL text)
and kept as text for the SOQL engine.

The search query between the braces holds words and ``"quoted phrases"``, the
wildcards ``*`` (zero or more characters) and ``?`` (one character), ``AND``, ``OR``
and ``AND NOT`` (any case; ``AND`` binds tighter than ``OR``, words side by side
mean ``AND``) and parentheses. A backslash makes the next character plain text;
other punctuation only separates words. Words are cut as Salesforce's search index
cuts them (see ``search_words``). As in Salesforce, a search query needs two
characters that are not wildcards, one longer than 10,000 characters finds nothing,
and one longer than 4,000 characters loses its operators (every term is OR'ed).

Known limits: ``USING ListView`` is refused; ``SIDEBAR FIELDS`` is read as ``NAME
FIELDS``; a ``LIMIT`` above 2,000 is lowered to 2,000.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

import lark

from sfmagic.emulator.errors import ApiError
from sfmagic.soql import SoqlSyntaxError, caret_message, parse

__all__ = [
    "SEARCH_LIMIT",
    "AllOf",
    "AnyOf",
    "MappedText",
    "ReturningObject",
    "SearchExpression",
    "SearchStatement",
    "Term",
    "TextSlice",
    "Without",
    "parse_sosl",
    "pointed_error",
    "search_words",
    "terms",
]

SEARCH_LIMIT = 2000
"""Most records a search returns, overall and per object."""
MAX_QUERY_LENGTH = 10_000
MAX_OPERATOR_QUERY_LENGTH = 4_000
MAX_OFFSET = 2000

NO_SEARCH_TERM = "No search term found. The search term must be enclosed in braces."
TERM_TOO_SHORT = "search term must be longer than one character"

_CLAUSE_WORDS = frozenset({"WHERE", "ORDER", "LIMIT", "OFFSET"})
# SOQL clauses a RETURNING object cannot have.
_SOQL_ONLY_WORDS = frozenset({"USING", "WITH", "GROUP", "HAVING", "FOR", "UPDATE"})
_FIND = re.compile(r"\s*FIND\s*\{", re.IGNORECASE)
_ORDER_BY = re.compile(r"\s*BY\b", re.IGNORECASE)

_GRAMMAR = r"""
start: "FIND"i SEARCH_QUERY scope? returning? with_clause* limit? update?

scope: "IN"i SCOPE "FIELDS"i
SCOPE: /(ALL|NAME|EMAIL|PHONE|SIDEBAR)\b/i

returning: "RETURNING"i object_spec ("," object_spec)*
object_spec: NAME (LPAR body RPAR)?
body: (BODY_WORD | STRING | COMMA | group)+
group: LPAR body? RPAR

with_clause: "WITH"i (with_value | with_category | with_snippet | with_flag)
with_value: NAME "=" value | NAME "IN"i "(" value ("," value)* ")"
with_category: "DATA"i "CATEGORY"i category ("AND"i category)*
category: NAME CATEGORY_OP (NAME | "(" NAME ("," NAME)* ")")
CATEGORY_OP: /(ABOVE_OR_BELOW|ABOVE|BELOW|AT)\b/i
with_snippet: "SNIPPET"i ("(" NAME "=" INT ")")?
with_flag: NAME
?value: STRING | NAME | INT

limit: "LIMIT"i INT
update: "UPDATE"i NAME ("," NAME)*

SEARCH_QUERY: /\{(?:\\.|[^\\}])*\}/s
STRING: /'(?:\\.|[^'\\])*'/s
NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /[0-9]+/
BODY_WORD: /[^\s(),']+/
LPAR: "("
RPAR: ")"
COMMA: ","
%ignore /\s+/
"""


@cache
def _statement_parser() -> lark.Lark:
    return lark.Lark(_GRAMMAR, parser="lalr")


def pointed_error(code: str, text: str, offset: int, detail: str) -> ApiError:
    """A 400 whose message points a caret at ``offset`` of the SOSL ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return ApiError(400, code, caret_message(text, line, column, detail))


def _malformed(text: str, offset: int, detail: str) -> ApiError:
    return pointed_error("MALFORMED_SEARCH", text, offset, detail)


# --- the search query between the braces ------------------------------------


@dataclass(frozen=True)
class Term:
    """A word or a phrase, as lower-cased words that may hold wildcards."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class AllOf:
    items: tuple[SearchExpression, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[SearchExpression, ...]


@dataclass(frozen=True)
class Without:
    """``AND NOT item``: only ever an item of ``AllOf``."""

    item: SearchExpression


SearchExpression = Term | AllOf | AnyOf | Without

_WORD = re.compile(r"(?:[^\W\d_]|[*?])+|(?:\d|[*?])+")
_WILDCARD = re.compile(r"[*?]")
_OPERATORS = frozenset({"and", "or", "not"})
_WORD_STOP = ' \t\r\n\f\v()"'


def search_words(text: str) -> list[str]:
    """Cut ``text`` into lower-cased search words, as the search index does.

    Words end at spaces and punctuation and where letters turn into digits or
    back; the wildcards ``*`` and ``?`` stay inside words.
    """
    return _WORD.findall(text.lower())


def terms(expression: SearchExpression) -> Iterator[Term]:
    """Every term of ``expression``, left to right."""
    if isinstance(expression, Term):
        yield expression
    elif isinstance(expression, Without):
        yield from terms(expression.item)
    else:
        for item in expression.items:
            yield from terms(item)


@dataclass(frozen=True)
class _QueryToken:
    kind: str  # "(", ")", "word", "phrase", "and", "or", "not"
    text: str
    offset: int


class _SearchQueryParser:
    """Recursive descent over the words, phrases and operators inside ``{…}``."""

    def __init__(self, statement: str, start: int, end: int) -> None:
        self.statement = statement
        self.end = end
        self.tokens = list(self._lex(start, end))
        self.index = 0

    def parse(self) -> SearchExpression | None:
        if not self.tokens:
            return None
        expression = self._any_of()
        if self.index < len(self.tokens):
            raise self._unexpected(self.tokens[self.index])
        return expression

    def _lex(self, position: int, end: int) -> Iterator[_QueryToken]:
        text = self.statement
        while position < end:
            char = text[position]
            if char.isspace():
                position += 1
            elif char in "()":
                yield _QueryToken(char, char, position)
                position += 1
            elif char == '"':
                phrase, after = self._read(position + 1, end, stop='"')
                if after >= end:
                    raise _malformed(text, position, "unmatched '\"'")
                yield _QueryToken("phrase", phrase, position)
                position = after + 1
            else:
                word, after = self._read(position, end, stop=_WORD_STOP)
                raw = text[position:after].lower()
                yield _QueryToken(raw if raw in _OPERATORS else "word", word, position)
                position = after

    def _read(self, position: int, end: int, stop: str) -> tuple[str, int]:
        # An escaped wildcard is plain punctuation, which only separates words.
        chars = []
        while position < end and self.statement[position] not in stop:
            char = self.statement[position]
            if char == "\\" and position + 1 < end:
                position += 1
                char = self.statement[position]
                if char in "*?":
                    char = " "
            chars.append(char)
            position += 1
        return "".join(chars), position

    def _peek(self) -> _QueryToken | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self) -> _QueryToken:
        token = self._peek()
        if token is None:
            raise _malformed(self.statement, self.end, "unexpected token: '}'")
        self.index += 1
        return token

    def _unexpected(self, token: _QueryToken) -> ApiError:
        detail = f"unexpected token: '{token.text or token.kind}'"
        return _malformed(self.statement, token.offset, detail)

    def _any_of(self) -> SearchExpression:
        items = [self._all_of()]
        while (token := self._peek()) is not None and token.kind == "or":
            self.index += 1
            items.append(self._all_of())
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def _all_of(self) -> SearchExpression:
        items = [self._primary()]
        while (token := self._peek()) is not None and token.kind not in ("or", ")"):
            negated = False
            if token.kind == "and":
                self.index += 1
                following = self._peek()
                if following is not None and following.kind == "not":
                    self.index += 1
                    negated = True
            item = self._primary()
            items.append(Without(item) if negated else item)
        return items[0] if len(items) == 1 else AllOf(tuple(items))

    def _primary(self) -> SearchExpression:
        token = self._take()
        if token.kind == "(":
            inner = self._any_of()
            closing = self._take()
            if closing.kind != ")":
                raise self._unexpected(closing)
            return inner
        # A lone "not" is a word: Salesforce's operator is "AND NOT".
        if token.kind in ("word", "phrase", "not"):
            return Term(tuple(search_words(token.text)))
        raise self._unexpected(token)


def _prune(expression: SearchExpression) -> SearchExpression | None:
    """Drop terms without words (bare punctuation), which find nothing."""
    if isinstance(expression, Term):
        return expression if expression.words else None
    if isinstance(expression, Without):
        inner = _prune(expression.item)
        return Without(inner) if inner is not None else None
    items = tuple(item for item in map(_prune, expression.items) if item is not None)
    if not items or all(isinstance(item, Without) for item in items):
        return None
    if len(items) == 1:
        return items[0]
    return AllOf(items) if isinstance(expression, AllOf) else AnyOf(items)


def _literal_length(expression: SearchExpression) -> int:
    words = (word for term in terms(expression) for word in term.words)
    return sum(len(_WILDCARD.sub("", word)) for word in words)


def _search_expression(text: str, query: lark.Token) -> SearchExpression | None:
    start, end = _start(query) + 1, _end(query) - 1
    if end - start > MAX_QUERY_LENGTH:
        return None
    parsed = _SearchQueryParser(text, start, end).parse()
    expression = _prune(parsed) if parsed is not None else None
    if expression is None or _literal_length(expression) < 2:
        raise ApiError(400, "MALFORMED_SEARCH", TERM_TOO_SHORT)
    if end - start > MAX_OPERATOR_QUERY_LENGTH:
        return AnyOf(tuple(terms(expression)))
    return expression


# --- SOQL text made of pieces of the statement ---------------------------------


@dataclass(frozen=True)
class TextSlice:
    """A piece of the SOSL statement: its text and the offset it starts at."""

    text: str
    offset: int


@dataclass(frozen=True)
class _Piece:
    start: int
    text: str
    origin: int | None  # its offset in the SOSL statement; None for added words


@dataclass(frozen=True)
class MappedText:
    """SOQL assembled from slices of a SOSL statement, with the way back.

    Errors about the SOQL (line and column) are turned into positions in the SOSL
    statement, so that carets point at what the user wrote.
    """

    text: str
    pieces: tuple[_Piece, ...]

    @classmethod
    def build(cls, parts: Iterable[TextSlice | str]) -> MappedText:
        """Join slices of the statement (``TextSlice``) and added words (``str``)."""
        pieces, start = [], 0
        for part in parts:
            if isinstance(part, TextSlice):
                pieces.append(_Piece(start, part.text, part.offset))
                start += len(part.text)
            else:
                pieces.append(_Piece(start, part, None))
                start += len(part)
        return cls("".join(piece.text for piece in pieces), tuple(pieces))

    def origin(self, line: int, column: int) -> int:
        """The statement offset behind a 1-based line and column of ``text``.

        A position in added words maps to the start of the next slice.
        """
        lines = self.text.split("\n")
        offset = sum(len(text) + 1 for text in lines[: max(line, 1) - 1])
        offset += max(column, 1) - 1
        fallback = 0
        for piece in self.pieces:
            if piece.origin is None:
                continue
            if offset < piece.start:
                return piece.origin
            if offset < piece.start + len(piece.text):
                return piece.origin + offset - piece.start
            fallback = piece.origin + len(piece.text)
        return fallback


# --- the statement ----------------------------------------------------------------


@dataclass(frozen=True)
class ReturningObject:
    """One object of a RETURNING clause.

    ``fields`` is None when the object is named without parentheses; ``where`` and
    ``order_by`` hold the SOQL text after ``WHERE`` and ``ORDER BY``.
    """

    name: TextSlice
    fields: TextSlice | None = None
    where: TextSlice | None = None
    order_by: TextSlice | None = None
    limit: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class SearchStatement:
    """A parsed SOSL statement.

    ``expression`` is None when the search query is too long to find anything.
    ``scope`` is ``ALL``, ``NAME``, ``EMAIL`` or ``PHONE``.
    """

    text: str
    expression: SearchExpression | None
    scope: str = "ALL"
    returning: tuple[ReturningObject, ...] = ()
    limit: int = SEARCH_LIMIT


def parse_sosl(text: str) -> SearchStatement:
    """Parse a SOSL statement.

    Raises
    ------
    ApiError
        400 ``MALFORMED_SEARCH`` with Salesforce's message (with a caret for
        syntax errors); 400 ``NUMBER_OUTSIDE_VALID_RANGE`` for an OFFSET above
        2,000.
    """
    if not _FIND.match(text):
        raise ApiError(400, "MALFORMED_SEARCH", NO_SEARCH_TERM)
    try:
        tree = _statement_parser().parse(text)
    except lark.exceptions.UnexpectedInput as error:
        raise _syntax_error(text, error) from None

    query = tree.children[0]
    assert isinstance(query, lark.Token)
    statement = SearchStatement(text, _search_expression(text, query))
    for clause in tree.children[1:]:
        assert isinstance(clause, lark.Tree)
        if clause.data == "scope":
            scope = str(clause.children[0]).upper()
            scope = "NAME" if scope == "SIDEBAR" else scope
            statement = replace(statement, scope=scope)
        elif clause.data == "returning":
            specs = [_returning_object(text, spec) for spec in clause.children]
            statement = replace(statement, returning=tuple(specs))
        elif clause.data == "limit":
            limit = min(int(str(clause.children[0])), SEARCH_LIMIT)
            statement = replace(statement, limit=limit)
    return statement


def _start(token: lark.Token) -> int:
    return token.start_pos or 0


def _end(token: lark.Token) -> int:
    return token.end_pos or 0


def _syntax_error(text: str, error: lark.exceptions.UnexpectedInput) -> ApiError:
    if isinstance(error, lark.exceptions.UnexpectedToken):
        token = error.token
        if "SEARCH_QUERY" in error.expected:  # "FIND {unclosed"
            return ApiError(400, "MALFORMED_SEARCH", NO_SEARCH_TERM)
        if token.type == "$END":
            # Like the SOQL parser: just after the last character that is not space.
            end = len(text.rstrip())
            return _malformed(text, end, "unexpected token: '<EOF>'")
        return _malformed(text, _start(token), f"unexpected token: '{token}'")
    offset = getattr(error, "pos_in_stream", None) or 0
    return _malformed(text, offset, f"unexpected token: '{text[offset : offset + 1]}'")


def _flatten(
    tree: lark.Tree[lark.Token], depth: int
) -> Iterator[tuple[lark.Token, int]]:
    """The tokens of a RETURNING body with their parenthesis depth."""
    for child in tree.children:
        if isinstance(child, lark.Token):
            yield child, depth
        else:
            inner = depth + 1 if child.data == "group" else depth
            yield from _flatten(child, inner)


def _returning_object(
    text: str, spec: lark.Tree[lark.Token] | lark.Token
) -> ReturningObject:
    assert isinstance(spec, lark.Tree)
    name_token, *parenthesized = spec.children
    assert isinstance(name_token, lark.Token)
    name = TextSlice(str(name_token), _start(name_token))
    if not parenthesized:
        return ReturningObject(name)
    opening, body, closing = parenthesized
    assert isinstance(opening, lark.Token)
    assert isinstance(closing, lark.Token)
    assert isinstance(body, lark.Tree)
    start, end = _end(opening), _start(closing)

    # Clause words count only outside nested parentheses (semi-joins, toLabel()).
    keywords = [
        token
        for token, depth in _flatten(body, 0)
        if depth == 0
        and token.type == "BODY_WORD"
        and token.upper() in _CLAUSE_WORDS | _SOQL_ONLY_WORDS
    ]
    _refuse_soql_only(text, keywords)
    clauses_at = _start(keywords[0]) if keywords else end
    fields = TextSlice(text[start:clauses_at], start)
    soql = MappedText.build(
        [
            "SELECT ",
            fields,
            " FROM ",
            name,
            " ",
            TextSlice(text[clauses_at:end], clauses_at),
        ]
    )
    try:
        parsed = parse(soql.text)
    except SoqlSyntaxError as error:
        offset = soql.origin(error.line, error.column)
        raise _malformed(text, offset, error.detail) from None
    if parsed.offset is not None and parsed.offset > MAX_OFFSET:
        message = f"Maximum SOSL offset allowed is {MAX_OFFSET}"
        raise ApiError(400, "NUMBER_OUTSIDE_VALID_RANGE", message)
    return ReturningObject(
        name,
        fields,
        where=_clause_text(text, keywords, "WHERE", end),
        order_by=_clause_text(text, keywords, "ORDER", end),
        limit=parsed.limit,
        offset=parsed.offset,
    )


def _refuse_soql_only(text: str, keywords: Sequence[lark.Token]) -> None:
    for token in keywords:
        word = token.upper()
        if word == "USING":
            detail = "USING ListView is not supported by the sfmagic emulator"
            raise _malformed(text, _start(token), detail)
        if word in _SOQL_ONLY_WORDS:
            raise _malformed(text, _start(token), f"unexpected token: '{token}'")


def _clause_text(
    text: str, keywords: Sequence[lark.Token], word: str, end: int
) -> TextSlice | None:
    """The text of the clause ``word`` starts, up to the next clause word."""
    for index, token in enumerate(keywords):
        if token.upper() != word:
            continue
        start = _end(token)
        if word == "ORDER":
            by = _ORDER_BY.match(text, start)
            start = by.end() if by else start
        stop = _start(keywords[index + 1]) if index + 1 < len(keywords) else end
        return TextSlice(text[start:stop], start)
    return None
