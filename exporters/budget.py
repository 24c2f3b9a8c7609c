"""The budget export (re-imports cleanly: the import columns, then read-only columns the importer
ignores) and the empty budget template, as CSV and XLSX.

Neither carries a totals row: a "Total" line would come back as a budget line on re-import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from exporters.tabular import MONEY, NUMBER, TEXT, Column, iter_csv, write_xlsx
from models import budget_columns as bc
from models.reports import BudgetExportLine

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
