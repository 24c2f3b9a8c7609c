"""Prime contract (from Sage 300 CRE Contracts), its items, its change orders (PCCOs) and totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from api.context import Info
from api.dataloaders import prime_contracts as loaders
from api.dataloaders import projects as project_loaders
from api.permissions import check
from api.relay import Node, register_node, to_global_id
from api.types.audit import Audited
from api.types.enums import ChangeOrderStatus
from api.types.projects import Project, WbsRefs, wbs_refs
from api.types.sync import SyncInfo
from models import prime_contracts as m
from models import registry
from models.enums import RecordType, Tool
from models.policy import reading

PRIME_CONTRACT = registry.spec(RecordType.PRIME_CONTRACT).type_name
CHANGE_ORDER = registry.spec(RecordType.PRIME_CONTRACT_CHANGE_ORDER).type_name


@strawberry.type(
    description="A contract item: what the owner pays for, on a sub job, cost code and category."
)
class PrimeContractLine(WbsRefs):
    id: strawberry.ID
    item: str
    description: str
    amount: Decimal

    @classmethod
    def from_row(cls, row: m.PrimeContractLine) -> PrimeContractLine:
        return cls(
            id=to_global_id("PrimeContractLine", row.id),
            item=row.item,
            description=row.description,
            amount=row.amount,
            **wbs_refs(row),
        )


@strawberry.type
class PrimeContractChangeOrderLine(WbsRefs):
    id: strawberry.ID
    description: str
    quantity: Decimal | None
    unit_cost: Decimal | None
    amount: Decimal

    @classmethod
    def from_row(cls, row: m.PrimeContractChangeOrderLine) -> PrimeContractChangeOrderLine:
        return cls(
            id=to_global_id("PrimeContractChangeOrderLine", row.id),
            description=row.description,
            quantity=row.quantity,
            unit_cost=row.unit_cost,
            amount=row.amount,
            **wbs_refs(row),
        )


@register_node(m.PrimeContractChangeOrder, CHANGE_ORDER, reading(Tool.PRIME_CONTRACTS))
@strawberry.type(
    name=CHANGE_ORDER,
    description="A change to a synced prime contract (PCCO); lines may be deductive (negative).",
)
class PrimeContractChangeOrder(Audited, Node):
    number: str
    title: str
    description: str
    status: ChangeOrderStatus
    change_date: dt.date | None
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _contract_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.PrimeContractChangeOrder) -> PrimeContractChangeOrder:
        return cls(
            id=to_global_id(CHANGE_ORDER, row.id),
            number=row.number,
            title=row.title,
            description=row.description,
            status=row.status,
            change_date=row.change_date,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
            _contract_id=row.prime_contract_id,
        )

    @strawberry.field
    def lines(self, info: Info) -> list[PrimeContractChangeOrderLine]:
        rows = info.context.loaders.load(loaders.lines_by_prime_change_order, self._pk)
        return [PrimeContractChangeOrderLine.from_row(r) for r in rows]

    @strawberry.field(description="Sum of the lines.")
    def total(self, info: Info) -> Decimal:
        return m.lines_total(info.context.loaders.load(loaders.lines_by_prime_change_order, self._pk))

    @strawberry.field
    def prime_contract(self, info: Info) -> PrimeContract:
        return PrimeContract.from_row(info.context.loaders.load(loaders.prime_contracts, self._contract_id))


@strawberry.type
class PrimeContractTotals:
    original_amount: Decimal = strawberry.field(description="Sum of the contract items.")
    approved_change_orders_amount: Decimal
    pending_change_orders_amount: Decimal
    revised_amount: Decimal = strawberry.field(description="originalAmount + approvedChangeOrdersAmount.")


@register_node(m.PrimeContract, PRIME_CONTRACT, reading(Tool.PRIME_CONTRACTS))
@strawberry.type(
    name=PRIME_CONTRACT,
    description="An owner contract from Sage 300 CRE's Contracts module (import only; `number` is the "
    "ERP's contract ID). Several may belong to one project, one never to several.",
)
class PrimeContract(Audited, Node):
    number: str
    title: str
    customer: str
    contract_date: dt.date | None
    retainage_percent: Decimal
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _project_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.PrimeContract) -> PrimeContract:
        return cls(
            id=to_global_id(PRIME_CONTRACT, row.id),
            number=row.number,
            title=row.title,
            customer=row.customer,
            contract_date=row.contract_date,
            retainage_percent=row.retainage_percent,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
            _project_id=row.project_id,
        )

    @strawberry.field
    def project(self, info: Info) -> Project | None:
        check(info, reading(Tool.PROJECT_ADMIN), "Reading the project")
        return Project.from_row(info.context.loaders.load(project_loaders.projects, self._project_id))

    @strawberry.field(description="The contract items.")
    def lines(self, info: Info) -> list[PrimeContractLine]:
        rows = info.context.loaders.load(loaders.lines_by_prime_contract, self._pk)
        return [PrimeContractLine.from_row(r) for r in rows]

    @strawberry.field
    def change_orders(self, info: Info) -> list[PrimeContractChangeOrder]:
        rows = info.context.loaders.load(loaders.change_orders_by_prime_contract, self._pk)
        return [PrimeContractChangeOrder.from_row(r) for r in rows]

    @strawberry.field
    def totals(self, info: Info) -> PrimeContractTotals:
        load = info.context.loaders.load
        change_orders = load(loaders.change_orders_by_prime_contract, self._pk)
        totals = m.prime_contract_totals(
            load(loaders.lines_by_prime_contract, self._pk),
            [
                (co.status, m.lines_total(load(loaders.lines_by_prime_change_order, co.id)))
                for co in change_orders
            ],
        )
        return PrimeContractTotals(
            original_amount=totals.original,
            approved_change_orders_amount=totals.approved_change_orders,
            pending_change_orders_amount=totals.pending_change_orders,
            revised_amount=totals.revised,
        )
