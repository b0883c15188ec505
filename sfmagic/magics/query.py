"""The query magics: ``%%soql``, ``%soql``, ``%sf_describe``, ``%sf_search``
and ``%sf_limits``, and the options of ``SoqlMagic``.

The magics read their options (the line, and for ``%soql`` the words before
the query), bind ``:name`` placeholders from the notebook's namespace, run the
query through ``sfmagic.client.frames.run_query`` and display a ``QueryView``.
Mistakes become one ``UsageError`` (``query_errors``). Completion inside the
magics is installed on the shell by ``soql_completion``. pandas, pyarrow and
the SOQL parser load when a magic first runs, not at ``%load_ext``.
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from traitlets import Bool, Enum, Int

from sfmagic.magics.connections import connection_for
from sfmagic.magics.parsing import parse_line

if TYPE_CHECKING:
    from sfmagic.client.frames import ChildrenMode, QueryResult

__all__ = ["LAST_RESULT", "SoqlMagic", "split_options"]

LAST_RESULT = "_soql"
"""The notebook variable holding the last ``QueryResult`` of ``%soql``/``%%soql``."""

# Options of %soql that take a value (the words before the query).
_VALUE_OPTIONS = frozenset({"--conn", "--to", "--batch-size", "--children"})
_WORD = re.compile(r"""\s*('[^']*'|"[^"]*"|\S+)""")
_BATCH_SIZES = range(200, 2001)


def split_options(line: str) -> tuple[str, str]:
    """Split ``%soql``'s line into its options and the query that follows.

    Options come first; the query starts at the first word that is neither an
    option nor the value of one, and is returned exactly as typed.
    """
    index, expect_value = 0, False
    while True:
        match = _WORD.match(line, index)
        if match is None:
            return line, ""
        word = match.group(1)
        if expect_value:
            expect_value, index = False, match.end()
            continue
        if not word.startswith("-"):
            return line[:index], line[match.start(1) :]
        expect_value = "=" not in word and word in _VALUE_OPTIONS
        index = match.end()


def _variable_name(key: str, var: str) -> str:
    return f"{var}_{key.replace('.', '_')}"


@magics_class
class SoqlMagic(Magics):
    """The query magics and their options; ``%config SoqlMagic`` lists them."""

    bulk_threshold = Int(
        200_000,
        help="Rows above which %%soql switches to Bulk API 2.0 on its own, when "
        "the first page reports more and the query can run in bulk.",
    ).tag(config=True)
    display_rows = Int(
        20, help="Rows shown by the display under %%soql (all are kept)."
    ).tag(config=True)
    children = Enum(
        ["tables", "explode"],
        default_value="tables",
        help="How child subqueries are shaped when --children is not given: a "
        "table per relationship keyed by parent Id, or one row per child.",
    ).tag(config=True)
    progress = Bool(
        True, help="Show a progress bar when a query fetches more than one page."
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._child_tables: dict[str, list[tuple[str, weakref.ref[Any]]]] = {}
        from sfmagic.magics.soql_completion import install

        if shell is not None:
            install(shell)

    def namespace(self) -> dict[str, Any]:
        """The notebook's variables."""
        assert self.shell is not None
        user_ns: dict[str, Any] = self.shell.user_ns
        return user_ns

    # -- %%soql and %soql --------------------------------------------------------

    @magic_arguments()
    @argument(
        "var",
        nargs="?",
        help="(%%%%soql only) The variable that receives the DataFrame; each child "
        "table goes to VAR_<Relationship>.",
    )
    @argument(
        "--conn",
        metavar="ALIAS",
        help="Query the connection ALIAS instead of the active one.",
    )
    @argument(
        "--all-rows",
        action="store_true",
        help="Use queryAll, which includes deleted and archived records.",
    )
    @argument(
        "--bulk",
        action="store_true",
        help="Run the query with Bulk API 2.0 (no child subqueries, aggregates, "
        "OFFSET or compound fields).",
    )
    @argument(
        "--no-bulk",
        action="store_true",
        help="Never switch to Bulk API 2.0, however many rows the query has.",
    )
    @argument(
        "--to",
        metavar="FILE.parquet",
        help="Stream the rows to a Parquet file page by page instead of keeping "
        "them in memory; VAR then holds the file's path.",
    )
    @argument("--tooling", action="store_true", help="Query the Tooling API instead.")
    @argument(
        "--batch-size",
        metavar="N",
        type=int,
        help="Rows per page, 200 to 2000 (Salesforce may return fewer).",
    )
    @argument(
        "--children",
        choices=["tables", "explode"],
        help="Child subqueries as one table per relationship keyed by parent Id "
        "(tables, the default) or joined as one row per child (explode).",
    )
    @no_var_expand
    @line_cell_magic
    def soql(self, line: str, cell: str | None = None) -> Any:
        """Run a SOQL query and get its rows as a typed, flat pandas DataFrame.

        ``%%soql [VAR]`` runs the cell's query, stores the DataFrame in VAR and
        displays it; ``df = %soql SELECT …`` does the same on one line (options
        first, then the query). The last ``QueryResult`` (frame, child tables,
        rows, seconds, API requests) is also kept in ``_soql``.

        Columns follow the SELECT list, parent paths flattened (``Owner.Name``,
        ``Account.Owner.Name``), typed from describe: text, ids and picklists
        as pandas strings, nullable booleans and integers, floats for double,
        currency and percent, UTC datetimes, dates and times; addresses and
        geolocations become one column per component; aggregates take the type
        of their field. The columns are there even when no row matches.

        ``:name`` binds the notebook variable ``name``, quoted for SOQL
        (strings, numbers, booleans, None, dates, datetimes; lists, tuples,
        sets and Series become IN-lists, split over several requests when too
        long for one). Text inside quotes is never a placeholder.

        Child subqueries: every page of every child result is fetched. By
        default each relationship becomes its own tidy table keyed by the
        parent's Id (``parent_id`` column; ``parent_row`` when Id is not
        selected), stored as ``VAR_Contacts`` and in ``_soql.children``: one
        table per relationship keeps parent columns from being repeated per
        child and never multiplies two relationships together.
        ``--children explode`` instead joins the (single) child relationship
        onto the parent rows, one row per child, its columns prefixed
        (``Contacts.LastName``); parents without children keep one row.

        Without ``--bulk`` or ``--no-bulk``, a query whose first page reports
        more than ``SoqlMagic.bulk_threshold`` rows (200,000) and that Bulk API
        2.0 can run is rerun there. A progress bar shows when more than one
        page is fetched; the display shows the first rows, the row count, the
        time and the API requests used.

        Examples
        --------
        ::

            In [1]: %%soql accounts
               ...: SELECT Name, Owner.Name, AnnualRevenue, CreatedDate
               ...: FROM Account WHERE Industry = :industry ORDER BY Name
            27 rows in 0.21 s, 3 API requests; first 20 shown; the DataFrame is in accounts.

            In [2]: ids = accounts["Id"]
            In [3]: contacts = %soql SELECT Id, LastName FROM Contact WHERE AccountId IN :ids

            In [4]: %%soql --children explode flat
               ...: SELECT Name, (SELECT LastName FROM Contacts) FROM Account

            In [5]: %%soql --bulk --to contacts.parquet path
               ...: SELECT Id, LastName, Account.Name FROM Contact
        """  # noqa: E501
        magic = "soql"
        if cell is None:
            options, soql = split_options(line)
        else:
            options, soql = line, cell
        args = parse_line(self.soql, options, magic)
        if not soql.strip():
            raise UsageError(
                "%soql: there is no query, so write one after the options (or in "
                "the cell under %%soql)."
            )
        result = self._run(magic, args, soql)
        self.namespace()[LAST_RESULT] = result
        return self._show(result, args.var, line_magic=cell is None)

    def _check(self, args: Any) -> None:
        if args.bulk and args.no_bulk:
            raise UsageError(
                "%soql: --bulk and --no-bulk contradict each other, so give one."
            )
        if args.tooling and args.bulk:
            raise UsageError(
                "%soql: the Tooling API has no Bulk API 2.0 queries, so drop --bulk."
            )
        if args.batch_size is not None and args.batch_size not in _BATCH_SIZES:
            raise UsageError(
                f"%soql: --batch-size {args.batch_size} is out of range, so give "
                "a number from 200 to 2000."
            )
        if args.to is not None and not args.to.lower().endswith(".parquet"):
            raise UsageError(
                f"%soql: --to {args.to!r} does not end in .parquet, so name a "
                ".parquet file."
            )
        if args.to is not None and not Path(args.to).expanduser().parent.is_dir():
            raise UsageError(
                f"%soql: the folder of --to {args.to!r} does not exist, so create "
                "it first."
            )
        if args.var is not None and not args.var.isidentifier():
            raise UsageError(
                f"%soql: {args.var!r} is not a Python variable name, so pick one "
                "like accounts or df."
            )

    def _run(self, magic: str, args: Any, soql: str) -> QueryResult:
        from sfmagic.client.describe_cache import describe_cache
        from sfmagic.client.frames import run_query
        from sfmagic.magics.query_errors import query_error

        self._check(args)
        conn = connection_for(magic, args.conn)
        bulk = True if args.bulk else False if args.no_bulk else None
        cache = describe_cache(conn, tooling=args.tooling)
        described = cache.requests
        try:
            result = run_query(
                conn,
                soql,
                params=self.namespace(),
                all_rows=args.all_rows,
                bulk=bulk,
                batch_size=args.batch_size,
                children=cast("ChildrenMode", args.children or self.children),
                to=Path(args.to).expanduser() if args.to else None,
                progress=self.progress,
                bulk_threshold=self.bulk_threshold,
                tooling=args.tooling,
            )
        except Exception as error:
            sent = _sent_query(error, soql)
            usage = query_error(magic, _in_magic_terms(error), cache, sent)
            if usage is None:
                raise
            raise usage from None
        # Describe requests (the first query of an object) are API requests too.
        result.api_calls += cache.requests - described
        return result

    def _show(self, result: QueryResult, var: str | None, *, line_magic: bool) -> Any:
        from sfmagic.magics.query_view import QueryView

        names = {key: f"{LAST_RESULT}.children[{key!r}]" for key in result.children}
        if var is not None:
            namespace = self.namespace()
            # Child tables of an earlier query into VAR would look current.
            for old_name, reference in self._child_tables.pop(var, []):
                old_table = reference()
                if old_table is not None and namespace.get(old_name) is old_table:
                    del namespace[old_name]
            namespace[var] = result.path or result.frame
            for key, table in result.children.items():
                names[key] = _variable_name(key, var)
                namespace[names[key]] = table
            # Weak references: a table the user deleted is not kept alive here.
            self._child_tables[var] = [
                (names[key], weakref.ref(table))
                for key, table in result.children.items()
            ]
        view = QueryView(result, self.display_rows, var, names)
        if line_magic:
            display(view.summary_view())
            return result.path or result.frame
        display(view)
        return None

    # -- %sf_describe, %sf_search, %sf_limits -----------------------------------

    @magic_arguments()
    @argument("sobject", nargs="?", help="The object to describe, such as Account.")
    @argument("--conn", metavar="ALIAS", help="Use connection ALIAS.")
    @line_magic
    def sf_describe(self, line: str) -> Any:
        """The fields of an sObject as a DataFrame.

        One row per field: name, label, type, length, required (must be set on
        create), updateable, picklist_values (active values) and reference_to
        (target objects). Without an object, the org's sObjects (name, label,
        custom, queryable). Describe results are cached per connection and API
        version, and also feed completion inside %%soql.

        Examples
        --------
        ::

            In [1]: fields = %sf_describe Account
            In [2]: fields[fields.type == "picklist"][["name", "picklist_values"]]
        """
        from sfmagic.client.org_info import (
            UnknownObjectError,
            describe_frame,
            objects_frame,
        )

        args = parse_line(self.sf_describe, line, "sf_describe")
        conn = connection_for("sf_describe", args.conn)
        if args.sobject is None:
            return objects_frame(conn)
        try:
            return describe_frame(conn, args.sobject)
        except UnknownObjectError as error:
            hint = f" (did you mean {' or '.join(error.close)}?)" if error.close else ""
            raise UsageError(
                f"%sf_describe: the org has no sObject named {args.sobject!r}{hint}, "
                "so run %sf_describe without a name to list them."
            ) from None

    @no_var_expand
    @line_cell_magic
    def sf_search(self, line: str, cell: str | None = None) -> Any:
        """Run a SOSL search; one typed DataFrame per object found.

        ``%sf_search FIND {…} RETURNING Account(Name), Contact(Name)`` returns
        a dict of DataFrames by object name, in RETURNING order (an object with
        no hits gets an empty frame with its columns). ``%%sf_search [VAR]``
        takes the search from the cell and stores the dict in VAR. Columns are
        typed and flattened as in %%soql. ``:name`` placeholders are not bound
        in searches. ``--conn ALIAS`` (first on the line) picks a connection.

        Examples
        --------
        ::

            In [1]: found = %sf_search FIND {Falcon} IN NAME FIELDS RETURNING Account(Id, Name, Industry), Contact(Name, Email)
            In [2]: found["Contact"]
        """  # noqa: E501
        from sfmagic.client.errors import SalesforceError
        from sfmagic.client.org_info import search_frames

        alias, rest = _conn_option(line, "sf_search")
        var: str | None = None
        if cell is None:
            sosl = rest
        else:
            sosl, var = cell, rest.strip() or None
            if var is not None and not var.isidentifier():
                raise UsageError(
                    f"%sf_search: {var!r} is not a Python variable name, so pick "
                    "one like found."
                )
        if not sosl.strip():
            raise UsageError(
                "%sf_search: there is no search, so write FIND {words} RETURNING "
                "Object(Fields) after the magic."
            )
        conn = connection_for("sf_search", alias)
        try:
            found = search_frames(conn, sosl.strip())
        except SalesforceError as error:
            from sfmagic.client.describe_cache import describe_cache
            from sfmagic.magics.query_errors import salesforce_error

            cache = describe_cache(conn)
            raise salesforce_error("sf_search", error, cache, sosl) from None
        if var is not None:
            self.namespace()[var] = found
            display(found)
            return None
        return found

    @magic_arguments()
    @argument("--conn", metavar="ALIAS", help="Use connection ALIAS.")
    @line_magic
    def sf_limits(self, line: str) -> Any:
        """The org's limits as a DataFrame: limit, max, remaining, used.

        Examples
        --------
        ::

            In [1]: %sf_limits
                          limit    max  remaining  used
            0  DailyApiRequests  15000      14987    13
        """
        from sfmagic.client.org_info import limits_frame

        args = parse_line(self.sf_limits, line, "sf_limits")
        return limits_frame(connection_for("sf_limits", args.conn))


def _conn_option(line: str, magic: str) -> tuple[str | None, str]:
    """``--conn ALIAS`` at the start of a line, and the rest of it."""
    match = re.match(r"\s*--conn(?:=|\s+)(\S+)\s*", line)
    if match is None:
        if line.lstrip().startswith("-"):
            word = line.split()[0]
            raise UsageError(
                f"%{magic}: unknown option {word.split('=')[0]}, so see %{magic}? "
                "for the options."
            )
        return None, line
    return match.group(1), line[match.end() :]


def _sent_query(error: Exception, soql: str) -> str:
    """The query text Salesforce saw, for the "did you mean" of an error."""
    response = getattr(error, "response", None)
    request = getattr(response, "request", None)
    url = getattr(request, "url", None)
    if isinstance(url, str) and "q=" in url:
        from urllib.parse import parse_qs, urlsplit

        values = parse_qs(urlsplit(url).query).get("q")
        if values:
            return values[0]
    return soql


def _in_magic_terms(error: Exception) -> Exception:
    """``run_query``'s keyword names in an error message, as the magic's options."""
    if type(error) is ValueError:
        text = str(error).replace("children='explode'", "--children explode")
        text = text.replace("use children='tables'", "use --children tables")
        return ValueError(text)
    return error


MAGICS = SoqlMagic
