"""Subcontractor invoices (pay applications against a commitment) with retainage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import ZERO, Base, Money, Timestamped
from models.commitments import Commitment, CommitmentLine
from models.enums import InvoiceStatus, RecordType
from models.projects import SubJob
from models.sync import SyncState
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
