"""A compact text form of SOQL syntax trees, for conformance tables.

``show`` writes a node without positions: conditions as prefix expressions
(``(= Name 'Acme')``, ``(AND a b)``), literals by their Python ``repr`` (so the
decoded value and its type are both visible), and a query as canonical SOQL.
"""

from __future__ import annotations

from sfmagic.soql import ast


def show(node: object) -> str:
    """Render a syntax tree node, a tuple of nodes, or a plain value."""
    if isinstance(node, str | int):
        return str(node)
    if isinstance(node, tuple):
        return ", ".join(show(item) for item in node)
    if isinstance(node, ast.Query):
        return _show_query(node)
    if isinstance(node, ast.SelectItem):
        if node.query is not None:
            return f"({show(node.query)})"
        text = show(node.expr)
        return f"{text} {node.alias}" if node.alias else text
    if isinstance(node, ast.And | ast.Or | ast.Not):
        return _show_logic(node)
    if isinstance(node, ast.Comparison | ast.InList | ast.InSubquery | ast.Includes):
        return _show_predicate(node)
    return _show_expression(node)


def _show_expression(node: object) -> str:
    if isinstance(node, ast.FieldRef):
        return node.dotted
    if isinstance(node, ast.FunctionCall):
        return f"{node.name}({show(node.args)})"
    if isinstance(node, ast.CountAll):
        return "COUNT()"
    if isinstance(node, ast.FieldsMacro):
        return f"FIELDS({node.kind})"
    if isinstance(node, ast.TypeOf):
        whens = " ".join(f"WHEN {w.sobject} THEN {show(w.fields)}" for w in node.whens)
        tail = "" if node.else_fields is None else f" ELSE {show(node.else_fields)}"
        return f"TYPEOF {show(node.relationship)} {whens}{tail} END"
    if isinstance(node, ast.Literal):
        prefix = f"{node.currency}:" if node.currency else ""
        return prefix + repr(node.value)
    if isinstance(node, ast.DateLiteral):
        return node.name if node.n is None else f"{node.name}:{node.n}"
    if isinstance(node, ast.OrderItem):
        nulls = f" NULLS {node.nulls}" if node.nulls else ""
        return f"{show(node.expr)} {'DESC' if node.descending else 'ASC'}{nulls}"
    if isinstance(node, ast.GroupBy):
        return f"{node.kind}({show(node.items)})"
    return repr(node)


def _show_logic(node: ast.And | ast.Or | ast.Not) -> str:
    if isinstance(node, ast.Not):
        return f"(NOT {show(node.item)})"
    word = "AND" if isinstance(node, ast.And) else "OR"
    return f"({word} {' '.join(show(item) for item in node.items)})"


def _show_predicate(
    node: ast.Comparison | ast.InList | ast.InSubquery | ast.Includes,
) -> str:
    if isinstance(node, ast.Comparison):
        return f"({node.op} {show(node.left)} {show(node.right)})"
    if isinstance(node, ast.Includes):
        word = "EXCLUDES" if node.negated else "INCLUDES"
        return f"({word} {show(node.left)} [{show(node.values)}])"
    word = "NOT IN" if node.negated else "IN"
    if isinstance(node, ast.InList):
        return f"({word} {show(node.left)} [{show(node.values)}])"
    return f"({word} {show(node.left)} ({show(node.query)}))"


def _show_query(query: ast.Query) -> str:
    parts = [f"SELECT {show(query.select)} FROM {query.sobject}"]
    if query.alias:
        parts.append(query.alias)
    if query.using_scope:
        parts.append(f"USING SCOPE {query.using_scope}")
    if query.where is not None:
        parts.append(f"WHERE {show(query.where)}")
    if query.with_clause:
        parts.append(f"WITH {query.with_clause}")
    if query.group_by is not None:
        parts.append(f"GROUP BY {show(query.group_by)}")
    if query.having is not None:
        parts.append(f"HAVING {show(query.having)}")
    if query.order_by:
        parts.append(f"ORDER BY {show(query.order_by)}")
    if query.limit is not None:
        parts.append(f"LIMIT {query.limit}")
    if query.offset is not None:
        parts.append(f"OFFSET {query.offset}")
    parts.extend(f"FOR {mode}" for mode in query.for_clause)
    if query.update_clause:
        parts.append(f"UPDATE {', '.join(query.update_clause)}")
    return " ".join(parts)
