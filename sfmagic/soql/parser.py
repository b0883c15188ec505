"""Turn SOQL text into the syntax tree of ``sfmagic.soql.ast``.

The grammar lives in ``grammar.lark``; Lark builds an LALR(1) parser from it once, on
the first call to ``parse``, and calls the methods of ``_TreeBuilder`` while it parses,
so no intermediate parse tree is made. Lark is imported only then, which keeps
``import sfmagic.soql`` light.

What the grammar leaves open is checked here, with the same error type:

* function names, their number of arguments and where a call may stand
  (``FIELDS()`` only in SELECT, ``ROLLUP()``/``CUBE()`` only as the whole GROUP BY;
  ``COUNT()`` is a ``CountAll`` in SELECT and a ``FunctionCall`` without arguments
  anywhere else, for a validator to judge); literals are arguments of ``GEOLOCATION``
  (numbers) and the unit of ``DISTANCE`` (``'mi'`` or ``'km'``) only;
* the order of the clauses after FROM, and that none repeats;
* string escapes, dates and datetimes;
* the SOQL keywords that can never be a name or an alias (``FROM``, ``LIKE`` …);
* nesting depth (at most ``MAX_NESTING`` parentheses or stacked NOTs), so that
  consumers walking the tree recursively stay far from Python's recursion limit.

Literal tokens are decoded by ``sfmagic.soql.literals``, which also documents how
the string of a LIKE keeps its ``\\%`` and ``\\_`` escapes.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn, cast

from sfmagic.soql import ast
from sfmagic.soql.errors import SoqlSyntaxError, TokenError
from sfmagic.soql.literals import (
    number_literal,
    string_literal,
    token_error,
    token_position,
    value_literal,
)

if TYPE_CHECKING:
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

__all__ = ["FUNCTION_ARITY", "MAX_NESTING", "RESERVED", "parse"]

#: Deepest nesting of parentheses, and longest run of stacked NOTs, that ``parse``
#: accepts. Real queries stay well below (Salesforce nests child subqueries at most
#: five levels deep).
MAX_NESTING = 50

#: Words that are never a name or an alias in SOQL (Salesforce's list of keywords
#: that cannot be aliases). GROUP is missing on purpose: ``Group`` is an sObject
#: (queues) and a relationship of GroupMember.
RESERVED = frozenset(
    {
        *("AND", "ASC", "DESC", "EXCLUDES", "FIRST", "FROM", "HAVING", "IN"),
        *("INCLUDES", "LAST", "LIKE", "LIMIT", "NOT", "NULL", "NULLS", "OR"),
        *("SELECT", "WHERE", "WITH"),
    }
)

_AGGREGATES = ("COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX")
_DATE_FUNCTIONS = (
    "CALENDAR_MONTH",
    "CALENDAR_QUARTER",
    "CALENDAR_YEAR",
    "DAY_IN_MONTH",
    "DAY_IN_WEEK",
    "DAY_IN_YEAR",
    "DAY_ONLY",
    "FISCAL_MONTH",
    "FISCAL_QUARTER",
    "FISCAL_YEAR",
    "HOUR_IN_DAY",
    "WEEK_IN_MONTH",
    "WEEK_IN_YEAR",
)
_WRAPPERS = ("TOLABEL", "FORMAT", "CONVERTCURRENCY", "CONVERTTIMEZONE", "GROUPING")

#: Known functions and their (fewest, most) arguments; None means no upper bound.
FUNCTION_ARITY: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(_AGGREGATES, (1, 1)),
    "COUNT": (0, 1),
    **dict.fromkeys(_DATE_FUNCTIONS, (1, 1)),
    **dict.fromkeys(_WRAPPERS, (1, 1)),
    "GEOLOCATION": (2, 2),
    "DISTANCE": (3, 3),
    "FIELDS": (1, 1),
    "ROLLUP": (1, None),
    "CUBE": (1, None),
}

# Calls that are not expressions: FIELDS() belongs to SELECT, ROLLUP()/CUBE() to
# GROUP BY; anywhere else they are a syntax error.
_PLACED_CALLS = frozenset({"FIELDS", "ROLLUP", "CUBE"})
_FIELDS_KINDS = frozenset({"ALL", "STANDARD", "CUSTOM"})
_DISTANCE_UNITS = frozenset({"mi", "km"})
_NUMBER_KINDS = frozenset({"integer", "decimal"})

# Clause keywords in the order SOQL requires them after FROM. FOR VIEW/REFERENCE
# and FOR UPDATE share a keyword but not a place.
_CLAUSE_RANK = {
    "using_scope": 0,
    "where": 1,
    "with_clause": 2,
    "group_by": 3,
    "having": 4,
    "order_by": 5,
    "limit": 6,
    "offset": 7,
    "for_view": 8,
    "update_clause": 9,
    "for_update": 10,
}

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PAREN_QUOTE_OR_ESCAPE = re.compile(r"[()'\\]")
_WORD = re.compile(r"\w+")
_GRAMMAR = "grammar.lark"


def parse(text: str) -> ast.Query:
    """Parse a SOQL query into its syntax tree.

    Parameters
    ----------
    text
        The query, for example ``"SELECT Id, Name FROM Account LIMIT 5"``.

    Returns
    -------
    ast.Query
        The tree; every node carries the 1-based position of its first token.

    Raises
    ------
    SoqlSyntaxError
        When the text is not valid SOQL. ``str(error)`` is Salesforce's caret
        message, for example ``"...ERROR at Row:1:Column:11\\nunexpected token:
        'FROM'"``.

    Examples
    --------
    >>> query = parse("SELECT Name FROM Account WHERE Name LIKE 'Ac%' LIMIT 5")
    >>> query.sobject, query.limit, query.where.right.value
    ('Account', 5, 'Ac%')
    """
    from lark.exceptions import UnexpectedInput

    _check_characters(text)
    _check_parentheses(text)
    try:
        return cast(ast.Query, _lark().parse(text))
    except TokenError as error:
        raise SoqlSyntaxError(
            error.detail,
            query=text,
            line=error.line,
            column=error.column,
            token=error.token,
        ) from None
    except UnexpectedInput as error:
        raise _from_lark(text, error) from None


@functools.cache
def _lark() -> Lark:
    from lark import Lark

    grammar = resources.files("sfmagic.soql").joinpath(_GRAMMAR).read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
        transformer=_TreeBuilder(),
        lexer_callbacks={"NAME": _reserve_keywords},
    )


def _reserve_keywords(token: Token) -> Token:
    # The contextual lexer reads a keyword as a NAME where no keyword may stand
    # ("SELECT FROM Account"); make it the keyword again so the parser reports it.
    upper = token.upper()
    if upper in RESERVED:
        token.type = upper
    return token


# -- errors -------------------------------------------------------------------------


def _unexpected(token: Token) -> NoReturn:
    raise token_error(f"unexpected token: '{token}'", token)


def _unexpected_node(node: ast.FieldRef | ast.FunctionCall | ast.Literal) -> NoReturn:
    if isinstance(node, ast.FieldRef):
        text = node.dotted
    elif isinstance(node, ast.FunctionCall):
        text = node.spelling
    else:
        text = node.text
    raise TokenError(
        f"unexpected token: '{text}'", node.pos.line, node.pos.column, text
    )


def _end_position(text: str) -> ast.Position:
    kept = text.rstrip()
    line_start = kept.rfind("\n") + 1
    return ast.Position(kept.count("\n") + 1, len(kept) - line_start + 1)


def _position_at(text: str, index: int) -> ast.Position:
    line_start = text.rfind("\n", 0, index) + 1
    return ast.Position(text.count("\n", 0, index) + 1, index - line_start + 1)


def _from_lark(text: str, error: UnexpectedInput) -> SoqlSyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    token: str | None
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        token, pos = str(error.token), token_position(error.token)
        detail = f"unexpected token: '{token}'"
    elif isinstance(error, UnexpectedCharacters):
        # Nothing can start here: name the word (or the single character) at fault.
        index = cast(int, error.pos_in_stream)
        pos = _position_at(text, index)
        word = _WORD.match(text, index)
        token = word.group() if word else text[index]
        detail = f"unexpected token: '{token}'"
        if token == "'":
            detail = "unterminated string literal"
    else:
        token, pos = None, _end_position(text)
        detail = "unexpected token: '<EOF>'"
    return SoqlSyntaxError(
        detail, query=text, line=pos.line, column=pos.column, token=token
    )


def _check_characters(text: str) -> None:
    # A lone surrogate cannot be stored or sent as UTF-8 later on.
    found = _SURROGATE.search(text)
    if found:
        char = found.group()
        pos = _position_at(text, found.start())
        raise SoqlSyntaxError(
            f"unexpected token: {char!a}",
            query=text,
            line=pos.line,
            column=pos.column,
            token=char,
        )


def _check_parentheses(text: str) -> None:
    # One pass over quotes, backslashes and parentheses: parentheses inside string
    # literals do not count, and an escaped character never ends a string.
    depth, in_string, skip_to = 0, False, -1
    for match in _PAREN_QUOTE_OR_ESCAPE.finditer(text):
        index, char = match.start(), match.group()
        if index < skip_to:
            continue
        if in_string:
            if char == "\\":
                skip_to = index + 2
            in_string = char != "'"
        elif char == "'":
            in_string = True
        elif char == "(":
            depth += 1
            if depth > MAX_NESTING:
                pos = _position_at(text, index)
                raise SoqlSyntaxError(
                    f"query is nested too deeply (more than {MAX_NESTING} levels)",
                    query=text,
                    line=pos.line,
                    column=pos.column,
                    token="(",
                )
        elif char == ")":
            depth -= 1


# -- expressions --------------------------------------------------------------------


def _expression(node: ast.Expression) -> ast.Expression:
    """Check that a call may stand where an expression goes (not FIELDS(), ROLLUP())."""
    if isinstance(node, ast.FunctionCall) and node.name in _PLACED_CALLS:
        _unexpected_node(node)
    return node


def _check_arguments(
    name: str, args: tuple[ast.FieldRef | ast.FunctionCall | ast.Literal, ...]
) -> None:
    # Literals are the two numbers of GEOLOCATION and the unit of DISTANCE only;
    # every other argument is a field or a call.
    for index, arg in enumerate(args):
        if name == "GEOLOCATION":
            allowed = isinstance(arg, ast.Literal) and arg.kind in _NUMBER_KINDS
        elif name == "DISTANCE" and index == 2:
            allowed = (
                isinstance(arg, ast.Literal)
                and arg.kind == "string"
                and str(arg.value).lower() in _DISTANCE_UNITS
            )
        else:
            allowed = not isinstance(arg, ast.Literal) and not (
                isinstance(arg, ast.FunctionCall) and arg.name in _PLACED_CALLS
            )
        if not allowed:
            _unexpected_node(arg)


def _arity_text(fewest: int, most: int | None) -> str:
    if most is None:
        return f"at least {fewest} argument{'s' if fewest != 1 else ''}"
    if fewest == most:
        return f"{fewest} argument{'s' if fewest != 1 else ''}"
    return f"{fewest} or {most} arguments"


class _Clause(NamedTuple):
    rank: int
    keyword: Token
    field: str
    value: Any


class _TreeBuilder:
    """Lark callbacks: one method per grammar rule (or alias), called bottom-up."""

    # Query and SELECT list ----------------------------------------------------------

    def query(self, children: list[Any]) -> ast.Query:
        select, items, sobject, alias, *clauses = children
        if alias is not None:
            _check_alias(alias)
        fields: dict[str, Any] = {}
        last_rank = -1
        for clause in clauses:
            if clause.rank <= last_rank:
                _unexpected(clause.keyword)
            last_rank = clause.rank
            if clause.field == "for_clause":
                fields["for_clause"] = (*fields.get("for_clause", ()), clause.value)
            else:
                fields[clause.field] = clause.value
        return ast.Query(
            select=tuple(items),
            sobject=str(sobject),
            sobject_pos=token_position(sobject),
            pos=token_position(select),
            alias=None if alias is None else str(alias),
            **fields,
        )

    def select_list(self, children: list[ast.SelectItem]) -> list[ast.SelectItem]:
        return children

    def select_expression(self, children: list[Any]) -> ast.SelectItem:
        expr, alias = children
        if alias is not None:
            _check_alias(alias)
        if isinstance(expr, ast.FunctionCall):
            special = _select_call(expr)
            if special is not None:
                if alias is not None:
                    _unexpected(alias)
                return ast.SelectItem(special, None, expr.pos)
        return ast.SelectItem(expr, None if alias is None else str(alias), expr.pos)

    def select_subquery(self, children: list[Any]) -> ast.SelectItem:
        lpar, query = children
        return ast.SelectItem(None, None, token_position(lpar), query=query)

    def select_typeof(self, children: list[ast.TypeOf]) -> ast.SelectItem:
        (typeof,) = children
        return ast.SelectItem(typeof, None, typeof.pos)

    def typeof(self, children: list[Any]) -> ast.TypeOf:
        keyword, relationship, *whens, else_fields = children
        return ast.TypeOf(
            relationship, tuple(whens), else_fields, token_position(keyword)
        )

    def typeof_when(self, children: list[Any]) -> ast.TypeOfWhen:
        keyword, sobject, fields = children
        return ast.TypeOfWhen(str(sobject), fields, token_position(keyword))

    def typeof_else(self, children: list[Any]) -> tuple[ast.FieldRef, ...]:
        (fields,) = children
        return cast(tuple[ast.FieldRef, ...], fields)

    def field_list(self, children: list[ast.FieldRef]) -> tuple[ast.FieldRef, ...]:
        return tuple(children)

    # Expressions --------------------------------------------------------------------

    def field(self, children: list[Token]) -> ast.FieldRef:
        return ast.FieldRef(
            tuple(str(part) for part in children), token_position(children[0])
        )

    def call(self, children: list[Any]) -> ast.FunctionCall:
        name_token, arguments = children
        args = tuple(arguments or ())
        name = name_token.upper()
        arity = FUNCTION_ARITY.get(name)
        if arity is None:
            raise token_error(f"unknown function: '{name_token}'", name_token)
        fewest, most = arity
        if len(args) < fewest or (most is not None and len(args) > most):
            raise token_error(
                f"{name} takes {_arity_text(fewest, most)}, not {len(args)}", name_token
            )
        if name != "FIELDS":
            _check_arguments(name, args)
        return ast.FunctionCall(
            name, args, token_position(name_token), spelling=str(name_token)
        )

    def arguments(
        self, children: list[Any]
    ) -> list[ast.FieldRef | ast.FunctionCall | ast.Literal]:
        result: list[ast.FieldRef | ast.FunctionCall | ast.Literal] = []
        for child in children:
            if isinstance(child, ast.FieldRef | ast.FunctionCall):
                result.append(child)
            elif child.type == "STRING":
                result.append(string_literal(child))
            else:
                result.append(number_literal(child))
        return result

    # Conditions ---------------------------------------------------------------------

    def and_condition(self, children: list[ast.Condition]) -> ast.And:
        return ast.And(tuple(children), children[0].pos)

    def or_condition(self, children: list[ast.Condition]) -> ast.Or:
        return ast.Or(tuple(children), children[0].pos)

    def not_condition(self, children: list[Any]) -> ast.Not:
        keyword, item = children
        depth, inner = 1, item
        while isinstance(inner, ast.Not):
            depth, inner = depth + 1, inner.item
            if depth > MAX_NESTING:
                raise token_error(
                    f"query is nested too deeply (more than {MAX_NESTING} NOTs)",
                    keyword,
                )
        return ast.Not(item, token_position(keyword))

    def comparison(self, children: list[Any]) -> ast.Comparison:
        left, operator, right = children
        op = "!=" if operator == "<>" else str(operator)
        return ast.Comparison(
            _expression(left),
            cast(ast.ComparisonOperator, op),
            value_literal(right),
            left.pos,
        )

    def like(self, children: list[Any]) -> ast.Comparison:
        left, pattern = children
        return ast.Comparison(
            _expression(left), "LIKE", string_literal(pattern, like=True), left.pos
        )

    def values(self, children: list[Token]) -> tuple[ast.Value, ...]:
        return tuple(value_literal(token) for token in children)

    def strings(self, children: list[Token]) -> tuple[ast.Literal, ...]:
        return tuple(string_literal(token) for token in children)

    def in_values(self, children: list[Any], negated: bool = False) -> ast.InList:
        left, values = children
        return ast.InList(_expression(left), negated, values, left.pos)

    def not_in_values(self, children: list[Any]) -> ast.InList:
        return self.in_values(children, negated=True)

    def in_query(self, children: list[Any], negated: bool = False) -> ast.InSubquery:
        left, query = children
        return ast.InSubquery(_expression(left), negated, query, left.pos)

    def not_in_query(self, children: list[Any]) -> ast.InSubquery:
        return self.in_query(children, negated=True)

    def includes(self, children: list[Any], negated: bool = False) -> ast.Includes:
        left, values = children
        return ast.Includes(_expression(left), negated, values, left.pos)

    def excludes(self, children: list[Any]) -> ast.Includes:
        return self.includes(children, negated=True)

    # Clauses after FROM -------------------------------------------------------------

    def using_scope(self, children: list[Token]) -> _Clause:
        keyword, scope = children
        return _clause("using_scope", keyword, scope.upper())

    def where(self, children: list[Any]) -> _Clause:
        keyword, condition = children
        return _clause("where", keyword, condition)

    def with_clause(self, children: list[Token]) -> _Clause:
        keyword, mode = children
        return _clause("with_clause", keyword, mode.upper())

    def with_data(self, children: list[Any]) -> _Clause:
        keyword, *filters = children
        return _clause("with_clause", keyword, "DATA CATEGORY " + " AND ".join(filters))

    def category_filter(self, children: list[Any]) -> str:
        group, operator, values = children
        return f"{group} {operator.upper()} {values}"

    def category_values(self, children: list[Token]) -> str:
        if len(children) == 1:
            return str(children[0])
        return "(" + ", ".join(children) + ")"

    def group_by(self, children: list[Any]) -> _Clause:
        keyword, *items = children
        pos = token_position(keyword)
        for item in items:
            if isinstance(item, ast.FunctionCall) and item.name in ("ROLLUP", "CUBE"):
                if len(items) > 1:
                    _unexpected_node(item)
                kind = cast(Literal["ROLLUP", "CUBE"], item.name)
                group_items = cast(tuple[ast.Expression, ...], item.args)
                return _clause("group_by", keyword, ast.GroupBy(group_items, kind, pos))
        checked = tuple(_expression(item) for item in items)
        return _clause("group_by", keyword, ast.GroupBy(checked, "PLAIN", pos))

    def having(self, children: list[Any]) -> _Clause:
        keyword, condition = children
        return _clause("having", keyword, condition)

    def order_by(self, children: list[Any]) -> _Clause:
        keyword, *items = children
        return _clause("order_by", keyword, tuple(items))

    def order_item(self, children: list[Any]) -> ast.OrderItem:
        expr, direction, nulls = children
        descending = direction is not None and direction.type == "DESC"
        return ast.OrderItem(_expression(expr), descending, nulls, expr.pos)

    def nulls_order(self, children: list[Token]) -> str:
        return children[0].type

    def limit(self, children: list[Token]) -> _Clause:
        keyword, number = children
        return _clause("limit", keyword, int(number))

    def offset(self, children: list[Token]) -> _Clause:
        keyword, number = children
        return _clause("offset", keyword, int(number))

    def for_clause(self, children: list[Token]) -> _Clause:
        keyword, mode = children
        place = "for_update" if mode.type == "UPDATE" else "for_view"
        return _clause(place, keyword, mode.type, field="for_clause")

    def update_clause(self, children: list[Token]) -> _Clause:
        keyword, *modes = children
        return _clause("update_clause", keyword, tuple(mode.type for mode in modes))


def _clause(place: str, keyword: Token, value: Any, field: str = "") -> _Clause:
    return _Clause(_CLAUSE_RANK[place], keyword, field or place, value)


def _check_alias(alias: Token) -> None:
    if alias.upper() in RESERVED or alias.upper() == "GROUP":
        _unexpected(alias)


def _select_call(call: ast.FunctionCall) -> ast.CountAll | ast.FieldsMacro | None:
    """The SELECT-only forms of a call: ``COUNT()`` and ``FIELDS(ALL)``."""
    if call.name == "COUNT" and not call.args:
        return ast.CountAll(call.pos)
    if call.name == "FIELDS":
        (arg,) = call.args
        kind = arg.dotted.upper() if isinstance(arg, ast.FieldRef) else ""
        if kind not in _FIELDS_KINDS:
            _unexpected_node(arg)
        return ast.FieldsMacro(
            cast(Literal["ALL", "STANDARD", "CUSTOM"], kind), call.pos
        )
    if call.name in ("ROLLUP", "CUBE"):
        _unexpected_node(call)
    return None
