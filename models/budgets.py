"""Budgets: one per project, its lines (sub job x cost code x cost type) and modifications that
move money between lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from models.base import ZERO, Base, Money, Quantity, Timestamped
from models.company import CompanySettings, get_settings
from models.enums import ErpSystem, Origin, RecordType, SyncStatus, Tool
from models.erp import ERP_NAMES
from models.errors import DomainError, ErrorCode
from models.inputs import clean_text, given, parse_money, parse_quantity
from models.policy import Actor, administering, editing, require
from models.projects import Project, ProjectScope, SubJob
from models.sync import SyncState, ensure_editable
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
    """Moves ``amount`` from one budget line to another (usually a zero net effect). Its number
    (the budget change order #, "1", "2", ... per budget unless given) is what the ERP export
    carries, so an accountant can match each change order in the ERP to it."""

    __tablename__ = "budget_modifications"
    __table_args__ = (UniqueConstraint("budget_id", "number"),)
    RECORD_TYPE = RecordType.BUDGET_MODIFICATION

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    from_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), nullable=False)
    to_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    budget: Mapped[Budget] = relationship(back_populates="modifications")
    from_line: Mapped[BudgetLine] = relationship(foreign_keys=[from_line_id])
    to_line: Mapped[BudgetLine] = relationship(foreign_keys=[to_line_id])


def next_modification_number(connection: Connection, budget_id: int, taken: Iterable[str] = ()) -> str:
    """The budget's next change order number: one more than its highest numeric number (in the
    database or in ``taken``)."""
    numbers = connection.scalars(
        select(BudgetModification.number).where(BudgetModification.budget_id == budget_id)
    ).all()
    return str(max((int(n) for n in (*numbers, *taken) if n.isdigit() and len(n) < 10), default=0) + 1)


@event.listens_for(BudgetModification, "before_insert")
def _number_modification(_mapper: Any, connection: Connection, target: BudgetModification) -> None:
    """Rows made without a number (set-up code, the demo) get the next one; rows inserted in the same
    flush count too."""
    if target.number:
        return
    budget_id = target.budget_id if target.budget_id is not None else target.budget.id
    session = object_session(target)
    pending = [
        row.number
        for row in (session.new if session is not None else ())
        if isinstance(row, BudgetModification)
        and row is not target
        and row.number
        and (row.budget_id if row.budget_id is not None else row.budget.id) == budget_id
    ]
    target.number = next_modification_number(connection, budget_id, pending)


# --- totals --------------------------------------------------------------------------------------


def line_modification_nets(modifications: Iterable[BudgetModification]) -> dict[int, Decimal]:
    """Net modification per budget line: + what moved to it, - what moved from it."""
    nets: dict[int, Decimal] = {}
    for mod in modifications:
        nets[mod.to_line_id] = nets.get(mod.to_line_id, ZERO) + mod.amount
        nets[mod.from_line_id] = nets.get(mod.from_line_id, ZERO) - mod.amount
    return nets


@dataclass(frozen=True)
class BudgetTotals:
    original: Decimal
    modifications: Decimal
    revised: Decimal


def budget_totals(lines: Iterable[BudgetLine], modifications: Iterable[BudgetModification]) -> BudgetTotals:
    nets = line_modification_nets(modifications)
    lines = list(lines)
    original = sum((line.original_amount for line in lines), ZERO)
    net = sum((nets.get(line.id, ZERO) for line in lines), ZERO)
    return BudgetTotals(original=original, modifications=net, revised=original + net)


# --- domain rules --------------------------------------------------------------------------------

SENDING = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)


def budget_for_project(session: Session, project: Project) -> Budget:
    """The project's budget (created empty and unlocked if the project has none yet)."""
    budget = session.scalar(select(Budget).where(Budget.project_id == project.id))
    if budget is None:
        budget = Budget(project_id=project.id)
        session.add(budget)
        session.flush()
    return budget


@dataclass(frozen=True)
class BudgetOwner:
    """Why the ERP owns a budget: what to tell the user and what to do instead."""

    message: str
    fix: str


def budget_owned_by_erp(budget: Budget, settings: CompanySettings) -> BudgetOwner | None:
    """The ERP owns the budget when it came from the ERP, or when the company uses Sage 100
    Contractor phases (budgets are then created in Sage 100 and synced in): CostBridge neither
    changes its amounts nor sends it back. None when CostBridge owns it."""
    system = ErpSystem(settings.erp_system)
    erp = ERP_NAMES[system]
    if system == ErpSystem.SAGE_100_CONTRACTOR and settings.uses_phases:
        return BudgetOwner(
            "With Sage 100 Contractor phases, budgets are created in Sage 100 Contractor and synced to "
            "CostBridge",
            "Make budget changes in Sage 100 Contractor; they come into CostBridge with the next sync.",
        )
    if budget.origin == Origin.ERP:
        return BudgetOwner(
            f"This budget was created in {erp}; updates are managed there",
            f"Make the change in {erp}; it comes into CostBridge with the next sync.",
        )
    return None


def budget_lines_problem(budget: Budget, settings: CompanySettings) -> DomainError | None:
    """Why the budget's lines cannot change now (the ERP owns it; it is with the ERP; it is
    locked), or None. The one rule the line mutations and the budget file import both apply."""
    owner = budget_owned_by_erp(budget, settings)
    if owner is not None:
        return DomainError(ErrorCode.BUDGET_OWNED_BY_ERP, f"{owner.message}. {owner.fix}")
    if budget.is_locked_by_sync:
        return DomainError(
            ErrorCode.RECORD_LOCKED_BY_SYNC,
            f"This budget is {budget.sync_status.value} with the ERP and is read-only; retrieve it "
            "(before a decision) or unlink it first",
        )
    if budget.locked:
        return DomainError(ErrorCode.BUDGET_LOCKED, "The budget is locked; unlock it to change its lines")
    return None


def ensure_budget_lines_editable(session: Session, budget: Budget) -> None:
    problem = budget_lines_problem(budget, get_settings(session))
    if problem is not None:
        raise problem


def _check_line_free(
    session: Session, budget_id: int, key: tuple[int, int, int], exclude_id: int | None
) -> None:
    sub_job_key, cost_code_id, cost_type_id = key
    stmt = select(BudgetLine.id).where(
        BudgetLine.budget_id == budget_id,
        BudgetLine.sub_job_key == sub_job_key,
        BudgetLine.cost_code_id == cost_code_id,
        BudgetLine.cost_type_id == cost_type_id,
    )
    if exclude_id is not None:
        stmt = stmt.where(BudgetLine.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_BUDGET_LINE,
            "The budget already has a line for this sub job, cost code and cost type",
            "costCodeId",
        )


def add_budget_line(
    session: Session,
    actor: Actor,
    budget: Budget,
    *,
    cost_code_id: int | None,
    cost_type_id: int | None,
    sub_job_id: int | None = None,
    description: str | None = None,
    original_amount: Decimal | str | None = None,
    quantity: Decimal | str | None = None,
    unit_of_measure: str | None = None,
    unit_cost: Decimal | str | None = None,
) -> BudgetLine:
    require(actor, editing(Tool.BUDGET), "Adding a budget line")
    ensure_budget_lines_editable(session, budget)
    scope = ProjectScope(session, budget.project_id)
    sub_job_id = scope.sub_job(sub_job_id, "subJobId")
    cost_code_id = scope.cost_code(cost_code_id, "costCodeId")
    cost_type_id = scope.cost_type(cost_type_id, "costTypeId")
    line = BudgetLine(
        budget_id=budget.id,
        sub_job_id=sub_job_id,
        sub_job_key=sub_job_id or 0,
        cost_code_id=cost_code_id,
        cost_type_id=cost_type_id,
        description=clean_text(description, "description"),
        original_amount=parse_money(original_amount, "originalAmount"),
        quantity=parse_quantity(quantity, "quantity"),
        unit_of_measure=clean_text(unit_of_measure, "unitOfMeasure", max_len=20) or None,
        unit_cost=parse_quantity(unit_cost, "unitCost", code=ErrorCode.INVALID_AMOUNT),
    )
    _check_line_free(session, budget.id, (line.sub_job_key, cost_code_id, cost_type_id), None)
    session.add(line)
    session.flush()
    return line


def update_budget_line(session: Session, actor: Actor, line: BudgetLine, **values: Any) -> BudgetLine:
    """Apply the fields given in ``values`` while the budget's lines may change (None clears the
    sub job, description, quantity, unit of measure and unit cost)."""
    require(actor, editing(Tool.BUDGET), "Editing a budget line")
    budget = line.budget
    ensure_budget_lines_editable(session, budget)
    scope = ProjectScope(session, budget.project_id)
    # validate every reference and the new key before touching the row, so a clash is reported as
    # DUPLICATE_BUDGET_LINE rather than surfacing from an autoflush
    sub_job_id = line.sub_job_id
    if given(values, "sub_job_id"):
        sub_job_id = scope.sub_job(values["sub_job_id"], "subJobId")
    cost_code_id = line.cost_code_id
    if given(values, "cost_code_id", "costCodeId", clearable=False):
        cost_code_id = scope.cost_code(values["cost_code_id"], "costCodeId")
    cost_type_id = line.cost_type_id
    if given(values, "cost_type_id", "costTypeId", clearable=False):
        cost_type_id = scope.cost_type(values["cost_type_id"], "costTypeId")
    _check_line_free(session, budget.id, (sub_job_id or 0, cost_code_id, cost_type_id), line.id)
    line.sub_job_id, line.sub_job_key = sub_job_id, sub_job_id or 0
    line.cost_code_id, line.cost_type_id = cost_code_id, cost_type_id
    if given(values, "description"):
        line.description = clean_text(values["description"], "description")
    if given(values, "original_amount", "originalAmount", clearable=False):
        line.original_amount = parse_money(values["original_amount"], "originalAmount", required=True)
    if given(values, "quantity"):
        line.quantity = parse_quantity(values["quantity"], "quantity")
    if given(values, "unit_of_measure"):
        line.unit_of_measure = clean_text(values["unit_of_measure"], "unitOfMeasure", max_len=20) or None
    if given(values, "unit_cost"):
        line.unit_cost = parse_quantity(values["unit_cost"], "unitCost", code=ErrorCode.INVALID_AMOUNT)
    session.flush()
    return line


def delete_budget_line(session: Session, actor: Actor, line: BudgetLine) -> None:
    require(actor, editing(Tool.BUDGET), "Deleting a budget line")
    ensure_budget_lines_editable(session, line.budget)
    used = session.scalar(
        select(BudgetModification.id)
        .where(or_(BudgetModification.from_line_id == line.id, BudgetModification.to_line_id == line.id))
        .limit(1)
    )
    if used is not None:
        raise DomainError(
            ErrorCode.LINE_IN_USE, "Budget modifications move money on this line; it cannot be deleted"
        )
    session.delete(line)
    session.flush()


def lock_budget(session: Session, actor: Actor, budget: Budget) -> Budget:
    """Lock the budget (it must be locked before it is sent to the ERP). Locking twice is harmless."""
    require(actor, administering(Tool.BUDGET), "Locking a budget")
    budget.locked = True
    session.flush()
    return budget


def unlock_budget(session: Session, actor: Actor, budget: Budget) -> Budget:
    require(actor, administering(Tool.BUDGET), "Unlocking a budget")
    ensure_editable(budget, "budget")
    budget.locked = False
    session.flush()
    return budget


def create_budget_modification(
    session: Session,
    actor: Actor,
    budget: Budget,
    *,
    from_line_id: int,
    to_line_id: int,
    amount: Decimal | str,
    notes: str | None = None,
    number: str | None = None,
) -> BudgetModification:
    """Move ``amount`` from one line of a locked budget to another (as after a Procore lock).
    ``number`` is the budget change order # (unique on the budget; the next one when not given)."""
    require(actor, editing(Tool.BUDGET), "Creating a budget modification")
    owner = budget_owned_by_erp(budget, get_settings(session))
    if owner is not None:
        raise DomainError(ErrorCode.BUDGET_OWNED_BY_ERP, f"{owner.message}. {owner.fix}")
    if budget.sync_status in SENDING:
        raise DomainError(
            ErrorCode.RECORD_LOCKED_BY_SYNC,
            f"The budget is {budget.sync_status.value}; wait for the ERP or retrieve it first",
        )
    if not budget.locked:
        raise DomainError(
            ErrorCode.BUDGET_NOT_LOCKED, "Budget modifications are made on a locked budget; lock it first"
        )
    lines = {}
    for field, pk in (("fromLineId", from_line_id), ("toLineId", to_line_id)):
        line = session.get(BudgetLine, pk)
        if line is None:
            raise DomainError(ErrorCode.NOT_FOUND, "Budget line not found", field)
        if line.budget_id != budget.id:
            raise DomainError(ErrorCode.LINE_NOT_IN_RECORD, "This line belongs to another budget", field)
        lines[field] = line
    if from_line_id == to_line_id:
        raise DomainError(ErrorCode.INVALID_VALUE, "Money must move between two different lines", "toLineId")
    value = parse_money(amount, "amount", required=True)
    if value == ZERO:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The amount to move must be more than zero", "amount")
    given = clean_text(number, "number", max_len=32)
    if given and session.scalar(
        select(BudgetModification.id).where(
            BudgetModification.budget_id == budget.id, func.lower(BudgetModification.number) == given.lower()
        )
    ):
        raise DomainError(
            ErrorCode.DUPLICATE_CHANGE_ORDER_NUMBER,
            f"Budget change order number {given} is already used on this budget",
            "number",
        )
    mod = BudgetModification(
        budget_id=budget.id,
        number=given or next_modification_number(session.connection(), budget.id),
        from_line_id=from_line_id,
        to_line_id=to_line_id,
        amount=value,
        notes=clean_text(notes, "notes", max_len=2000),
    )
    session.add(mod)
    session.flush()
    return mod
