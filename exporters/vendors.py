"""The vendor list export (the columns of the Sage AP vendor mapping, plus sync status) and the
rows behind it, streamed from the database."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.tabular import Column, iter_csv, write_xlsx
from models.directory import Vendor
from models.enums import Tool
from models.policy import Actor, reading, require

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


def vendor_export_rows(session: Session, actor: Actor) -> Iterator[tuple[str, ...]]:
    """(record number, name, address, city, state, zip, sync status) per vendor, by name.

    The permission is checked on the call; the rows then stream from the database."""
    require(actor, reading(Tool.DIRECTORY), "Exporting the vendor list")
    return _vendor_rows(session)


def _vendor_rows(session: Session) -> Iterator[tuple[str, ...]]:
    stmt = select(
        Vendor.origin_id,
        Vendor.name,
        Vendor.address,
        Vendor.city,
        Vendor.state,
        Vendor.zip,
        Vendor.sync_status,
    ).order_by(Vendor.name, Vendor.id)
    for row in session.execute(stmt.execution_options(yield_per=1000)):
        yield (row[0] or "", row[1], row[2], row[3], row[4], row[5], str(row[6]))


def vendors_csv(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    return iter_csv(COLUMNS, rows)


def write_vendors_xlsx(rows: Iterable[tuple[str, ...]], fileobj: IO[bytes]) -> int:
    return write_xlsx(fileobj, SHEET_TITLE, COLUMNS, rows)
