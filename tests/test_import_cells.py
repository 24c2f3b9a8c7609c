"""Cell parsing and delimiter sniffing without a database: money, dates, codes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from importers import cells
from importers.cells import CellError, CodeIndex
from importers.reading import sniff_delimiter


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("$1,234.56", "1234.56"),
        ("(1,234.56)", "-1234.56"),
        ("-1234.5", "-1234.50"),
        ("1,234.56-", "-1234.56"),
        (" 12 ", "12.00"),
        (0.1, "0.10"),
        (1234.565, "1234.57"),
        (-300, "-300.00"),
        ("9999999999999.99", "9999999999999.99"),
    ],
)
def test_money(raw, expected):
    assert cells.money(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw,code",
    [
        ("12.34.56", "INVALID_AMOUNT"),
        ("ten", "INVALID_AMOUNT"),
        ("1,23", "INVALID_AMOUNT"),
        ("10000000000000", "AMOUNT_TOO_LARGE"),
    ],
)
def test_bad_money(raw, code):
    with pytest.raises(CellError) as exc:
        cells.money(raw)
    assert exc.value.code == code


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2026-02-03", dt.date(2026, 2, 3)),
        ("02/03/2026", dt.date(2026, 2, 3)),
        ("2/3/26", dt.date(2026, 2, 3)),
        (46056, dt.date(2026, 2, 3)),
        ("46056", dt.date(2026, 2, 3)),
        (dt.datetime(2026, 2, 3, 10, 0), dt.date(2026, 2, 3)),
    ],
)
def test_dates(raw, expected):
    assert cells.date(raw) == expected


@pytest.mark.parametrize("raw", ["02/30/2026", "2026-13-01", "yesterday", "13/45/2026"])
def test_impossible_dates(raw):
    with pytest.raises(CellError) as exc:
        cells.date(raw)
    assert exc.value.code == "INVALID_DATE"


def test_codes_stay_text_and_numeric_cells_find_their_code():
    index = CodeIndex([("2120.000", 1), ("01-100", 2), ("0100", 3)])
    assert cells.code("01-100  ") == "01-100"
    assert index.get(cells.code(2120.0)) == 1
    assert index.get(cells.code(100.0)) == 3
    assert index.get("2120.000") == 1
    assert index.get("2121") is None


def test_delimiter_sniffing_ignores_title_lines():
    lines = ["Company, Inc.", "Cost Code;Cost Type;Amount", "01-100;1;5,00", "01-200;2;6"]
    assert sniff_delimiter(lines) == ";"
    assert sniff_delimiter(["a\tb\tc", "1\t2\t3"]) == "\t"
