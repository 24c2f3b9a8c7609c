"""The vendor list export: the columns of the Sage AP vendor mapping, then the sync status as a word
("Ready to export") and as its code for tools, and the rows behind it, streamed from the database.
The vendor importer reads the mapping columns and ignores the two status columns, so the file loads
back as a vendor list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.labels import sync_status_label
from exporters.tabular import IGNORED, REQUIRED, Column, iter_csv
from exporters.workbook import write_xlsx
from models.directory import Vendor
from models.enums import Tool
from models.policy import Actor, reading, require

IGNORED_NOTE = "Read-only: the vendor import ignores this column."
SYNC_STATUS = "Sync Status"
SYNC_STATUS_CODE = "Sync Status Code"
IGNORED_COLUMNS = (SYNC_STATUS, SYNC_STATUS_CODE)

COLUMNS = (
    Column("Vendor Record Number", width=12, role=REQUIRED),
    Column("Name", width=32, role=REQUIRED),
    Column("Address", width=32),
    Column("City", width=18),
    Column("State", width=7),
    Column("Zip", width=10),
    Column(SYNC_STATUS, width=16, role=IGNORED, note=IGNORED_NOTE),
    Column(SYNC_STATUS_CODE, width=18, role=IGNORED, note=IGNORED_NOTE),
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


def labelled(rows: Iterable[tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
    """(number, name, address, city, state, zip, status) -> the same with the status label first."""
    for row in rows:
        *fields, status = row
        yield (*fields, sync_status_label(status), str(status))


def vendors_csv(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    return iter_csv(COLUMNS, labelled(rows))


def write_vendors_xlsx(rows: Iterable[tuple[str, ...]], fileobj: IO[bytes], footer: str | None = None) -> int:
    return write_xlsx(fileobj, SHEET_TITLE, COLUMNS, labelled(rows), footer=footer or "Vendor list")
