"""The emulator's SOQL engine: query text to Salesforce query results.

``QueryEngine(store, schema, settings)`` parses a query with ``sfmagic.soql``,
checks it against the schema, compiles it to parameterised SQLite SQL and shapes
the rows exactly as the REST API answers them. ``run`` answers the first page,
``more`` the next pages of a ``nextRecordsUrl`` locator, and ``iter_flat_rows``
streams flat rows for Bulk API query jobs.

Supported
---------
* Field lists, ``FIELDS(ALL | STANDARD | CUSTOM)`` (ALL and CUSTOM need
  ``LIMIT`` ≤ 200), compound address and location fields, ``FROM Object alias``
  with ``alias.Field`` (and ``Object.Field``) paths.
* Child-to-parent paths up to five hops, including polymorphic ``Owner``, ``Who``,
  ``What`` and ``Parent`` through Salesforce's ``Name`` object (``Id``, ``Name``,
  ``Type``, ``FirstName``, ``LastName``, ``Alias``, ``Email``, ``Phone``,
  ``Title``, ``Username``, ``CommunityNickname``, ``IsActive``,
  ``LastReferencedDate``, ``LastViewedDate``); ``TYPEOF … WHEN … THEN … ELSE …
  END``.
* Parent-to-child subqueries with their own WHERE, ORDER BY, LIMIT and OFFSET
  (per parent), nested up to five levels, OpenActivities and ActivityHistories
  included.
* WHERE with AND, OR, NOT; ``= != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES``;
  semi-joins and anti-joins (``Id IN (SELECT AccountId FROM Contact …)``);
  null tests; every relative date literal, ``:n`` forms included, in the org's
  time zone (weeks start on Sunday, the fiscal year is the calendar year); date
  and datetime literals; 15- and 18-character ids; booleans, numbers and
  currency amounts. Text compares without regard to case (Unicode-aware), and
  logic is two-valued as in SOQL (``!=`` includes nulls).
* ORDER BY with ASC/DESC and NULLS FIRST/LAST (Salesforce's defaults: nulls first
  ascending, last descending); text sorts without regard to case, picklists in
  their defined order. LIMIT, OFFSET (at most 2,000).
* ``COUNT()`` (only ``totalSize``); COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX
  with aliases and ``expr0``… names; GROUP BY on fields, relationship paths and
  date functions (CALENDAR_YEAR/QUARTER/MONTH, DAY_IN_MONTH/WEEK/YEAR,
  DAY_ONLY, FISCAL_YEAR/QUARTER/MONTH, HOUR_IN_DAY, WEEK_IN_MONTH/YEAR, in
  UTC or, through ``convertTimezone()``, the org's time zone); ROLLUP and CUBE
  with GROUPING(); HAVING.
* ``toLabel()`` on picklists; ``WITH SECURITY_ENFORCED | USER_MODE |
  SYSTEM_MODE``, ``FOR VIEW | REFERENCE | UPDATE`` and ``UPDATE TRACKING |
  VIEWSTAT`` (accepted; the emulated user sees everything); ``USING SCOPE
  everything`` and ``USING SCOPE mine`` (records the querying user owns).
* ``queryAll`` (``include_deleted``) sees soft-deleted records, in the top-level
  query, its child subqueries, semi-joins and parent lookups; ``query`` sees none.

Paging
------
The first page snapshots the ordered ids of every matching record; later pages
read those ids, so they neither shift nor repeat when records change meanwhile
(a record hard-deleted in between is skipped; later pages show current field
values). Locators are ``01g`` + 15 random characters, kept in memory (so they do
not survive a restart) and forgotten after 15 idle minutes. Page size is the
requested batch size clamped to 200–2,000, and child records count toward it.
A child relationship with more than 200 records answers the first 200 and a
``nextRecordsUrl`` of its own. Aggregate results page like records (Salesforce
refuses queryMore on aggregate queries and asks for a LIMIT instead).

Not supported (answered with a 400 error, never a guessed result)
-----------------------------------------------------------------
``FORMAT()``, ``convertCurrency()``, ``DISTANCE()``/``GEOLOCATION()``, ``WITH DATA
CATEGORY`` and other WITH filters, ``USING SCOPE`` other than ``everything`` and
``mine``, paths continuing past a polymorphic relationship outside TYPEOF,
filters on time fields, ``COUNT()`` with ROLLUP/CUBE, ``GROUPING()`` outside the
SELECT list, GROUP BY/ORDER BY/LIMIT in semi-join subqueries, and queries beyond
SQLite's own limits (64 joined tables, LIKE patterns of tens of thousands of
wildcards), which answer ``MALFORMED_QUERY``.

Known differences
-----------------
Text compares by Unicode lower case rather than Salesforce's locale collation
(accents are not folded), and ASCII values compare through SQLite's NOCASE,
which does not fold the Kelvin sign. Date functions read datetimes in UTC unless
wrapped in ``convertTimezone()``, as Salesforce documents. GROUP BY and
COUNT_DISTINCT compare text exactly. Semi-join and child subqueries are not
limited in number or nesting beyond the five levels above.
"""

from sfmagic.emulator.query.engine import QueryEngine

__all__ = ["QueryEngine"]
