"""SOQL for sfmagic: parse a query into a syntax tree, or say where it goes wrong.

``parse(text)`` returns the ``sfmagic.soql.ast.Query`` of a query or raises
``SoqlSyntaxError``, whose message is Salesforce's caret message
(``caret_message``). Parsing knows nothing of describe metadata: whether ``Owner``
is a relationship or ``Contacts`` a child relationship is for a validator to decide.

What the grammar covers
-----------------------
* ``SELECT`` lists of fields and relationship paths of any length, ``FIELDS(ALL |
  STANDARD | CUSTOM)``, ``COUNT()``, functions with an optional alias
  (``COUNT``, ``COUNT_DISTINCT``, ``SUM``, ``AVG``, ``MIN``, ``MAX``, the date
  functions ``CALENDAR_YEAR`` … ``WEEK_IN_YEAR``, ``DAY_ONLY``, ``HOUR_IN_DAY``,
  ``toLabel``, ``FORMAT``, ``convertCurrency``, ``convertTimezone``, ``GROUPING``,
  ``GEOLOCATION``, ``DISTANCE``), child subqueries with their own clauses, and
  ``TYPEOF … WHEN … THEN … [ELSE …] END``.
* ``FROM Object [alias]``, ``USING SCOPE``, ``WHERE`` and ``HAVING`` with ``AND``,
  ``OR``, ``NOT`` and parentheses (AND and OR cannot be mixed without parentheses,
  as on Salesforce), ``= != <> < <= > >=`` (``<>`` becomes ``!=``), ``LIKE``,
  ``[NOT] IN`` with value lists or semi-join subqueries, ``INCLUDES``/``EXCLUDES``.
* Literals: quoted strings with the escapes ``\\' \\" \\\\ \\n \\r \\t \\b \\f`` (also
  upper case), ``\\uXXXX``, and ``\\%``/``\\_`` inside LIKE only; integers and decimals
  with an optional sign; ``TRUE``, ``FALSE``, ``NULL``; unquoted dates
  (``2024-01-15`` → ``datetime.date``) and datetimes (``2024-01-15T10:30:00Z``,
  ``…+01:00``, ``…-0500``, optional fraction → aware ``datetime.datetime``);
  currency amounts (``USD5000``); every relative date literal, with its ``:n``.
* ``WITH SECURITY_ENFORCED``, ``WITH USER_MODE``, ``WITH SYSTEM_MODE``, ``WITH DATA
  CATEGORY …``, ``GROUP BY`` (plain, ``ROLLUP(…)``, ``CUBE(…)``), ``ORDER BY … ASC |
  DESC NULLS FIRST | LAST``, ``LIMIT``, ``OFFSET``, ``FOR VIEW``, ``FOR REFERENCE``,
  ``FOR UPDATE``, ``UPDATE TRACKING | VIEWSTAT``, in Salesforce's clause order.
* Keywords in any case. Words are keywords only where a keyword can stand, so
  ``Type``, ``Name``, ``Status``, ``Date``, ``Order`` and ``Group`` are ordinary
  names; the words Salesforce reserves (``FROM``, ``LIKE``, ``NULLS`` …) are never
  names or aliases.

The string of a LIKE keeps ``\\%``, ``\\_`` and ``\\\\`` escaped so that a literal ``%``
stays apart from a wildcard (``Literal.value`` is a pattern for SQLite's ``LIKE ?
ESCAPE '\\'``); ``sfmagic.soql.literals`` states the exact rule.

What it does not cover
----------------------
* Apex: bind variables (``:name``) and expressions are syntax errors, as over the
  REST API. So are comments (``//``, ``/* */``), which SOQL does not have.
* The old alias join syntax ``FROM Contact c, c.Account a``, ``WITH`` filters other
  than the ones above (``WITH RecordVisibilityContext``, ``WITH PricebookId`` …),
  and SOSL.
* Meaning: unknown objects and fields, aliases on plain fields, ``HAVING`` without
  ``GROUP BY``, aggregate and grouping rules, the scope names of ``USING SCOPE``,
  and the range of ``LIMIT``/``OFFSET`` are left to a validator with describe
  metadata. The parser does check function names, their number of arguments and
  where ``FIELDS()``, ``ROLLUP()`` and ``CUBE()`` may stand.
* Queries nested deeper than ``parser.MAX_NESTING`` parentheses or NOTs.

Examples
--------
>>> from sfmagic.soql import parse
>>> parse("SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:30").where.right
DateLiteral(name='LAST_N_DAYS', n=30, pos=Position(line=1, column=44))
"""

from sfmagic.soql.errors import SoqlSyntaxError, caret_message
from sfmagic.soql.parser import parse

__all__ = ["SoqlSyntaxError", "caret_message", "parse"]
