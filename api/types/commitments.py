"""Commitment (subcontract or purchase order), its lines, change orders and their totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from api.context import Info
from api.dataloaders import commitments as loaders
from api.dataloaders import directory as directory_loaders
from api.dataloaders import projects as project_loaders
from api.permissions import check
from api.relay import Node, register_node, to_global_id
from api.types.audit import Audited
from api.types.directory import Vendor
from api.types.enums import ChangeOrderStatus, CommitmentKind, CommitmentStatus
from api.types.projects import Project, WbsRefs, wbs_refs
from api.types.sync import SyncInfo
from models import commitments as m
from models import registry
from models.enums import RecordType, Tool
from models.policy import reading

COMMITMENT = registry.spec(RecordType.COMMITMENT).type_name
CHANGE_ORDER = registry.spec(RecordType.COMMITMENT_CHANGE_ORDER).type_name


@register_node(m.CommitmentLine, "CommitmentLine", reading(Tool.COMMITMENTS))
@strawberry.type(name="CommitmentLine")
class CommitmentLine(Audited, WbsRefs, Node):
    line_number: int
    description: str
    quantity: Decimal | None
    unit_cost: Decimal | None
    amount: Decimal
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.CommitmentLine) -> CommitmentLine:
        return cls(
            id=to_global_id("CommitmentLine", row.id),
            line_number=row.line_number,
            description=row.description,
            quantity=row.quantity,
            unit_cost=row.unit_cost,
            amount=row.amount,
            _pk=row.id,
            **wbs_refs(row),
        )


@strawberry.type
class CommitmentChangeOrderLine(WbsRefs):
    id: strawberry.ID
    description: str
    quantity: Decimal | None
    unit_cost: Decimal | None
    amount: Decimal

    @classmethod
    def from_row(cls, row: m.CommitmentChangeOrderLine) -> CommitmentChangeOrderLine:
        return cls(
            id=to_global_id("CommitmentChangeOrderLine", row.id),
            description=row.description,
            quantity=row.quantity,
            unit_cost=row.unit_cost,
            amount=row.amount,
            **wbs_refs(row),
        )


def _commitment(info: Info, pk: int) -> Commitment:
    row = info.context.loaders.load(loaders.commitments, pk)
    return Commitment.from_row(row)


@register_node(m.CommitmentChangeOrder, CHANGE_ORDER, reading(Tool.COMMITMENTS))
@strawberry.type(
    name=CHANGE_ORDER, description="A change to a synced commitment; lines may be deductive (negative)."
)
class CommitmentChangeOrder(Audited, Node):
    number: str
    title: str
    description: str
    status: ChangeOrderStatus
    change_date: dt.date | None
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _commitment_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.CommitmentChangeOrder) -> CommitmentChangeOrder:
        return cls(
            id=to_global_id(CHANGE_ORDER, row.id),
            number=row.number,
            title=row.title,
            description=row.description,
            status=row.status,
            change_date=row.change_date,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
            _commitment_id=row.commitment_id,
        )

    @strawberry.field
    def lines(self, info: Info) -> list[CommitmentChangeOrderLine]:
        rows = info.context.loaders.load(loaders.lines_by_change_order, self._pk)
        return [CommitmentChangeOrderLine.from_row(r) for r in rows]

    @strawberry.field(description="Sum of the lines.")
    def total(self, info: Info) -> Decimal:
        rows = info.context.loaders.load(loaders.lines_by_change_order, self._pk)
        return m.lines_total(rows)

    @strawberry.field
    def commitment(self, info: Info) -> Commitment:
        return _commitment(info, self._commitment_id)


@strawberry.type
class CommitmentTotals:
    original_amount: Decimal = strawberry.field(description="Sum of the lines.")
    approved_change_orders_amount: Decimal
    pending_change_orders_amount: Decimal
    revised_amount: Decimal = strawberry.field(description="originalAmount + approvedChangeOrdersAmount.")


@register_node(m.Commitment, COMMITMENT, reading(Tool.COMMITMENTS))
@strawberry.type(name=COMMITMENT, description="A subcontract or purchase order.")
class Commitment(Audited, Node):
    kind: CommitmentKind
    number: str
    title: str
    description: str
    status: CommitmentStatus
    retainage_percent: Decimal
    contract_date: dt.date | None
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _project_id: strawberry.Private[int]
    _vendor_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: m.Commitment) -> Commitment:
        return cls(
            id=to_global_id(COMMITMENT, row.id),
            kind=row.kind,
            number=row.number,
            title=row.title,
            description=row.description,
            status=row.status,
            retainage_percent=row.retainage_percent,
            contract_date=row.contract_date,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
            _project_id=row.project_id,
            _vendor_id=row.vendor_id,
        )

    @strawberry.field
    def project(self, info: Info) -> Project | None:
        check(info, reading(Tool.PROJECT_ADMIN), "Reading the project")
        row = info.context.loaders.load(project_loaders.projects, self._project_id)
        return Project.from_row(row)

    @strawberry.field
    def vendor(self, info: Info) -> Vendor | None:
        check(info, reading(Tool.DIRECTORY), "Reading the vendor")
        if self._vendor_id is None:
            return None
        row = info.context.loaders.load(directory_loaders.vendors, self._vendor_id)
        return Vendor.from_row(row) if row else None

    @strawberry.field
    def lines(self, info: Info) -> list[CommitmentLine]:
        rows = info.context.loaders.load(loaders.lines_by_commitment, self._pk)
        return [CommitmentLine.from_row(r) for r in rows]

    @strawberry.field
    def change_orders(self, info: Info) -> list[CommitmentChangeOrder]:
        rows = info.context.loaders.load(loaders.change_orders_by_commitment, self._pk)
        return [CommitmentChangeOrder.from_row(r) for r in rows]

    @strawberry.field
    def totals(self, info: Info) -> CommitmentTotals:
        load = info.context.loaders.load
        lines = load(loaders.lines_by_commitment, self._pk)
        change_orders = load(loaders.change_orders_by_commitment, self._pk)
        co_lines = [load(loaders.lines_by_change_order, co.id) for co in change_orders]
        totals = m.commitment_totals(
            lines,
            [(co.status, m.lines_total(rows)) for co, rows in zip(change_orders, co_lines, strict=True)],
        )
        return CommitmentTotals(
            original_amount=totals.original,
            approved_change_orders_amount=totals.approved_change_orders,
            pending_change_orders_amount=totals.pending_change_orders,
            revised_amount=totals.revised,
        )
