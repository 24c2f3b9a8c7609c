"""Commitments (subcontracts and purchase orders) with their lines, and commitment change orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import ZERO, Base, Money, Quantity, Timestamped
from models.directory import Vendor
from models.enums import ChangeOrderStatus, CommitmentKind, CommitmentStatus, RecordType
from models.projects import Project, SubJob
from models.sync import SyncState
from models.wbs import CostCode, CostType


class Commitment(SyncState, Timestamped, Base):
    __tablename__ = "commitments"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    RECORD_TYPE = RecordType.COMMITMENT

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[CommitmentKind] = mapped_column(
        Enum(CommitmentKind, native_enum=False, length=20), nullable=False
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    status: Mapped[CommitmentStatus] = mapped_column(
        Enum(CommitmentStatus, native_enum=False, length=20), nullable=False, default=CommitmentStatus.DRAFT
    )
    retainage_percent: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    contract_date: Mapped[dt.date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship()
    vendor: Mapped[Vendor | None] = relationship()
    lines: Mapped[list[CommitmentLine]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan", order_by="CommitmentLine.line_number"
    )
    change_orders: Mapped[list[CommitmentChangeOrder]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan", order_by="CommitmentChangeOrder.id"
    )


class CommitmentLine(Base):
    __tablename__ = "commitment_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    line_number: Mapped[int] = mapped_column(Integer, nullable=False)
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal | None] = mapped_column(Quantity)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)

    commitment: Mapped[Commitment] = relationship(back_populates="lines")
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()


class CommitmentChangeOrder(SyncState, Timestamped, Base):
    __tablename__ = "commitment_change_orders"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)
    RECORD_TYPE = RecordType.COMMITMENT_CHANGE_ORDER

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[ChangeOrderStatus] = mapped_column(
        Enum(ChangeOrderStatus, native_enum=False, length=20), nullable=False, default=ChangeOrderStatus.DRAFT
    )
    change_date: Mapped[dt.date | None] = mapped_column(Date)

    commitment: Mapped[Commitment] = relationship(back_populates="change_orders")
    lines: Mapped[list[CommitmentChangeOrderLine]] = relationship(
        back_populates="change_order", cascade="all, delete-orphan", order_by="CommitmentChangeOrderLine.id"
    )


class CommitmentChangeOrderLine(Base):
    __tablename__ = "commitment_change_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_order_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_change_orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal | None] = mapped_column(Quantity)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)

    change_order: Mapped[CommitmentChangeOrder] = relationship(back_populates="lines")
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()
