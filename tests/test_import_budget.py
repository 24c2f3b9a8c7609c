"""Budget import over HTTP: every format, report exports, re-import, dry run, error policies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from api.relay import to_global_id
from models.budgets import Budget
from models.enums import PermissionLevel, Tool
from models.imports import ImportRun
from models.projects import ProjectCostCode
from tests import files_budget as fb
from tests import files_common as f
from tests.factories_imports import budget_lines, seed, snapshot, upload


@pytest.fixture
def world(session):
    return seed(session)


def _import(client, admin, world, name, content, **kw):
    return upload(
        client, admin, "budget", name, content, projectId=to_global_id("Project", world.project_id), **kw
    )


def _lines(session, world):
    return [(c, t, s, str(a), d) for c, t, s, a, d in budget_lines(session, world.project_id)]


def test_csv_budget_loads_every_line_to_the_cent(client, admin, world, session):
    out = _import(client, admin, world, "budget.csv", fb.good_csv())
    run = out["importRun"]
    assert out["errors"] == []
    assert run["status"] == "SUCCEEDED"
    assert run["kind"] == "BUDGET"
    assert run["counts"] == {
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "error": 0,
        "skipped": 0,
        "unplaced": 0,
    }
    assert _lines(session, world) == fb.EXPECTED


@pytest.mark.parametrize(
    "name,build",
    [
        ("budget.xlsx", lambda: f.xlsx_bytes(fb.typed_rows())),
        ("budget.xls", lambda: f.xls_bytes(fb.typed_rows())),
        ("budget.ods", lambda: f.ods_bytes(fb.typed_rows())),
        ("budget.csv", lambda: f.csv_bytes(fb.good_rows(), encoding="cp1252")),
        ("budget.csv", lambda: f.csv_bytes(fb.good_rows(), bom=True)),
        ("budget.txt", lambda: f.csv_bytes(fb.good_rows(), delimiter="\t", encoding="utf-16")),
        ("budget.csv", lambda: f.csv_bytes(fb.good_rows(), delimiter=";")),
        ("budget.csv", fb.report_export_csv),
    ],
    ids=["xlsx", "xls", "ods", "cp1252", "utf8-bom", "utf16-unicode-text", "semicolon", "report-export"],
)
def test_same_data_from_every_format_loads_the_same_lines(client, admin, world, session, name, build):
    out = _import(client, admin, world, name, build())
    assert out["errors"] == [], out
    assert out["importRun"]["counts"]["create"] == 3
    assert _lines(session, world) == fb.EXPECTED


def test_report_export_skips_subtotals_and_reports_them(client, admin, world):
    run = _import(client, admin, world, "budget.csv", fb.report_export_csv())["importRun"]
    assert run["counts"]["skipped"] == 2
    assert [(w["row"], w["code"]) for w in run["warnings"]] == [(8, "ROW_SKIPPED"), (10, "ROW_SKIPPED")]


def test_cp1252_description_keeps_its_accents(client, admin, world, session):
    content = fb.with_rows([["", "01-100", "1", "Béton – coulée", "10"]])
    content = content.decode().encode("cp1252")
    _import(client, admin, world, "budget.csv", content)
    assert _lines(session, world)[0][4] == "Béton – coulée"


def test_same_file_twice_changes_nothing_the_second_time(client, admin, world, session):
    _import(client, admin, world, "budget.csv", fb.good_csv())
    before = snapshot(session)
    run = _import(client, admin, world, "budget.csv", fb.good_csv())["importRun"]
    assert run["counts"] == {
        "create": 0,
        "update": 0,
        "unchanged": 3,
        "error": 0,
        "skipped": 0,
        "unplaced": 0,
    }
    assert snapshot(session) == before
    assert _lines(session, world) == fb.EXPECTED


def test_reimport_updates_amounts_and_adds_new_lines(client, admin, world, session):
    _import(client, admin, world, "budget.csv", fb.good_csv())
    changed = fb.with_rows(
        [
            ["", "01-100", "1", "Site prep materials", "1500"],
            ["", "01-200", "2", "Survey labor", "(200.00)"],
            ["01", "2120.000", "4", "Concrete sub", "10000"],
            ["", "01-100", "2", "Site labor", "99.99"],
        ]
    )
    run = _import(client, admin, world, "budget.csv", changed)["importRun"]
    assert run["counts"]["create"] == 1 and run["counts"]["update"] == 1 and run["counts"]["unchanged"] == 2
    lines = _lines(session, world)
    assert ("01-100", "1", None, "1500.00", "Site prep materials") in lines
    assert ("01-100", "2", None, "99.99", "Site labor") in lines


def test_exported_budget_with_read_only_columns_reimports_cleanly(client, admin, world, session):
    header = [
        *fb.HEADER,
        "Quantity",
        "Unit of Measure",
        "Unit Cost",
        "Budget Modifications",
        "Revised Budget",
        "Committed Costs",
        "Direct Costs (JTD)",
    ]
    rows = [[*r, "", "", "", "0.00", r[4], "0.00", "0.00"] for r in fb.ROWS]
    run = _import(client, admin, world, "export.csv", f.csv_bytes([header, *rows]))["importRun"]
    assert run["status"] == "SUCCEEDED" and run["warnings"] == []
    again = _import(client, admin, world, "export.csv", f.csv_bytes([header, *rows]))["importRun"]
    assert again["counts"]["unchanged"] == 3


def test_header_aliases_and_unknown_columns(client, admin, world, session):
    content = f.csv_bytes(
        [["COSTCODE", "cost_type", "Budget Amount", "Notes"], ["01-100", "Material", "5", "x"]]
    )
    run = _import(client, admin, world, "budget.csv", content)["importRun"]
    assert run["status"] == "SUCCEEDED"
    assert [(w["code"], w["column"]) for w in run["warnings"]] == [("UNKNOWN_COLUMN", "Notes")]
    assert _lines(session, world) == [("01-100", "1", None, "5.00", "")]


def test_company_code_not_on_project_is_added_with_a_warning(client, admin, world, session):
    run = _import(client, admin, world, "budget.csv", fb.with_rows([["", "02-100", "1", "", "1"]]))[
        "importRun"
    ]
    assert run["status"] == "SUCCEEDED"
    assert run["warnings"][0]["code"] == "COST_CODE_ADDED_TO_PROJECT"
    assert run["warnings"][0]["row"] == 2
    ids = set(
        session.scalars(
            select(ProjectCostCode.cost_code_id).where(ProjectCostCode.project_id == world.project_id)
        )
    )
    assert world.codes["02-100"] in ids


def test_dry_run_plans_and_writes_nothing(client, admin, world, session):
    before = snapshot(session)
    out = _import(client, admin, world, "budget.csv", fb.good_csv(), dryRun=True)
    run = out["importRun"]
    assert run["status"] == "DRY_RUN" and run["dryRun"] is True
    assert run["counts"]["create"] == 3
    assert snapshot(session) == before
    assert session.scalar(select(ImportRun.status)) == "DRY_RUN"


def test_all_or_nothing_by_default_and_reject_failed_rows_on_request(client, admin, world, session):
    content = fb.with_rows(
        [["", "01-100", "1", "", "10"], ["", "09-999", "1", "", "5"], ["", "01-200", "1", "", "abc"]]
    )
    before = snapshot(session)
    out = _import(client, admin, world, "budget.csv", content)
    assert out["importRun"]["status"] == "FAILED"
    assert [(e["row"], e["column"], e["code"]) for e in out["errors"]] == [
        (3, "Cost Code", "UNKNOWN_COST_CODE"),
        (4, "Original Budget Amount", "INVALID_AMOUNT"),
    ]
    assert "Cell E4" in out["errors"][1]["message"]
    assert snapshot(session) == before

    partial = _import(client, admin, world, "budget.csv", content, errorPolicy="REJECT_FAILED_ROWS")[
        "importRun"
    ]
    assert partial["status"] == "PARTIAL"
    assert partial["counts"]["create"] == 1 and partial["counts"]["error"] == 2
    assert _lines(session, world) == [("01-100", "1", None, "10.00", "")]


def test_budget_import_needs_standard_on_budget(client, world, make_actor, session):
    reader = make_actor("Rita", {Tool.BUDGET: PermissionLevel.READ_ONLY})
    out = upload(
        client, reader, "budget", "b.csv", fb.good_csv(), projectId=to_global_id("Project", world.project_id)
    )
    assert out["importRun"] is None
    assert out["errors"][0]["code"] == "PERMISSION_DENIED"
    assert session.scalar(select(Budget.id)) is not None
    assert budget_lines(session, world.project_id) == []


def test_import_runs_are_listed_and_filtered(gql, client, admin, world):
    _import(client, admin, world, "budget.csv", fb.good_csv())
    upload(client, admin, "vendors", "v.csv", f.csv_bytes([["Vendor Record Number", "Name"], ["V9", "Zeta"]]))
    data = gql.data(
        "query($p: ID) "
        "{ importRuns(kind: BUDGET, projectId: $p) { totalCount nodes { fileName sha256 user { name } counts "
        "{ create } } } }",
        {"p": to_global_id("Project", world.project_id)},
    )["importRuns"]
    assert data["totalCount"] == 1
    node = data["nodes"][0]
    assert node["fileName"] == "budget.csv" and node["user"]["name"] == "Ada Admin"
    import hashlib

    assert node["sha256"] == hashlib.sha256(fb.good_csv()).hexdigest()
    assert gql.data("{ importRuns { totalCount } }")["importRuns"]["totalCount"] == 2


def test_amounts_are_decimals_not_floats(client, admin, world, session):
    _import(
        client,
        admin,
        world,
        "budget.csv",
        fb.with_rows([["", "01-100", "1", "", "0.1"], ["", "01-200", "1", "", "0.2"]]),
    )
    amounts = [a for *_, a, _ in budget_lines(session, world.project_id)]
    assert sum(amounts) == Decimal("0.30")
