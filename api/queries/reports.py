"""Report queries: the job-cost report, the company job-cost summary, unsyncable direct costs.

A refused permission or an unknown project is a top-level GraphQL error whose extensions carry the
error code (queries have no payload to hold UserErrors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from api.context import Info
from api.permissions import Requires
from api.relay import Connection, decode_id, paginate
from api.types.reports import CompanyJobCostSummary, JobCostReport, UnsyncableDirectCost
from models import reports as m
from models.errors import DomainError
from models.policy import COMPANY_JOB_COST_SUMMARY, JOB_COST_REPORT, UNSYNCABLE_DIRECT_COSTS

T = TypeVar("T")


def _domain(call: Callable[[], T]) -> T:
    try:
        return call()
    except DomainError as exc:
        raise GraphQLError(exc.message, extensions={"code": exc.code.value, "field": exc.field}) from None


@strawberry.type
class ReportQueries:
    @strawberry.field(
        permission_classes=[Requires(JOB_COST_REPORT, "Viewing the job-cost report")],
        description="Budget vs committed vs actual per sub job x cost code x cost type, with division "
        "subtotals and the project total. Needs READ_ONLY on Reports and ADMIN on Budget or on Prime "
        "Contract.",
    )
    def job_cost_report(self, info: Info, project_id: strawberry.ID) -> JobCostReport | None:
        ctx = info.context
        report = _domain(
            lambda: m.job_cost_report(ctx.session, ctx.actor, decode_id(project_id, "Project", "projectId"))
        )
        return JobCostReport.from_report(report)

    @strawberry.field(
        permission_classes=[Requires(COMPANY_JOB_COST_SUMMARY, "Viewing the company job-cost summary")],
        description="One row per project with its job-cost totals. Needs ADMIN on ERP Integrations.",
    )
    def company_job_cost_summary(self, info: Info) -> CompanyJobCostSummary | None:
        ctx = info.context
        return CompanyJobCostSummary.from_summary(
            _domain(lambda: m.company_job_cost_summary(ctx.session, ctx.actor))
        )

    @strawberry.field(
        permission_classes=[Requires(UNSYNCABLE_DIRECT_COSTS, "Viewing unsyncable direct costs")],
        description="ERP job-cost rows not yet placed (unknown job, sub job, cost code, cost type or "
        "vendor), oldest first; all projects when projectId is omitted. Needs READ_ONLY on Reports and "
        "ADMIN on Budget or on Prime Contract.",
    )
    def unsyncable_direct_costs(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[UnsyncableDirectCost] | None:
        ctx = info.context

        def statement():
            pk = None if project_id is None else decode_id(project_id, "Project", "projectId")
            if pk is not None:
                m.get_project(ctx.session, pk)
            return m.unsyncable_direct_costs(ctx.actor, pk)

        stmt = _domain(statement)
        return paginate(ctx.session, stmt, UnsyncableDirectCost.from_row, first, after)
