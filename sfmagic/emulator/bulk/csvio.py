"""CSV as Bulk API 2.0 reads and writes it.

A job names its column delimiter (``COMMA``, ``TAB``, ``PIPE``, ``SEMICOLON``,
``CARET``, ``BACKQUOTE``) and its line ending (``LF`` or ``CRLF``); uploads are read
and results are written with them. Results quote every value, the way Salesforce
writes them (``"Id","Name"``), and an empty value stands for null.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence

from sfmagic.emulator.errors import ApiError

__all__ = [
    "COLUMN_DELIMITERS",
    "LINE_ENDINGS",
    "CsvError",
    "CsvFormat",
    "read_rows",
]

COLUMN_DELIMITERS = {
    "BACKQUOTE": "`",
    "CARET": "^",
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


class CsvError(Exception):
    """Uploaded CSV that cannot be processed; the message is the job's error."""


class CsvFormat:
    """The delimiter and line ending of one job.

    Parameters
    ----------
    column_delimiter
        One of the ``COLUMN_DELIMITERS`` names.
    line_ending
        ``LF`` or ``CRLF``.
    """

    def __init__(self, column_delimiter: str, line_ending: str) -> None:
        self.column_delimiter = column_delimiter
        self.line_ending = line_ending
        self.delimiter = COLUMN_DELIMITERS[column_delimiter]
        self.newline = LINE_ENDINGS[line_ending]

    @classmethod
    def from_request(cls, body: Mapping[str, object]) -> CsvFormat:
        """The format a create-job body asks for (COMMA and LF by default).

        Raises ``ApiError`` 400 ``INVALIDJOB`` for an unknown delimiter or ending.
        """
        delimiter = body.get("columnDelimiter") or "COMMA"
        ending = body.get("lineEnding") or "LF"
        if not isinstance(delimiter, str) or delimiter not in COLUMN_DELIMITERS:
            raise ApiError(400, "INVALIDJOB", f"Invalid column delimiter: {delimiter}")
        if not isinstance(ending, str) or ending not in LINE_ENDINGS:
            raise ApiError(400, "INVALIDJOB", f"Invalid line ending: {ending}")
        return cls(delimiter, ending)

    def line(self, values: Sequence[str]) -> str:
        """One CSV line, every value quoted, ended by the job's line ending."""
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=self.delimiter,
            lineterminator=self.newline,
            quoting=csv.QUOTE_ALL,
        )
        writer.writerow(values)
        return buffer.getvalue()

    def lines(self, rows: Iterable[Sequence[str]]) -> Iterator[str]:
        """CSV lines for many rows, reusing one writer."""
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            delimiter=self.delimiter,
            lineterminator=self.newline,
            quoting=csv.QUOTE_ALL,
        )
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()


def read_rows(data: bytes, csv_format: CsvFormat) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of an upload.

    Blank lines are skipped. The text must be UTF-8 (a byte order mark is
    dropped) and must end its header line with the job's line ending, which is
    how Salesforce tells a CRLF file sent to an LF job.

    Raises
    ------
    CsvError
        Undecodable or malformed CSV, no header, a row with more or fewer values
        than the header has columns, or the wrong line ending.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvError(
            f"ClientInputError : The CSV data is not valid UTF-8 ({error.reason} "
            f"at byte {error.start})"
        ) from None
    _check_line_ending(text, csv_format)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=csv_format.delimiter, strict=True
    )
    try:
        records = [row for row in reader if row]
    except csv.Error as error:
        raise CsvError(
            f"ClientInputError : Malformed CSV at line {reader.line_num}: {error}"
        ) from None
    if not records:
        raise CsvError("ClientInputError : The CSV data has no header row")
    header = [name.strip() for name in records[0]]
    rows = records[1:]
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise CsvError(
                f"ClientInputError : Row {number} has {len(row)} values but the "
                f"header has {len(header)} columns"
            )
    return header, rows


def _check_line_ending(text: str, csv_format: CsvFormat) -> None:
    end = text.find("\n")
    if end < 0:
        return
    crlf = end > 0 and text[end - 1] == "\r"
    if crlf != (csv_format.line_ending == "CRLF"):
        raise CsvError(
            "ClientInputError : LineEnding is invalid on user data. Current "
            f"LineEnding setting is {csv_format.line_ending}"
        )
