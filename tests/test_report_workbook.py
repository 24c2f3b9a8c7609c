"""The printed job-cost report on the demo company, read back with openpyxl as an accountant's
spreadsheet program would: title block, print set-up, number formats, SUBTOTAL formulas and their
cached values, a division whose overrun is not netted away by an under-run, the AP cost that belongs
to a purchase order counted once, natural order of cost codes, the company's division rule, and
the budget template's drop-down lists."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from api.demo import load_demo_if_empty
from exporters.budget import budget_book, budget_export_lines, write_budget_xlsx, write_template_xlsx
from exporters.job_cost_report import REPORT_COLUMNS, write_report_xlsx
from exporters.tabular import MONEY_FORMAT, PERCENT_FORMAT
from models import budget_columns as bc
from models.enums import DivisionRule, PermissionLevel, Tool
from models.erp import update_erp_settings
from models.errors import DomainError, ErrorCode
from models.natural_sort import natural_sort_key
from models.policy import SystemActor
from models.reports import JobCostFigures, find_project, job_cost_report
from models.wbs import CostCode, CostType, division_for
from tests.actors import SETUP

D = Decimal
HEADERS = [c.header for c in REPORT_COLUMNS]


def _col(header: str) -> int:
    return HEADERS.index(header) + 1


@pytest.fixture
def demo(session_factory, session):
    load_demo_if_empty(session_factory, lambda _line: None)
    return session


def _report_book(session, number: str):
    report = job_cost_report(session, SETUP, find_project(session, number).id)
    buffer = io.BytesIO()
    write_report_xlsx(report, buffer)
    data = buffer.getvalue()
    return (
        report,
        openpyxl.load_workbook(io.BytesIO(data)),
        openpyxl.load_workbook(io.BytesIO(data), data_only=True),
    )


def _row_of(sheet, label: str) -> int:
    return next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == label)


def test_division_with_an_overrun_and_an_underrun_keeps_the_overrun(demo):
    """24-101, division 6000: framing lumber (PO-001) is over its budget by 5,474.20, framing labor
    is 47,900.00 under. Netted, the division looks fine; the report still counts and sums the
    overrun, and so does the job total."""
    report, book, values = _report_book(demo, "24-101")
    division = next(d for d in report.divisions if d.division == "6000")
    f = division.figures
    assert (f.remaining, f.lines_over_budget, f.over_budget_amount, f.over_budget) == (
        D("42425.80"),
        1,
        D("5474.20"),
        True,
    )
    assert (report.totals.lines_over_budget, report.totals.over_budget_amount) == (1, D("5474.20"))
    assert report.totals.over_budget is True

    sheet, cached = book["Job Cost Report"], values["Job Cost Report"]
    # title block, then the header (row 7), repeated on every printed page
    assert [sheet.cell(r, 1).value for r in range(1, 4)] == [
        "Pacific Ridge Builders",
        "Job Cost Report",
        "Job 24-101 Harbor Point Medical Office",
    ]
    assert sheet["A4"].value.startswith("As of ") and sheet["A4"].value.endswith(" UTC")
    assert sheet["A5"].value == "Filters: none (every line of the job)"
    assert [sheet.cell(7, c).value for c in range(1, len(HEADERS) + 1)] == HEADERS
    assert sheet.print_title_rows == "$7:$7" and sheet.freeze_panes == "A8"
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize) == ("landscape", 1)  # US Letter
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0)  # one page wide, as tall as needed
    assert (
        sheet.oddFooter.left.text
        == "Pacific Ridge Builders - Job Cost Report - Job 24-101 Harbor Point Medical Office"
    )
    assert sheet.oddFooter.right.text == "Page &P of &N"
    assert sheet.cell(7, 1).font.name == "Arial" and sheet.cell(7, 1).font.b
    assert sheet.cell(7, _col("Revised Budget")).alignment.horizontal == "right"

    lumber = next(
        r
        for r in range(8, sheet.max_row)
        if (sheet.cell(r, 5).value, sheet.cell(r, 7).value) == ("6100.000", "1")
    )
    labor = lumber + 1
    subtotal = _row_of(sheet, "Total division 6000")
    assert subtotal == labor + 1
    assert sheet.cell(lumber, _col("Over Budget")).value == "Yes"
    assert sheet.cell(lumber, _col("Over Budget By")).value == pytest.approx(5474.20)
    assert sheet.cell(labor, _col("Over Budget")).value == "No"
    assert sheet.cell(labor, _col("Over Budget By")).value is None  # only an overrun has a figure

    def formula_and_value(row: int, header: str):
        return sheet.cell(row, _col(header)).value, cached.cell(row, _col(header)).value

    over_by = openpyxl.utils.get_column_letter(_col("Over Budget By"))
    remaining = openpyxl.utils.get_column_letter(_col("Remaining"))
    assert formula_and_value(subtotal, "Remaining") == (
        f"=SUBTOTAL(9,{remaining}{lumber}:{remaining}{labor})",
        pytest.approx(42425.80),
    )
    assert formula_and_value(subtotal, "Over Budget By") == (
        f"=SUBTOTAL(9,{over_by}{lumber}:{over_by}{labor})",
        pytest.approx(5474.20),
    )
    assert formula_and_value(subtotal, "Over Budget") == (
        f"=SUBTOTAL(2,{over_by}{lumber}:{over_by}{labor})",
        1,
    )
    assert sheet.cell(subtotal, _col("Over Budget")).number_format == '[=1]"1 line";#,##0" lines"'

    total = _row_of(sheet, "Total job 24-101")
    assert total == sheet.max_row
    assert sheet.cell(total, _col("Projected Cost")).value == f"=SUBTOTAL(9,Q8:Q{total - 1})"
    assert sheet.auto_filter.ref == f"A7:V{total - 1}"  # the total stays below the filtered rows
    for header, expected in (
        ("Original Budget", report.totals.original_budget),
        ("Committed", report.totals.committed),
        ("Projected Cost", report.totals.projected_cost),
        ("Remaining", report.totals.remaining),
        ("Over Budget By", report.totals.over_budget_amount),
    ):
        assert D(str(cached.cell(total, _col(header)).value)).quantize(D("0.01")) == expected, header
    assert cached.cell(total, _col("Over Budget")).value == 1
    spent_formula, spent = formula_and_value(total, "Percent Spent")
    assert spent_formula == f'=IF(K{total}<=0,"",ROUND(P{total}/K{total},4))'
    assert spent == pytest.approx(float(report.totals.percent_spent) / 100)
    complete_formula, complete = formula_and_value(total, "Percent Complete")
    assert complete_formula == f'=IF(MAX(K{total},Q{total})<=0,"",ROUND(P{total}/MAX(K{total},Q{total}),4))'
    assert complete == pytest.approx(float(report.totals.percent_complete) / 100)
    assert sheet.cell(total, _col("Percent Spent")).number_format == PERCENT_FORMAT
    assert sheet.cell(lumber, _col("Committed")).number_format == MONEY_FORMAT
    # the widest total fits its column: "$1,939,871.55" and its sign
    assert sheet.column_dimensions["I"].width >= len("$1,939,871.55")

    chart_sheet = book["Budget vs Projected"]
    assert chart_sheet.page_setup.orientation == "landscape"
    assert (chart_sheet.page_setup.fitToWidth or 1, chart_sheet.page_setup.fitToHeight or 1) == (1, 1)
    labels = [chart_sheet.cell(r, 1).value for r in range(8, 8 + len(report.divisions))]
    assert labels[:3] == ["1000 General Conditions", "2000 Site Work", "3000 Concrete"]
    assert "Division 6000" in labels  # no code heads 6000, so it is named by number


def test_ap_cost_with_commitment_counts_once(demo):
    """2317: PO-001 (Valley Equipment, COMPLETE, 11,980.00) and the AP invoice for it, which Sage
    records as "AP Cost (with Commitment)". The invoice is the purchase order's cost, not a second
    cost: projected cost stays at the commitment and the line is under budget."""
    report = job_cost_report(demo, SETUP, find_project(demo, "2317").id)
    line = next(
        r for r in report.rows if (r.sub_job_number, r.cost_code, r.cost_type_code) == ("1", "2120.000", "3")
    )
    f = line.figures
    assert (f.revised_budget, f.committed, f.invoiced, f.direct_costs, f.uncommitted_direct_costs) == (
        D("12400.00"),
        D("11980.00"),
        D("0.00"),
        D("11980.00"),
        D("0.00"),
    )
    assert (f.jtd_cost, f.projected_cost, f.remaining, f.over_budget) == (
        D("11980.00"),
        D("11980.00"),
        D("420.00"),
        False,
    )
    assert f.percent_complete == D("96.61")
    assert report.totals.lines_over_budget == 0


@pytest.mark.parametrize(
    ("invoiced", "erp_committed", "uncommitted", "jtd", "projected"),
    [
        # only the ERP knows the purchase order's invoice
        ("0.00", "11980.00", "0.00", "11980.00", "11980.00"),
        # an exported subcontractor invoice comes back as an AP cost with commitment: once
        ("3000.00", "3000.00", "0.00", "3000.00", "10000.00"),
        # billed past the commitment: the invoices are the better estimate
        ("12500.00", "12500.00", "0.00", "12500.00", "12500.00"),
        # an AP cost entered without the commitment adds on top (fix it in the ERP)
        ("0.00", "0.00", "1000.00", "1000.00", "11000.00"),
    ],
)
def test_cost_on_commitments_rule(invoiced, erp_committed, uncommitted, jtd, projected):
    f = JobCostFigures.for_line(
        original_budget=D("10000.00"),
        committed=D("10000.00"),
        invoiced=D(invoiced),
        direct_costs=D(erp_committed) + D(uncommitted),
        uncommitted_direct_costs=D(uncommitted),
    )
    assert (f.jtd_cost, f.projected_cost) == (D(jtd), D(projected))
    assert f.percent_complete == (D(jtd) / max(D("10000.00"), D(projected)) * 100).quantize(D("0.01"))


COST_CODES = """
query($after: String) { costCodes(first: 10, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { code division } } }
"""


def test_cost_codes_sort_naturally_everywhere(demo, gql):
    codes, after = [], None
    while True:
        page = gql.data(COST_CODES, {"after": after})["costCodes"]
        codes += [n["code"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert codes == sorted(codes, key=natural_sort_key)
    assert codes.index("9950.000") < codes.index("15400.000") < codes.index("16000.000")
    assert codes[:3] == ["1000.000", "1100.000", "1200.000"]

    report = job_cost_report(demo, SETUP, find_project(demo, "24-101").id)
    assert [r.cost_code for r in report.rows][-2:] == ["15400.000", "16000.000"]
    lines = budget_export_lines(demo, SETUP, find_project(demo, "24-101").id)
    assert [x.cost_code for x in lines] == sorted((x.cost_code for x in lines), key=natural_sort_key)
    assert [x.cost_code for x in lines][-2:] == ["15400.000", "16000.000"]


@pytest.mark.parametrize(
    ("code", "rule", "expected"),
    [
        ("01-100", DivisionRule.FIRST_SECTION, "01"),
        ("2120.000", DivisionRule.FIRST_SECTION, "2120"),
        ("2120.000", DivisionRule.THOUSANDS, "2000"),
        ("15400.000", DivisionRule.THOUSANDS, "15000"),
        ("850", DivisionRule.THOUSANDS, "0"),
        ("A-100", DivisionRule.THOUSANDS, "A"),
        ("15400", DivisionRule.LEADING_CHARACTERS, "15"),
    ],
)
def test_division_rules(code, rule, expected):
    assert division_for(code, rule, 2) == expected


SETTINGS = """
mutation($input: UpdateErpSettingsInput!) { updateErpSettings(input: $input) {
  erp { costDivisionRule costDivisionLength } errors { code field } } }
"""
REPORT_DIVISIONS = """
query($id: ID!) { jobCostReport(projectId: $id) { divisions { division name rowCount
  figures { linesOverBudget overBudgetAmount overBudget remaining } } } }
"""


def test_the_company_division_rule_regroups_codes_and_the_report(demo, gql):
    from api.relay import to_global_id

    pid = to_global_id("Project", find_project(demo, "24-101").id)
    before = gql.data(REPORT_DIVISIONS, {"id": pid})["jobCostReport"]["divisions"]
    assert [(d["division"], d["name"], d["rowCount"]) for d in before[:3]] == [
        ("1000", "General Conditions", 4),
        ("2000", "Site Work", 2),
        ("3000", "Concrete", 3),
    ]
    six = next(d for d in before if d["division"] == "6000")
    assert six["figures"] == {
        "linesOverBudget": 1,
        "overBudgetAmount": "5474.20",
        "overBudget": True,
        "remaining": "42425.80",
    }

    changed = gql.data(SETTINGS, {"input": {"costDivisionRule": "FIRST_SECTION"}})["updateErpSettings"]
    assert changed == {"erp": {"costDivisionRule": "FIRST_SECTION", "costDivisionLength": 2}, "errors": []}
    demo.expire_all()
    assert demo.scalar(select(CostCode.division).where(CostCode.code == "2120.000")) == "2120"
    after = gql.data(REPORT_DIVISIONS, {"id": pid})["jobCostReport"]["divisions"]
    assert [d["division"] for d in after][:4] == ["1000", "1100", "1200", "1300"]

    bad = gql.data(SETTINGS, {"input": {"costDivisionRule": "LEADING_CHARACTERS", "costDivisionLength": 0}})
    assert bad["updateErpSettings"]["errors"] == [{"code": "INVALID_VALUE", "field": "costDivisionLength"}]
    demo.expire_all()
    assert demo.scalar(select(CostCode.division).where(CostCode.code == "2120.000")) == "2120"

    gql.data(SETTINGS, {"input": {"costDivisionRule": "LEADING_CHARACTERS", "costDivisionLength": 1}})
    created = gql.data(
        'mutation { createCostCode(input: {code: "7100.000", description: "Waterproofing"}) '
        "{ costCode { division } errors { code } } }"
    )["createCostCode"]
    assert created == {"costCode": {"division": "7"}, "errors": []}


def test_the_division_rule_is_an_erp_setting_that_cannot_be_cleared(demo, gql, make_actor):
    """Changing the rule needs ADMIN on ERP Integrations; a null rule or length is refused REQUIRED;
    either way nothing changes."""
    standard = make_actor("Sam", {Tool.ERP_INTEGRATIONS: PermissionLevel.STANDARD})
    refused = gql.as_(standard).data(SETTINGS, {"input": {"costDivisionRule": "FIRST_SECTION"}})
    assert refused["updateErpSettings"] == {
        "erp": None,
        "errors": [{"code": "PERMISSION_DENIED", "field": None}],
    }
    for field in ("costDivisionRule", "costDivisionLength"):
        cleared = gql.data(SETTINGS, {"input": {field: None}})["updateErpSettings"]
        assert cleared == {"erp": None, "errors": [{"code": "REQUIRED", "field": field}]}
    demo.expire_all()
    assert demo.scalar(select(CostCode.division).where(CostCode.code == "2120.000")) == "2000"
    with pytest.raises(DomainError) as denied:
        reader = SystemActor("reader", {Tool.ERP_INTEGRATIONS: PermissionLevel.READ_ONLY})
        update_erp_settings(demo, reader, cost_division_rule=DivisionRule.FIRST_SECTION)
    assert denied.value.code == ErrorCode.PERMISSION_DENIED


def test_budget_template_guides_with_instructions_marks_and_drop_downs(demo):
    buffer = io.BytesIO()
    write_template_xlsx(buffer, budget_book(demo, SETUP))
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == [
        "Budget Template",
        "Instructions",
        "Lists",
    ]  # data first: the importer reads it
    sheet = book["Budget Template"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "Sub Job",
        "Cost Code *",
        "Cost Type *",
        "Description",
        "Original Budget Amount *",
        "Quantity",
        "Unit of Measure",
        "Unit Cost",
    ]
    assert sheet["B1"].fill.fgColor.rgb.endswith("FCE4D6") and sheet["B1"].comment.text.startswith(
        "Required."
    )
    assert not sheet["A1"].fill.fgColor.rgb.endswith("FCE4D6")

    codes = [c for (c,) in demo.execute(select(CostCode.code).where(CostCode.active.is_(True)))]
    types = [c for (c,) in demo.execute(select(CostType.code).where(CostType.active.is_(True)))]
    lists = book["Lists"]
    assert [lists.cell(r, 1).value for r in range(2, len(codes) + 2)] == sorted(codes, key=natural_sort_key)
    assert [lists.cell(r, 4).value for r in range(2, len(types) + 2)] == ["1", "2", "3", "4", "5"]
    assert lists["E2"].value == "Material"

    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"B2:B5001", "C2:C5001"}
    assert validations["B2:B5001"].type == "list"
    assert validations["B2:B5001"].formula1 == f"Lists!$A$2:$A${len(codes) + 1}"
    assert validations["C2:C5001"].formula1 == f"Lists!$D$2:$D${len(types) + 1}"
    assert book["Instructions"]["A1"].value == "Pacific Ridge Builders"
    assert any("Columns marked * are required" in (c.value or "") for c in book["Instructions"]["A"])
    # typed codes stay text: 2120.000 must not turn into the number 2120
    assert sheet.column_dimensions["B"].number_format == "@"


def test_budget_export_marks_ignored_columns_names_codes_and_offers_lists(demo):
    project = find_project(demo, "24-101")
    buffer = io.BytesIO()
    write_budget_xlsx(budget_export_lines(demo, SETUP, project.id), buffer, budget_book(demo, SETUP, project))
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book["Budget"]
    header = [c.value for c in sheet[1]]
    assert header == list(bc.EXPORT_COLUMNS)
    for j, name in enumerate(header, start=1):
        cell = sheet.cell(1, j)
        ignored = name in bc.READ_ONLY_COLUMNS
        assert bool(cell.font.i) is ignored, name
        assert (cell.comment is not None and cell.comment.text.startswith("Read-only")) is ignored, name
    first = [c.value for c in sheet[2]]
    assert first[:7] == [None, None, "1000.000", "General Conditions", "5", "Other", "Owner contingency"]
    assert (
        sheet.oddFooter.left.text
        == "Pacific Ridge Builders - Budget - Job 24-101 Harbor Point Medical Office"
    )
    assert {v.formula1 for v in sheet.data_validations.dataValidation} == {
        "Lists!$A$2:$A$29",
        "Lists!$D$2:$D$6",
    }
