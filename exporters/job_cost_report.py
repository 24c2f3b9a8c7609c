"""The job-cost report and the company job-cost summary as CSV and XLSX.

CSV holds the report rows only (one line per sub job x cost code x cost type) so reporting tools
can load it as data. XLSX is the printed report: a title block, the rows grouped by division with a
subtotal row after each division and the job total at the end (SUBTOTAL formulas with their values
cached), and a second sheet with the budget vs projected cost chart by division over its table,
printable on one page. The company summary has the same layout, one row per project.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any

from exporters.tabular import COUNT, MONEY, PERCENT, TEXT, CellRef, Column, iter_csv
from exporters.workbook import TOTAL_LABEL, Summary, Table, TitleBlock, XlsxBook
from models.reports import CompanyJobCostSummary, DivisionSubtotal, JobCostFigures, JobCostReport

REPORT_NAME = "Job Cost Report"
SUMMARY_NAME = "Company Job Cost Summary"
CHART_SHEET = "Budget vs Projected"
LINES_FORMAT = '[=1]"1 line";#,##0" lines"'


def _percent_spent(cell: CellRef, _span: CellRef) -> str:
    budget, jtd = cell("Revised Budget"), cell("JTD Cost")
    return f'=IF({budget}<=0,"",ROUND({jtd}/{budget},4))'


def _percent_complete(cell: CellRef, _span: CellRef) -> str:
    estimate = f"MAX({cell('Revised Budget')},{cell('Projected Cost')})"
    return f'=IF({estimate}<=0,"",ROUND({cell("JTD Cost")}/{estimate},4))'


def _lines_over(_cell: CellRef, span: CellRef) -> str:
    # a line over budget is the only kind with a number in Over Budget By
    return f"=SUBTOTAL(2,{span('Over Budget By')})"


# (header, attribute of JobCostFigures, kind, summary formula)
FIGURE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Original Budget", "original_budget", MONEY),
    ("Budget Modifications", "budget_modifications", MONEY),
    ("Revised Budget", "revised_budget", MONEY),
    ("Committed", "committed", MONEY),
    ("Invoiced", "invoiced", MONEY),
    ("Direct Costs (JTD)", "direct_costs", MONEY),
    ("Uncommitted Direct Costs", "uncommitted_direct_costs", MONEY),
    ("JTD Cost", "jtd_cost", MONEY),
    ("Projected Cost", "projected_cost", MONEY),
    ("Remaining", "remaining", MONEY),
    ("Percent Spent", "percent_spent", PERCENT),
    ("Percent Complete", "percent_complete", PERCENT),
)
_FORMULAS = {"percent_spent": _percent_spent, "percent_complete": _percent_complete}
_FIGURES = tuple(Column(h, kind, total=_FORMULAS.get(attr)) for h, attr, kind in FIGURE_COLUMNS)

# lines: Yes/No and the overrun; summary rows: how many lines are over, and their overruns summed
OVER_COLUMNS = (
    Column("Over Budget", TEXT, width=8, total=_lines_over, summary_format=LINES_FORMAT, align="center"),
    Column("Over Budget By", MONEY),
)

REPORT_COLUMNS = (
    Column("Job", width=7),
    Column("Division", width=8),
    Column("Sub Job", width=6),
    Column("Sub Job Name", width=14),
    Column("Cost Code", width=10),
    Column("Cost Code Description", width=22),
    Column("Cost Type", width=6),
    Column("Cost Type Name", width=11),
    *_FIGURES,
    *OVER_COLUMNS,
)

SUMMARY_COLUMNS = (
    Column("Project Number", width=10),
    Column("Project Name", width=28),
    *_FIGURES,
    Column("Lines Over Budget", COUNT),
    Column("Over Budget By", MONEY),
)

# the chart sheet: Revised Budget and Projected Cost side by side, so one range holds both series
CHART_COLUMNS = (
    Column("Division", width=26),
    Column("Revised Budget", MONEY),
    Column("Projected Cost", MONEY),
    Column("JTD Cost", MONEY),
    Column("Remaining", MONEY),
    Column("Percent Complete", PERCENT, total=_percent_complete),
    Column("Lines Over Budget", COUNT),
    Column("Over Budget By", MONEY),
)
PROJECT_CHART_COLUMNS = (Column("Project", width=34), *CHART_COLUMNS[1:])


def _figures(figures: JobCostFigures) -> list[Any]:
    return [getattr(figures, attr) for _header, attr, _kind in FIGURE_COLUMNS]


def _over(figures: JobCostFigures, *, summary: bool = False) -> list[Any]:
    if summary:
        return [figures.lines_over_budget, figures.over_budget_amount]
    return [figures.over_budget, figures.over_budget_amount if figures.over_budget else None]


def division_label(division: DivisionSubtotal) -> str:
    """ "2000 Site Work", or "Division 5000" when no code heads it (a label, never a bare number)."""
    return f"{division.division} {division.name}" if division.name else f"Division {division.division}"


def report_rows(report: JobCostReport) -> Iterator[list[Any]]:
    for row in report.rows:
        yield [
            report.project_number,
            row.division,
            row.sub_job_number or "",
            row.sub_job_name or "",
            row.cost_code,
            row.cost_code_description,
            row.cost_type_code,
            row.cost_type_name,
            *_figures(row.figures),
            *_over(row.figures),
        ]


def _grouped_rows(report: JobCostReport) -> Iterator[list[Any] | Summary]:
    """The rows with a subtotal after each division (rows come sorted by division)."""
    rows = report_rows(report)
    for division in report.divisions:
        for _ in range(division.row_count):
            yield next(rows)
        label = f"Total division {division.division} {division.name}".rstrip()
        yield Summary([label, *[""] * 7, *_figures(division.figures), *_over(division.figures, summary=True)])


def report_totals(report: JobCostReport) -> list[Any]:
    label = f"{TOTAL_LABEL} job {report.project_number}"
    return [label, *[""] * 7, *_figures(report.totals), *_over(report.totals, summary=True)]


def report_title(report: JobCostReport, name: str = REPORT_NAME) -> TitleBlock:
    return TitleBlock(
        company=report.company_name,
        report=name,
        subject=f"Job {report.project_number} {report.project_name}",
        as_of=report.as_of,
        filters="none (every line of the job)",
    )


def report_csv(report: JobCostReport) -> Iterator[str]:
    return iter_csv(REPORT_COLUMNS, report_rows(report))


def _chart_row(label: str, f: JobCostFigures) -> list[Any]:
    return [
        label,
        f.revised_budget,
        f.projected_cost,
        f.jtd_cost,
        f.remaining,
        f.percent_complete,
        f.lines_over_budget,
        f.over_budget_amount,
    ]


def _chart_sheet(
    book: XlsxBook,
    title: TitleBlock,
    columns: Sequence[Column],
    rows: list[list[Any]],
    totals: list[Any],
    chart_title: str,
    axis: str,
) -> Table:
    """The chart's table (so the chart has its own data), the clustered bars of Revised Budget vs
    Projected Cost below it, the sheet printed on one page."""
    table = book.add_table(CHART_SHEET, columns, rows, title=title, totals=totals)
    chart = book.workbook.add_chart({"type": "column"})
    if table.count:
        first, last = table.first_row, table.first_row + table.count - 1
        for col, colour in ((1, "#8EA9C1"), (2, "#C0504D")):
            chart.add_series(
                {
                    "name": [CHART_SHEET, table.header_row, col],
                    "categories": [CHART_SHEET, first, 0, last, 0],
                    "values": [CHART_SHEET, first, col, last, col],
                    # the cached labels and amounts (a streamed sheet cannot be read back for
                    # them), so the axis holds text labels and every reader draws the same bars
                    "name_data": [columns[col].header],
                    "categories_data": [row[0] for row in rows],
                    "values_data": [float(row[col]) for row in rows],
                    "fill": {"color": colour},
                    "gap": 80,
                }
            )
    chart.set_title({"name": chart_title, "name_font": {"name": "Arial", "size": 11}})
    axis_title = {"name": "Arial", "size": 9, "bold": True}
    chart.set_x_axis(
        {"name": axis, "name_font": axis_title, "num_font": {"name": "Arial", "size": 8, "rotation": -30}}
    )
    chart.set_y_axis(
        {
            "name": "Amount",
            "name_font": axis_title,
            "num_format": '"$"#,##0',
            "num_font": {"name": "Arial", "size": 8},
        }
    )
    chart.set_legend({"position": "top", "font": {"name": "Arial", "size": 9}})
    chart.set_size({"width": 980, "height": 400})
    below = (table.total_row if table.total_row is not None else table.last_row) + 2
    table.sheet.insert_chart(below, 0, chart, {"object_position": 3})
    book.print_setup(table.sheet, title.footer, one_page=True)
    return table


def write_report_xlsx(report: JobCostReport, fileobj: IO[bytes]) -> None:
    book = XlsxBook(fileobj)
    title = report_title(report)
    book.add_table(
        REPORT_NAME,
        REPORT_COLUMNS,
        _grouped_rows(report),
        title=title,
        totals=Summary(report_totals(report), total=True),
    )
    _chart_sheet(
        book,
        report_title(report, f"{REPORT_NAME}: budget vs projected cost by division"),
        CHART_COLUMNS,
        [_chart_row(division_label(d), d.figures) for d in report.divisions],
        _chart_row(TOTAL_LABEL, report.totals),
        f"{report.project_number} {report.project_name}: budget vs projected cost by division",
        "Division",
    )
    book.close()


def summary_rows(summary: CompanyJobCostSummary) -> Iterator[list[Any]]:
    for row in summary.rows:
        f = row.figures
        yield [row.project_number, row.project_name, *_figures(f), f.lines_over_budget, f.over_budget_amount]


def summary_csv(summary: CompanyJobCostSummary) -> Iterator[str]:
    return iter_csv(SUMMARY_COLUMNS, summary_rows(summary))


def _summary_title(summary: CompanyJobCostSummary, name: str = SUMMARY_NAME) -> TitleBlock:
    return TitleBlock(
        company=summary.company_name, report=name, as_of=summary.as_of, filters="none (every project)"
    )


def write_summary_xlsx(summary: CompanyJobCostSummary, fileobj: IO[bytes]) -> None:
    book = XlsxBook(fileobj)
    f = summary.totals
    totals = [TOTAL_LABEL, "", *_figures(f), f.lines_over_budget, f.over_budget_amount]
    book.add_table(
        "Job Cost Summary",
        SUMMARY_COLUMNS,
        summary_rows(summary),
        title=_summary_title(summary),
        totals=Summary(totals, total=True),
    )
    _chart_sheet(
        book,
        _summary_title(summary, f"{SUMMARY_NAME}: budget vs projected cost by project"),
        PROJECT_CHART_COLUMNS,
        [_chart_row(f"{r.project_number} {r.project_name}", r.figures) for r in summary.rows],
        _chart_row(TOTAL_LABEL, summary.totals),
        "Budget vs projected cost by project",
        "Project",
    )
    book.close()
