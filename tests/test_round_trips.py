"""End-to-end round trips an accountant relies on, over HTTP on both backends:

- a budget exported from CostBridge, edited in a spreadsheet and imported again changes exactly
  the edited amounts and nothing else;
- the job-cost report's totals equal, to the cent, the amounts of the job-cost file loaded.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from api.relay import to_global_id
from models import budget_columns as bc
from tests import files_common as f
from tests import files_job_costs as fj
from tests.factories_imports import budget_lines, seed, snapshot, upload

BUDGET = [
    [bc.SUB_JOB, bc.COST_CODE, bc.COST_TYPE, bc.DESCRIPTION, bc.ORIGINAL_BUDGET_AMOUNT],
    ["", "01-100", "1", "Rebar and mesh", "12,500.00"],
    ["01", "01-200", "2", "Formwork crew", "8,400.10"],
    ["", "2120.000", "4", "Site clearing sub", "0.00"],
]


@pytest.fixture
def world(session):
    return seed(session)


def _download(client, actor, path: str) -> bytes:
    response = client.get(path, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.content


def _edit_csv(content: bytes, code: str, amount: str) -> bytes:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header = rows[0]
    code_at, amount_at = header.index(bc.COST_CODE), header.index(bc.ORIGINAL_BUDGET_AMOUNT)
    for row in rows[1:]:
        if row[code_at] == code:
            row[amount_at] = amount
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _edit_xlsx(content: bytes, code: str, amount: str) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    code_at, amount_at = header.index(bc.COST_CODE) + 1, header.index(bc.ORIGINAL_BUDGET_AMOUNT) + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, code_at).value == code:
            sheet.cell(row, amount_at).value = float(amount)  # what Excel stores after an edit
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("fmt,edit", [("csv", _edit_csv), ("xlsx", _edit_xlsx)], ids=["csv", "xlsx"])
def test_exported_budget_edited_and_reimported_changes_only_the_edit(
    client, admin, world, session, fmt, edit
):
    first = upload(client, admin, "budget", "budget.csv", f.csv_bytes(BUDGET), projectId=_project(world))
    assert first["errors"] == [] and first["importRun"]["counts"]["create"] == 3, first
    before = budget_lines(session, world.project_id)
    tables_before = snapshot(session)

    exported = _download(client, admin, f"/exports/projects/{_project(world)}/budget.{fmt}")
    edited = edit(exported, "01-200", "9100.35")
    again = upload(client, admin, "budget", f"budget-edited.{fmt}", edited, projectId=_project(world))

    assert again["errors"] == [] and again["importRun"]["errors"] == [], again
    counts = again["importRun"]["counts"]
    assert (counts["create"], counts["update"], counts["unchanged"]) == (0, 1, 2), counts
    after = budget_lines(session, world.project_id)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [
        (
            ("01-200", "2", "01", Decimal("8400.10"), "Formwork crew"),
            ("01-200", "2", "01", Decimal("9100.35"), "Formwork crew"),
        )
    ]
    assert snapshot(session) == tables_before  # no line, vendor, cost or event added or removed


REPORT = """
query($id: ID!) {
  jobCostReport(projectId: $id) {
    rows { costCode { code } figures { directCosts } }
    totals { directCosts jtdCost }
  }
}
"""


def _file_amount(text: str) -> Decimal:
    text = text.replace(",", "")
    if text.startswith("(") and text.endswith(")"):
        return -Decimal(text[1:-1])
    return Decimal(text)


def test_job_cost_report_totals_equal_the_loaded_file(client, admin, gql, world):
    loaded = upload(client, admin, "job-costs", "costs.csv", fj.good_csv())
    assert loaded["errors"] == [] and loaded["importRun"]["counts"]["create"] == len(fj.ROWS), loaded
    file_total = sum(_file_amount(row[fj.HEADER.index("Amount")]) for row in fj.ROWS)
    assert file_total == Decimal("5974.75")

    report = gql.data(REPORT, {"id": _project(world)})["jobCostReport"]
    assert Decimal(report["totals"]["directCosts"]) == file_total
    assert sum(Decimal(r["figures"]["directCosts"]) for r in report["rows"]) == file_total
    # loading the same file again places nothing twice
    upload(client, admin, "job-costs", "costs.csv", fj.good_csv())
    again = gql.data(REPORT, {"id": _project(world)})["jobCostReport"]
    assert Decimal(again["totals"]["directCosts"]) == file_total


def _project(world) -> str:
    return to_global_id("Project", world.project_id)
