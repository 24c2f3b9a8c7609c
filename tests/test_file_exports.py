"""File exports over HTTP and the CLI: the job-cost report, the company summary, the budget and its
template, the vendor list. Files are read back (csv module, openpyxl, python-calamine) and their
values compared with the report to the cent."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from api.cli import app as cli
from api.relay import to_global_id
from exporters.job_cost_report import FIGURE_COLUMNS, REPORT_COLUMNS, SUMMARY_COLUMNS
from exporters.tabular import MONEY_FORMAT, PERCENT_FORMAT
from models import budget_columns as bc
from models.directory import Vendor
from models.enums import PermissionLevel, SyncStatus, Tool
from tests.actors import SETUP
from tests.factories_reports import EXPECTED_ROWS, EXPECTED_TOTALS, INJECTION_DESCRIPTION, build_harbor_clinic

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_HEADERS = [c.header for c in REPORT_COLUMNS]
SUMMARY_HEADERS = [c.header for c in SUMMARY_COLUMNS]
FIGURE_ATTRS = [attr for _h, attr, _kind in FIGURE_COLUMNS]
BUDGET_HEADERS = list(bc.EXPORT_COLUMNS)


@pytest.fixture
def harbor(session_factory):
    with session_factory() as s:
        data = build_harbor_clinic(s)
        s.add_all(
            [
                Vendor(name="@Bad Actor", normalized_name="bad actor", city="-Reno", zip="02134"),
                Vendor(name="Zenith Steel", normalized_name="zenith steel", address="1 Main St",
                       city="Austin", state="TX", zip="73301"),
            ]
        )  # fmt: skip
        s.commit()
    return data


def _csv_rows(response) -> list[list[str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _text(value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "" if value is None else str(value)


def _expected_cells(expected: dict) -> list[str]:
    """The figure cells of a report row, then Over Budget and Over Budget By (blank unless over)."""
    over_by = expected["over_budget_amount"] if expected["over_budget"] else None
    return [_text(expected[a]) for a in FIGURE_ATTRS] + [_text(expected["over_budget"]), _text(over_by)]


def _get(client, admin, path):
    return client.get(path, headers=admin.headers)


def _report_path(project_id: int, fmt: str) -> str:
    return f"/exports/projects/{to_global_id('Project', project_id)}/job-cost-report.{fmt}"


def test_job_cost_report_csv_matches_the_report(client, admin, harbor):
    response = _get(client, admin, _report_path(harbor.project_id, "csv"))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="job-cost-report-24-001.csv"'
    rows = _csv_rows(response)
    assert rows[0] == REPORT_HEADERS
    body = rows[1:]
    assert {r[0] for r in body} == {"24-001"}  # the Job column
    assert [(r[2] or None, r[4], r[6]) for r in body] == [key for key, _ in EXPECTED_ROWS]
    assert [r[8:] for r in body] == [_expected_cells(expected) for _, expected in EXPECTED_ROWS]
    # a negative amount stays a plain number, not neutralised text
    assert body[0][REPORT_HEADERS.index("Budget Modifications")] == "-2500.00"
    assert body[2][REPORT_HEADERS.index("Remaining")] == "-750.10"
    assert body[2][REPORT_HEADERS.index("Over Budget By")] == "750.10"


def test_job_cost_report_xlsx_rows_subtotals_and_chart(client, admin, harbor):
    response = _get(client, admin, _report_path(harbor.project_id, "xlsx"))
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="job-cost-report-24-001.xlsx"'

    table = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("Job Cost Report")
    table = table.to_python()
    header = table.index(REPORT_HEADERS)
    assert header == 6  # below the title block and a blank row
    money_cols = [
        i for i, c in enumerate(REPORT_COLUMNS) if c.kind == "money" and c.header != "Over Budget By"
    ]
    money_attrs = [
        a for a, (_h, _a, kind) in zip(FIGURE_ATTRS, FIGURE_COLUMNS, strict=True) if kind == "money"
    ]
    lines = [r for r in table[header + 1 :] if r[0] == "24-001"]
    assert len(lines) == len(EXPECTED_ROWS)
    for row, (_key, expected) in zip(lines, EXPECTED_ROWS, strict=True):
        for i, name in zip(money_cols, money_attrs, strict=True):
            assert Decimal(str(row[i])).quantize(Decimal("0.01")) == expected[name], name
    labels = [r[0] for r in table[header + 1 :]]
    assert labels == [
        "24-001",
        "Total division 01",
        "24-001",
        "24-001",
        "24-001",
        "Total division 03",
        "24-001",
        "Total division 09",
        "Total job 24-001",
    ]
    totals = table[-1]
    for i, name in zip(money_cols, money_attrs, strict=True):
        assert Decimal(str(totals[i])).quantize(Decimal("0.01")) == EXPECTED_TOTALS[name]
    assert totals[REPORT_HEADERS.index("Percent Spent")] == pytest.approx(0.5983)

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Job Cost Report", "Budget vs Projected"]
    sheet = book["Job Cost Report"]
    assert sheet.freeze_panes == "A8"
    revised = REPORT_HEADERS.index("Revised Budget") + 1
    assert sheet.cell(row=8, column=revised).number_format == MONEY_FORMAT
    spent = sheet.cell(row=8, column=REPORT_HEADERS.index("Percent Spent") + 1)
    assert spent.number_format == PERCENT_FORMAT and spent.value == pytest.approx(0.6667)
    assert sheet.cell(row=7, column=1).font.b

    chart_sheet = book["Budget vs Projected"]
    rows = list(chart_sheet.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "Division")
    assert rows[at][:3] == ("Division", "Revised Budget", "Projected Cost")
    assert [(r[0], Decimal(str(r[1])), Decimal(str(r[2]))) for r in rows[at + 1 : at + 4]] == [
        ("Division 01", Decimal("7500"), Decimal("5000")),
        ("Division 03", Decimal("60500"), Decimal("60500.6")),
        ("Division 09", Decimal("0"), Decimal("1000.75")),
    ]
    assert rows[at + 4][0] == "Total" and rows[at + 4][1] == "=SUBTOTAL(9,B8:B10)"
    (chart,) = chart_sheet._charts
    assert chart.tagname == "barChart"
    assert (chart.type, chart.grouping) == ("col", "clustered")
    # two series (Revised Budget, Projected Cost) over the three divisions, the total left out
    assert [s.tx.strRef.f for s in chart.series] == [
        "'Budget vs Projected'!$B$7",
        "'Budget vs Projected'!$C$7",
    ]
    assert [s.val.numRef.f for s in chart.series] == [
        "'Budget vs Projected'!$B$8:$B$10",
        "'Budget vs Projected'!$C$8:$C$10",
    ]
    assert chart.series[0].cat.strRef.f == "'Budget vs Projected'!$A$8:$A$10"
    # the chart sits below its table, and the sheet prints on one page
    assert chart.anchor._from.row > at + 4
    assert (chart_sheet.page_setup.fitToWidth or 1, chart_sheet.page_setup.fitToHeight or 1) == (1, 1)


def test_job_cost_summary_downloads(client, admin, harbor, make_actor):
    rows = _csv_rows(_get(client, admin, "/exports/job-cost-summary.csv"))
    assert rows[0] == SUMMARY_HEADERS
    expected = [_text(EXPECTED_TOTALS[a]) for a in FIGURE_ATTRS]
    assert rows[1] == ["24-001", "Harbor Clinic", *expected, "2", "1750.85"]
    assert rows[2][:2] == ["24-002", "Mesa Library"]

    response = _get(client, admin, "/exports/job-cost-summary.xlsx")
    assert response.headers["content-disposition"] == 'attachment; filename="job-cost-summary.xlsx"'
    table = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert table[-1][0] == "Total"
    assert Decimal(str(table[-1][SUMMARY_HEADERS.index("Projected Cost")])).quantize(
        Decimal("0.01")
    ) == Decimal("66801.35")
    assert table[-1][SUMMARY_HEADERS.index("Lines Over Budget")] == 2
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Job Cost Summary", "Budget vs Projected"]
    (chart,) = book["Budget vs Projected"]._charts
    assert chart.series[0].cat.strRef.f == "'Budget vs Projected'!$A$7:$A$8"  # one bar pair per project
    reader = make_actor("Rae", {Tool.REPORTS: PermissionLevel.ADMIN})
    assert client.get("/exports/job-cost-summary.csv", headers=reader.headers).status_code == 403


def test_budget_export_reimport_layout_and_amounts(client, admin, harbor):
    pid = to_global_id("Project", harbor.project_id)
    response = _get(client, admin, f"/exports/projects/{pid}/budget.csv")
    assert response.headers["content-disposition"] == 'attachment; filename="budget-24-001.csv"'
    rows = _csv_rows(response)
    assert rows[0] == BUDGET_HEADERS
    assert rows[1:] == [
        ["", "", "01-100", "General Conditions", "L", "Labor", "Site supervision", "10000.00", "", "", "",
         "-2500.00", "7500.00", "0.00", "5000.00"],
        ["", "", "03-300", "Cast-in-Place Concrete", "S", "Subcontract", "'" + INJECTION_DESCRIPTION,
         "50000.00", "", "", "", "2500.00", "52500.00", "52250.50", "21234.56"],
        ["A", "Building A", "03-300", "Cast-in-Place Concrete", "M", "Material", "'-Rebar, see note",
         "8000.00", "2000", "LB", "4", "-500.00", "7500.00", "7800.00", "450.10"],
        ["", "", "03-400", "Precast Concrete", "S", "Subcontract", "Precast allowance", "0.00", "", "", "",
         "500.00", "500.00", "0.00", "0.00"],
    ]  # fmt: skip

    xlsx = _get(client, admin, f"/exports/projects/{pid}/budget.xlsx")
    assert xlsx.headers["content-type"] == XLSX
    table = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python()
    assert table[0] == BUDGET_HEADERS
    assert len(table) == 5  # no totals row: it would re-import as a budget line
    # XLSX text is stored as text, never as a formula, so it needs no quote
    assert table[2][6] == INJECTION_DESCRIPTION
    amounts = [[Decimal(str(v)).quantize(Decimal("0.01")) for v in (r[7], *r[11:])] for r in table[1:]]
    assert amounts[1] == [Decimal(v) for v in ("50000.00", "2500.00", "52500.00", "52250.50", "21234.56")]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:O5"
    assert sheet.cell(row=2, column=8).number_format == MONEY_FORMAT
    assert sheet.cell(row=2, column=8).data_type == "n"
    formula_cell = sheet.cell(row=3, column=7)
    assert formula_cell.data_type == "s" and formula_cell.value == INJECTION_DESCRIPTION


def test_budget_template_has_only_the_import_columns(client, admin):
    response = _get(client, admin, "/exports/budget-template.csv")
    assert response.headers["content-disposition"] == 'attachment; filename="budget-template.csv"'
    assert _csv_rows(response) == [list(bc.IMPORT_COLUMNS)]
    xlsx = _get(client, admin, "/exports/budget-template.xlsx")
    starred = [f"{h} *" if h in bc.REQUIRED_COLUMNS else h for h in bc.IMPORT_COLUMNS]
    assert CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python() == [
        starred
    ]


def test_vendor_export_labels_statuses_and_neutralises_injection(client, admin, harbor, make_actor):
    rows = _csv_rows(_get(client, admin, "/exports/vendors.csv"))
    assert rows == [
        [
            "Vendor Record Number",
            "Name",
            "Address",
            "City",
            "State",
            "Zip",
            "Sync Status",
            "Sync Status Code",
        ],
        ["", "'@Bad Actor", "", "'-Reno", "", "02134", "Not sent", "NOT_SENT"],
        ["ACME01", "ACME Concrete, Inc.", "", "", "", "", "Synced", SyncStatus.SYNCED.value],
        ["", "Zenith Steel", "1 Main St", "Austin", "TX", "73301", "Not sent", "NOT_SENT"],
    ]
    content = _get(client, admin, "/exports/vendors.xlsx").content
    table = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert table[1][:2] == ["", "@Bad Actor"] and table[1][5] == "02134"
    assert table[2][6:] == ["Synced", "SYNCED"]
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    # the columns the vendor import ignores say so
    assert (
        sheet["G1"].comment.text
        == sheet["H1"].comment.text
        == "Read-only: the vendor import ignores this column."
    )
    assert sheet["G1"].font.i and not sheet["B1"].font.i
    no_directory = make_actor("Rae", {Tool.REPORTS: PermissionLevel.ADMIN})
    assert client.get("/exports/vendors.csv", headers=no_directory.headers).status_code == 403


def test_downloads_need_a_token_and_the_permission(client, make_actor, harbor):
    path = _report_path(harbor.project_id, "csv")
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    budget_only = make_actor("Bo", {Tool.BUDGET: PermissionLevel.ADMIN})
    denied = client.get(path, headers=budget_only.headers)
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == "PERMISSION_DENIED"
    reports_only = make_actor("Rae", {Tool.REPORTS: PermissionLevel.READ_ONLY})
    assert client.get(path, headers=reports_only.headers).status_code == 403
    budget_reader = make_actor(
        "Rae", {Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.BUDGET: PermissionLevel.READ_ONLY}
    )
    assert client.get(path, headers=budget_reader.headers).status_code == 403
    reader = make_actor("Rae", {Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.BUDGET: PermissionLevel.ADMIN})
    assert client.get(path, headers=reader.headers).status_code == 200
    pid = to_global_id("Project", harbor.project_id)
    assert client.get(f"/exports/projects/{pid}/budget.csv", headers=reports_only.headers).status_code == 403


def test_bad_format_and_unknown_project(client, admin, harbor):
    wrong = client.get(_report_path(harbor.project_id, "pdf"), headers=admin.headers)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["code"] == "UNSUPPORTED_FILE_TYPE"
    missing = client.get(_report_path(999_999, "csv"), headers=admin.headers)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"


# --- CLI --------------------------------------------------------------------------------------------


@pytest.fixture
def run(engine):
    runner = CliRunner()
    env = {"COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return lambda *args: runner.invoke(cli, list(args), env=env)


def test_cli_exports_write_files(run, harbor, tmp_path):
    budget_csv = tmp_path / "budget.csv"
    result = run("export", "budget", "--project", "24-001", "--format", "csv", "-o", str(budget_csv))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(budget_csv.read_text(encoding="utf-8-sig"))))
    assert rows[0] == BUDGET_HEADERS and len(rows) == 5

    budget_xlsx = tmp_path / "budget.xlsx"
    assert (
        run("export", "budget", "--project", "24-001", "--format", "xlsx", "-o", str(budget_xlsx)).exit_code
        == 0
    )
    assert CalamineWorkbook.from_path(str(budget_xlsx)).get_sheet_by_index(0).to_python()[0] == BUDGET_HEADERS

    report = tmp_path / "report.xlsx"
    result = run("export", "job-cost-report", "--project", "24-001", "-f", "xlsx", "-o", str(report))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(report).sheetnames == ["Job Cost Report", "Budget vs Projected"]

    vendors = tmp_path / "vendors.csv"
    assert run("export", "vendors", "-o", str(vendors)).exit_code == 0
    assert vendors.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Vendor Record Number,Name")

    summary = tmp_path / "summary.csv"
    assert run("export", "job-cost-summary", "-o", str(summary)).exit_code == 0
    summary_rows = list(csv.reader(io.StringIO(summary.read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in summary_rows[1:]] == ["24-001", "24-002"]

    template = tmp_path / "template.xlsx"
    assert run("export", "budget-template", "-f", "xlsx", "-o", str(template)).exit_code == 0
    lists = openpyxl.load_workbook(template)["Lists"]
    assert [lists.cell(r, 1).value for r in range(2, 6)] == ["01-100", "03-300", "03-400", "09-900"]


def test_cli_unknown_project_fails_clearly(run, harbor, tmp_path):
    out = tmp_path / "x.csv"
    result = run("export", "job-cost-report", "--project", "NOPE", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error (NOT_FOUND): No project with number NOPE"
    assert not out.exists()


def test_budget_xlsx_export_reimports_unchanged(session, harbor):
    from exporters.budget import budget_export_lines, write_budget_xlsx
    from importers.budget import import_budget
    from importers.pipeline import ImportOptions
    from models.projects import Project

    buffer = io.BytesIO()
    write_budget_xlsx(budget_export_lines(session, SETUP, harbor.project_id), buffer)
    project = session.get(Project, harbor.project_id)
    run = import_budget(
        session, SETUP, project, buffer.getvalue(), "budget.xlsx", ImportOptions(dry_run=True)
    )
    assert run.errors == []
    assert run.counts["UNCHANGED"] == 4 and run.counts["CREATE"] == run.counts["UPDATE"] == 0


def test_budget_csv_export_with_formula_like_text_reimports_unchanged(session, harbor):
    """The CSV export neutralises '=...' with a leading quote; the importer reads it back as it was."""
    from exporters.budget import budget_csv, budget_export_lines
    from importers.budget import import_budget
    from importers.pipeline import ImportOptions
    from models.budgets import BudgetLine
    from models.projects import Project

    line = session.query(BudgetLine).order_by(BudgetLine.id).first()
    line.description = "=SUM(A1:A9) allowance"
    session.commit()
    exported = "".join(budget_csv(budget_export_lines(session, SETUP, harbor.project_id)))
    assert "'=SUM(A1:A9) allowance" in exported

    project = session.get(Project, harbor.project_id)
    run = import_budget(session, SETUP, project, exported.encode(), "budget.csv", ImportOptions())
    assert run.errors == []
    assert run.counts["UNCHANGED"] == 4 and run.counts["CREATE"] == run.counts["UPDATE"] == 0
    session.refresh(line)
    assert line.description == "=SUM(A1:A9) allowance"
