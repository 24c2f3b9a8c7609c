"""The budget export (re-imports cleanly: the import columns, then read-only columns the importer
ignores) and the empty budget template, as CSV and XLSX, and the rows behind the export (each
budget line with its figures from the job-cost report).

Neither carries a totals row: a "Total" line would come back as a budget line on re-import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.tabular import MONEY, NUMBER, TEXT, Column, iter_csv, write_xlsx
from models import budget_columns as bc
from models.base import money
from models.budgets import Budget, BudgetLine
from models.enums import Tool
from models.natural_sort import natural_sort_key
from models.policy import Actor, reading, require
from models.projects import SubJob
from models.reports import JobCostFigures, get_project, line_figures
from models.wbs import CostCode, CostType

_KINDS = {
    bc.ORIGINAL_BUDGET_AMOUNT: MONEY,
    bc.QUANTITY: NUMBER,
    bc.UNIT_COST: NUMBER,
    bc.BUDGET_MODIFICATIONS: MONEY,
    bc.REVISED_BUDGET: MONEY,
    bc.COMMITTED_COSTS: MONEY,
    bc.DIRECT_COSTS_JTD: MONEY,
}
_WIDTHS = {bc.DESCRIPTION: 32, bc.SUB_JOB: 10, bc.COST_CODE: 12, bc.COST_TYPE: 10}

IMPORT_COLUMNS = tuple(Column(h, _KINDS.get(h, TEXT), _WIDTHS.get(h)) for h in bc.IMPORT_COLUMNS)
EXPORT_COLUMNS = IMPORT_COLUMNS + tuple(Column(h, _KINDS.get(h, TEXT)) for h in bc.READ_ONLY_COLUMNS)
SHEET_TITLE = "Budget"
TEMPLATE_SHEET_TITLE = "Budget Template"


@dataclass(slots=True)
class BudgetExportLine:
    sub_job: str
    cost_code: str
    cost_type: str
    description: str
    original_budget: Decimal
    quantity: Decimal | None
    unit_of_measure: str | None
    unit_cost: Decimal | None
    budget_modifications: Decimal
    revised_budget: Decimal
    committed: Decimal
    direct_costs: Decimal
    # names beside the codes (read-only columns of the export)
    sub_job_name: str = ""
    cost_code_description: str = ""
    cost_type_name: str = ""


def budget_export_lines(session: Session, actor: Actor, project_id: int) -> list[BudgetExportLine]:
    """The project's budget lines (by cost code, sub job, cost type, in natural order) with their
    read-only figures and the names of their codes."""
    require(actor, reading(Tool.BUDGET), "Exporting a budget")
    project = get_project(session, project_id)
    figures, _budget_keys = line_figures(session, project.id)
    stmt = (
        select(
            BudgetLine.sub_job_id,
            BudgetLine.cost_code_id,
            BudgetLine.cost_type_id,
            SubJob.number,
            CostCode.code,
            CostType.code,
            BudgetLine.description,
            BudgetLine.original_amount,
            BudgetLine.quantity,
            BudgetLine.unit_of_measure,
            BudgetLine.unit_cost,
            SubJob.name,
            CostCode.description,
            CostType.name,
        )
        .join(Budget, Budget.id == BudgetLine.budget_id)
        .join(CostCode, CostCode.id == BudgetLine.cost_code_id)
        .join(CostType, CostType.id == BudgetLine.cost_type_id)
        .outerjoin(SubJob, SubJob.id == BudgetLine.sub_job_id)
        .where(Budget.project_id == project.id)
        .order_by(CostCode.sort_key, CostCode.code, BudgetLine.id)
    )
    lines = []
    for row in session.execute(stmt):
        line = figures.get((project.id, row[0], row[1], row[2])) or JobCostFigures()
        lines.append(
            BudgetExportLine(
                sub_job=row[3] or "",
                cost_code=row[4],
                cost_type=row[5],
                description=row[6],
                original_budget=money(row[7]),
                quantity=row[8],
                unit_of_measure=row[9],
                unit_cost=row[10],
                budget_modifications=line.budget_modifications,
                revised_budget=line.revised_budget,
                committed=line.committed,
                direct_costs=line.direct_costs,
                sub_job_name=row[11] or "",
                cost_code_description=row[12],
                cost_type_name=row[13],
            )
        )
    lines.sort(
        key=lambda x: (
            natural_sort_key(x.cost_code),
            x.cost_code,
            natural_sort_key(x.sub_job),
            x.sub_job,
            natural_sort_key(x.cost_type),
            x.cost_type,
        )
    )
    return lines


def export_rows(lines: Iterable[BudgetExportLine]) -> Iterator[list[Any]]:
    for line in lines:
        yield [
            line.sub_job,
            line.cost_code,
            line.cost_type,
            line.description,
            line.original_budget,
            line.quantity,
            line.unit_of_measure or "",
            line.unit_cost,
            line.budget_modifications,
            line.revised_budget,
            line.committed,
            line.direct_costs,
        ]


def budget_csv(lines: Iterable[BudgetExportLine]) -> Iterator[str]:
    return iter_csv(EXPORT_COLUMNS, export_rows(lines))


def write_budget_xlsx(lines: Iterable[BudgetExportLine], fileobj: IO[bytes]) -> int:
    return write_xlsx(fileobj, SHEET_TITLE, EXPORT_COLUMNS, export_rows(lines))


def template_csv() -> Iterator[str]:
    """Only the import columns and no rows: an example row would be imported as a real line."""
    return iter_csv(IMPORT_COLUMNS, ())


def write_template_xlsx(fileobj: IO[bytes]) -> None:
    write_xlsx(fileobj, TEMPLATE_SHEET_TITLE, IMPORT_COLUMNS, ())
