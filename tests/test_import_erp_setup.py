"""ERP set-up loads as files: the cost code list with its categories, the job list with phases or
extras, estimates into budgets. Records arrive ERP-origin and SYNCED with their ERP keys, through the
sync transition functions (history recorded), under the rules the sync agent's receiveErpJobs
applies; each load has a dry run, all-or-nothing, an ImportRun, a mutation and a CLI subcommand.

The end-to-end test is the accountant's first load through files alone: a Sage-style cost code
list, job list with phases, vendor list and job-cost detail, ending with every row placed and every
transaction number kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.relay import to_global_id
from models.budgets import Budget, BudgetLine
from models.costs import DirectCost, UnplacedJobCost
from models.enums import Origin, SyncStatus
from models.imports import ImportRun
from models.projects import Project, SubJob
from models.sync import SyncEvent
from models.wbs import CostCode, CostType
from tests import files_common as f
from tests.factories_imports import snapshot, upload
from tests.factories_policy import SETUP

# What Sage 100 Contractor's own list exports call their columns.
COST_CODES = [
    ["Cost Code", "Cost Code Description", "Cost Type", "Cost Type Name"],
    ["01-100", "General Conditions", "1", "Material"],
    ["2120.000", "Concrete", "2", "Labor"],
    ["3320.100", "Masonry", "4", "Subcontract"],
    ["", "", "5", "Other"],
]
JOBS = [
    ["Job Number", "Job Name", "Address 1", "City", "State", "Zip Code", "Phase #", "Phase Name"],
    ["1001", "Harbor Clinic", "1 Pier Rd", "Long Beach", "CA", "90802", "01", "Podium"],
    ["1001", "", "", "", "", "", "02", "Tower"],
    ["1002", "Bay School", "9 Shore Dr", "Oakland", "CA", "94607", "", ""],
]
VENDORS = [
    ["Vendor Record Number", "Vendor Name", "Address 1", "City"],
    ["V100", "Acme Concrete, Inc.", "5 Mill St", "Fresno"],
    ["V200", "Bay Masonry LLC", "7 Dock St", "Oakland"],
]
COST_HEADER = ["Job", "Phase", "Cost Code", "Cost Type", "Source", "Trans Date", "Description", "Vendor",
               "Invoice #", "Amount", "Trans #"]  # fmt: skip
COSTS = [
    ["1001", "01", "2120.000", "2", "PR Cost", "2026-02-02", "Crew week 5", "", "", "4,100.00", "PR-5501"],
    ["1001", "02", "3320.100", "4", "AP Cost", "2026-02-03", "Block", "V200", "B-77", "12,500.00", "AP-8812"],
    ["1001", "", "01-100", "1", "JC Cost", "2026-02-04", "Permit", "", "", "75.25", "JC-31"],
    ["1002", "", "2120.000", "1", "AP Cost", "2026-02-05", "Forms", "V100", "A-9", "980.10", "AP-8813"],
    # a genuinely new posting identical to the first but for its number: kept, not taken for a repeat
    ["1001", "01", "2120.000", "2", "PR Cost", "2026-02-02", "Crew week 5", "", "", "4,100.00", "PR-5502"],
]
ESTIMATE = [
    ["Job", "Phase", "Cost Code", "Category", "Description", "Original Estimate", "Units", "UM"],
    ["1001", "01", "2120.000", "2", "Podium concrete labor", "40,000.00", "800", "HR"],
    ["1001", "02", "3320.100", "4", "Tower masonry", "125,000.00", "", ""],
    ["1001", "", "01-100", "1", "Permits", "0", "", ""],
]


def _csv(rows) -> bytes:
    return f.csv_bytes(rows)


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _groups(run: dict) -> dict[tuple[str, str], list[int]]:
    return {(g["code"], g["subject"]): g["rows"] for g in run["reasons"]}


def test_a_first_load_through_files_alone_places_every_row_and_keeps_every_transaction_number(
    client, admin, session
):
    costs = _csv([COST_HEADER, *COSTS])
    # before any set-up, a dry run names every reason of every row in one pass
    dry = upload(client, admin, "job-costs", "Job Cost Detail.csv", costs, dryRun=True)["importRun"]
    assert dry["status"] == "DRY_RUN" and dry["counts"]["unplaced"] == 5
    groups = _groups(dry)
    assert groups[("UNKNOWN_JOB", "1001")] == [2, 3, 4, 6]
    assert groups[("UNKNOWN_JOB", "1002")] == [5]
    assert groups[("UNKNOWN_COST_CODE", "2120.000")] == [2, 5, 6]
    assert groups[("UNKNOWN_COST_CODE", "3320.100")] == [3]
    assert groups[("UNKNOWN_COST_CODE", "01-100")] == [4]
    assert groups[("UNKNOWN_COST_TYPE", "2")] == [2, 6]
    assert groups[("UNKNOWN_COST_TYPE", "1")] == [4, 5]
    assert groups[("UNKNOWN_COST_TYPE", "4")] == [3]
    assert groups[("UNKNOWN_VENDOR", "V200")] == [3]
    assert groups[("UNKNOWN_VENDOR", "V100")] == [5]
    every_row = {row for rows in groups.values() for row in rows}
    assert every_row == {2, 3, 4, 5, 6}
    assert _count(session, DirectCost) == 0 and _count(session, UnplacedJobCost) == 0

    # the first load, in order: cost codes, jobs, vendors, (estimates), job costs
    steps = [
        ("erp-cost-codes", "Cost Codes.csv", COST_CODES, {"create": 4, "update": 0, "unchanged": 0}),
        ("erp-jobs", "Jobs.csv", JOBS, {"create": 3, "update": 0, "unchanged": 0}),
        ("vendors", "Vendors.csv", VENDORS, {"create": 2, "update": 0, "unchanged": 0}),
    ]
    for kind, name, rows, counts in steps:
        check = upload(client, admin, kind, name, _csv(rows), dryRun=True)["importRun"]
        assert check["status"] == "DRY_RUN" and not check["errors"], check
        out = upload(client, admin, kind, name, _csv(rows))
        run = out["importRun"]
        assert run["status"] == "SUCCEEDED" and not out["errors"], run
        assert {k: run["counts"][k] for k in counts} == counts, (kind, run["counts"])
    project = session.scalar(select(Project).where(Project.number == "1001"))
    estimate = upload(
        client,
        admin,
        "erp-estimates",
        "Estimate.csv",
        _csv(ESTIMATE),
        projectId=to_global_id("Project", project.id),
    )["importRun"]
    assert estimate["status"] == "SUCCEEDED" and estimate["counts"]["create"] == 3, estimate

    out = upload(client, admin, "job-costs", "Job Cost Detail.csv", costs)["importRun"]
    assert out["status"] == "SUCCEEDED" and out["counts"]["create"] == 5 and out["counts"]["unplaced"] == 0, (
        out
    )
    assert out["reasons"] == []
    session.expire_all()
    kept = session.scalars(
        select(DirectCost.erp_transaction_id).order_by(DirectCost.erp_transaction_id)
    ).all()
    assert kept == ["AP-8812", "AP-8813", "JC-31", "PR-5501", "PR-5502"]
    assert _count(session, UnplacedJobCost) == 0
    # the same file again changes nothing: the transaction number is the key
    again = upload(client, admin, "job-costs", "Job Cost Detail.csv", costs)["importRun"]
    assert again["counts"]["create"] == 0 and again["counts"]["unchanged"] == 5

    # everything arrived ERP-origin and SYNCED with its ERP key, with its history
    codes = session.execute(select(CostCode.code, CostCode.origin, CostCode.sync_status, CostCode.origin_id))
    assert {c: (o, s, k) for c, o, s, k in codes} == {
        c: (Origin.ERP, SyncStatus.SYNCED, c) for c in ("01-100", "2120.000", "3320.100")
    }
    assert session.scalar(select(CostCode.description).where(CostCode.code == "3320.100")) == "Masonry"
    types = session.execute(select(CostType.code, CostType.name, CostType.origin)).all()
    assert sorted(types) == [
        ("1", "Material", "ERP"), ("2", "Labor", "ERP"), ("4", "Subcontract", "ERP"), ("5", "Other", "ERP")
    ]  # fmt: skip
    assert (project.origin, project.origin_id, project.sync_status) == (Origin.ERP, "1001", SyncStatus.SYNCED)
    assert (project.name, project.city, project.zip) == ("Harbor Clinic", "Long Beach", "90802")
    phases = session.execute(
        select(SubJob.number, SubJob.name, SubJob.sync_status).where(SubJob.project_id == project.id)
    ).all()
    assert sorted(phases) == [("01", "Podium", SyncStatus.SYNCED), ("02", "Tower", SyncStatus.SYNCED)]
    budget = session.scalar(select(Budget).where(Budget.project_id == project.id))
    assert (budget.origin, budget.origin_id, budget.sync_status) == (Origin.ERP, "1001", SyncStatus.SYNCED)
    events = session.execute(select(SyncEvent.action, SyncEvent.actor_name, SyncEvent.to_status)).all()
    # 3 codes, 2 projects, 2 phases, 2 vendors, 1 budget: each born (or received) with one event
    assert len(events) == 10 and {e.to_status for e in events} == {SyncStatus.SYNCED}
    assert {e.actor_name for e in events} == {"Ada Admin"}


def test_set_up_loaded_after_the_job_costs_places_the_kept_rows(client, admin, session):
    out = upload(client, admin, "job-costs", "costs.csv", _csv([COST_HEADER, *COSTS]))["importRun"]
    assert out["counts"]["unplaced"] == 5
    for kind, rows in (("erp-cost-codes", COST_CODES), ("erp-jobs", JOBS)):
        assert upload(client, admin, kind, f"{kind}.csv", _csv(rows))["importRun"]["status"] == "SUCCEEDED"
    session.expire_all()
    # rows naming no vendor are placed once codes and jobs are in; the rest wait for the vendor list
    assert _count(session, DirectCost) == 3
    upload(client, admin, "vendors", "vendors.csv", _csv(VENDORS))
    assert _count(session, DirectCost) == 5
    assert (
        session.scalar(
            select(func.count()).select_from(UnplacedJobCost).where(UnplacedJobCost.direct_cost_id.is_(None))
        )
        == 0
    )


def test_an_erp_job_whose_number_an_unsynced_project_uses_is_refused_by_the_file_too(client, admin, session):
    session.add(Project(number="1002", name="Made in CostBridge"))
    session.commit()
    before = snapshot(session)
    for dry in (True, False):
        out = upload(client, admin, "erp-jobs", "Jobs.csv", _csv(JOBS), dryRun=dry)
        run = out["importRun"]
        assert run["status"] == ("DRY_RUN" if dry else "FAILED")
        assert [(e["row"], e["code"]) for e in run["errors"]] == [(4, "JOB_EXISTS_IN_BOTH_SYSTEMS")]
        assert "renumber" in run["errors"][0]["message"]
        (group,) = run["reasons"]
        assert (group["subject"], group["count"]) == ("1002", 1) and "renumber" in group["fix"]
        assert snapshot(session) == before and _count(session, Project) == 1
    # with REJECT_FAILED_ROWS the other job goes in
    out = upload(client, admin, "erp-jobs", "Jobs.csv", _csv(JOBS), errorPolicy="REJECT_FAILED_ROWS")
    assert out["importRun"]["status"] == "PARTIAL" and out["importRun"]["counts"]["create"] == 2
    session.expire_all()
    assert session.scalar(select(Project.sync_status).where(Project.number == "1001")) == SyncStatus.SYNCED


def test_the_job_list_refreshes_and_keeps_what_the_file_leaves_out(client, admin, session):
    upload(client, admin, "erp-jobs", "Jobs.csv", _csv(JOBS))
    # a phases list (no job columns but the number): adds phases and renames one, keeps the address
    phases = [
        ["Job", "Phase", "Phase Description"],
        ["1001", "02", "Tower (revised)"],
        ["1001", "03", "Garage"],
    ]
    out = upload(client, admin, "erp-jobs", "Phases.csv", _csv(phases))["importRun"]
    assert out["status"] == "SUCCEEDED"
    assert (out["counts"]["create"], out["counts"]["update"]) == (1, 1)
    session.expire_all()
    project = session.scalar(select(Project).where(Project.number == "1001"))
    assert (project.name, project.address) == ("Harbor Clinic", "1 Pier Rd")
    names = dict(
        session.execute(select(SubJob.number, SubJob.name).where(SubJob.project_id == project.id)).all()
    )
    assert names == {"01": "Podium", "02": "Tower (revised)", "03": "Garage"}
    # the same file again: unchanged; a new job without a name, or a new phase without one, fails
    again = upload(client, admin, "erp-jobs", "Phases.csv", _csv(phases))["importRun"]
    assert again["counts"]["unchanged"] == 2 and again["counts"]["create"] == 0
    bad = [["Job", "Phase", "Phase Name"], ["1003", "", ""], ["1001", "04", ""]]
    out = upload(client, admin, "erp-jobs", "bad.csv", _csv(bad))["importRun"]
    assert [(e["row"], e["code"]) for e in out["errors"]] == [(2, "REQUIRED"), (3, "REQUIRED")]
    assert "job 1003 is new" in out["errors"][0]["message"]
    assert "Phase/extra 04 of job 1001 is new" in out["errors"][1]["message"]


def test_a_cost_code_made_in_costbridge_is_linked_and_one_being_sent_is_refused(client, admin, session):
    typed = CostCode(code="01-100", description="typed by hand", division="01")
    sent = CostCode(
        code="2120.000", description="sent", division="2120", sync_status=SyncStatus.READY_TO_EXPORT
    )
    session.add_all([typed, sent])
    session.commit()
    out = upload(client, admin, "erp-cost-codes", "codes.csv", _csv(COST_CODES))["importRun"]
    assert out["status"] == "FAILED"
    assert [(e["row"], e["code"]) for e in out["errors"]] == [(3, "EXPORT_IN_PROGRESS")]
    assert "wait for the export of 2120.000" in out["reasons"][0]["fix"]
    session.expire_all()
    assert session.get(CostCode, typed.id).sync_status == SyncStatus.NOT_SENT

    session.get(CostCode, sent.id).sync_status = SyncStatus.REJECTED
    session.commit()
    out = upload(client, admin, "erp-cost-codes", "codes.csv", _csv(COST_CODES))["importRun"]
    assert out["status"] == "SUCCEEDED", out
    assert [(w["row"], w["code"]) for w in out["warnings"]] == [
        (2, "COST_CODE_LINKED"),
        (3, "COST_CODE_LINKED"),
    ]
    # every row adds something: a category (the two linked codes' rows), a code, a cost type
    assert (out["counts"]["create"], out["counts"]["update"]) == (4, 0)
    session.expire_all()
    linked = session.get(CostCode, typed.id)
    assert (linked.origin, linked.origin_id, linked.sync_status) == (
        Origin.COSTBRIDGE,
        "01-100",
        SyncStatus.SYNCED,
    )
    assert linked.description == "General Conditions"
    event = session.scalar(
        select(SyncEvent).where(SyncEvent.record_id == typed.id, SyncEvent.action == "link")
    )
    assert event.from_status == SyncStatus.NOT_SENT and "linked to ERP cost code 01-100" in event.note
    again = upload(client, admin, "erp-cost-codes", "codes.csv", _csv(COST_CODES))["importRun"]
    assert again["counts"]["unchanged"] == 4 and not again["warnings"]


def test_a_cost_code_in_a_number_cell_is_kept_with_a_warning(client, admin, session):
    rows = [["Cost Code", "Description"], [2120.0, "Concrete"], ["0100", "Site"]]
    out = upload(client, admin, "erp-cost-codes", "codes.xlsx", f.xlsx_bytes(rows))["importRun"]
    assert out["status"] == "SUCCEEDED"
    assert [(w["row"], w["code"]) for w in out["warnings"]] == [(2, "CODE_STORED_AS_NUMBER")]
    session.expire_all()
    assert sorted(session.scalars(select(CostCode.code))) == ["0100", "2120"]


def test_estimates_go_into_the_budget_of_an_erp_job_only(client, admin, session):
    upload(client, admin, "erp-cost-codes", "codes.csv", _csv(COST_CODES))
    upload(client, admin, "erp-jobs", "jobs.csv", _csv(JOBS))
    project = session.scalar(select(Project).where(Project.number == "1001"))
    pid = to_global_id("Project", project.id)
    # a row of another job is refused by name
    other = [*ESTIMATE, ["1002", "", "01-100", "1", "x", "5", "", ""]]
    out = upload(client, admin, "erp-estimates", "est.csv", _csv(other), projectId=pid)["importRun"]
    assert [(e["row"], e["code"]) for e in out["errors"]] == [(5, "ROW_FOR_ANOTHER_JOB")]
    assert _count(session, BudgetLine) == 0
    out = upload(client, admin, "erp-estimates", "est.csv", _csv(ESTIMATE), projectId=pid)["importRun"]
    assert out["status"] == "SUCCEEDED" and out["counts"]["create"] == 3
    again = upload(client, admin, "erp-estimates", "est.csv", _csv(ESTIMATE), projectId=pid)["importRun"]
    assert again["counts"]["unchanged"] == 3
    session.expire_all()
    budget = session.scalar(select(Budget).where(Budget.project_id == project.id))
    assert (budget.origin, budget.sync_status) == (Origin.ERP, SyncStatus.SYNCED)
    received = select(func.count()).where(SyncEvent.record_id == budget.id, SyncEvent.action == "receive")
    assert session.scalar(received) >= 1

    # a project not linked to an ERP job, and a budget made in CostBridge, are refused with the fix
    made = Project(number="24-009", name="CostBridge job")
    session.add(made)
    session.flush()
    session.add(Budget(project_id=made.id))
    session.commit()
    made_id = to_global_id("Project", made.id)
    out = upload(
        client, admin, "erp-estimates", "est.csv", _csv(ESTIMATE[:1] + ESTIMATE[3:]), projectId=made_id
    )
    assert out["importRun"]["status"] == "FAILED"
    assert out["importRun"]["errors"][0]["code"] == "PROJECT_NOT_SYNCED"
    school = session.scalar(select(Project).where(Project.number == "1002"))
    school_budget = session.scalar(select(Budget).where(Budget.project_id == school.id))
    code_id = session.scalar(select(CostCode.id).where(CostCode.code == "01-100"))
    type_id = session.scalar(select(CostType.id).where(CostType.code == "1"))
    session.add(
        BudgetLine(budget_id=school_budget.id, sub_job_key=0, cost_code_id=code_id, cost_type_id=type_id)
    )
    session.commit()
    rows = [ESTIMATE[0], ["1002", "", "01-100", "1", "Permits", "10", "", ""]]
    out = upload(
        client, admin, "erp-estimates", "est.csv", _csv(rows), projectId=to_global_id("Project", school.id)
    )
    assert out["importRun"]["errors"][0]["code"] == "BUDGET_MADE_IN_COSTBRIDGE"
    assert "importBudget" in out["importRun"]["errors"][0]["message"]


def test_set_up_loads_need_erp_integrations_admin(client, make_actor, session):
    from models.enums import PermissionLevel, Tool

    pm = make_actor(
        "Pat PM", {Tool.ERP_INTEGRATIONS: PermissionLevel.STANDARD, Tool.BUDGET: PermissionLevel.ADMIN}
    )
    for kind, rows in (("erp-cost-codes", COST_CODES), ("erp-jobs", JOBS)):
        out = upload(client, pm, kind, "x.csv", _csv(rows))
        assert out["importRun"] is None and out["errors"][0]["code"] == "PERMISSION_DENIED"
    assert _count(session, CostCode) == 0 and _count(session, Project) == 0


def test_the_receive_rules_are_one_implementation(session):
    """receiveErpJobs (the agent's batch) and the job list file refuse the same job the same way."""
    from models.erp_inbound import ErpJobIn, check_erp_job, receive_erp_job
    from models.errors import DomainError, ErrorCode

    session.add(Project(number="J-9", name="Made here"))
    session.flush()
    for call in (lambda: check_erp_job(session, ErpJobIn("j-9", "Made in Sage")),
                 lambda: receive_erp_job(session, SETUP, ErpJobIn("j-9", "Made in Sage"))):  # fmt: skip
        with pytest.raises(DomainError) as info:
            call()
        assert info.value.code == ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS
    assert _count(session, SyncEvent) == 0


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli_app, ["import", *args])


def test_cli_first_load(cli, session, tmp_path):
    paths = {}
    for name, rows in (("codes", COST_CODES), ("jobs", JOBS), ("vendors", VENDORS), ("est", ESTIMATE),
                       ("costs", [COST_HEADER, *COSTS])):  # fmt: skip
        paths[name] = tmp_path / f"{name}.xlsx"
        paths[name].write_bytes(f.xlsx_bytes(rows))
    dry = cli("job-costs", str(paths["costs"]), "--dry-run")
    assert dry.exit_code == 0 and "UNKNOWN_JOB" in dry.output and "UNKNOWN_VENDOR" in dry.output
    loads = [
        ("erp-cost-codes", paths["codes"]),
        ("erp-jobs", paths["jobs"]),
        ("vendors", paths["vendors"]),
        ("erp-estimates", paths["est"], "--project", "1001"),
        ("job-costs", paths["costs"]),
    ]
    for args in loads:
        result = cli(args[0], *map(str, args[1:]))
        assert result.exit_code == 0 and "SUCCEEDED" in result.output, result.output
    assert _count(session, DirectCost) == 5 and _count(session, UnplacedJobCost) == 0
    runs = session.scalars(select(ImportRun.kind).order_by(ImportRun.id)).all()
    assert [str(k) for k in runs] == ["JOB_COSTS", "ERP_COST_CODES", "ERP_JOBS", "VENDORS", "ERP_ESTIMATES",
                                      "JOB_COSTS"]  # fmt: skip
    refused = cli("erp-estimates", str(paths["est"]), "--project", "NOPE")
    assert refused.exit_code == 1 and "NOT_FOUND" in refused.output
