"""Subcontractor invoices (pay applications against a commitment) with retainage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import ZERO, Base, Money, Timestamped
from models.commitments import Commitment, CommitmentLine, ensure_not_in_flight
from models.enums import CommitmentKind, CommitmentStatus, InvoiceStatus, RecordType, Tool
from models.errors import DomainError, ErrorCode
from models.inputs import check_transition, clean_text, given, parse_money
from models.policy import Actor, editing, require
from models.projects import ProjectScope, SubJob
from models.sync import SyncState, ensure_editable
from models.wbs import CostCode, CostType


class SubcontractorInvoice(SyncState, Timestamped, Base):
    __tablename__ = "subcontractor_invoices"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)
    RECORD_TYPE = RecordType.SUBCONTRACTOR_INVOICE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    billing_period_start: Mapped[dt.date] = mapped_column(Date, nullable=False)
    billing_period_end: Mapped[dt.date] = mapped_column(Date, nullable=False)
    billing_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(InvoiceStatus, native_enum=False, length=24), nullable=False, default=InvoiceStatus.DRAFT
    )

    commitment: Mapped[Commitment] = relationship()
    lines: Mapped[list[SubcontractorInvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="SubcontractorInvoiceLine.id"
    )


class SubcontractorInvoiceLine(Base):
    __tablename__ = "subcontractor_invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("subcontractor_invoices.id", ondelete="CASCADE"), nullable=False, index=True
    )
    commitment_line_id: Mapped[int | None] = mapped_column(ForeignKey("commitment_lines.id"))
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    work_completed_this_period: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    materials_presently_stored: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    # retainage held on this line for this period
    retainage: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)

    invoice: Mapped[SubcontractorInvoice] = relationship(back_populates="lines")
    commitment_line: Mapped[CommitmentLine | None] = relationship()
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()

    @property
    def amount(self) -> Decimal:
        """Sage 100 AP distribution Amount: work completed this period + materials presently stored."""
        return (self.work_completed_this_period or ZERO) + (self.materials_presently_stored or ZERO)


# --- totals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceTotals:
    work_completed: Decimal
    materials_stored: Decimal
    amount: Decimal
    retainage: Decimal
    net_amount: Decimal


def invoice_totals(lines: Iterable[SubcontractorInvoiceLine]) -> InvoiceTotals:
    """Amount = work completed + materials stored; net = amount - retainage held."""
    lines = list(lines)
    work = sum((line.work_completed_this_period for line in lines), ZERO)
    stored = sum((line.materials_presently_stored for line in lines), ZERO)
    retainage = sum((line.retainage for line in lines), ZERO)
    return InvoiceTotals(
        work_completed=work,
        materials_stored=stored,
        amount=work + stored,
        retainage=retainage,
        net_amount=work + stored - retainage,
    )


# --- domain rules --------------------------------------------------------------------------------

INVOICE_TRANSITIONS: dict[InvoiceStatus, tuple[InvoiceStatus, ...]] = {
    InvoiceStatus.DRAFT: (InvoiceStatus.UNDER_REVIEW,),
    InvoiceStatus.UNDER_REVIEW: (InvoiceStatus.APPROVED, InvoiceStatus.REVISE_AND_RESUBMIT),
    InvoiceStatus.REVISE_AND_RESUBMIT: (InvoiceStatus.UNDER_REVIEW,),
    InvoiceStatus.APPROVED: (InvoiceStatus.PAID,),
    InvoiceStatus.PAID: (),
}

BILLABLE = (CommitmentStatus.APPROVED, CommitmentStatus.COMPLETE)


def _check_invoice_number_free(
    session: Session, commitment_id: int, number: str, exclude_id: int | None
) -> None:
    stmt = select(SubcontractorInvoice.id).where(
        SubcontractorInvoice.commitment_id == commitment_id,
        func.lower(SubcontractorInvoice.number) == number.lower(),
    )
    if exclude_id is not None:
        stmt = stmt.where(SubcontractorInvoice.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_INVOICE_NUMBER,
            f"Invoice number {number} is already used on this commitment",
            "number",
        )


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise DomainError(
            ErrorCode.INVALID_DATE_RANGE, "The billing period ends before it starts", "billingPeriodEnd"
        )


def _build_invoice_lines(
    session: Session, commitment: Commitment, lines: list[dict[str, Any]]
) -> list[SubcontractorInvoiceLine]:
    """Lines tied to a commitment line take its sub job, cost code and cost type unless given."""
    scope = ProjectScope(session, commitment.project_id)
    own_lines = {line.id: line for line in commitment.lines}
    rows = []
    for index, values in enumerate(lines):
        where = f"lines[{index}]."
        source = None
        if values.get("commitment_line_id") is not None:
            source = own_lines.get(values["commitment_line_id"])
            if source is None:
                code = (
                    ErrorCode.LINE_NOT_IN_RECORD
                    if session.get(CommitmentLine, values["commitment_line_id"]) is not None
                    else ErrorCode.NOT_FOUND
                )
                raise DomainError(
                    code, "Commitment line not found on this commitment", where + "commitmentLineId"
                )

        def pick(key: str, _source: CommitmentLine | None = source, _values: dict[str, Any] = values) -> Any:
            if _values.get(key) is not None:
                return _values[key]
            return getattr(_source, key) if _source is not None else None

        rows.append(
            SubcontractorInvoiceLine(
                commitment_line_id=source.id if source is not None else None,
                sub_job_id=scope.sub_job(pick("sub_job_id"), where + "subJobId"),
                cost_code_id=scope.cost_code(pick("cost_code_id"), where + "costCodeId"),
                cost_type_id=scope.cost_type(pick("cost_type_id"), where + "costTypeId"),
                description=clean_text(
                    values.get("description") or (source.description if source is not None else ""),
                    where + "description",
                ),
                work_completed_this_period=parse_money(
                    values.get("work_completed_this_period"), where + "workCompletedThisPeriod"
                ),
                materials_presently_stored=parse_money(
                    values.get("materials_presently_stored"), where + "materialsPresentlyStored"
                ),
                retainage=parse_money(values.get("retainage"), where + "retainage"),
            )
        )
    return rows


def create_subcontractor_invoice(
    session: Session,
    actor: Actor,
    commitment: Commitment,
    *,
    number: str,
    billing_period_start: dt.date,
    billing_period_end: dt.date,
    billing_date: dt.date,
    lines: list[dict[str, Any]] | None = None,
) -> SubcontractorInvoice:
    """A DRAFT pay application against an approved subcontract."""
    require(actor, editing(Tool.INVOICES), "Creating a subcontractor invoice")
    if commitment.kind != CommitmentKind.SUBCONTRACT:
        raise DomainError(
            ErrorCode.NOT_A_SUBCONTRACT,
            "Subcontractor invoices bill against subcontracts only",
            "commitmentId",
        )
    if commitment.status not in BILLABLE:
        raise DomainError(
            ErrorCode.COMMITMENT_NOT_APPROVED,
            f"The subcontract is {commitment.status.value}; invoices bill against approved subcontracts",
            "commitmentId",
        )
    number = clean_text(number, "number", required=True, max_len=32)
    _check_invoice_number_free(session, commitment.id, number, None)
    _check_period(billing_period_start, billing_period_end)
    invoice = SubcontractorInvoice(
        commitment_id=commitment.id,
        number=number,
        billing_period_start=billing_period_start,
        billing_period_end=billing_period_end,
        billing_date=billing_date,
        status=InvoiceStatus.DRAFT,
    )
    invoice.lines = _build_invoice_lines(session, commitment, lines or [])
    session.add(invoice)
    session.flush()
    return invoice


def update_subcontractor_invoice(
    session: Session, actor: Actor, invoice: SubcontractorInvoice, **values: Any
) -> SubcontractorInvoice:
    """Apply the fields given in ``values`` (none of them can be cleared); ``lines``, when given,
    replace the lines as a whole."""
    require(actor, editing(Tool.INVOICES), "Editing a subcontractor invoice")
    ensure_editable(invoice, "subcontractor invoice")
    if given(values, "number", clearable=False):
        number = clean_text(values["number"], "number", required=True, max_len=32)
        _check_invoice_number_free(session, invoice.commitment_id, number, invoice.id)
        invoice.number = number
    for field, camel in (
        ("billing_period_start", "billingPeriodStart"),
        ("billing_period_end", "billingPeriodEnd"),
        ("billing_date", "billingDate"),
    ):
        if given(values, field, camel, clearable=False):
            setattr(invoice, field, values[field])
    _check_period(invoice.billing_period_start, invoice.billing_period_end)
    if given(values, "lines", clearable=False):
        invoice.lines = _build_invoice_lines(session, invoice.commitment, values["lines"])
    session.flush()
    return invoice


def change_subcontractor_invoice_status(
    session: Session, actor: Actor, invoice: SubcontractorInvoice, status: InvoiceStatus
) -> SubcontractorInvoice:
    require(actor, editing(Tool.INVOICES), "Changing an invoice's status")
    ensure_not_in_flight(invoice, "subcontractor invoice")
    status = InvoiceStatus(status)
    check_transition(INVOICE_TRANSITIONS, invoice.status, status, "subcontractor invoice")
    invoice.status = status
    session.flush()
    return invoice
