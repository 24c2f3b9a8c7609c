"""Prime contracts (the owner's contract of a project, kept in Sage 300 CRE's Contracts module) with
their items by cost code and category, and prime contract change orders (PCCOs).

A prime contract always comes from the ERP (``models.prime_contract_inbound``): it is born SYNCED
with the ERP's contract ID as its key, several may belong to one project, and one never belongs to
several projects. PCCOs are made in CostBridge on a synced prime contract and go to the ERP through
the accounting acceptance workflow, like commitment change orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import ZERO, Base, Money, Quantity, Timestamped
from models.commitments import CHANGE_ORDER_TRANSITIONS, build_lines, ensure_not_in_flight
from models.enums import ChangeOrderStatus, RecordType, SyncStatus, Tool
from models.errors import DomainError, ErrorCode
from models.inputs import check_transition, clean_text, given
from models.policy import Actor, editing, require
from models.projects import Project, SubJob
from models.sync import SyncState, ensure_editable
from models.wbs import CostCode, CostType


class PrimeContract(SyncState, Timestamped, Base):
    """An owner contract from Sage 300 CRE Contracts (CN). ``number`` is the ERP's contract ID, unique
    across the company: a contract belongs to exactly one project."""

    __tablename__ = "prime_contracts"
    RECORD_TYPE = RecordType.PRIME_CONTRACT

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    customer: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    contract_date: Mapped[dt.date | None] = mapped_column(Date)
    retainage_percent: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)

    project: Mapped[Project] = relationship()
    lines: Mapped[list[PrimeContractLine]] = relationship(
        back_populates="prime_contract", cascade="all, delete-orphan", order_by="PrimeContractLine.id"
    )
    change_orders: Mapped[list[PrimeContractChangeOrder]] = relationship(
        back_populates="prime_contract", cascade="all, delete-orphan", order_by="PrimeContractChangeOrder.id"
    )


class PrimeContractLine(Base):
    """One contract item: what the owner pays for, distributed to a sub job, cost code and category."""

    __tablename__ = "prime_contract_lines"
    __table_args__ = (UniqueConstraint("prime_contract_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prime_contract_id: Mapped[int] = mapped_column(
        ForeignKey("prime_contracts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    item: Mapped[str] = mapped_column(String(32), nullable=False)
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)

    prime_contract: Mapped[PrimeContract] = relationship(back_populates="lines")
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()


class PrimeContractChangeOrder(SyncState, Timestamped, Base):
    __tablename__ = "prime_contract_change_orders"
    __table_args__ = (UniqueConstraint("prime_contract_id", "number"),)
    RECORD_TYPE = RecordType.PRIME_CONTRACT_CHANGE_ORDER

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prime_contract_id: Mapped[int] = mapped_column(
        ForeignKey("prime_contracts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[ChangeOrderStatus] = mapped_column(
        Enum(ChangeOrderStatus, native_enum=False, length=20), nullable=False, default=ChangeOrderStatus.DRAFT
    )
    change_date: Mapped[dt.date | None] = mapped_column(Date)

    prime_contract: Mapped[PrimeContract] = relationship(back_populates="change_orders")
    lines: Mapped[list[PrimeContractChangeOrderLine]] = relationship(
        back_populates="change_order",
        cascade="all, delete-orphan",
        order_by="PrimeContractChangeOrderLine.id",
    )


class PrimeContractChangeOrderLine(Base):
    __tablename__ = "prime_contract_change_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_order_id: Mapped[int] = mapped_column(
        ForeignKey("prime_contract_change_orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sub_job_id: Mapped[int | None] = mapped_column(ForeignKey("sub_jobs.id"))
    cost_code_id: Mapped[int] = mapped_column(ForeignKey("cost_codes.id"), nullable=False)
    cost_type_id: Mapped[int] = mapped_column(ForeignKey("cost_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal | None] = mapped_column(Quantity)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)

    change_order: Mapped[PrimeContractChangeOrder] = relationship(back_populates="lines")
    sub_job: Mapped[SubJob | None] = relationship()
    cost_code: Mapped[CostCode] = relationship()
    cost_type: Mapped[CostType] = relationship()


# --- totals --------------------------------------------------------------------------------------


def lines_total(lines: Iterable[PrimeContractLine] | Iterable[PrimeContractChangeOrderLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


@dataclass(frozen=True)
class PrimeContractTotals:
    original: Decimal
    approved_change_orders: Decimal
    pending_change_orders: Decimal
    revised: Decimal


def prime_contract_totals(
    lines: Iterable[PrimeContractLine], change_orders: Iterable[tuple[ChangeOrderStatus, Decimal]]
) -> PrimeContractTotals:
    """Original = sum of the items; revised = original + APPROVED change orders (PENDING apart)."""
    original = lines_total(lines)
    approved = pending = ZERO
    for status, total in change_orders:
        if status == ChangeOrderStatus.APPROVED:
            approved += total
        elif status == ChangeOrderStatus.PENDING:
            pending += total
    return PrimeContractTotals(original, approved, pending, original + approved)


# --- change orders -------------------------------------------------------------------------------


def _check_number_free(session: Session, contract_id: int, number: str, exclude_id: int | None) -> None:
    stmt = select(PrimeContractChangeOrder.id).where(
        PrimeContractChangeOrder.prime_contract_id == contract_id,
        func.lower(PrimeContractChangeOrder.number) == number.lower(),
    )
    if exclude_id is not None:
        stmt = stmt.where(PrimeContractChangeOrder.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_CHANGE_ORDER_NUMBER,
            f"Change order number {number} is already used on this prime contract",
            "number",
        )


def create_prime_contract_change_order(
    session: Session,
    actor: Actor,
    contract: PrimeContract,
    *,
    number: str,
    title: str | None = None,
    description: str | None = None,
    change_date: dt.date | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> PrimeContractChangeOrder:
    """A DRAFT change order on a prime contract synced with the ERP (lines may be deductive)."""
    require(actor, editing(Tool.PRIME_CONTRACTS), "Creating a prime contract change order")
    if contract.sync_status != SyncStatus.SYNCED:
        raise DomainError(
            ErrorCode.PRIME_CONTRACT_NOT_SYNCED,
            f"Prime contract {contract.number} is {contract.sync_status.value}; change orders are made on "
            "prime contracts synced with the ERP: import the contract from Sage 300 CRE again",
            "primeContractId",
        )
    number = clean_text(number, "number", required=True, max_len=32)
    _check_number_free(session, contract.id, number, None)
    change_order = PrimeContractChangeOrder(
        prime_contract_id=contract.id,
        number=number,
        title=clean_text(title, "title"),
        description=clean_text(description, "description", max_len=10000),
        status=ChangeOrderStatus.DRAFT,
        change_date=change_date,
    )
    change_order.lines = build_lines(
        session, contract.project_id, lines or [], PrimeContractChangeOrderLine, allow_negative=True
    )
    session.add(change_order)
    session.flush()
    return change_order


def update_prime_contract_change_order(
    session: Session, actor: Actor, change_order: PrimeContractChangeOrder, **values: Any
) -> PrimeContractChangeOrder:
    """Apply the fields given in ``values``; ``lines``, when given, replace every line. Refused while
    the change order is with the ERP."""
    require(actor, editing(Tool.PRIME_CONTRACTS), "Editing a prime contract change order")
    ensure_editable(change_order, "prime contract change order")
    contract = change_order.prime_contract
    if given(values, "number", clearable=False):
        number = clean_text(values["number"], "number", required=True, max_len=32)
        _check_number_free(session, contract.id, number, change_order.id)
        change_order.number = number
    if given(values, "title"):
        change_order.title = clean_text(values["title"], "title")
    if given(values, "description"):
        change_order.description = clean_text(values["description"], "description", max_len=10000)
    if given(values, "change_date"):
        change_order.change_date = values["change_date"]
    if given(values, "lines", clearable=False):
        change_order.lines = build_lines(
            session, contract.project_id, values["lines"], PrimeContractChangeOrderLine, allow_negative=True
        )
    session.flush()
    return change_order


def change_prime_contract_change_order_status(
    session: Session, actor: Actor, change_order: PrimeContractChangeOrder, status: ChangeOrderStatus
) -> PrimeContractChangeOrder:
    """DRAFT -> PENDING -> APPROVED / REJECTED (or VOID), as commitment change orders."""
    require(actor, editing(Tool.PRIME_CONTRACTS), "Changing a prime contract change order's status")
    ensure_not_in_flight(change_order, "prime contract change order")
    status = ChangeOrderStatus(status)
    check_transition(CHANGE_ORDER_TRANSITIONS, change_order.status, status, "change order")
    change_order.status = status
    session.flush()
    return change_order
