"""Direct costs: job-cost transactions that come in from the ERP (Sage 100 6-3 / 4-2 / 5-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Money, Timestamped, UTCDateTime
from models.directory import Vendor
from models.enums import DirectCostStatus, DirectCostType
from models.projects import Project, SubJob
from models.wbs import CostCode, CostType


class DirectCost(Timestamped, Base):
    __tablename__ = "direct_costs"
    # every read of direct costs narrows by project only (pages, the job-cost report's sums); codes
    # and types in the key would only make each load's index inserts scatter over more pages
    __table_args__ = (Index("ix_direct_costs_project", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    type: Mapped[DirectCostType] = mapped_column(
        Enum(DirectCostType, native_enum=False, length=24), nullable=False
    )
    status: Mapped[DirectCostStatus] = mapped_column(
        Enum(DirectCostStatus, native_enum=False, length=16),
        nullable=False,
        default=DirectCostStatus.APPROVED,
    )
    item_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"))
    invoice_number: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    erp_transaction_id: Mapped[str | None] = mapped_column(String(64))
    # the ERP transaction id, or a content hash when the ERP gives none: re-imports are idempotent
    dedupe_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))

    project: Mapped[Project] = relationship()
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()
    vendor: Mapped[Vendor | None] = relationship()


class UnplacedJobCost(Base):
    """A job-cost row from the ERP that could not be placed (unknown job, sub job, cost code, cost
    type or vendor). Kept with its raw values and the reason, never dropped; placed (turned into a
    DirectCost) by a later import or a mapping fix, after which ``direct_cost_id`` points at it."""

    __tablename__ = "unplaced_job_costs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    sub_job: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    cost_code: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    cost_type: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    item_date: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    vendor: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    invoice_number: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    erp_transaction_id: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # UNKNOWN_JOB, UNKNOWN_SUB_JOB, UNKNOWN_COST_CODE, UNKNOWN_COST_TYPE, UNKNOWN_VENDOR
    reason_code: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    direct_cost_id: Mapped[int | None] = mapped_column(ForeignKey("direct_costs.id", ondelete="SET NULL"))
    placed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
