"""Commitments (subcontracts and purchase orders) with their lines, and commitment change orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import ZERO, Base, Money, Quantity, Timestamped, money
from models.directory import Vendor
from models.enums import (
    ChangeOrderStatus,
    CommitmentKind,
    CommitmentStatus,
    RecordType,
    SyncStatus,
    Tool,
)
from models.errors import DomainError, ErrorCode
from models.inputs import check_transition, clean_text, given, parse_money, parse_percent, parse_quantity
from models.policy import Actor, editing, require
from models.projects import Project, ProjectScope, SubJob
from models.sync import SyncState, ensure_editable
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


# --- totals --------------------------------------------------------------------------------------


def lines_total(lines: Iterable[CommitmentLine] | Iterable[CommitmentChangeOrderLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


@dataclass(frozen=True)
class CommitmentTotals:
    original: Decimal
    approved_change_orders: Decimal
    pending_change_orders: Decimal
    revised: Decimal


def commitment_totals(
    lines: Iterable[CommitmentLine], change_orders: Iterable[tuple[ChangeOrderStatus, Decimal]]
) -> CommitmentTotals:
    """Original = sum of the lines; revised = original + APPROVED change orders (PENDING shown apart)."""
    original = lines_total(lines)
    approved = pending = ZERO
    for status, total in change_orders:
        if status == ChangeOrderStatus.APPROVED:
            approved += total
        elif status == ChangeOrderStatus.PENDING:
            pending += total
    return CommitmentTotals(
        original=original,
        approved_change_orders=approved,
        pending_change_orders=pending,
        revised=original + approved,
    )


# --- domain rules --------------------------------------------------------------------------------

COMMITMENT_TRANSITIONS: dict[CommitmentStatus, tuple[CommitmentStatus, ...]] = {
    CommitmentStatus.DRAFT: (
        CommitmentStatus.OUT_FOR_BID,
        CommitmentStatus.OUT_FOR_SIGNATURE,
        CommitmentStatus.APPROVED,
        CommitmentStatus.VOID,
    ),
    CommitmentStatus.OUT_FOR_BID: (
        CommitmentStatus.DRAFT,
        CommitmentStatus.OUT_FOR_SIGNATURE,
        CommitmentStatus.APPROVED,
        CommitmentStatus.VOID,
    ),
    CommitmentStatus.OUT_FOR_SIGNATURE: (
        CommitmentStatus.DRAFT,
        CommitmentStatus.APPROVED,
        CommitmentStatus.VOID,
    ),
    CommitmentStatus.APPROVED: (CommitmentStatus.COMPLETE, CommitmentStatus.TERMINATED),
    CommitmentStatus.COMPLETE: (),
    CommitmentStatus.TERMINATED: (),
    CommitmentStatus.VOID: (),
}

CHANGE_ORDER_TRANSITIONS: dict[ChangeOrderStatus, tuple[ChangeOrderStatus, ...]] = {
    ChangeOrderStatus.DRAFT: (ChangeOrderStatus.PENDING, ChangeOrderStatus.APPROVED, ChangeOrderStatus.VOID),
    ChangeOrderStatus.PENDING: (
        ChangeOrderStatus.APPROVED,
        ChangeOrderStatus.REJECTED,
        ChangeOrderStatus.DRAFT,
        ChangeOrderStatus.VOID,
    ),
    ChangeOrderStatus.APPROVED: (),
    ChangeOrderStatus.REJECTED: (),
    ChangeOrderStatus.VOID: (),
}

# any line table with sub job, cost code, cost type, description, quantity, unit cost and amount
L = TypeVar("L", bound=Base)

IN_FLIGHT = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)


def ensure_not_in_flight(record: SyncState, what: str) -> None:
    """Status changes wait while the record is being sent; a synced record may still move on
    (an approved, synced subcontract is later completed or terminated)."""
    if record.sync_status in IN_FLIGHT:
        raise DomainError(
            ErrorCode.RECORD_LOCKED_BY_SYNC,
            f"This {what} is {record.sync_status.value} with the ERP; wait for the decision or retrieve it",
        )


def build_lines(
    session: Session,
    project_id: int,
    lines: list[dict[str, Any]],
    line_cls: type[L],
    *,
    allow_negative: bool,
) -> list[L]:
    """Validate line inputs (sub job, cost code in the project, cost type, amounts) into rows.

    The amount is quantity x unit cost when both are given and the amount is not.
    """
    scope = ProjectScope(session, project_id)
    rows = []
    for index, values in enumerate(lines):
        where = f"lines[{index}]."
        quantity = parse_quantity(values.get("quantity"), where + "quantity", allow_negative=allow_negative)
        unit_cost = parse_quantity(values.get("unit_cost"), where + "unitCost", code=ErrorCode.INVALID_AMOUNT)
        if values.get("amount") is None and quantity is not None and unit_cost is not None:
            amount = money(quantity * unit_cost)
            parse_money(amount, where + "amount", allow_negative=allow_negative)
        else:
            amount = parse_money(values.get("amount"), where + "amount", allow_negative=allow_negative)
        rows.append(
            line_cls(
                sub_job_id=scope.sub_job(values.get("sub_job_id"), where + "subJobId"),
                cost_code_id=scope.cost_code(values.get("cost_code_id"), where + "costCodeId"),
                cost_type_id=scope.cost_type(values.get("cost_type_id"), where + "costTypeId"),
                description=clean_text(values.get("description"), where + "description"),
                quantity=quantity,
                unit_cost=unit_cost,
                amount=amount,
            )
        )
    return rows


def _check_commitment_number_free(
    session: Session, project_id: int, number: str, exclude_id: int | None
) -> None:
    stmt = select(Commitment.id).where(
        Commitment.project_id == project_id, func.lower(Commitment.number) == number.lower()
    )
    if exclude_id is not None:
        stmt = stmt.where(Commitment.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_COMMITMENT_NUMBER,
            f"Commitment number {number} is already used on this project",
            "number",
        )


def _vendor_id(session: Session, vendor_id: int | None) -> int | None:
    if vendor_id is not None and session.get(Vendor, vendor_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Vendor not found", "vendorId")
    return vendor_id


def _set_commitment_lines(commitment: Commitment, rows: list[CommitmentLine]) -> None:
    for number, row in enumerate(rows, start=1):
        row.line_number = number
    commitment.lines = rows


def create_commitment(
    session: Session,
    actor: Actor,
    project: Project,
    *,
    kind: CommitmentKind,
    number: str,
    title: str | None = None,
    description: str | None = None,
    vendor_id: int | None = None,
    retainage_percent: Decimal | str | None = None,
    contract_date: dt.date | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> Commitment:
    """Create a DRAFT subcontract or purchase order with its lines."""
    require(actor, editing(Tool.COMMITMENTS), "Creating a commitment")
    number = clean_text(number, "number", required=True, max_len=32)
    _check_commitment_number_free(session, project.id, number, None)
    commitment = Commitment(
        project_id=project.id,
        kind=CommitmentKind(kind),
        number=number,
        title=clean_text(title, "title"),
        description=clean_text(description, "description", max_len=10000),
        vendor_id=_vendor_id(session, vendor_id),
        status=CommitmentStatus.DRAFT,
        retainage_percent=parse_percent(retainage_percent, "retainagePercent"),
        contract_date=contract_date,
    )
    _set_commitment_lines(
        commitment, build_lines(session, project.id, lines or [], CommitmentLine, allow_negative=False)
    )
    session.add(commitment)
    session.flush()
    return commitment


def update_commitment(session: Session, actor: Actor, commitment: Commitment, **values: Any) -> Commitment:
    """Apply the fields given in ``values`` (None clears the vendor, the contract date, the title
    and description; retainage to 0); ``lines``, when given, replace the lines as a whole."""
    require(actor, editing(Tool.COMMITMENTS), "Editing a commitment")
    ensure_editable(commitment)
    if given(values, "number", clearable=False):
        number = clean_text(values["number"], "number", required=True, max_len=32)
        _check_commitment_number_free(session, commitment.project_id, number, commitment.id)
        commitment.number = number
    if given(values, "kind", clearable=False):
        commitment.kind = CommitmentKind(values["kind"])
    if given(values, "title"):
        commitment.title = clean_text(values["title"], "title")
    if given(values, "description"):
        commitment.description = clean_text(values["description"], "description", max_len=10000)
    if given(values, "vendor_id"):
        commitment.vendor_id = _vendor_id(session, values["vendor_id"])
    if given(values, "retainage_percent"):
        commitment.retainage_percent = parse_percent(values["retainage_percent"], "retainagePercent")
    if given(values, "contract_date"):
        commitment.contract_date = values["contract_date"]
    if given(values, "lines", clearable=False):
        rows = build_lines(
            session, commitment.project_id, values["lines"], CommitmentLine, allow_negative=False
        )
        _refuse_if_invoiced(session, commitment)
        _set_commitment_lines(commitment, rows)
    session.flush()
    return commitment


def _refuse_if_invoiced(session: Session, commitment: Commitment) -> None:
    from models.invoices import SubcontractorInvoiceLine

    used = session.scalar(
        select(SubcontractorInvoiceLine.id)
        .join(CommitmentLine, CommitmentLine.id == SubcontractorInvoiceLine.commitment_line_id)
        .where(CommitmentLine.commitment_id == commitment.id)
        .limit(1)
    )
    if used is not None:
        raise DomainError(
            ErrorCode.LINE_IN_USE,
            "Subcontractor invoices bill against these lines; they cannot be replaced",
            "lines",
        )


def change_commitment_status(
    session: Session, actor: Actor, commitment: Commitment, status: CommitmentStatus
) -> Commitment:
    require(actor, editing(Tool.COMMITMENTS), "Changing a commitment's status")
    ensure_not_in_flight(commitment, "commitment")
    status = CommitmentStatus(status)
    check_transition(COMMITMENT_TRANSITIONS, commitment.status, status, "commitment")
    commitment.status = status
    session.flush()
    return commitment


def _check_change_order_number_free(
    session: Session, commitment_id: int, number: str, exclude_id: int | None
) -> None:
    stmt = select(CommitmentChangeOrder.id).where(
        CommitmentChangeOrder.commitment_id == commitment_id,
        func.lower(CommitmentChangeOrder.number) == number.lower(),
    )
    if exclude_id is not None:
        stmt = stmt.where(CommitmentChangeOrder.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_CHANGE_ORDER_NUMBER,
            f"Change order number {number} is already used on this commitment",
            "number",
        )


def create_change_order(
    session: Session,
    actor: Actor,
    commitment: Commitment,
    *,
    number: str,
    title: str | None = None,
    description: str | None = None,
    change_date: dt.date | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> CommitmentChangeOrder:
    """A DRAFT change order on a commitment that is synced with the ERP (lines may be deductive)."""
    require(actor, editing(Tool.COMMITMENTS), "Creating a change order")
    if commitment.sync_status != SyncStatus.SYNCED:
        raise DomainError(
            ErrorCode.COMMITMENT_NOT_SYNCED,
            "Change orders can only be created from synced commitments; send the commitment to the ERP first",
            "commitmentId",
        )
    number = clean_text(number, "number", required=True, max_len=32)
    _check_change_order_number_free(session, commitment.id, number, None)
    change_order = CommitmentChangeOrder(
        commitment_id=commitment.id,
        number=number,
        title=clean_text(title, "title"),
        description=clean_text(description, "description", max_len=10000),
        status=ChangeOrderStatus.DRAFT,
        change_date=change_date,
    )
    change_order.lines = build_lines(
        session, commitment.project_id, lines or [], CommitmentChangeOrderLine, allow_negative=True
    )
    session.add(change_order)
    session.flush()
    return change_order


def update_change_order(
    session: Session, actor: Actor, change_order: CommitmentChangeOrder, **values: Any
) -> CommitmentChangeOrder:
    require(actor, editing(Tool.COMMITMENTS), "Editing a change order")
    ensure_editable(change_order, "change order")
    commitment = change_order.commitment
    if given(values, "number", clearable=False):
        number = clean_text(values["number"], "number", required=True, max_len=32)
        _check_change_order_number_free(session, commitment.id, number, change_order.id)
        change_order.number = number
    if given(values, "title"):
        change_order.title = clean_text(values["title"], "title")
    if given(values, "description"):
        change_order.description = clean_text(values["description"], "description", max_len=10000)
    if given(values, "change_date"):
        change_order.change_date = values["change_date"]
    if given(values, "lines", clearable=False):
        change_order.lines = build_lines(
            session, commitment.project_id, values["lines"], CommitmentChangeOrderLine, allow_negative=True
        )
    session.flush()
    return change_order


def change_change_order_status(
    session: Session, actor: Actor, change_order: CommitmentChangeOrder, status: ChangeOrderStatus
) -> CommitmentChangeOrder:
    require(actor, editing(Tool.COMMITMENTS), "Changing a change order's status")
    ensure_not_in_flight(change_order, "change order")
    status = ChangeOrderStatus(status)
    check_transition(CHANGE_ORDER_TRANSITIONS, change_order.status, status, "change order")
    change_order.status = status
    session.flush()
    return change_order
