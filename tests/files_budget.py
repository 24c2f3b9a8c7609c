"""Budget files for the import tests: the good file in every format and the bad-input corpus."""

from __future__ import annotations

from tests import files_common as f

HEADER = ["Sub Job", "Cost Code", "Cost Type", "Description", "Original Budget Amount"]
ROWS = [
    ["", "01-100", "1", "Site prep materials", "1234.56"],
    ["", "01-200", "2", "Survey labor", "(200.00)"],
    ["01", "2120.000", "4", "Concrete sub", "$10,000.00"],
]
EXPECTED = [
    ("01-100", "1", None, "1234.56", "Site prep materials"),
    ("01-200", "2", None, "-200.00", "Survey labor"),
    ("2120.000", "4", "01", "10000.00", "Concrete sub"),
]


def good_rows() -> list[list]:
    return [HEADER, *ROWS]


def typed_rows() -> list[list]:
    """The same data as a spreadsheet stores it: amounts as numbers, 2120.000 as the number 2120."""
    return [
        HEADER,
        ["", "01-100", 1, "Site prep materials", 1234.56],
        ["", "01-200", 2, "Survey labor", -200],
        ["01", 2120, 4, "Concrete sub", 10000],
    ]


def good_csv() -> bytes:
    return f.csv_bytes(good_rows())


def report_export_csv() -> bytes:
    """A report-style export: titles above the header, blank rows, subtotals, padded codes."""
    return f.csv_bytes(
        [
            ["Harbor Clinic Construction LLC"],
            ["Budget Detail", "", "01/01/2026 - 12/31/2026"],
            [],
            HEADER,
            ["", "01-100  ", " 1", "Site prep materials", "1,234.56"],
            [],
            ["", "01-200", "2", "Survey labor", "(200.00)"],
            ["", "Total 01", "", "", "1,034.56"],
            ["01", "2120.000 ", "4", "Concrete sub", "$10,000.00"],
            ["", "", "", "Grand Total", "11,034.56"],
        ]
    )


def with_rows(rows, header=HEADER) -> bytes:
    return f.csv_bytes([header, *rows])
