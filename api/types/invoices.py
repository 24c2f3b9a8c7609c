"""SubcontractorInvoice (a pay application against a subcontract), its lines and totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from api.context import Info
from api.dataloaders import commitments as commitment_loaders
from api.dataloaders import invoices as loaders
from api.permissions import check
from api.relay import Node, register_node, to_global_id
from api.types.audit import Audited
from api.types.commitments import Commitment, CommitmentLine
from api.types.enums import InvoiceStatus
from api.types.projects import WbsRefs, wbs_refs
from api.types.sync import SyncInfo
from models import invoices as m
from models import registry
from models.enums import RecordType, Tool
from models.policy import reading

INVOICE = registry.spec(RecordType.SUBCONTRACTOR_INVOICE).type_name


@strawberry.type
class SubcontractorInvoiceLine(WbsRefs):
    id: strawberry.ID
    description: str
    work_completed_this_period: Decimal
    materials_presently_stored: Decimal
    retainage: Decimal
    amount: Decimal = strawberry.field(description="workCompletedThisPeriod + materialsPresentlyStored.")
    _commitment_line_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: m.SubcontractorInvoiceLine) -> SubcontractorInvoiceLine:
        return cls(
            id=to_global_id("SubcontractorInvoiceLine", row.id),
            description=row.description,
            work_completed_this_period=row.work_completed_this_period,
            materials_presently_stored=row.materials_presently_stored,
            retainage=row.retainage,
            amount=row.amount,
            _commitment_line_id=row.commitment_line_id,
            **wbs_refs(row),
        )

    @strawberry.field
    def commitment_line(self, info: Info) -> CommitmentLine | None:
        check(info, reading(Tool.COMMITMENTS), "Reading the commitment line")
        if self._commitment_line_id is None:
            return None
        row = info.context.loaders.load(commitment_loaders.commitment_lines, self._commitment_line_id)
        return CommitmentLine.from_row(row) if row else None


@strawberry.type
class InvoiceTotals:
    work_completed_amount: Decimal
    materials_stored_amount: Decimal
    total_amount: Decimal = strawberry.field(description="Work completed + materials stored.")
    retainage_amount: Decimal
    net_amount: Decimal = strawberry.field(description="totalAmount - retainageAmount.")


@register_node(m.SubcontractorInvoice, INVOICE, reading(Tool.INVOICES))
@strawberry.type(name=INVOICE, description="A subcontractor's pay application for one billing period.")
class SubcontractorInvoice(Audited, Node):
    number: str
    billing_period_start: dt.date
    billing_period_end: dt.date
    billing_date: dt.date
    status: InvoiceStatus
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _commitment_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.SubcontractorInvoice) -> SubcontractorInvoice:
        return cls(
            id=to_global_id(INVOICE, row.id),
            number=row.number,
            billing_period_start=row.billing_period_start,
            billing_period_end=row.billing_period_end,
            billing_date=row.billing_date,
            status=row.status,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
            _commitment_id=row.commitment_id,
        )

    @strawberry.field
    def commitment(self, info: Info) -> Commitment | None:
        check(info, reading(Tool.COMMITMENTS), "Reading the commitment")
        row = info.context.loaders.load(commitment_loaders.commitments, self._commitment_id)
        return Commitment.from_row(row)

    @strawberry.field
    def lines(self, info: Info) -> list[SubcontractorInvoiceLine]:
        rows = info.context.loaders.load(loaders.lines_by_invoice, self._pk)
        return [SubcontractorInvoiceLine.from_row(r) for r in rows]

    @strawberry.field
    def totals(self, info: Info) -> InvoiceTotals:
        rows = info.context.loaders.load(loaders.lines_by_invoice, self._pk)
        totals = m.invoice_totals(rows)
        return InvoiceTotals(
            work_completed_amount=totals.work_completed,
            materials_stored_amount=totals.materials_stored,
            total_amount=totals.amount,
            retainage_amount=totals.retainage,
            net_amount=totals.net_amount,
        )
