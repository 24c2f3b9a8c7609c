"""The vendor list export (the columns of the Sage AP vendor mapping, plus sync status)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from exporters.tabular import Column, iter_csv, write_xlsx

COLUMNS = (
    Column("Vendor Record Number", width=22),
    Column("Name", width=32),
    Column("Address", width=32),
    Column("City", width=18),
    Column("State", width=8),
    Column("Zip", width=10),
    Column("Sync Status", width=18),
)
SHEET_TITLE = "Vendors"


def vendors_csv(rows: Iterable[tuple]) -> Iterator[str]:
    return iter_csv(COLUMNS, rows)


def write_vendors_xlsx(rows: Iterable[tuple], fileobj: IO[bytes]) -> int:
    return write_xlsx(fileobj, SHEET_TITLE, COLUMNS, rows)
