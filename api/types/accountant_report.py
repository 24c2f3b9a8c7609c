"""The accountant report as GraphQL: rows (a page at a time) and totals by record type and status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry

from api.context import Info
from api.relay import Connection, build_connection, page_rows
from api.types.enums import RecordType
from models import accountant_report as m

if TYPE_CHECKING:
    from models.accountant_report import ReportStatus as AccountantReportStatus
else:
    AccountantReportStatus = strawberry.enum(
        m.ReportStatus,
        name="AccountantReportStatus",
        description="SENT (send, resend), ACCEPTED (accept, direct export), REJECTED, EXPORTED (the "
        "connector acknowledged it), FAILED (the ERP refused it).",
    )


@strawberry.type(description="One step of one record: who, when, the amount it carried, the reason.")
class AccountantReportRow:
    at: dt.datetime
    status: AccountantReportStatus
    action: str = strawberry.field(description="The sync-history action: send, resend, accept, ...")
    record_type: RecordType
    record_id: strawberry.ID
    label: str
    project_number: str | None
    project_name: str | None
    actor: str
    amount: Decimal | None = strawberry.field(description="The record's amount at that step; null if none.")
    reason: str | None = strawberry.field(description="The reject reason, or the ERP's failure messages.")

    @classmethod
    def from_domain(cls, row: m.AccountantRow) -> AccountantReportRow:
        return cls(
            at=row.at,
            status=row.status,
            action=row.action,
            record_type=row.record_type,
            record_id=strawberry.ID(row.global_id),
            label=row.label,
            project_number=row.project_number,
            project_name=row.project_name,
            actor=row.actor_name,
            amount=row.amount,
            reason=row.reason,
        )


@strawberry.type(description="How many rows and how much money; a null type or status means all of them.")
class AccountantReportTotal:
    record_type: RecordType | None
    status: AccountantReportStatus | None
    count: int
    amount: Decimal

    @classmethod
    def from_domain(cls, total: m.AccountantTotal) -> AccountantReportTotal:
        return cls(record_type=total.record_type, status=total.status, count=total.count, amount=total.amount)


@strawberry.type
class AccountantReportTotals:
    by_record_type_and_status: list[AccountantReportTotal]
    by_record_type: list[AccountantReportTotal]
    by_status: list[AccountantReportTotal]
    overall: AccountantReportTotal

    @classmethod
    def from_domain(cls, totals: m.AccountantTotals) -> AccountantReportTotals:
        convert = AccountantReportTotal.from_domain
        return cls(
            by_record_type_and_status=[convert(t) for t in totals.by_type_and_status],
            by_record_type=[convert(t) for t in totals.by_type],
            by_status=[convert(t) for t in totals.by_status],
            overall=convert(totals.overall),
        )


@strawberry.type(
    description="What an accountant reviews: every record sent, accepted, rejected, exported or failed "
    "in the period, oldest first, with totals that are the sums of the rows."
)
class AccountantReport:
    since: dt.date | None
    until: dt.date | None
    totals: AccountantReportTotals
    _filters: strawberry.Private[m.AccountantFilters]

    @strawberry.field(description="The rows, a page at a time (at most 200), by keyset: oldest first.")
    def rows(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AccountantReportRow]:
        ctx = info.context
        stmt = m.report_query(ctx.actor, self._filters)
        raw, cursors, total, has_next = page_rows(ctx.session, stmt, first, after, scalars=False)
        rows = [AccountantReportRow.from_domain(r) for r in m.rows_of(ctx.session, raw)]
        return build_connection(rows, cursors, total, has_next=has_next, after=after)
