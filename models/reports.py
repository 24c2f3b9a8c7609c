"""The job-cost report (budget vs committed vs actual per sub job x cost code x cost type), its
company-level summary, and the unsyncable direct costs list. The budget export's rows are built
from the same figures in ``exporters.budget``.

Definitions (docs/reports.md explains them for users):

- revised budget = original budget + budget modifications (+ moved to the line, - moved from it)
- committed = lines of APPROVED or COMPLETE commitments + lines of APPROVED change orders on them
- invoiced = subcontractor invoice lines in APPROVED or PAID status (work completed this period +
  materials presently stored; retainage held is still cost)
- direct costs = every DirectCost (job-cost transaction from the ERP), job to date
- uncommitted direct costs = the direct costs not tied to a commitment (INVOICE, PAYROLL, EXPENSE)
- cost on commitments = max(invoiced, SUBCONTRACTOR_INVOICE direct costs): the ERP's "AP Cost
  (with Commitment)" and CostBridge's subcontractor invoices are two records of the same cost, so
  the larger one counts, never both
- JTD cost = cost on commitments + uncommitted direct costs
- projected cost = max(committed, cost on commitments) + uncommitted direct costs: an AP cost that
  belongs to a commitment does not add to the projection beyond the commitment
- remaining = revised budget - projected cost
- percent spent = JTD cost / revised budget x 100 (none when the revised budget is zero)
- percent complete = JTD cost / estimate at completion x 100, the estimate at completion being
  max(revised budget, projected cost) (none when that is zero or less)
- over budget = projected cost > revised budget; a subtotal or total counts its lines over budget
  and sums their overruns, so an under-run on one line never hides an overrun on another

Every source is aggregated in SQL (one GROUP BY query per source) and merged here by line key.
Subtotals and totals are sums of the rows for every money column, so they reconcile to the cent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, func, literal, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session

from models.base import ZERO, money, utcnow
from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder, CommitmentChangeOrderLine, CommitmentLine
from models.company import get_settings
from models.costs import DirectCost, UnplacedJobCost
from models.enums import (
    ChangeOrderStatus,
    CommitmentStatus,
    DirectCostType,
    InvoiceStatus,
)
from models.errors import DomainError, ErrorCode
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.natural_sort import natural_sort_key
from models.policy import COMPANY_JOB_COST_SUMMARY, JOB_COST_REPORT, UNSYNCABLE_DIRECT_COSTS, Actor, require
from models.projects import Project, SubJob
from models.wbs import CostCode, CostType, division_of

COMMITTED_STATUSES = (CommitmentStatus.APPROVED, CommitmentStatus.COMPLETE)
COMMITTED_CHANGE_ORDER_STATUSES = (ChangeOrderStatus.APPROVED,)
INVOICED_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)

# a SELECT of any columns (Select is generic in its column types)
AnySelect = Select[*tuple[Any, ...]]

HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")

# (project_id, sub_job_id, cost_code_id, cost_type_id)
LineKey = tuple[int, int | None, int, int]


# --- figures ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class JobCostFigures:
    """The amounts of one report row, subtotal or total; money is Decimal to the cent."""

    original_budget: Decimal = ZERO
    budget_modifications: Decimal = ZERO
    revised_budget: Decimal = ZERO
    committed: Decimal = ZERO
    invoiced: Decimal = ZERO
    direct_costs: Decimal = ZERO
    uncommitted_direct_costs: Decimal = ZERO
    jtd_cost: Decimal = ZERO
    projected_cost: Decimal = ZERO
    remaining: Decimal = ZERO
    over_budget_amount: Decimal = ZERO
    lines_over_budget: int = 0
    percent_spent: Decimal | None = None
    percent_complete: Decimal | None = None
    over_budget: bool = False

    @classmethod
    def for_line(
        cls,
        original_budget: Decimal = ZERO,
        budget_modifications: Decimal = ZERO,
        committed: Decimal = ZERO,
        invoiced: Decimal = ZERO,
        direct_costs: Decimal = ZERO,
        uncommitted_direct_costs: Decimal = ZERO,
    ) -> JobCostFigures:
        on_commitments = cost_on_commitments(invoiced, direct_costs - uncommitted_direct_costs)
        figures = cls(
            original_budget=original_budget,
            budget_modifications=budget_modifications,
            revised_budget=original_budget + budget_modifications,
            committed=committed,
            invoiced=invoiced,
            direct_costs=direct_costs,
            uncommitted_direct_costs=uncommitted_direct_costs,
            jtd_cost=on_commitments + uncommitted_direct_costs,
            projected_cost=max(committed, on_commitments) + uncommitted_direct_costs,
        )
        figures._finish()
        return figures

    @classmethod
    def total_of(cls, items: Iterable[JobCostFigures]) -> JobCostFigures:
        """Sum every money column (so a subtotal is exactly the sum of its rows)."""
        total = cls()
        for item in items:
            for name in SUMMED_FIELDS:
                setattr(total, name, getattr(total, name) + getattr(item, name))
        total._finish_ratios()
        return total

    def _finish(self) -> None:
        self.remaining = self.revised_budget - self.projected_cost
        over = self.projected_cost > self.revised_budget
        self.lines_over_budget = 1 if over else 0
        self.over_budget_amount = -self.remaining if over else ZERO
        self._finish_ratios()

    def _finish_ratios(self) -> None:
        self.percent_spent = percent(self.jtd_cost, self.revised_budget)
        self.percent_complete = percent(self.jtd_cost, self.estimate_at_completion)
        self.over_budget = self.lines_over_budget > 0

    @property
    def estimate_at_completion(self) -> Decimal:
        """The budget until the projection exceeds it."""
        return max(self.revised_budget, self.projected_cost)


def cost_on_commitments(invoiced: Decimal, committed_direct_costs: Decimal) -> Decimal:
    """Cost incurred on commitments, counted once: CostBridge's approved subcontractor invoices and
    the ERP's AP costs entered against a commitment are two records of the same spending (an
    exported invoice comes back as an AP cost with commitment; a purchase order is only ever billed
    in the ERP), so the larger record stands for both."""
    return max(invoiced, committed_direct_costs)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part / whole`` x 100 to two decimals, half up; None when ``whole`` is zero or less."""
    if whole <= ZERO:
        return None
    return (part / whole * HUNDRED).quantize(PERCENT, rounding=ROUND_HALF_UP)


_NOT_SUMMED = ("percent_spent", "percent_complete", "over_budget")
SUMMED_FIELDS = tuple(f.name for f in dataclasses.fields(JobCostFigures) if f.name not in _NOT_SUMMED)
MONEY_FIELDS = tuple(name for name in SUMMED_FIELDS if name != "lines_over_budget")


@dataclass(slots=True)
class JobCostRow:
    sub_job_id: int | None
    sub_job_number: str | None
    sub_job_name: str | None
    cost_code_id: int
    cost_code: str
    cost_code_description: str
    division: str
    cost_type_id: int
    cost_type_code: str
    cost_type_name: str
    has_budget_line: bool
    figures: JobCostFigures


@dataclass(slots=True)
class DivisionSubtotal:
    division: str
    row_count: int
    figures: JobCostFigures
    # the description of the code that heads the division (2000.000 "Site Work" for 2000), if any
    name: str = ""


@dataclass(slots=True)
class JobCostReport:
    project_id: int
    project_number: str
    project_name: str
    rows: list[JobCostRow]
    divisions: list[DivisionSubtotal]
    totals: JobCostFigures
    company_name: str = ""
    as_of: dt.datetime | None = None


@dataclass(slots=True)
class ProjectSummaryRow:
    project_id: int
    project_number: str
    project_name: str
    line_count: int
    figures: JobCostFigures


@dataclass(slots=True)
class CompanyJobCostSummary:
    rows: list[ProjectSummaryRow]
    totals: JobCostFigures = field(default_factory=JobCostFigures)
    company_name: str = ""
    as_of: dt.datetime | None = None


# --- SQL aggregation ------------------------------------------------------------------------------


class _Sums:
    """Per-dialect money sums: PostgreSQL sums NUMERIC exactly; SQLite stores Numeric as REAL, so it
    sums whole cents (exact integers in a double up to 2**53) instead of accumulating float error."""

    def __init__(self, session: Session) -> None:
        self.in_cents = session.get_bind().dialect.name == "sqlite"

    def sum(self, expr: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        return func.sum(func.round(expr * 100)) if self.in_cents else func.sum(expr)

    def value(self, raw: Any) -> Decimal:
        if raw is None:
            return ZERO
        if self.in_cents:
            return Decimal(int(round(float(raw)))) / HUNDRED
        return money(raw)


def _where_project(stmt: AnySelect, column: Any, project_id: int | None) -> AnySelect:
    return stmt if project_id is None else stmt.where(column == project_id)


def _budget_sql(sums: _Sums, project_id: int | None) -> AnySelect:
    stmt = (
        select(
            Budget.project_id,
            BudgetLine.sub_job_id,
            BudgetLine.cost_code_id,
            BudgetLine.cost_type_id,
            sums.sum(BudgetLine.original_amount),
        )
        .join(Budget, Budget.id == BudgetLine.budget_id)
        .group_by(Budget.project_id, BudgetLine.sub_job_id, BudgetLine.cost_code_id, BudgetLine.cost_type_id)
    )
    return _where_project(stmt, Budget.project_id, project_id)


def _modifications_sql(sums: _Sums, project_id: int | None) -> AnySelect:
    def moved(line_column: Any, sign: int) -> AnySelect:
        stmt = (
            select(
                Budget.project_id.label("project_id"),
                BudgetLine.sub_job_id.label("sub_job_id"),
                BudgetLine.cost_code_id.label("cost_code_id"),
                BudgetLine.cost_type_id.label("cost_type_id"),
                (BudgetModification.amount * sign).label("amount"),
            )
            .join(BudgetLine, BudgetLine.id == line_column)
            .join(Budget, Budget.id == BudgetModification.budget_id)
        )
        return _where_project(stmt, Budget.project_id, project_id)

    moves = union_all(moved(BudgetModification.to_line_id, 1), moved(BudgetModification.from_line_id, -1))
    sub = moves.subquery()
    return select(
        sub.c.project_id, sub.c.sub_job_id, sub.c.cost_code_id, sub.c.cost_type_id, sums.sum(sub.c.amount)
    ).group_by(sub.c.project_id, sub.c.sub_job_id, sub.c.cost_code_id, sub.c.cost_type_id)


def _committed_sql(sums: _Sums, project_id: int | None) -> AnySelect:
    lines = (
        select(
            Commitment.project_id.label("project_id"),
            CommitmentLine.sub_job_id.label("sub_job_id"),
            CommitmentLine.cost_code_id.label("cost_code_id"),
            CommitmentLine.cost_type_id.label("cost_type_id"),
            CommitmentLine.amount.label("amount"),
        )
        .join(Commitment, Commitment.id == CommitmentLine.commitment_id)
        .where(Commitment.status.in_(COMMITTED_STATUSES))
    )
    change_order_lines = (
        select(
            Commitment.project_id.label("project_id"),
            CommitmentChangeOrderLine.sub_job_id.label("sub_job_id"),
            CommitmentChangeOrderLine.cost_code_id.label("cost_code_id"),
            CommitmentChangeOrderLine.cost_type_id.label("cost_type_id"),
            CommitmentChangeOrderLine.amount.label("amount"),
        )
        .join(CommitmentChangeOrder, CommitmentChangeOrder.id == CommitmentChangeOrderLine.change_order_id)
        .join(Commitment, Commitment.id == CommitmentChangeOrder.commitment_id)
        .where(
            Commitment.status.in_(COMMITTED_STATUSES),
            CommitmentChangeOrder.status.in_(COMMITTED_CHANGE_ORDER_STATUSES),
        )
    )
    sub = union_all(
        _where_project(lines, Commitment.project_id, project_id),
        _where_project(change_order_lines, Commitment.project_id, project_id),
    ).subquery()
    return select(
        sub.c.project_id, sub.c.sub_job_id, sub.c.cost_code_id, sub.c.cost_type_id, sums.sum(sub.c.amount)
    ).group_by(sub.c.project_id, sub.c.sub_job_id, sub.c.cost_code_id, sub.c.cost_type_id)


def _invoiced_sql(sums: _Sums, project_id: int | None) -> AnySelect:
    line = SubcontractorInvoiceLine
    stmt = (
        select(
            Commitment.project_id,
            line.sub_job_id,
            line.cost_code_id,
            line.cost_type_id,
            sums.sum(line.work_completed_this_period + line.materials_presently_stored),
        )
        .join(SubcontractorInvoice, SubcontractorInvoice.id == line.invoice_id)
        .join(Commitment, Commitment.id == SubcontractorInvoice.commitment_id)
        .where(SubcontractorInvoice.status.in_(INVOICED_STATUSES))
        .group_by(Commitment.project_id, line.sub_job_id, line.cost_code_id, line.cost_type_id)
    )
    return _where_project(stmt, Commitment.project_id, project_id)


def _direct_costs_sql(sums: _Sums, project_id: int | None) -> AnySelect:
    """Per line: all direct costs, and those not tied to a commitment. The enum has one committed
    type, so the second is the total less SUBCONTRACTOR_INVOICE (one comparison per row).

    For one project the constant project id stays out of the GROUP BY (a narrower sort key)."""
    dc = DirectCost
    line = (dc.sub_job_id, dc.cost_code_id, dc.cost_type_id)
    committed_type = dc.type == DirectCostType.SUBCONTRACTOR_INVOICE
    if not sums.in_cents:
        total = func.sum(dc.amount)
        uncommitted = total - func.sum(case((committed_type, dc.amount), else_=literal(0)))
        if project_id is None:
            return select(dc.project_id, *line, total, uncommitted).group_by(dc.project_id, *line)
        return (
            select(literal(project_id), *line, total, uncommitted)
            .where(dc.project_id == project_id)
            .group_by(dc.cost_code_id, dc.cost_type_id, dc.sub_job_id)
        )
    # SQLite: compute each row's cents in a subquery that LIMIT -1 keeps from being flattened. The
    # GROUP BY sorter then carries two numbers per row instead of the amount and the type text, and
    # the planner is free to scan the table in order rather than look every row up via the index.
    cents = func.round(dc.amount * 100)
    inner = select(
        dc.project_id,
        *line,
        cents.label("total_cents"),
        case((committed_type, cents), else_=literal(0)).label("committed_cents"),
    ).limit(-1)
    sub = _where_project(inner, dc.project_id, project_id).subquery()
    total = func.sum(sub.c.total_cents)
    uncommitted = total - func.sum(sub.c.committed_cents)
    sub_line = (sub.c.sub_job_id, sub.c.cost_code_id, sub.c.cost_type_id)
    if project_id is None:
        return select(sub.c.project_id, *sub_line, total, uncommitted).group_by(sub.c.project_id, *sub_line)
    return select(literal(project_id), *sub_line, total, uncommitted).group_by(
        sub.c.cost_code_id, sub.c.cost_type_id, sub.c.sub_job_id
    )


# source name -> position in the per-line amounts list
_SOURCES = ("original_budget", "budget_modifications", "committed", "invoiced", "direct_costs", "uncommitted")


def line_amounts(
    session: Session, project_id: int | None = None
) -> tuple[dict[LineKey, list[Decimal]], set[LineKey]]:
    """Source amounts per line key (in ``_SOURCES`` order) and the keys that have a budget line.

    A key appears when it has a budget line or any amount. ``project_id`` None covers every project.
    """
    sums = _Sums(session)
    merged: dict[LineKey, list[Decimal]] = {}
    budget_keys: set[LineKey] = set()
    sources = (
        (_budget_sql, (0,)),
        (_modifications_sql, (1,)),
        (_committed_sql, (2,)),
        (_invoiced_sql, (3,)),
        (_direct_costs_sql, (4, 5)),
    )
    for build, positions in sources:
        for row in session.execute(build(sums, project_id)):
            key = (row[0], row[1], row[2], row[3])
            amounts = merged.get(key)
            if amounts is None:
                amounts = merged[key] = [ZERO] * len(_SOURCES)
            for offset, position in enumerate(positions):
                amounts[position] += sums.value(row[4 + offset])
            if build is _budget_sql:
                budget_keys.add(key)
    return merged, budget_keys


def line_figures(
    session: Session, project_id: int | None = None
) -> tuple[dict[LineKey, JobCostFigures], set[LineKey]]:
    """JobCostFigures per line key, and the keys that have a budget line."""
    amounts, budget_keys = line_amounts(session, project_id)
    return {key: JobCostFigures.for_line(*values) for key, values in amounts.items()}, budget_keys


# --- the job-cost report --------------------------------------------------------------------------


def get_project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Project not found", "projectId")
    return project


def find_project(session: Session, number: str) -> Project:
    """A project by its number (case-insensitive), for the CLI."""
    project = session.scalar(select(Project).where(func.lower(Project.number) == number.strip().lower()))
    if project is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No project with number {number}", "project")
    return project


def _labels(
    session: Session, line_keys: Iterable[LineKey]
) -> tuple[dict[int, Row[int, str, str, str]], dict[int, Row[int, str, str]], dict[int, Row[int, str, str]]]:
    keys = list(line_keys)
    code_ids = {k[2] for k in keys}
    type_ids = {k[3] for k in keys}
    sub_job_ids = {k[1] for k in keys if k[1] is not None}
    codes = {
        r.id: r
        for r in session.execute(
            select(CostCode.id, CostCode.code, CostCode.description, CostCode.division).where(
                CostCode.id.in_(code_ids)
            )
        )
    }
    types = {
        r.id: r
        for r in session.execute(
            select(CostType.id, CostType.code, CostType.name).where(CostType.id.in_(type_ids))
        )
    }
    sub_jobs = {
        r.id: r
        for r in session.execute(
            select(SubJob.id, SubJob.number, SubJob.name).where(SubJob.id.in_(sub_job_ids))
        )
    }
    return codes, types, sub_jobs


def _rows(
    session: Session, figures: dict[LineKey, JobCostFigures], budget_keys: set[LineKey]
) -> list[JobCostRow]:
    codes, types, sub_jobs = _labels(session, figures)
    rows = []
    for key, line in figures.items():
        _project_id, sub_job_id, code_id, type_id = key
        code, ctype = codes[code_id], types[type_id]
        sub_job = sub_jobs.get(sub_job_id) if sub_job_id is not None else None
        rows.append(
            JobCostRow(
                sub_job_id=sub_job_id,
                sub_job_number=sub_job.number if sub_job else None,
                sub_job_name=sub_job.name if sub_job else None,
                cost_code_id=code_id,
                cost_code=code.code,
                cost_code_description=code.description,
                division=code.division or division_of(code.code),
                cost_type_id=type_id,
                cost_type_code=ctype.code,
                cost_type_name=ctype.name,
                has_budget_line=key in budget_keys,
                figures=line,
            )
        )
    rows.sort(key=report_order)
    return rows


def _divisions(rows: list[JobCostRow]) -> list[DivisionSubtotal]:
    grouped: dict[str, list[JobCostRow]] = {}
    for row in rows:
        grouped.setdefault(row.division, []).append(row)
    return [
        DivisionSubtotal(
            division=name, row_count=len(members), figures=JobCostFigures.total_of(r.figures for r in members)
        )
        for name, members in grouped.items()
    ]


def require_report_access(actor: Actor) -> None:
    require(actor, JOB_COST_REPORT, "Viewing the job-cost report")


def job_cost_report(session: Session, actor: Actor, project_id: int) -> JobCostReport:
    """The job-cost report of one project: rows sorted by division, cost code, sub job, cost type;
    a subtotal per division; the project total. Lines with cost but no budget line appear with a
    zero budget."""
    require_report_access(actor)
    project = get_project(session, project_id)
    figures, budget_keys = line_figures(session, project.id)
    rows = _rows(session, figures, budget_keys)
    divisions = _divisions(rows)
    name_divisions(session, divisions)
    return JobCostReport(
        project_id=project.id,
        project_number=project.number,
        project_name=project.name,
        rows=rows,
        divisions=divisions,
        totals=JobCostFigures.total_of(r.figures for r in rows),
        company_name=get_settings(session).name,
        as_of=utcnow(),
    )


def company_job_cost_summary(session: Session, actor: Actor) -> CompanyJobCostSummary:
    """One row per project (all projects, by number) with the same totals as its job-cost report."""
    require(actor, COMPANY_JOB_COST_SUMMARY, "Viewing the company job-cost summary")
    figures, _budget_keys = line_figures(session, None)
    per_project: dict[int, list[JobCostFigures]] = {}
    for key, line in figures.items():
        per_project.setdefault(key[0], []).append(line)
    projects = session.execute(select(Project.id, Project.number, Project.name).order_by(Project.number))
    rows = [
        ProjectSummaryRow(
            project_id=p.id,
            project_number=p.number,
            project_name=p.name,
            line_count=len(per_project.get(p.id, ())),
            figures=JobCostFigures.total_of(per_project.get(p.id, ())),
        )
        for p in projects
    ]
    rows.sort(key=lambda r: (natural_sort_key(r.project_number), r.project_number))
    return CompanyJobCostSummary(
        rows=rows,
        totals=JobCostFigures.total_of(r.figures for r in rows),
        company_name=get_settings(session).name,
        as_of=utcnow(),
    )


# --- order and grouping --------------------------------------------------------------------------


def report_order(row: JobCostRow) -> tuple[str, ...]:
    """Division, cost code, sub job, cost type, each in natural order (2120.000 before 15400.000)."""
    return (
        natural_sort_key(row.division),
        natural_sort_key(row.cost_code),
        row.cost_code,
        natural_sort_key(row.sub_job_number),
        row.sub_job_number or "",
        natural_sort_key(row.cost_type_code),
        row.cost_type_code,
    )


def division_head(codes: Iterable[tuple[str, str]], division: str) -> str:
    """The description of the code that heads ``division``: the code that is the division followed
    only by zeros and delimiters (2000.000 for 2000, 01-000 for 01, 15000 for 15); the shortest
    wins. Empty when the company list has none."""
    heads = [
        (len(code), code, description)
        for code, description in codes
        if code.startswith(division) and not code[len(division) :].strip("0.-")
    ]
    return min(heads)[2] if heads else ""


def name_divisions(session: Session, divisions: list[DivisionSubtotal]) -> None:
    """Give each division subtotal the description of its heading code, when the list has one."""
    wanted = {d.division for d in divisions}
    if not wanted:
        return
    codes = session.execute(
        select(CostCode.code, CostCode.description, CostCode.division).where(CostCode.division.in_(wanted))
    ).all()
    by_division: dict[str, list[tuple[str, str]]] = {}
    for code, description, division in codes:
        by_division.setdefault(division, []).append((code, description))
    for subtotal in divisions:
        subtotal.name = division_head(by_division.get(subtotal.division, ()), subtotal.division)


def unsyncable_direct_costs(actor: Actor, project_id: int | None = None) -> AnySelect:
    """Job-cost rows from the ERP not yet placed, oldest first (a statement, for paging)."""
    require(actor, UNSYNCABLE_DIRECT_COSTS, "Viewing unsyncable direct costs")
    stmt = select(UnplacedJobCost).where(UnplacedJobCost.placed_at.is_(None)).order_by(UnplacedJobCost.id)
    if project_id is not None:
        stmt = stmt.where(UnplacedJobCost.project_id == project_id)
    return stmt
