"""The accountant report as CSV and XLSX, streamed: rows are fetched from the database a chunk at a
time while the file is written, so memory stays flat however long the period.

CSV holds the rows only (one line per step of a record), for reporting tools. XLSX is the printed
report, laid out like the job-cost report (``exporters.workbook``): a title block naming the company,
the report, the filters and the time, the rows with a SUBTOTAL total of the amounts, and a Totals
sheet with each record type's rows by status, a subtotal per record type and the grand total, then
the totals by status. Every total is the sum of the rows: the same figures as the GraphQL answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import IO, Any

from exporters.tabular import COUNT, MONEY, TEXT, Column, iter_csv
from exporters.workbook import TOTAL_LABEL, Summary, TitleBlock, XlsxBook
from models.accountant_report import AccountantRow, AccountantTotal, AccountantTotals

REPORT_NAME = "Accountant Report"

ROW_COLUMNS = (
    Column("Date (UTC)", width=17),
    Column("Status", width=9),
    Column("Action", width=11),
    Column("Record Type", width=22),
    Column("Record ID", width=14),
    Column("Record", width=30),
    Column("Project Number", width=9),
    Column("Project Name", width=20),
    Column("Actor", width=16),
    Column("Amount", MONEY),
    Column("Reason", TEXT, width=30),
)

TOTAL_COLUMNS = (
    Column("Record Type", width=28),
    Column("Status", width=12),
    Column("Count", COUNT),
    Column("Amount", MONEY),
)


def _row(row: AccountantRow) -> list[Any]:
    return [
        row.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
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


def report_title(company: str, filters: str, as_of: dt.datetime, name: str = REPORT_NAME) -> TitleBlock:
    return TitleBlock(company=company, report=name, as_of=as_of, filters=filters)


def _total_row(total: AccountantTotal) -> list[Any]:
    return [
        total.record_type.value if total.record_type else "All record types",
        total.status.value if total.status else "All statuses",
        total.count,
        total.amount,
    ]


def totals_rows(totals: AccountantTotals) -> Iterator[list[Any] | Summary]:
    """Each record type's rows by status followed by its subtotal."""
    by_type = {t.record_type: t for t in totals.by_type}
    current = None
    for cell in totals.by_type_and_status:
        if current is not None and cell.record_type != current:
            yield Summary([f"Total {current.value}", "", by_type[current].count, by_type[current].amount])
        current = cell.record_type
        yield _total_row(cell)
    if current is not None:
        yield Summary([f"Total {current.value}", "", by_type[current].count, by_type[current].amount])


def write_report_xlsx(
    rows: Iterable[AccountantRow], totals: AccountantTotals, title: TitleBlock, fileobj: IO[bytes]
) -> None:
    book = XlsxBook(fileobj)
    overall = totals.overall
    book.add_table(
        REPORT_NAME,
        ROW_COLUMNS,
        (_row(r) for r in rows),
        title=title,
        totals=Summary([f"{TOTAL_LABEL} ({overall.count} rows)", *[""] * 8, overall.amount, ""], total=True),
    )
    book.add_table(
        "Totals",
        TOTAL_COLUMNS,
        totals_rows(totals),
        title=TitleBlock(
            title.company, f"{REPORT_NAME}: totals by record type and status", "", title.as_of, title.filters
        ),
        totals=Summary([TOTAL_LABEL, "All statuses", overall.count, overall.amount], total=True),
    )
    book.add_table(
        "By Status",
        TOTAL_COLUMNS,
        (_total_row(t) for t in totals.by_status),
        title=TitleBlock(title.company, f"{REPORT_NAME}: totals by status", "", title.as_of, title.filters),
        totals=Summary([TOTAL_LABEL, "All statuses", overall.count, overall.amount], total=True),
    )
    book.close()
