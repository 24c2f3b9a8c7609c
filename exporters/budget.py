"""The budget export and the budget template, as CSV and XLSX, and the rows behind the export (each
budget line with its figures from the job-cost report and the names beside its codes).

The export re-imports cleanly: the import columns, with read-only columns the importer ignores
(the names beside the codes, and the figures after the import columns). Neither file carries a
totals row: a "Total" line would come back as a budget line.

The XLSX files guide whoever fills them in: required columns are tinted (and starred in the
template), ignored columns are grey with a note saying so, the Cost Code and Cost Type cells offer
drop-down lists of the company's active codes (sheet "Lists"), and the template opens with an
Instructions sheet. The data sheet stays first, with its header in row 1, because the importer
reads the first sheet that has data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from xlsxwriter.worksheet import Worksheet

from exporters.tabular import IGNORED, MONEY, NUMBER, REQUIRED, TEXT, Column, iter_csv
from exporters.workbook import TitleBlock, XlsxBook
from models import budget_columns as bc
from models.base import money, utcnow
from models.budgets import Budget, BudgetLine
from models.company import get_settings
from models.enums import Tool
from models.natural_sort import natural_sort_key
from models.policy import WBS_READ, Actor, reading, require
from models.projects import Project, SubJob
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
_WIDTHS = {
    bc.SUB_JOB: 8,
    bc.SUB_JOB_NAME: 16,
    bc.COST_CODE: 11,
    bc.COST_CODE_NAME: 22,
    bc.COST_TYPE: 7,
    bc.COST_TYPE_NAME: 12,
    bc.DESCRIPTION: 32,
    bc.UNIT_OF_MEASURE: 8,
}
IGNORED_NOTE = "Read-only: the importer ignores this column."
# what each import column takes, for the header notes and the Instructions sheet
GUIDE = {
    bc.SUB_JOB: "The sub job (phase or extra) number; leave blank for lines without a sub job.",
    bc.COST_CODE: "A code of the company cost code list (drop-down; sheet Lists), typed as text: 2120.000.",
    bc.COST_TYPE: "A cost type code (drop-down; sheet Lists); its ERP letter or name is accepted too.",
    bc.DESCRIPTION: "The line's description (up to 200 characters).",
    bc.ORIGINAL_BUDGET_AMOUNT: "The original budget in dollars: 1234.56, $1,234.56 or (1,234.56); "
    "0 is a line.",
    bc.QUANTITY: "Optional quantity.",
    bc.UNIT_OF_MEASURE: "Optional unit of measure (up to 20 characters): CY, LF, EA.",
    bc.UNIT_COST: "Optional unit cost.",
}
TEMPLATE_ROWS = 5000  # rows that carry the drop-down lists


def _column(header: str, *, starred: bool = False) -> Column:
    required = header in bc.REQUIRED_COLUMNS
    ignored = header in bc.READ_ONLY_COLUMNS
    return Column(
        f"{header} *" if required and starred else header,
        _KINDS.get(header, TEXT),
        _WIDTHS.get(header),
        note=IGNORED_NOTE if ignored else (f"Required. {GUIDE[header]}" if required else GUIDE.get(header)),
        role=REQUIRED if required else IGNORED if ignored else None,
    )


IMPORT_COLUMNS = tuple(_column(h) for h in bc.IMPORT_COLUMNS)
TEMPLATE_COLUMNS = tuple(_column(h, starred=True) for h in bc.IMPORT_COLUMNS)
EXPORT_COLUMNS = tuple(_column(h) for h in bc.EXPORT_COLUMNS)
SHEET_TITLE = "Budget"
TEMPLATE_SHEET_TITLE = "Budget Template"
LISTS_SHEET = "Lists"


@dataclass(frozen=True)
class BudgetBook:
    """What the XLSX budget files need besides the lines: the title for the footer and the
    company's active cost codes and cost types for the drop-down lists."""

    title: TitleBlock
    cost_codes: Sequence[tuple[str, str]] = field(default_factory=tuple)
    cost_types: Sequence[tuple[str, str]] = field(default_factory=tuple)


def budget_book(session: Session, actor: Actor, project: Project | None = None) -> BudgetBook:
    """The title and the drop-down lists of the budget files (reading the cost code list)."""
    require(actor, WBS_READ, "Reading cost codes")
    settings = get_settings(session)
    codes = session.execute(
        select(CostCode.code, CostCode.description)
        .where(CostCode.active.is_(True))
        .order_by(CostCode.sort_key, CostCode.code)
    ).all()
    types = sorted(
        session.execute(select(CostType.code, CostType.name).where(CostType.active.is_(True))).all(),
        key=lambda t: (natural_sort_key(t[0]), t[0]),
    )
    if project is None:
        title = TitleBlock(company=settings.name, report="Budget import template")
    else:
        title = TitleBlock(
            company=settings.name,
            report="Budget",
            subject=f"Job {project.number} {project.name}",
            as_of=utcnow(),
        )
    return BudgetBook(title, [(c[0], c[1]) for c in codes], [(t[0], t[1]) for t in types])


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
            line.sub_job_name,
            line.cost_code,
            line.cost_code_description,
            line.cost_type,
            line.cost_type_name,
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


def template_csv() -> Iterator[str]:
    """Only the import columns and no rows: an example row would be imported as a real line."""
    return iter_csv(IMPORT_COLUMNS, ())


# --- XLSX -------------------------------------------------------------------------------------------


def _lists_sheet(book: XlsxBook, info: BudgetBook) -> tuple[str | None, str | None]:
    """The Lists sheet; returns the ranges of the cost codes and of the cost types."""
    sheet = book.add_sheet(LISTS_SHEET)
    header = book.fmt(bold=True, bottom=1, bg_color="#DDE4EE")
    for col, text in enumerate(("Cost Code", "Description", "", "Cost Type", "Name")):
        if text:
            sheet.write_string(0, col, text, header)
    rows = max(len(info.cost_codes), len(info.cost_types))
    for i in range(rows):
        if i < len(info.cost_codes):
            sheet.write_string(i + 1, 0, info.cost_codes[i][0])
            sheet.write_string(i + 1, 1, info.cost_codes[i][1])
        if i < len(info.cost_types):
            sheet.write_string(i + 1, 3, info.cost_types[i][0])
            sheet.write_string(i + 1, 4, info.cost_types[i][1])
    for col, width in ((0, 12), (1, 34), (2, 3), (3, 10), (4, 20)):
        sheet.set_column(col, col, width)
    book.print_setup(sheet, info.title.footer or LISTS_SHEET, repeat_row=0)
    codes = f"={LISTS_SHEET}!$A$2:$A${len(info.cost_codes) + 1}" if info.cost_codes else None
    types = f"={LISTS_SHEET}!$D$2:$D${len(info.cost_types) + 1}" if info.cost_types else None
    return codes, types


def _drop_downs(
    sheet: Worksheet, columns: Sequence[Column], ranges: tuple[str | None, str | None], last_row: int
) -> None:
    """List validation on the Cost Code and Cost Type cells of the data rows."""
    codes, types = ranges
    names = [c.header.rstrip(" *") for c in columns]
    for header, source, what in ((bc.COST_CODE, codes, "cost code"), (bc.COST_TYPE, types, "cost type")):
        if source is None or header not in names:
            continue
        col = names.index(header)
        sheet.data_validation(
            1,
            col,
            last_row,
            col,
            {
                "validate": "list",
                "source": source,
                "error_type": "warning",
                "error_title": f"Not a company {what}",
                "error_message": f"Pick a {what} from the list (sheet {LISTS_SHEET}); the import refuses "
                f"an unknown {what}.",
            },
        )


def _text_column(
    sheet: Worksheet, book: XlsxBook, columns: Sequence[Column], header: str, width: float
) -> None:
    """Cells typed in this column stay text (2120.000 must not become the number 2120)."""
    names = [c.header.rstrip(" *") for c in columns]
    col = names.index(header)
    sheet.set_column(col, col, width, book.fmt(num_format="@"))


def write_budget_xlsx(
    lines: Iterable[BudgetExportLine], fileobj: IO[bytes], info: BudgetBook | None = None
) -> int:
    book = XlsxBook(fileobj)
    info = info or BudgetBook(TitleBlock(company="", report="Budget"))
    table = book.add_table(SHEET_TITLE, EXPORT_COLUMNS, export_rows(lines), footer=info.title.footer)
    ranges = _lists_sheet(book, info)
    _drop_downs(table.sheet, EXPORT_COLUMNS, ranges, max(table.last_row, 1) + 200)
    book.close()
    return table.count


def write_template_xlsx(fileobj: IO[bytes], info: BudgetBook | None = None) -> None:
    book = XlsxBook(fileobj)
    info = info or BudgetBook(TitleBlock(company="", report="Budget import template"))
    table = book.add_table(TEMPLATE_SHEET_TITLE, TEMPLATE_COLUMNS, (), footer=info.title.footer)
    for header in (bc.SUB_JOB, bc.COST_CODE, bc.COST_TYPE):
        width = table.columns[[c.header.rstrip(" *") for c in table.columns].index(header)].width or 10
        _text_column(table.sheet, book, TEMPLATE_COLUMNS, header, width)
    _instructions(book, info)
    ranges = _lists_sheet(book, info)
    _drop_downs(table.sheet, TEMPLATE_COLUMNS, ranges, TEMPLATE_ROWS)
    book.close()


def _instructions(book: XlsxBook, info: BudgetBook) -> None:
    sheet = book.add_sheet("Instructions")
    row = book.write_title(sheet, info.title)
    bold, plain, wrap = (
        book.fmt(bold=True, valign="top"),
        book.fmt(valign="top"),
        book.fmt(text_wrap=True, valign="top"),
    )
    steps = (
        f"1. Fill in one row per budget line on the sheet '{TEMPLATE_SHEET_TITLE}', from row 2: one line per",
        "    sub job x cost code x cost type.",
        "2. Columns marked * are required. Cost Code and Cost Type offer drop-down lists of the company's",
        f"    active codes (sheet '{LISTS_SHEET}'); a code that is not in the company list is refused on "
        "import.",
        "3. Do not add a total row: every row below the header is imported as a budget line.",
        "4. Import with: costbridge import budget FILE --project NUMBER (--dry-run checks it first), or the",
        "    importBudget mutation. Nothing is written unless every row is valid.",
        "5. Importing the same file again changes nothing. An exported budget can be edited and imported",
        "    again: its grey columns are read-only and ignored.",
    )
    for text in steps:
        sheet.write_string(row, 0, text)
        row += 1
    row += 1
    for col, text in enumerate(("Column", "Required", "What to enter")):
        sheet.write_string(row, col, text, book.fmt(bold=True, bottom=1, bg_color="#DDE4EE"))
    for header in bc.IMPORT_COLUMNS:
        row += 1
        sheet.write_string(row, 0, header, bold)
        sheet.write_string(row, 1, "Yes" if header in bc.REQUIRED_COLUMNS else "No", plain)
        sheet.write_string(row, 2, GUIDE[header], wrap)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 9)
    sheet.set_column(2, 2, 90)
    book.print_setup(sheet, info.title.footer, one_page=True)
