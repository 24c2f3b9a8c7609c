"""XLSX files an accountant can print and trust, written by xlsxwriter in constant-memory mode (each
row goes to a temporary file as soon as the next one starts, so memory stays flat however many rows
an export has).

Every table sheet gets the same layout:

- an optional title block above the table (company, report, subject, as-of time, filters);
- a header row in bold on a tinted band, numeric headers right-aligned over their numbers, wrapped
  to a row height that fits, frozen, with an autofilter over the rows;
- a named font (Arial, which LibreOffice maps to the metric-compatible Liberation Sans) everywhere;
- money as currency, percentages as real percentages (0.2187 shown as 21.87 %), counts as numbers;
- subtotal and total rows as ``SUBTOTAL`` formulas (so they follow a filter, and a total skips the
  subtotals inside its range), each with its computed value cached so every reader sees the same
  figure as the report;
- column widths that fit the largest value or total;
- print set-up: US Letter landscape, one page wide, header rows repeated on every page, and a footer
  naming the report with "Page x of y".
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from exporters.tabular import (
    COUNT,
    COUNT_FORMAT,
    DATE,
    DATE_FORMAT,
    IGNORED,
    MONEY,
    MONEY_FORMAT,
    NUMBER,
    NUMBER_FORMAT,
    PERCENT,
    PERCENT_FORMAT,
    REQUIRED,
    TEXT,
    Column,
)

FONT_NAME = "Arial"
FONT_SIZE = 9
TOTAL_LABEL = "Total"
LETTER = 1  # xlsxwriter paper code for US Letter
MAX_TEXT = 32_767  # Excel's limit for one cell

_NUMBER_FORMATS = {
    MONEY: MONEY_FORMAT,
    NUMBER: NUMBER_FORMAT,
    PERCENT: PERCENT_FORMAT,
    COUNT: COUNT_FORMAT,
    DATE: DATE_FORMAT,
}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HUNDRED = Decimal(100)
_HEADER_FILL = "#DDE4EE"
_IGNORED_FILL = "#EDEDED"
_REQUIRED_FILL = "#FCE4D6"
_SUBTOTAL_FILL = "#F2F2F2"
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# character widths: Excel's unit is the width of a digit of the default font; Arial 9 digits are
# narrower than that unit, so text of n characters fits in about 0.9 n
_CHAR = 0.9
_PAD = 2.0
_MIN_WIDTH = {MONEY: 11.0, NUMBER: 9.0, PERCENT: 8.0, COUNT: 8.0, DATE: 10.0, TEXT: 6.0}
_MAX_TEXT_WIDTH = 40.0
_LINE_HEIGHT = 12.0  # points per wrapped header line at 9 pt


@dataclass(frozen=True)
class TitleBlock:
    """What a printed report says above its table (and in its footer)."""

    company: str
    report: str
    subject: str = ""
    as_of: dt.datetime | None = None
    filters: str = ""

    def lines(self) -> list[str]:
        lines = [self.company, self.report]
        if self.subject:
            lines.append(self.subject)
        if self.as_of is not None:
            lines.append(f"As of {as_of_text(self.as_of)}")
        if self.filters:
            lines.append(f"Filters: {self.filters}")
        return lines

    @property
    def footer(self) -> str:
        return " - ".join(p for p in (self.company, self.report, self.subject) if p)


def as_of_text(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Summary:
    """A subtotal (over the rows since the previous subtotal) or the total (over every row) of a
    table: ``values`` holds the labels of text columns and the computed figure of every summary
    column, which is cached as the formula's value."""

    values: Sequence[Any]
    total: bool = False


@dataclass
class Table:
    """Where a table landed on its sheet (rows are 0-based, as xlsxwriter counts them)."""

    sheet: Worksheet
    name: str
    columns: Sequence[Column]
    header_row: int
    first_row: int
    last_row: int  # the last data or subtotal row (the total, if any, is below it)
    count: int  # data rows
    summary_rows: list[int] = field(default_factory=list)
    total_row: int | None = None


def _clean(text: str) -> str:
    if not text.isprintable():
        text = _ILLEGAL.sub("", text)
    return text[:MAX_TEXT]


def _footer_text(text: str) -> str:
    # '&' starts a code in Excel headers and footers
    return text.replace("&", "&&")


def _wrap_lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide."""
    capacity = max(1, int((width - 1) / _CHAR))
    lines, current = 1, 0
    for word in text.split():
        needed = len(word) if current == 0 else current + 1 + len(word)
        if needed <= capacity or current == 0:
            current = needed
        else:
            lines += 1
            current = len(word)
    return lines


def _display_length(kind: str, value: float) -> int:
    if kind == MONEY:
        return len(f"{abs(value):,.2f}") + 2  # "$" and "-"
    if kind == PERCENT:
        return len(f"{value * 100:.2f}") + 2
    if kind == NUMBER:
        return len(f"{value:,.4f}".rstrip("0")) + 2
    if kind == COUNT:
        return len(f"{value:,.0f}") + 1
    return 10


class XlsxBook:
    """A workbook written to ``fileobj`` on ``close``; sheets are added one after another."""

    def __init__(self, fileobj: IO[bytes] | str) -> None:
        self.workbook = xlsxwriter.Workbook(
            fileobj,
            {
                "constant_memory": True,
                # text is text: a user's "=SUM(...)" or "http://..." must never become live
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_format_properties": {"font_name": FONT_NAME, "font_size": FONT_SIZE},
            },
        )
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}

    # --- formats -----------------------------------------------------------------------------------

    def fmt(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self.workbook.add_format(
                {"font_name": FONT_NAME, "font_size": FONT_SIZE, **props}
            )
        return found

    def _cell_format(
        self, kind: str, level: str = "data", number_format: str | None = None, align: str | None = None
    ) -> Any:
        props: dict[str, Any] = {}
        if number_format or kind in _NUMBER_FORMATS:
            props["num_format"] = number_format or _NUMBER_FORMATS[kind]
        if align:
            props["align"] = align
        if level != "data":
            props.update(bold=True, top=1, bg_color=_SUBTOTAL_FILL)
            if level == "total":
                props.update(bottom=6)  # double underline under the grand total
        return self.fmt(**props) if props else None

    def _header_format(self, column: Column) -> Any:
        fill = {REQUIRED: _REQUIRED_FILL, IGNORED: _IGNORED_FILL}.get(column.role or "", _HEADER_FILL)
        return self.fmt(
            bold=True,
            text_wrap=True,
            valign="bottom",
            align=column.align or ("right" if column.numeric else "left"),
            bg_color=fill,
            bottom=1,
            italic=column.role == IGNORED,
        )

    # --- sheets ------------------------------------------------------------------------------------

    def add_sheet(self, name: str) -> Worksheet:
        return self.workbook.add_worksheet(name[:31])

    def write_title(self, sheet: Worksheet, title: TitleBlock, row: int = 0) -> int:
        """The title block from ``row``; returns the first row below it (after a blank row)."""
        styles = [self.fmt(bold=True, font_size=13), self.fmt(bold=True, font_size=11)]
        for i, line in enumerate(title.lines()):
            style = styles[i] if i < len(styles) else self.fmt()
            sheet.write_string(row + i, 0, _clean(line), style)
        return row + len(title.lines()) + 1

    def print_setup(
        self, sheet: Worksheet, footer: str, *, repeat_row: int | None = None, one_page: bool = False
    ) -> None:
        sheet.set_landscape()
        sheet.set_paper(LETTER)
        sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        sheet.fit_to_pages(1, 1 if one_page else 0)
        if repeat_row is not None:
            sheet.repeat_rows(repeat_row)
        sheet.set_footer(f"&L&8{_footer_text(footer)}&R&8Page &P of &N")

    def add_table(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Any] | Summary],
        *,
        title: TitleBlock | None = None,
        footer: str | None = None,
        totals: Summary | Sequence[Any] | None = None,
    ) -> Table:
        """One sheet: title block, header, the rows (data rows, and Summary rows for subtotals),
        then the total. The total is measured before any row is written, so the header wraps to
        the widths the largest figures need."""
        sheet = self.add_sheet(name)
        header_row = self.write_title(sheet, title) if title is not None else 0
        total = totals if isinstance(totals, Summary) or totals is None else Summary(totals, total=True)

        kinds = [c.kind for c in columns]
        widest = [0.0] * len(columns)
        if total is not None:
            self._measure(kinds, total.values, widest)
        self._write_header(sheet, header_row, columns, self._widths(columns, widest))

        first_row = header_row + 1
        table = Table(sheet, name, columns, header_row, first_row, header_row, 0)
        formats = [self._cell_format(c.kind, align=c.align) for c in columns]
        group_start = first_row
        r = first_row
        for item in rows:
            if isinstance(item, Summary):
                self._write_summary(table, r, item, group_start, r - 1)
                table.summary_rows.append(r)
                self._measure(kinds, item.values, widest)
                group_start = r + 1
            else:
                self._write_row(sheet, r, kinds, formats, item, widest)
                table.count += 1
            r += 1
        table.last_row = r - 1
        if total is not None:
            self._write_summary(table, r, total, first_row, r - 1)
            table.total_row = r

        sheet.freeze_panes(header_row + 1, 0)
        sheet.autofilter(header_row, 0, max(header_row, table.last_row), len(columns) - 1)
        for i, width in enumerate(self._widths(columns, widest)):
            sheet.set_column(i, i, width)
        self.print_setup(sheet, footer or (title.footer if title else name), repeat_row=header_row)
        return table

    def close(self) -> None:
        self.workbook.close()

    # --- rows --------------------------------------------------------------------------------------

    def _write_header(
        self, sheet: Worksheet, row: int, columns: Sequence[Column], widths: list[float]
    ) -> None:
        lines = max(_wrap_lines(c.header, w) for c, w in zip(columns, widths, strict=True))
        sheet.set_row(row, _LINE_HEIGHT * lines + 3)
        for j, column in enumerate(columns):
            sheet.write_string(row, j, _clean(column.header), self._header_format(column))
            if column.note:
                sheet.write_comment(row, j, column.note, {"x_scale": 1.6})

    @staticmethod
    def _measure(kinds: Sequence[str], values: Sequence[Any], widest: list[float]) -> None:
        """Widen for numbers only: a summary row's label may run over the empty cells beside it."""
        for j, (kind, value) in enumerate(zip(kinds, values, strict=False)):
            if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
                continue
            if kind in _NUMBER_FORMATS and kind != DATE:
                scaled = float(value) / 100 if kind == PERCENT else float(value)
                widest[j] = max(widest[j], abs(scaled))

    @staticmethod
    def _widths(columns: Sequence[Column], widest: list[float]) -> list[float]:
        """A column's own width (or one that fits its header's longest word) is the least it gets;
        it widens to fit its largest value, text up to a limit."""
        widths = []
        for column, seen in zip(columns, widest, strict=True):
            longest_word = max((len(w) for w in column.header.split()), default=1) * _CHAR
            base = column.width or max(_MIN_WIDTH.get(column.kind, 6.0), longest_word + _PAD)
            if seen and column.kind in _NUMBER_FORMATS and column.kind != DATE:
                seen = _display_length(column.kind, seen)  # a magnitude -> its formatted width
            width = max(base, seen + _PAD if seen else 0.0)
            if column.kind == TEXT:
                width = min(width, max(base, _MAX_TEXT_WIDTH))
            widths.append(width)
        return widths

    def _write_row(
        self,
        sheet: Worksheet,
        r: int,
        kinds: Sequence[str],
        formats: Sequence[Any],
        row: Sequence[Any],
        widest: list[float],
    ) -> None:
        """One data row. ``widest`` collects, per column, the longest text (in width units) or the
        largest magnitude of a number (turned into a width at the end: cheaper than formatting
        every number)."""
        write_string, write_number = sheet.write_string, sheet.write_number
        for j, value in enumerate(row):
            if value is None:
                continue
            cls = value.__class__
            if cls is str:
                if value:
                    write_string(r, j, _clean(value), formats[j])
                    if kinds[j] == TEXT and len(value) * _CHAR > widest[j]:
                        widest[j] = len(value) * _CHAR
                continue
            if cls is Decimal or cls is float or cls is int:
                number = float(value)
                if kinds[j] == PERCENT:
                    number /= 100
                write_number(r, j, number, formats[j])
                if (number > widest[j] or -number > widest[j]) and kinds[j] != TEXT:
                    widest[j] = abs(number)
            elif cls is bool:
                write_string(r, j, "Yes" if value else "No", formats[j])
            elif isinstance(value, dt.date):
                moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
                serial = (moment.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
                write_number(r, j, serial, formats[j] if kinds[j] == DATE else self._cell_format(DATE))
            elif isinstance(value, enum.Enum):
                write_string(r, j, _clean(str(value.value)), formats[j])
            else:
                write_string(r, j, _clean(str(value)), formats[j])

    def _write_summary(self, table: Table, r: int, summary: Summary, start: int, end: int) -> None:
        sheet, columns = table.sheet, table.columns
        level = "total" if summary.total else "subtotal"
        by_header = {c.header: j for j, c in enumerate(columns)}

        def cell(header: str) -> str:
            return str(xl_rowcol_to_cell(r, by_header[header]))

        def span(header: str) -> str:
            letter = xl_col_to_name(by_header[header])
            return f"{letter}{start + 1}:{letter}{end + 1}"

        has_rows = end >= start
        for j, column in enumerate(columns):
            value = summary.values[j] if j < len(summary.values) else None
            style = self._cell_format(column.kind, level, column.summary_format, column.align)
            if isinstance(value, bool):
                value = "Yes" if value else "No"
            cached = value
            if column.kind == PERCENT and isinstance(value, Decimal | int | float):
                cached = float(value) / 100
            elif isinstance(value, Decimal):
                cached = float(value)
            how = column.summary
            if how is None or not has_rows:
                if cached is None or cached == "":
                    sheet.write_blank(r, j, None, style)
                elif isinstance(cached, str):
                    sheet.write_string(r, j, _clean(cached), style)
                else:
                    sheet.write_number(r, j, cached, style)
                continue
            # SUM (the only summary given by name) or a formula of (cell, span)
            formula = how(cell, span) if callable(how) else f"=SUBTOTAL(9,{span(column.header)})"
            sheet.write_formula(r, j, formula, style, "" if cached is None else cached)


def write_xlsx(
    fileobj: IO[bytes],
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    totals: Sequence[Any] | None = None,
    footer: str | None = None,
) -> int:
    """A one-sheet workbook (header in row 1, print set-up, no title block); returns the number of
    data rows written."""
    book = XlsxBook(fileobj)
    table = book.add_table(title, columns, rows, totals=totals, footer=footer)
    book.close()
    return table.count
