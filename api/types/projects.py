"""Project and SubJob types, and the sub job / cost code / cost type references every line carries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.context import Info
from api.dataloaders import Loaders
from api.dataloaders import costs as cost_loaders
from api.dataloaders import projects as loaders
from api.permissions import check
from api.relay import Connection, Node, build_connection, check_page_size, register_node, to_global_id
from api.types.audit import Audited
from api.types.enums import CommitmentKind, CommitmentStatus, DirectCostType
from api.types.sync import SyncInfo
from api.types.wbs import CostCode, CostType
from models import projects as m
from models import registry
from models.enums import RecordType, Tool
from models.policy import DIRECT_COSTS_READ, reading
from models.wbs import CostCode as CostCodeRow
from models.wbs import CostType as CostTypeRow

PROJECT = registry.spec(RecordType.PROJECT).type_name
SUB_JOB = registry.spec(RecordType.SUB_JOB).type_name

if TYPE_CHECKING:
    from api.types.budgets import Budget
    from api.types.commitments import Commitment
    from api.types.costs import DirectCost
    from api.types.invoices import SubcontractorInvoice
    from api.types.prime_contracts import PrimeContract


@register_node(m.SubJob, SUB_JOB, reading(Tool.PROJECT_ADMIN))
@strawberry.type(name=SUB_JOB)
class SubJob(Audited, Node):
    number: str
    name: str
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _project_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.SubJob) -> SubJob:
        return cls(
            id=to_global_id(SUB_JOB, row.id),
            number=row.number,
            name=row.name,
            sync=SyncInfo.from_row(row, RecordType.SUB_JOB),
            _pk=row.id,
            _project_id=row.project_id,
        )


@strawberry.type
class WbsRefs:
    """Where a line's money sits: sub job (optional), cost code, cost type; each through a loader."""

    _sub_job_id: strawberry.Private[int | None]
    _cost_code_id: strawberry.Private[int]
    _cost_type_id: strawberry.Private[int]

    @strawberry.field
    def sub_job(self, info: Info) -> SubJob | None:
        if self._sub_job_id is None:
            return None
        return info.context.loaders.by_id(SubJob, _sub_job)[self._sub_job_id]

    @strawberry.field
    def cost_code(self, info: Info) -> CostCode:
        return info.context.loaders.by_id(CostCode, _cost_code)[self._cost_code_id]

    @strawberry.field
    def cost_type(self, info: Info) -> CostType:
        return info.context.loaders.by_id(CostType, _cost_type)[self._cost_type_id]


def _sub_job(found: Loaders, pk: int) -> SubJob | None:
    row = found.load(loaders.sub_jobs, pk)
    return SubJob.from_row(row) if row else None


def _cost_code(found: Loaders, pk: int) -> CostCode:
    return CostCode.from_row(found.table(CostCodeRow)[pk])


def _cost_type(found: Loaders, pk: int) -> CostType:
    return CostType.from_row(found.table(CostTypeRow)[pk])


def wbs_refs(row) -> dict:
    return {
        "_sub_job_id": row.sub_job_id,
        "_cost_code_id": row.cost_code_id,
        "_cost_type_id": row.cost_type_id,
    }


@register_node(m.Project, PROJECT, reading(Tool.PROJECT_ADMIN))
@strawberry.type(name=PROJECT, description="A construction project (an ERP job).")
class Project(Audited, Node):
    number: str
    name: str
    address: str
    city: str
    state: str
    zip: str
    active: bool
    erp_job_id: str | None = strawberry.field(description="The ERP Job ID once synced.")
    sync: SyncInfo
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.Project) -> Project:
        return cls(
            id=to_global_id(PROJECT, row.id),
            number=row.number,
            name=row.name,
            address=row.address,
            city=row.city,
            state=row.state,
            zip=row.zip,
            active=row.active,
            erp_job_id=row.origin_id,
            sync=SyncInfo.from_row(row, RecordType.PROJECT),
            _pk=row.id,
        )

    @strawberry.field
    def sub_jobs(self, info: Info) -> list[SubJob]:
        rows = info.context.loaders.load(loaders.sub_jobs_by_project, self._pk)
        return [SubJob.from_row(r) for r in rows]

    @strawberry.field(description="The company cost codes enabled on this project, by code.")
    def cost_codes(self, info: Info) -> list[CostCode]:
        rows = info.context.loaders.load(loaders.cost_codes_by_project, self._pk)
        return [CostCode.from_row(r) for r in rows]

    @strawberry.field
    def budget(self, info: Info) -> Annotated[Budget, strawberry.lazy("api.types.budgets")] | None:
        check(info, reading(Tool.BUDGET), "Reading the budget")
        from api.dataloaders import budgets as budget_loaders
        from api.types.budgets import Budget

        row = info.context.loaders.load(budget_loaders.budget_by_project, self._pk)
        return Budget.from_row(row) if row else None

    @strawberry.field
    def commitments(
        self, info: Info, kind: CommitmentKind | None = None, status: CommitmentStatus | None = None
    ) -> list[Annotated[Commitment, strawberry.lazy("api.types.commitments")]] | None:
        check(info, reading(Tool.COMMITMENTS), "Reading commitments")
        from api.dataloaders import commitments as commitment_loaders
        from api.types.commitments import Commitment

        rows = info.context.loaders.load(commitment_loaders.commitments_by_project, self._pk)
        return [
            Commitment.from_row(r)
            for r in rows
            if (kind is None or r.kind == kind) and (status is None or r.status == status)
        ]

    @strawberry.field
    def subcontractor_invoices(
        self, info: Info
    ) -> list[Annotated[SubcontractorInvoice, strawberry.lazy("api.types.invoices")]] | None:
        check(info, reading(Tool.INVOICES), "Reading subcontractor invoices")
        from api.dataloaders import invoices as invoice_loaders
        from api.types.invoices import SubcontractorInvoice

        rows = info.context.loaders.load(invoice_loaders.invoices_by_project, self._pk)
        return [SubcontractorInvoice.from_row(r) for r in rows]

    @strawberry.field(
        description="The project's prime contracts (from Sage 300 CRE Contracts), by contract number "
        "(READ_ONLY on Prime Contract)."
    )
    def prime_contracts(
        self, info: Info
    ) -> list[Annotated[PrimeContract, strawberry.lazy("api.types.prime_contracts")]] | None:
        check(info, reading(Tool.PRIME_CONTRACTS), "Reading prime contracts")
        from api.dataloaders import prime_contracts as prime_loaders
        from api.types.prime_contracts import PrimeContract

        rows = info.context.loaders.load(prime_loaders.prime_contracts_by_project, self._pk)
        return [PrimeContract.from_row(r) for r in rows]

    @strawberry.field(
        description="Job-cost transactions from the ERP, oldest first (by item date, then id), one page "
        "at a time by keyset (read with the budget: READ_ONLY on Budget).",
    )
    async def direct_costs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        type: DirectCostType | None = None,
    ) -> Connection[Annotated[DirectCost, strawberry.lazy("api.types.costs")]] | None:
        check(info, DIRECT_COSTS_READ, "Reading direct costs")
        from api.types.costs import DirectCost

        limit = check_page_size(first)
        order = cost_loaders.DIRECT_COST_ORDER
        values = order.decode(after) if after is not None else None
        rows, total, has_next = await info.context.loaders.get(cost_loaders.direct_cost_pages).load(
            (self._pk, limit, values, type)
        )
        return build_connection(
            [DirectCost.from_row(r) for r in rows],
            [order.cursor(r) for r in rows],
            total,
            has_next=has_next,
            after=after,
        )
