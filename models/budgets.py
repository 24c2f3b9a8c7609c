"""Budgets: one per project, its lines (sub job x cost code x cost type) and modifications that
move money between lines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import ZERO, Base, Money, Quantity, Timestamped
from models.enums import RecordType
from models.projects import Project, SubJob
from models.sync import SyncState
from models.wbs import CostCode, CostType


class Budget(SyncState, Timestamped, Base):
    __tablename__ = "budgets"
    RECORD_TYPE = RecordType.BUDGET

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    locked: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    project: Mapped[Project] = relationship()
    lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="budget", cascade="all, delete-orphan", order_by="BudgetLine.id"
    )
    modifications: Mapped[list[BudgetModification]] = relationship(
        back_populates="budget", cascade="all, delete-orphan", order_by="BudgetModification.id"
    )


class BudgetLine(Timestamped, Base):
    __tablename__ = "budget_lines"
    # sub_job_key is 0 for "no sub job", so the uniqueness holds on every backend (NULLs are distinct)
    __table_args__ = (UniqueConstraint("budget_id", "sub_job_key", "cost_code_id", "cost_type_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False)
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    sub_job_key: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False, index=True)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    original_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    unit_of_measure: Mapped[str | None] = mapped_column(String(20))
    unit_cost: Mapped[Decimal | None] = mapped_column(Quantity)
    # Sage 300 CRE forecast values (exported only to Sage 300)
    estimated_cost_at_completion: Mapped[Decimal | None] = mapped_column(Money)
    forecast_to_complete: Mapped[Decimal | None] = mapped_column(Money)

    budget: Mapped[Budget] = relationship(back_populates="lines")
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()


class BudgetModification(SyncState, Timestamped, Base):
    """Moves ``amount`` from one budget line to another (usually a zero net effect)."""

    __tablename__ = "budget_modifications"
    RECORD_TYPE = RecordType.BUDGET_MODIFICATION

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False)
    from_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), nullable=False)
    to_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    budget: Mapped[Budget] = relationship(back_populates="modifications")
    from_line: Mapped[BudgetLine] = relationship(foreign_keys=[from_line_id])
    to_line: Mapped[BudgetLine] = relationship(foreign_keys=[to_line_id])
