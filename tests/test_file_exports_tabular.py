"""The shared tabular writers: CSV formula-injection neutralising, number formatting, streaming,
and the XLSX sheet layout (no database needed)."""

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
    Column,
    csv_cell,
    iter_csv,
    neutralise,
    sum_totals,
    write_csv,
    write_xlsx,
)


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


def test_xlsx_sheet_layout_and_summed_totals_row():
    columns = [Column("Code", width=12), Column("Note"), Column("Amount", MONEY)]
    rows = [
        ("01-100", "=2+2", Decimal("10.10")),
        ("01-200", "bell\x07char", Decimal("-2.05")),
        ("01-300", None, None),
    ]
    buffer = io.BytesIO()
    assert write_xlsx(buffer, "Lines", columns, iter(rows), totals=sum_totals(columns)) == 3
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["Lines"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C4"
    assert sheet.column_dimensions["A"].width == 12
    assert sheet.column_dimensions["C"].width == 15
    assert sheet["B2"].value == "=2+2" and sheet["B2"].data_type == "s"
    assert sheet["B3"].value == "bellchar"
    assert sheet["C3"].value == pytest.approx(-2.05) and sheet["C3"].number_format == MONEY_FORMAT
    assert [c.value for c in sheet[5]][0] == "Total"
    assert sheet["C5"].value == pytest.approx(8.05) and sheet["C5"].font.b
