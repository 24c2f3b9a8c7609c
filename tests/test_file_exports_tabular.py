"""The shared tabular writers: CSV formula-injection neutralising, number formatting, streaming,
and the XLSX sheet layout: header, formats, widths, print set-up, SUBTOTAL rows with cached values
(no database needed)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from exporters.tabular import (
    MONEY,
    MONEY_FORMAT,
    NUMBER,
    PERCENT,
    PERCENT_FORMAT,
    Column,
    csv_cell,
    iter_csv,
    neutralise,
    write_csv,
)
from exporters.workbook import Summary, TitleBlock, XlsxBook, write_xlsx


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tlead", "'\tlead"),
        ("\rlead", "'\rlead"),
        ("-250.00", "-250.00"),
        ("+12", "+12"),
        ("-.5", "-.5"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_csv_cells_keep_numbers_numeric():
    assert csv_cell(Decimal("-250.00")) == "-250.00"
    assert csv_cell(Decimal("1E+3")) == "1000"
    assert csv_cell(Decimal("2000.0000")) == "2000"
    assert csv_cell(Decimal("4.2500")) == "4.25"
    assert csv_cell(Decimal("0.00")) == "0.00"
    assert csv_cell(-3) == "-3"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "Yes" and csv_cell(False) == "No"
    assert csv_cell(dt.date(2026, 1, 31)) == "2026-01-31"
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_csv_streams_in_chunks_without_reading_all_rows_first():
    pulled = 0

    def rows():
        nonlocal pulled
        for i in range(2000):
            pulled += 1
            yield (f"row {i}", Decimal(i))

    chunks = iter_csv([Column("Name"), Column("Amount", MONEY)], rows())
    first = next(chunks)
    assert first.startswith("\ufeffName,Amount\r\n")
    assert pulled < 2000
    rest = "".join(chunks)
    parsed = list(csv.reader(io.StringIO((first + rest).lstrip("\ufeff"))))
    assert len(parsed) == 2001 and parsed[-1] == ["row 1999", "1999"]


def test_write_csv_to_a_text_file_object():
    out = io.StringIO(newline="")
    write_csv(out, [Column("A"), Column("B", NUMBER)], [("@x", Decimal("1.5"))], bom=False)
    assert out.getvalue() == "A,B\r\n'@x,1.5\r\n"


def test_xlsx_sheet_layout_and_totals_row():
    columns = [Column("Code", width=12), Column("Note"), Column("Amount", MONEY)]
    rows = [
        ("01-100", "=2+2", Decimal("10.10")),
        ("01-200", "bell\x07char", Decimal("-2.05")),
        ("01-300", None, None),
    ]
    buffer = io.BytesIO()
    assert write_xlsx(buffer, "Lines", columns, iter(rows), totals=["Total", "", Decimal("8.05")]) == 3
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book["Lines"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C4"
    assert sheet.column_dimensions["A"].width == pytest.approx(12, abs=1)
    assert sheet.column_dimensions["C"].width >= 11
    assert sheet["B2"].value == "=2+2" and sheet["B2"].data_type == "s"
    assert sheet["B3"].value == "bellchar"
    assert sheet["C3"].value == pytest.approx(-2.05) and sheet["C3"].number_format == MONEY_FORMAT
    assert sheet["A5"].value == "Total" and sheet["A5"].font.b
    # the total is a formula over the rows, with the given figure cached for readers that do not compute
    assert sheet["C5"].value == "=SUBTOTAL(9,C2:C4)" and sheet["C5"].font.b
    cached = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), data_only=True)["Lines"]
    assert cached["C5"].value == pytest.approx(8.05)
    # a named font everywhere, the header's numbers right-aligned over right-aligned numbers
    assert sheet["A1"].font.name == "Arial" and sheet["C2"].font.name == "Arial"
    assert sheet["C1"].alignment.horizontal == "right" and sheet["A1"].alignment.horizontal == "left"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (1 is the file format's default, which the writer leaves out), as tall as needed
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.oddFooter.right.text == "Page &P of &N"


def test_xlsx_title_block_subtotals_percentages_and_widths():
    columns = [
        Column("Code", width=10),
        Column("Budget", MONEY),
        Column("Spent", MONEY),
        Column(
            "Percent Spent",
            PERCENT,
            total=lambda cell, _span: (
                f'=IF({cell("Budget")}<=0,"",ROUND({cell("Spent")}/{cell("Budget")},4))'
            ),
        ),
    ]
    rows = [
        ["01-100", Decimal("100.00"), Decimal("21.87"), Decimal("21.87")],
        ["01-200", Decimal("300.00"), Decimal("0.00"), Decimal("0.00")],
        Summary(["Total 01", Decimal("400.00"), Decimal("21.87"), Decimal("5.47")]),
        ["02-100", Decimal("12345678.90"), Decimal("1.00"), Decimal("0.00")],
        Summary(["Total 02", Decimal("12345678.90"), Decimal("1.00"), Decimal("0.00")]),
    ]
    title = TitleBlock(
        "Acme & Sons", "Cost Report", "Job 7", dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC), "none"
    )
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    table = book.add_table(
        "Report",
        columns,
        rows,
        title=title,
        totals=Summary(["Total", Decimal("12346078.90"), Decimal("22.87"), None], total=True),
    )
    book.close()
    assert (table.header_row, table.first_row, table.last_row, table.total_row) == (6, 7, 11, 12)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Report"]
    values = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), data_only=True)["Report"]
    assert [sheet.cell(r, 1).value for r in range(1, 7)] == [
        "Acme & Sons",
        "Cost Report",
        "Job 7",
        "As of 2026-03-04 05:06 UTC",
        "Filters: none",
        None,
    ]
    assert sheet["A7"].value == "Code" and sheet.freeze_panes == "A8"
    assert sheet.print_title_rows == "$7:$7"
    assert sheet.oddFooter.left.text == "Acme && Sons - Cost Report - Job 7"  # '&' escaped for the footer
    assert sheet.auto_filter.ref == "A7:D12"  # header, rows and subtotals; the total stays below
    assert sheet["D8"].value == pytest.approx(0.2187) and sheet["D8"].number_format == PERCENT_FORMAT
    assert sheet["B10"].value == "=SUBTOTAL(9,B8:B9)" and values["B10"].value == pytest.approx(400)
    assert sheet["D10"].value == '=IF(B10<=0,"",ROUND(C10/B10,4))' and values["D10"].value == pytest.approx(
        0.0547
    )
    assert sheet["B12"].value == "=SUBTOTAL(9,B11:B11)"
    # the total spans every row: SUBTOTAL leaves the subtotals inside the range out
    assert sheet["B13"].value == "=SUBTOTAL(9,B8:B12)" and values["B13"].value == pytest.approx(12346078.90)
    assert sheet["A13"].font.b and sheet["B13"].border.bottom.style == "double"
    # the widest total fits: "$12,346,078.90" is 14 characters
    assert sheet.column_dimensions["B"].width >= 14
