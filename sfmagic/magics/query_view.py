"""What ``%%soql`` displays: the first rows, and what the query cost.

``QueryView`` shows at most ``display_rows`` rows of the result (all rows stay
in the DataFrame), then one line: how many rows, how many seconds, how many
API requests, whether Bulk API 2.0 ran it, where a Parquet file went, and the
child tables with the variables that hold them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from sfmagic.client.frames import QueryResult

__all__ = ["QueryView", "SummaryView"]


@dataclass(frozen=True)
class SummaryView:
    """Only the summary line (what ``%soql`` shows above its returned frame)."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<p class='sfmagic-query'>{html.escape(self.text)}</p>"


@dataclass(frozen=True)
class QueryView:
    """A query result as displayed under the cell."""

    result: QueryResult
    display_rows: int = 20
    var: str | None = None
    child_names: dict[str, str] = field(default_factory=dict)

    def summary(self, *, with_rows: bool = True) -> str:
        """Rows, time, API requests, then children and where they are."""
        text = self.result.summary()
        shown = min(self.display_rows, len(self.result.frame))
        if with_rows and self.result.path is None and self.result.rows > shown:
            text += f"; first {shown} shown"
        if self.result.children:
            parts = [
                f"{key} ({len(table):,} rows"
                + (f", in {self.child_names[key]})" if key in self.child_names else ")")
                for key, table in self.result.children.items()
            ]
            text += "; child tables: " + ", ".join(parts)
        if self.var is not None:
            what = "path" if self.result.path is not None else "DataFrame"
            text += f"; the {what} is in {self.var}"
        return text + "."

    def summary_view(self) -> SummaryView:
        """The summary line alone."""
        return SummaryView(self.summary(with_rows=False))

    def __repr__(self) -> str:
        if self.result.path is not None:
            return self.summary()
        shown = self.result.frame.head(self.display_rows)
        return f"{shown!r}\n{self.summary()}"

    def _repr_html_(self) -> str:
        text = html.escape(self.summary())
        if self.result.path is not None:
            return f"<p class='sfmagic-query'>{text}</p>"
        table = self.result.frame.head(self.display_rows).to_html(
            max_rows=self.display_rows
        )
        return f"{table}<p class='sfmagic-query'>{text}</p>"
