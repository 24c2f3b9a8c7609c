"""The report queries over GraphQL: jobCostReport, companyJobCostSummary, unsyncableDirectCosts,
with the figures as Decimal strings and the permission each needs."""

from __future__ import annotations

import datetime as dt

import pytest

from api.relay import to_global_id
from models.enums import PermissionLevel, Tool
from tests.factories_reports import (
    EXPECTED_DIVISIONS,
    EXPECTED_ROWS,
    EXPECTED_TOTALS,
    add_unplaced,
    build_harbor_clinic,
)

FIGURES = """
  originalBudget budgetModifications revisedBudget committed invoiced directCosts
  uncommittedDirectCosts jtdCost projectedCost remaining overBudgetAmount linesOverBudget
  percentSpent percentComplete overBudget
"""
REPORT = f"""
query($id: ID!) {{
  jobCostReport(projectId: $id) {{
    projectNumber projectName
    rows {{
      subJob {{ number name }} costCode {{ code description division }} costType {{ code name }}
      hasBudgetLine figures {{ {FIGURES} }}
    }}
    divisions {{ division rowCount figures {{ {FIGURES} }} }}
    totals {{ {FIGURES} }}
  }}
}}
"""
CAMEL = {
    "original_budget": "originalBudget",
    "budget_modifications": "budgetModifications",
    "revised_budget": "revisedBudget",
    "committed": "committed",
    "invoiced": "invoiced",
    "direct_costs": "directCosts",
    "uncommitted_direct_costs": "uncommittedDirectCosts",
    "jtd_cost": "jtdCost",
    "projected_cost": "projectedCost",
    "remaining": "remaining",
    "over_budget_amount": "overBudgetAmount",
    "lines_over_budget": "linesOverBudget",
    "percent_spent": "percentSpent",
    "percent_complete": "percentComplete",
    "over_budget": "overBudget",
}


def _as_json(expected: dict) -> dict:
    out = {}
    for name, value in expected.items():
        plain = isinstance(value, bool | int) or value is None
        out[CAMEL[name]] = value if plain else str(value)
    return out


@pytest.fixture
def harbor(session_factory):
    with session_factory() as s:
        data = build_harbor_clinic(s)
        s.commit()
    return data


def test_job_cost_report_figures_are_exact_decimal_strings(gql, harbor):
    report = gql.data(REPORT, {"id": to_global_id("Project", harbor.project_id)})["jobCostReport"]
    assert (report["projectNumber"], report["projectName"]) == ("24-001", "Harbor Clinic")
    got = [
        (
            ((r["subJob"] or {}).get("number"), r["costCode"]["code"], r["costType"]["code"]),
            r["figures"],
        )
        for r in report["rows"]
    ]
    assert got == [(key, _as_json(expected)) for key, expected in EXPECTED_ROWS]
    assert {d["division"]: d["figures"] for d in report["divisions"]} == {
        k: _as_json(v) for k, v in EXPECTED_DIVISIONS.items()
    }
    assert report["totals"] == _as_json(EXPECTED_TOTALS)
    rebar = report["rows"][2]
    assert rebar["subJob"] == {"number": "A", "name": "Building A"}
    assert rebar["costCode"] == {"code": "03-300", "description": "Cast-in-Place Concrete", "division": "03"}
    assert rebar["costType"] == {"code": "M", "name": "Material"}
    assert [r["hasBudgetLine"] for r in report["rows"]] == [True, True, True, True, False]


def test_job_cost_report_needs_reports_and_budget_or_prime_contract_admin(gql, make_actor, harbor):
    # the seeds: READ_ONLY on Reports AND (ADMIN on Budget OR ADMIN on Prime Contract)
    variables = {"id": to_global_id("Project", harbor.project_id)}
    for reader in (
        make_actor(
            "Rae Reports", {Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.BUDGET: PermissionLevel.ADMIN}
        ),
        make_actor(
            "Pia Prime",
            {Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.PRIME_CONTRACTS: PermissionLevel.ADMIN},
        ),
    ):
        report = gql.as_(reader).data(REPORT, variables)["jobCostReport"]
        assert report["totals"]["revisedBudget"] == "68000.00"

    for outsider in (
        make_actor("Otto", {Tool.BUDGET: PermissionLevel.ADMIN}),
        make_actor("Rita", {Tool.REPORTS: PermissionLevel.ADMIN}),
        make_actor("Bea", {Tool.REPORTS: PermissionLevel.READ_ONLY, Tool.BUDGET: PermissionLevel.STANDARD}),
    ):
        body = gql.as_(outsider).execute(REPORT, variables)
        assert body["data"] == {"jobCostReport": None}
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        assert body["errors"][0]["path"] == ["jobCostReport"]
        assert (
            "READ_ONLY on Reports and ADMIN on one of Budget, Prime Contract" in body["errors"][0]["message"]
        )


def test_job_cost_report_unknown_or_malformed_project(gql, harbor):
    missing = gql.execute(REPORT, {"id": to_global_id("Project", 999_999)})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    wrong_type = gql.execute(REPORT, {"id": to_global_id("Vendor", harbor.project_id)})
    assert wrong_type["errors"][0]["extensions"]["code"] == "INVALID_ID"


def test_company_job_cost_summary(gql, make_actor, harbor):
    query = f"""{{ companyJobCostSummary {{
        rows {{ projectNumber projectName lineCount figures {{ {FIGURES} }} }}
        totals {{ revisedBudget projectedCost directCosts percentSpent }} }} }}"""
    summary = gql.data(query)["companyJobCostSummary"]
    assert [(r["projectNumber"], r["lineCount"]) for r in summary["rows"]] == [("24-001", 5), ("24-002", 1)]
    assert summary["rows"][0]["figures"] == _as_json(EXPECTED_TOTALS)
    assert summary["totals"] == {
        "revisedBudget": "69000.00",
        "projectedCost": "66801.35",
        "directCosts": "27785.41",
        "percentSpent": "59.11",
    }
    reader = make_actor("Rae Reports", {Tool.REPORTS: PermissionLevel.ADMIN})
    denied = gql.as_(reader).execute(query)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


UNSYNCABLE = """
query($projectId: ID, $first: Int, $after: String) {
  unsyncableDirectCosts(projectId: $projectId, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { job subJob costCode costType source itemDate description vendor invoiceNumber amount
            erpTransactionId reasonCode reason projectId }
  }
}
"""


def test_unsyncable_direct_costs_lists_unplaced_rows_with_raw_values(
    gql, make_actor, session_factory, harbor
):
    with session_factory() as s:
        add_unplaced(
            s,
            harbor.project_id,
            cost_code="99-999",
            amount="-125.40",
            source="AP",
            vendor="Unknown Supply",
            invoice_number="INV-7",
            erp_transaction_id="T-1",
            description="Gravel",
        )
        add_unplaced(s, None, job="77-000", reason_code="UNKNOWN_JOB", reason="Job 77-000 is not a project")
        add_unplaced(s, harbor.project_id, cost_type="Z", reason_code="UNKNOWN_COST_TYPE", reason="No type Z")
        placed = add_unplaced(s, harbor.project_id, reason="placed later")
        placed.placed_at = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
        s.commit()

    everything = gql.data(UNSYNCABLE)["unsyncableDirectCosts"]
    assert everything["totalCount"] == 3
    first = everything["nodes"][0]
    assert first == {
        "job": "24-001",
        "subJob": "",
        "costCode": "99-999",
        "costType": "L",
        "source": "AP",
        "itemDate": "2026-10-01",
        "description": "Gravel",
        "vendor": "Unknown Supply",
        "invoiceNumber": "INV-7",
        "amount": "-125.40",
        "erpTransactionId": "T-1",
        "reasonCode": "UNKNOWN_COST_CODE",
        "reason": "Cost code 99-999 is not in the company list",
        "projectId": to_global_id("Project", harbor.project_id),
    }
    assert everything["nodes"][1]["projectId"] is None

    pid = to_global_id("Project", harbor.project_id)
    page = gql.data(UNSYNCABLE, {"projectId": pid, "first": 1})["unsyncableDirectCosts"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"] is True
    rest = gql.data(UNSYNCABLE, {"projectId": pid, "first": 5, "after": page["pageInfo"]["endCursor"]})
    assert [n["reasonCode"] for n in rest["unsyncableDirectCosts"]["nodes"]] == ["UNKNOWN_COST_TYPE"]

    outsider = make_actor("Otto", {Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN})
    denied = gql.as_(outsider).execute(UNSYNCABLE)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
