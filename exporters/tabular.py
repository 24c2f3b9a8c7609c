"""Columns, cell values and the streaming CSV writer shared by every file export (the XLSX writer
is exporters/workbook.py).

CSV is written row by row and never holds the whole file in memory. Cells are neutralised against
formula injection (a text cell starting with = + - @, tab or CR gets a leading single quote);
numbers, including negative amounts, are written as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

TEXT = "text"
MONEY = "money"
NUMBER = "number"
PERCENT = "percent"
COUNT = "count"
DATE = "date"

# Accounting-style currency: negatives in red with a minus sign, two decimals.
MONEY_FORMAT = '"$"#,##0.00;[Red]-"$"#,##0.00'
# quantities and unit costs: at least two decimals, up to four
NUMBER_FORMAT = "#,##0.00##"
# XLSX percent cells hold the fraction (0.2187) and show it as 21.87 %; the report computes
# percentages as 21.87, so the writer divides by 100
PERCENT_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
NUMERIC_KINDS = (MONEY, NUMBER, PERCENT, COUNT)

_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CSV_BATCH_ROWS = 500

# How a subtotal or total row fills a column: SUM (SUBTOTAL 9 over the group's rows), or a function
# of (cell, span) returning a formula, where cell(header) is that column's cell on the summary row
# and span(header) the group's range of that column.
SUM = "sum"
CellRef = Callable[[str], str]
SummaryFormula = Callable[[CellRef, CellRef], str]


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: float | None = None
    # summary rows: SUM, a SummaryFormula, or None (the value given, as a plain cell)
    total: str | SummaryFormula | None = None
    # a note shown on the header cell (XLSX comment), e.g. that the importer ignores the column
    note: str | None = None
    # "required": the importer needs it; "ignored": the importer reads past it
    role: str | None = None
    # number format of the column's summary cells when it differs from its kind's
    summary_format: str | None = None
    # horizontal alignment of the header and the cells when the kind's default does not suit
    align: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def summary(self) -> str | SummaryFormula | None:
        if self.total is not None:
            return self.total
        return SUM if self.kind in (MONEY, COUNT) else None


REQUIRED = "required"
IGNORED = "ignored"


# --- cell values ------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula; plain numbers pass."""
    if text.startswith(_INJECTION_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _decimal_text(value: Decimal) -> str:
    # fixed notation (never 1E+3); quantities lose trailing zeros, money keeps its cents
    text = format(value, "f")
    exponent = value.as_tuple().exponent  # a letter only for NaN and infinity, never money
    if "." in text and isinstance(exponent, int) and exponent < -2:
        text = text.rstrip("0").rstrip(".")
    return text


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return neutralise(str(value.value))
    return neutralise(str(value))


# --- CSV --------------------------------------------------------------------------------------------


def iter_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text in chunks of a few hundred rows (for a streaming HTTP response).

    The UTF-8 byte order mark makes Excel read the file as UTF-8; the importers accept it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow([neutralise(c.header) for c in columns])
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        pending += 1
        if pending >= _CSV_BATCH_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    chunk = buffer.getvalue()
    if chunk:
        yield chunk


def write_csv(
    fileobj: IO[str], columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, bom: bool = True
) -> None:
    """Write CSV to a text file object opened with ``newline=''``."""
    for chunk in iter_csv(columns, rows, bom=bom):
        fileobj.write(chunk)


def iter_bytes(chunks: Iterable[str], encoding: str = "utf-8") -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode(encoding)
