"""The accountant report as CSV and XLSX, streamed: rows are fetched from the database a chunk at a
time while the file is written, so memory stays flat however long the period.

CSV holds the rows only (one line per step of a record), for reporting tools. XLSX, like the
job-cost report, adds a bold totals row under the rows and a second sheet with the totals by record
type and status; every total is the sum of the rows (the same figures as the GraphQL answer).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from exporters.tabular import MONEY, NUMBER, TEXT, TOTAL_LABEL, Column, XlsxWriter, iter_csv
from models.accountant_report import AccountantRow, AccountantTotal, AccountantTotals

ROW_COLUMNS = (
    Column("Date (UTC)", width=20),
    Column("Status", width=11),
    Column("Action", width=13),
    Column("Record Type", width=24),
    Column("Record ID", width=16),
    Column("Record", width=36),
    Column("Project Number", width=14),
    Column("Project Name", width=28),
    Column("Actor", width=20),
    Column("Amount", MONEY),
    Column("Reason", TEXT, width=40),
)

TOTAL_COLUMNS = (
    Column("Record Type", width=26),
    Column("Status", width=12),
    Column("Count", NUMBER),
    Column("Amount", MONEY),
)


def _row(row: AccountantRow) -> list[Any]:
    return [
        row.at.strftime("%Y-%m-%d %H:%M:%S"),
        row.status.value,
        row.action,
        row.record_type.value,
        row.global_id,
        row.label,
        row.project_number or "",
        row.project_name or "",
        row.actor_name,
        row.amount,
        row.reason or "",
    ]


def report_csv(rows: Iterable[AccountantRow]) -> Iterator[str]:
    return iter_csv(ROW_COLUMNS, (_row(r) for r in rows))


def _total_row(total: AccountantTotal, label: str | None = None) -> list[Any]:
    return [
        label or (total.record_type.value if total.record_type else "All record types"),
        total.status.value if total.status else "All statuses",
        total.count,
        total.amount,
    ]


def totals_rows(totals: AccountantTotals) -> Iterator[list[Any]]:
    """Each record type's rows by status, then the type's subtotal; then each status overall."""
    by_type = {t.record_type: t for t in totals.by_type}
    current = None
    for cell in totals.by_type_and_status:
        if current is not None and cell.record_type != current:
            yield _total_row(by_type[current])
        current = cell.record_type
        yield _total_row(cell)
    if current is not None:
        yield _total_row(by_type[current])
    for status_total in totals.by_status:
        yield _total_row(status_total)


def write_report_xlsx(rows: Iterable[AccountantRow], totals: AccountantTotals, fileobj: IO[bytes]) -> None:
    writer = XlsxWriter()
    overall = totals.overall
    writer.add_table(
        "Accountant Report",
        ROW_COLUMNS,
        (_row(r) for r in rows),
        totals=[TOTAL_LABEL, "", "", "", "", f"{overall.count} row(s)", "", "", "", overall.amount, ""],
    )
    writer.add_table(
        "Totals",
        TOTAL_COLUMNS,
        totals_rows(totals),
        totals=[TOTAL_LABEL, "All statuses", overall.count, overall.amount],
    )
    writer.save(fileobj)
