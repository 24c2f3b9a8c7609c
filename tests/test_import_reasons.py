"""Every reason at once, before anything is written: a dry run (and a real run) lists, for every row
that would fail or stay unplaced, every reason that applies, grouped by value with the row count and
the fix, on the ImportRun and in the mutation payload."""

from __future__ import annotations

from sqlalchemy import select

from models.costs import UnplacedJobCost
from tests import files_common as f
from tests import files_job_costs as fj
from tests.factories_imports import seed, snapshot, upload

HEADER = ["Job", "Phase", "Cost Code", "Category", "Source", "Date", "Vendor", "Amount", "Trans #"]


def _groups(run: dict) -> dict[tuple[str, str], dict]:
    return {(g["code"], g["subject"]): g for g in run["reasons"]}


def test_a_dry_run_on_an_empty_company_lists_every_reason_of_every_row_at_once(client, admin, session):
    rows = [
        ["1001", "", "01-100", "1", "AP Cost", "2026-02-03", "V100", "10", "T1"],
        ["1001", "02", "01-100", "M", "AP Cost", "2026-02-04", "V100", "11", "T2"],
        ["1002", "", "3320.100", "1", "JC Cost", "2026-02-05", "", "12", "T3"],
        ["1002", "", "3320.100", "1", "JC Cost", "02/30/2026", "", "13", "T4"],
    ]
    before = snapshot(session)
    out = upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([HEADER, *rows]), dryRun=True)
    run = out["importRun"]
    assert run["status"] == "DRY_RUN" and snapshot(session) == before
    groups = _groups(run)
    expected = {
        ("INVALID_DATE", "02/30/2026"): [5],
        ("UNKNOWN_JOB", "1001"): [2, 3],
        ("UNKNOWN_JOB", "1002"): [4, 5],
        ("UNKNOWN_COST_CODE", "01-100"): [2, 3],
        ("UNKNOWN_COST_CODE", "3320.100"): [4, 5],
        ("UNKNOWN_COST_TYPE", "1"): [2, 4, 5],
        ("UNKNOWN_COST_TYPE", "M"): [3],
        ("UNKNOWN_VENDOR", "V100"): [2, 3],
    }
    assert {key: g["rows"] for key, g in groups.items()} == expected
    assert all(g["count"] == len(g["rows"]) for g in groups.values())
    assert groups[("UNKNOWN_JOB", "1001")]["fix"].startswith("load the ERP job list with job 1001")
    assert groups[("UNKNOWN_COST_CODE", "3320.100")]["fix"].startswith("add cost code 3320.100")
    assert "vendor list with vendor V100" in groups[("UNKNOWN_VENDOR", "V100")]["fix"]
    # the same reasons, again, from a real run of the good rows: nothing is held back for a later layer
    out = upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([HEADER, *rows[:3]]))
    real = _groups(out["importRun"])
    assert {k for k in real} == {k for k in expected if k[0] != "INVALID_DATE"}
    assert out["importRun"]["counts"]["unplaced"] == 3


def test_an_unplaced_row_keeps_all_its_reasons(client, admin, session):
    seed(session)
    row = ["9999", "", "99-999", "Q", "AP Cost", "2026-02-03", "V404", "14", "U9"]
    out = upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([HEADER, row]))
    assert out["importRun"]["counts"]["unplaced"] == 1
    kept = session.scalar(select(UnplacedJobCost).where(UnplacedJobCost.erp_transaction_id == "U9"))
    assert kept.reason_code == "UNKNOWN_JOB"
    assert [part.split(" ")[0] for part in kept.reason.split("; ")] == ["Job", "Cost", "Cost", "Vendor"]
    codes = [g["code"] for g in out["importRun"]["reasons"]]
    assert codes == ["UNKNOWN_JOB", "UNKNOWN_COST_CODE", "UNKNOWN_COST_TYPE", "UNKNOWN_VENDOR"]


def test_a_phase_of_a_known_job_is_its_own_reason(client, admin, session):
    world = seed(session)
    out = upload(client, admin, "job-costs", "costs.csv", f.csv_bytes([fj.HEADER, fj.UNPLACEABLE[1]]))
    assert out["importRun"]["reasons"] == [
        {
            "code": "UNKNOWN_SUB_JOB",
            "subject": "1001 / 77",
            "count": 1,
            "rows": [2],
            "message": "Phase/extra '77' is not a sub job of job 1001",
            "fix": "load the ERP job list with phase/extra 77 of job 1001 (importErpJobs)",
        }
    ]
    assert world.project_id


def test_budget_failures_are_grouped_by_value_with_the_fix(client, admin, session):
    from api.relay import to_global_id
    from tests import files_budget as fb

    world = seed(session)
    lines = [["", "99-999", "1", "", "5"], ["", "99-999", "2", "", "6"], ["", "01-100", "Z", "", "7"]]
    out = upload(
        client,
        admin,
        "budget",
        "b.csv",
        fb.with_rows(lines),
        projectId=to_global_id("Project", world.project_id),
    )
    groups = _groups(out["importRun"])
    assert groups[("UNKNOWN_COST_CODE", "99-999")]["count"] == 2
    assert groups[("UNKNOWN_COST_CODE", "99-999")]["rows"] == [2, 3]
    assert groups[("UNKNOWN_COST_TYPE", "Z")]["count"] == 1
    assert len(out["errors"]) == 3  # each failing cell is still listed on its own
