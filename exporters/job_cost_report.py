"""The job-cost report and the company job-cost summary as CSV and XLSX.

CSV holds the report rows only (one line per sub job x cost code x cost type) so reporting tools
can load it as data; XLSX adds the bold totals row and a second sheet with the division subtotals
and a budget-vs-JTD bar chart per division.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any

from openpyxl.chart import BarChart, Reference

from exporters.tabular import MONEY, PERCENT, TEXT, TOTAL_LABEL, Column, XlsxWriter, iter_csv
from models.reports import CompanyJobCostSummary, JobCostFigures, JobCostReport

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
    ("Over Budget", "over_budget", TEXT),
)

REPORT_COLUMNS = (
    Column("Division", width=10),
    Column("Sub Job", width=10),
    Column("Sub Job Name", width=20),
    Column("Cost Code", width=12),
    Column("Cost Code Description", width=30),
    Column("Cost Type", width=10),
    Column("Cost Type Name", width=16),
    *(Column(header, kind) for header, _attr, kind in FIGURE_COLUMNS),
)

SUMMARY_COLUMNS = (
    Column("Project Number", width=14),
    Column("Project Name", width=30),
    *(Column(header, kind) for header, _attr, kind in FIGURE_COLUMNS),
)

# the chart sheet: Revised Budget and JTD Cost side by side so one Reference spans both series
DIVISION_COLUMNS = (
    Column("Division", width=12),
    Column("Revised Budget", MONEY),
    Column("JTD Cost", MONEY),
    Column("Original Budget", MONEY),
    Column("Committed", MONEY),
    Column("Projected Cost", MONEY),
    Column("Remaining", MONEY),
    Column("Percent Spent", PERCENT),
    Column("Over Budget"),
)


def _figures(figures: JobCostFigures) -> list[Any]:
    return [getattr(figures, attr) for _header, attr, _kind in FIGURE_COLUMNS]


def report_rows(report: JobCostReport) -> Iterator[list[Any]]:
    for row in report.rows:
        yield [
            row.division,
            row.sub_job_number or "",
            row.sub_job_name or "",
            row.cost_code,
            row.cost_code_description,
            row.cost_type_code,
            row.cost_type_name,
            *_figures(row.figures),
        ]


def report_totals(report: JobCostReport) -> list[Any]:
    return [TOTAL_LABEL, "", "", "", "", "", "", *_figures(report.totals)]


def _division_row(label: str, f: JobCostFigures) -> list[Any]:
    return [
        label,
        f.revised_budget,
        f.jtd_cost,
        f.original_budget,
        f.committed,
        f.projected_cost,
        f.remaining,
        f.percent_spent,
        f.over_budget,
    ]


def report_csv(report: JobCostReport) -> Iterator[str]:
    return iter_csv(REPORT_COLUMNS, report_rows(report))


def write_report_xlsx(report: JobCostReport, fileobj: IO[bytes]) -> None:
    writer = XlsxWriter()
    writer.add_table("Job Cost Report", REPORT_COLUMNS, report_rows(report), totals=report_totals(report))
    chart_sheet, count = writer.add_table(
        "Budget vs JTD",
        DIVISION_COLUMNS,
        (_division_row(d.division, d.figures) for d in report.divisions),
        totals=_division_row(TOTAL_LABEL, report.totals),
    )
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = f"{report.project_number} {report.project_name}: budget vs JTD cost by division"
    chart.y_axis.title = "Amount"
    chart.x_axis.title = "Division"
    chart.y_axis.numFmt = '"$"#,##0'
    chart.height, chart.width = 10, 22
    if count:
        data = Reference(chart_sheet, min_col=2, max_col=3, min_row=1, max_row=count + 1)
        categories = Reference(chart_sheet, min_col=1, min_row=2, max_row=count + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(categories)
    chart_sheet.add_chart(chart, "K2")
    writer.save(fileobj)


def summary_rows(summary: CompanyJobCostSummary) -> Iterator[list[Any]]:
    for row in summary.rows:
        yield [row.project_number, row.project_name, *_figures(row.figures)]


def summary_csv(summary: CompanyJobCostSummary) -> Iterator[str]:
    return iter_csv(SUMMARY_COLUMNS, summary_rows(summary))


def write_summary_xlsx(summary: CompanyJobCostSummary, fileobj: IO[bytes]) -> None:
    writer = XlsxWriter()
    totals: Sequence[Any] = [TOTAL_LABEL, "", *_figures(summary.totals)]
    writer.add_table("Job Cost Summary", SUMMARY_COLUMNS, summary_rows(summary), totals=totals)
    writer.save(fileobj)
