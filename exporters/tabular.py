"""Streaming tabular writers shared by every file export: CSV (csv module) and XLSX (openpyxl in
write-only mode).

Both take an iterator of rows and a file-like object and never hold the whole file in memory:
CSV is written row by row, XLSX streams each sheet's rows into openpyxl's temporary part files.

CSV cells are neutralised against formula injection (a text cell starting with = + - @, tab or
CR gets a leading single quote); numbers, including negative amounts, are written as numbers.
XLSX text is always stored as text (never a formula), so it needs no prefix.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

TEXT = "text"
MONEY = "money"
NUMBER = "number"
PERCENT = "percent"

# Accounting-style currency: negatives in red with a minus sign, two decimals.
MONEY_FORMAT = '"$"#,##0.00;[Red]-"$"#,##0.00'
NUMBER_FORMAT = "#,##0.####"
# percent figures are stored as 66.67 (meaning 66.67 %), as the report computes them
PERCENT_FORMAT = '0.00"%"'
_FORMATS = {MONEY: MONEY_FORMAT, NUMBER: NUMBER_FORMAT, PERCENT: PERCENT_FORMAT}

_INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CSV_BATCH_ROWS = 500


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: float | None = None

    @property
    def display_width(self) -> float:
        if self.width is not None:
            return self.width
        floor = 15 if self.kind == MONEY else 10
        return max(floor, len(self.header) + 3)


# --- cell values ------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula; plain numbers pass."""
    if text.startswith(_INJECTION_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _decimal_text(value: Decimal) -> str:
    # fixed notation (never 1E+3); quantities lose trailing zeros, money keeps its cents
    text = format(value, "f")
    if "." in text and value.as_tuple().exponent < -2:
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


# --- XLSX -------------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_TOTAL_FONT = Font(bold=True)
TOTAL_LABEL = "Total"


def _clean_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


@dataclass
class XlsxWriter:
    """A write-only workbook: add sheets one after another, then ``save`` to a binary file object."""

    workbook: Workbook = field(default_factory=lambda: Workbook(write_only=True))

    def add_table(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Any]],
        *,
        totals: Sequence[Any] | Callable[[dict[int, Decimal]], Sequence[Any]] | None = None,
    ):
        """One sheet: bold frozen header, autofilter over header + rows, typed cells with currency
        formats, optional bold totals row (explicit values, or a function of the money column
        sums accumulated while streaming). Returns the worksheet and the number of data rows."""
        ws = self.workbook.create_sheet(title=title[:31])
        # sheet views and column widths are written before the first row in write-only mode
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.display_width
        ws.append([self._header_cell(ws, c.header) for c in columns])

        kinds = [c.kind for c in columns]
        sums: dict[int, Decimal] = {i: Decimal(0) for i, k in enumerate(kinds) if k == MONEY}
        count = 0
        for row in rows:
            ws.append(self._cells(ws, kinds, row))
            for i in sums:
                value = row[i]
                if value is not None:
                    sums[i] += value
            count += 1
        last_column = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A1:{last_column}{count + 1}"
        if totals is not None:
            values = totals(sums) if callable(totals) else totals
            ws.append(self._cells(ws, kinds, values, font=_TOTAL_FONT))
        return ws, count

    def save(self, fileobj: IO[bytes]) -> None:
        self.workbook.save(fileobj)

    # cells --------------------------------------------------------------------------------------

    @staticmethod
    def _header_cell(ws, header: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=_clean_text(header))
        cell.data_type = "s"
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    @staticmethod
    def _cells(ws, kinds: Sequence[str], row: Sequence[Any], font: Font | None = None) -> list[Any]:
        out: list[Any] = []
        for kind, value in zip(kinds, row, strict=False):
            if value is None or value == "":
                out.append(None)
                continue
            if isinstance(value, enum.Enum):
                value = value.value
            if isinstance(value, bool):
                value = "Yes" if value else "No"
            if isinstance(value, str):
                cell = WriteOnlyCell(ws, value=_clean_text(value))
                # text is text: "=SUM(...)" from a user must never become a live formula
                cell.data_type = "s"
            elif kind in _FORMATS and isinstance(value, Decimal | int | float):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = _FORMATS[kind]
            elif font is None:
                out.append(value)
                continue
            else:
                cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            out.append(cell)
        return out


def write_xlsx(
    fileobj: IO[bytes],
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    totals: Sequence[Any] | Callable[[dict[int, Decimal]], Sequence[Any]] | None = None,
) -> int:
    """A one-sheet workbook; returns the number of data rows written."""
    writer = XlsxWriter()
    _ws, count = writer.add_table(title, columns, rows, totals=totals)
    writer.save(fileobj)
    return count


def sum_totals(columns: Sequence[Column], label: str = TOTAL_LABEL):
    """A ``totals`` function: the label in the first column, each money column's sum below it."""

    def build(sums: dict[int, Decimal]) -> list[Any]:
        values: list[Any] = [sums.get(i) for i in range(len(columns))]
        values[0] = label
        return values

    return build
