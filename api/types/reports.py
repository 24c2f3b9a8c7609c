"""GraphQL types of the job-cost report, the company summary and the unsyncable direct costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from api.relay import to_global_id
from models import reports as m
from models.costs import UnplacedJobCost


@strawberry.type(description="Amounts of one report row, division subtotal or total (see docs/reports.md).")
class JobCostFigures:
    original_budget: Decimal
    budget_modifications: Decimal = strawberry.field(description="Net: + moved to the line, - moved from it.")
    revised_budget: Decimal
    committed: Decimal = strawberry.field(
        description="Lines of APPROVED/COMPLETE commitments plus their APPROVED change orders."
    )
    invoiced: Decimal = strawberry.field(
        description="APPROVED/PAID subcontractor invoices: work completed + materials stored."
    )
    direct_costs: Decimal = strawberry.field(description="Every direct cost, job to date.")
    uncommitted_direct_costs: Decimal = strawberry.field(
        description="Direct costs not tied to a commitment (INVOICE, PAYROLL, EXPENSE)."
    )
    jtd_cost: Decimal = strawberry.field(
        description="Cost on commitments (the larger of invoiced and the ERP's AP costs with commitment) "
        "+ uncommitted direct costs."
    )
    projected_cost: Decimal = strawberry.field(
        description="max(committed, cost on commitments) + uncommitted direct costs."
    )
    remaining: Decimal = strawberry.field(description="Revised budget - projected cost.")
    over_budget_amount: Decimal = strawberry.field(
        description="What the lines over budget overrun by, summed (under-runs are not netted against it)."
    )
    lines_over_budget: int = strawberry.field(
        description="How many lines are over budget (1 or 0 on a line)."
    )
    percent_spent: Decimal | None = strawberry.field(
        description="JTD cost / revised budget x 100, two decimals; null when the revised budget is 0 or "
        "less."
    )
    percent_complete: Decimal | None = strawberry.field(
        description="JTD cost / max(revised budget, projected cost) x 100, two decimals; null when that is 0."
    )
    over_budget: bool = strawberry.field(
        description="A line: projected cost > revised budget. A subtotal or total: any of its lines is."
    )

    @classmethod
    def from_figures(cls, f: m.JobCostFigures) -> JobCostFigures:
        names = (*m.SUMMED_FIELDS, "percent_spent", "percent_complete", "over_budget")
        return cls(**{name: getattr(f, name) for name in names})


@strawberry.type
class JobCostSubJob:
    id: strawberry.ID
    number: str
    name: str


@strawberry.type
class JobCostCostCode:
    id: strawberry.ID
    code: str
    description: str
    division: str


@strawberry.type
class JobCostCostType:
    id: strawberry.ID
    code: str
    name: str


@strawberry.type(description="One sub job x cost code x cost type line of the job-cost report.")
class JobCostReportRow:
    sub_job: JobCostSubJob | None
    cost_code: JobCostCostCode
    cost_type: JobCostCostType
    has_budget_line: bool = strawberry.field(description="False for cost on a line that has no budget.")
    figures: JobCostFigures

    @classmethod
    def from_row(cls, row: m.JobCostRow) -> JobCostReportRow:
        sub_job = None
        if row.sub_job_id is not None:
            sub_job = JobCostSubJob(
                id=to_global_id("SubJob", row.sub_job_id),
                number=row.sub_job_number or "",
                name=row.sub_job_name or "",
            )
        return cls(
            sub_job=sub_job,
            cost_code=JobCostCostCode(
                id=to_global_id("CostCode", row.cost_code_id),
                code=row.cost_code,
                description=row.cost_code_description,
                division=row.division,
            ),
            cost_type=JobCostCostType(
                id=to_global_id("CostType", row.cost_type_id),
                code=row.cost_type_code,
                name=row.cost_type_name,
            ),
            has_budget_line=row.has_budget_line,
            figures=JobCostFigures.from_figures(row.figures),
        )


@strawberry.type
class JobCostDivisionSubtotal:
    division: str
    name: str = strawberry.field(description="The description of the code heading the division, or ''.")
    row_count: int
    figures: JobCostFigures


@strawberry.type(description="Budget vs committed vs actual cost of one project.")
class JobCostReport:
    project_id: strawberry.ID
    project_number: str
    project_name: str
    rows: list[JobCostReportRow]
    divisions: list[JobCostDivisionSubtotal]
    totals: JobCostFigures

    @classmethod
    def from_report(cls, report: m.JobCostReport) -> JobCostReport:
        return cls(
            project_id=to_global_id("Project", report.project_id),
            project_number=report.project_number,
            project_name=report.project_name,
            rows=[JobCostReportRow.from_row(r) for r in report.rows],
            divisions=[
                JobCostDivisionSubtotal(
                    division=d.division,
                    name=d.name,
                    row_count=d.row_count,
                    figures=JobCostFigures.from_figures(d.figures),
                )
                for d in report.divisions
            ],
            totals=JobCostFigures.from_figures(report.totals),
        )


@strawberry.type
class ProjectJobCostSummary:
    project_id: strawberry.ID
    project_number: str
    project_name: str
    line_count: int
    figures: JobCostFigures


@strawberry.type(description="One row per project with the totals of its job-cost report.")
class CompanyJobCostSummary:
    rows: list[ProjectJobCostSummary]
    totals: JobCostFigures

    @classmethod
    def from_summary(cls, summary: m.CompanyJobCostSummary) -> CompanyJobCostSummary:
        return cls(
            rows=[
                ProjectJobCostSummary(
                    project_id=to_global_id("Project", r.project_id),
                    project_number=r.project_number,
                    project_name=r.project_name,
                    line_count=r.line_count,
                    figures=JobCostFigures.from_figures(r.figures),
                )
                for r in summary.rows
            ],
            totals=JobCostFigures.from_figures(summary.totals),
        )


@strawberry.type(description="A job-cost row from the ERP that could not be placed, with its raw values.")
class UnsyncableDirectCost:
    id: strawberry.ID
    job: str
    sub_job: str
    cost_code: str
    cost_type: str
    source: str
    item_date: dt.date | None
    description: str
    vendor: str
    invoice_number: str | None
    amount: Decimal
    erp_transaction_id: str | None
    reason_code: str = strawberry.field(
        description="UNKNOWN_JOB, UNKNOWN_SUB_JOB, UNKNOWN_COST_CODE, UNKNOWN_COST_TYPE or UNKNOWN_VENDOR."
    )
    reason: str
    project_id: strawberry.ID | None = strawberry.field(description="Set when the job itself is known.")

    @classmethod
    def from_row(cls, row: UnplacedJobCost) -> UnsyncableDirectCost:
        return cls(
            id=to_global_id("UnsyncableDirectCost", row.id),
            job=row.job,
            sub_job=row.sub_job,
            cost_code=row.cost_code,
            cost_type=row.cost_type,
            source=row.source,
            item_date=row.item_date,
            description=row.description,
            vendor=row.vendor,
            invoice_number=row.invoice_number,
            amount=row.amount,
            erp_transaction_id=row.erp_transaction_id,
            reason_code=row.reason_code,
            reason=row.reason,
            project_id=to_global_id("Project", row.project_id) if row.project_id is not None else None,
        )
