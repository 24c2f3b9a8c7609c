"""Preflight rules from the seeds, per ERP system; receiving ERP jobs; the approval digest."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import workflow as wf
from models.enums import (
    ChangeOrderStatus,
    CommitmentKind,
    CommitmentStatus,
    Country,
    ErpSystem,
    Origin,
    RecordType,
    SyncStatus,
)
from models.erp import update_erp_settings
from models.erp_inbound import ErpJobIn, ErpSubJobIn, receive_erp_job
from models.errors import DomainError, ErrorCode
from models.preflight import preflight, sage300_code_problem
from models.projects import Project, ProjectCostCode, SubJob
from models.registry import capability
from models.sync import SyncEvent
from tests import factories_workflow as f
from tests.actors import SETUP

S100, S300 = ErpSystem.SAGE_100_CONTRACTOR, ErpSystem.SAGE_300_CRE


def codes(session, record) -> list[ErrorCode]:
    return [b.code for b in preflight(session, record).blockers]


def test_every_blocker_has_a_message_and_a_fix(session):
    f.configure(session)
    p = f.project(session)
    c = f.commitment(session, p, None, status=CommitmentStatus.DRAFT)
    result = preflight(session, c)
    assert {b.code for b in result.blockers} == {
        ErrorCode.COMMITMENT_NOT_APPROVED,
        ErrorCode.PROJECT_NOT_SYNCED,
        ErrorCode.VENDOR_NOT_SYNCED,
        ErrorCode.NO_LINES,
    }
    assert all(b.message and b.fix for b in result.blockers)


def test_a_synced_or_exporting_record_says_so_instead_of_listing_rules(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    done = f.commitment(session, proj, ven, status=CommitmentStatus.COMPLETE)
    f.mark_synced(done, "SC-100")
    result = preflight(session, done)
    assert [(b.code, b.message) for b in result.blockers] == [
        (ErrorCode.ALREADY_SYNCED, "This commitment is already synced with the ERP as SC-100")
    ]
    assert "unlink" in result.blockers[0].fix
    done.sync_status = SyncStatus.EXPORTING
    assert codes(session, done) == [ErrorCode.EXPORT_IN_PROGRESS]


def test_commitment_rules(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    loose = f.cost_code(session, "9900.000", "Not in Sage")
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    assert codes(session, c) == []
    c.status = CommitmentStatus.OUT_FOR_SIGNATURE
    ven.sync_status = SyncStatus.REJECTED
    assert codes(session, c) == [ErrorCode.COMMITMENT_NOT_APPROVED, ErrorCode.VENDOR_NOT_SYNCED]
    c.status, ven.sync_status = CommitmentStatus.APPROVED, SyncStatus.SYNCED
    bad = f.commitment(session, proj, ven, number="SC-9", lines=[(loose, sub, "10", None, None, "")])
    assert codes(session, bad) == [ErrorCode.COST_CODE_NOT_IN_ERP]
    # Sage 100: adding the code to the synced project does not put it in the ERP ...
    f.budget_line(session, proj, loose, sub, "0")
    assert codes(session, bad) == [ErrorCode.COST_CODE_NOT_IN_ERP]
    assert "sendToErp" in preflight(session, bad).blockers[0].fix
    # ... a code that went with the job's export (its shell budget) is there
    session.query(ProjectCostCode).filter_by(
        project_id=proj.id, cost_code_id=loose.id
    ).one().in_job_export = True
    assert codes(session, bad) == []
    sub.active = False
    assert codes(session, bad) == [ErrorCode.COST_TYPE_MISSING]


def test_sage300_cost_codes_must_come_from_the_erp_and_be_well_formed(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session, S300)
    local = f.cost_code(session, "03-900", "Made in CostBridge")
    f.budget_line(session, proj, local, sub, "0")
    c = f.commitment(session, proj, ven, lines=[(local, sub, "10", None, None, "")])
    assert codes(session, c) == [ErrorCode.COST_CODE_NOT_IN_ERP]  # the project being synced is not enough
    mixed = f.cost_code(session, "01-20.05", "Mixed", synced=True)
    c2 = f.commitment(session, proj, ven, number="SC-2", lines=[(mixed, sub, "10", None, None, "")])
    assert codes(session, c2) == [ErrorCode.INVALID_COST_CODE_FORMAT]
    assert codes(session, f.cost_code(session, "01-100")) == [ErrorCode.UNSUPPORTED_BY_ERP]


@pytest.mark.parametrize(
    "code, problem",
    [
        ("01-100", None),
        ("01.100.10", None),
        ("1234567", "is not sectioned"),
        ("01-20.05", "mixes '.' and '-'"),
        ("01-100-10-5", "4 tiers"),
        ("0100-1000-999", "longer than 12"),
        ("01--100", "empty section"),
    ],
)
def test_sage300_cost_code_format(code, problem):
    found = sage300_code_problem(code)
    assert (found is None) if problem is None else (problem in found)


def test_budget_rules(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    budget = f.budget_of(session, proj)
    assert codes(session, budget) == [ErrorCode.BUDGET_NOT_LOCKED, ErrorCode.NO_LINES]
    f.budget_line(session, proj, concrete, sub, "0.00")
    budget.locked = True
    assert codes(session, budget) == []
    update_erp_settings(session, SETUP, uses_phases=True)
    assert codes(session, budget) == [ErrorCode.BUDGET_OWNED_BY_ERP]
    update_erp_settings(session, SETUP, uses_phases=False)
    budget.origin = Origin.ERP
    assert codes(session, budget) == [ErrorCode.BUDGET_OWNED_BY_ERP]


def test_forecast_values_are_a_sage300_feature(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    f.budget_line(session, proj, concrete, sub, "100", ecac="120", ftc="20")
    budget = f.budget_of(session, proj)
    budget.locked = True
    result = preflight(session, budget)
    assert result.ok and [w.code for w in result.warnings] == [ErrorCode.UNSUPPORTED_BY_ERP]
    update_erp_settings(session, SETUP, erp_system=S300)
    assert preflight(session, budget).warnings == []
    assert capability(S300, RecordType.BUDGET_MODIFICATION).erp_name.startswith("Approved Estimate Change")


def test_budget_modification_needs_a_synced_budget(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    a = f.budget_line(session, proj, concrete, sub, "100")
    b = f.budget_line(session, proj, rebar, sub, "50")
    mod = f.modification(session, proj, a, b, "25")
    assert codes(session, mod) == [ErrorCode.BUDGET_NOT_SYNCED]
    f.mark_synced(f.budget_of(session, proj))
    assert codes(session, mod) == []


def test_change_orders_only_on_synced_commitments(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    co = f.change_order(
        session, c, status=ChangeOrderStatus.PENDING, lines=[(concrete, sub, "5", None, None, "")]
    )
    assert codes(session, co) == [ErrorCode.COMMITMENT_NOT_SYNCED, ErrorCode.CHANGE_ORDER_NOT_APPROVED]
    f.mark_synced(c, "SC-001")
    co.status = ChangeOrderStatus.APPROVED
    assert codes(session, co) == []


def test_subcontractor_invoices_are_refused_for_canadian_companies(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")], synced=True)
    inv = f.invoice(session, c, lines=[(concrete, sub, "5", "0", "0.50", "Work", None)])
    assert codes(session, inv) == []
    update_erp_settings(session, SETUP, country=Country.CA)
    assert codes(session, inv) == [ErrorCode.UNSUPPORTED_IN_COUNTRY]


def test_sub_jobs_export_only_to_sage300(session):
    proj, *_ = f.synced_world(session)
    sj = f.sub_job(session, proj, "01", "Phase one")
    assert codes(session, sj) == [ErrorCode.UNSUPPORTED_BY_ERP]
    update_erp_settings(session, SETUP, erp_system=S300)
    assert codes(session, sj) == []
    proj.sync_status = SyncStatus.NOT_SENT
    assert codes(session, sj) == [ErrorCode.PROJECT_NOT_SYNCED]


def test_project_cost_codes_need_a_cost_type(session):
    f.configure(session)
    code = f.cost_code(session, "2120.000")
    p = f.project(session, "24-050", "Library", cost_codes=[code])
    assert codes(session, p) == [ErrorCode.COST_TYPE_MISSING]
    f.budget_line(session, p, code, f.cost_type(session), "0")
    assert codes(session, p) == []


def test_settings_need_erp_admin_and_valid_values(session):
    f.configure(session)
    pm = f.pm(session)
    with pytest.raises(DomainError) as info:
        update_erp_settings(session, pm, erp_system=S300)
    assert info.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as info:
        update_erp_settings(session, SETUP, export_interval_seconds=-1)
    assert info.value.field == "exportIntervalSeconds"
    with pytest.raises(DomainError) as info:
        update_erp_settings(session, SETUP, erp_system=S300, uses_phases=True)
    assert info.value.field == "usesPhases"


# --- ERP jobs coming in ---------------------------------------------------------------------------


def test_receiving_an_erp_job_creates_a_synced_project_with_sub_jobs(session):
    f.configure(session)
    job = ErpJobIn(
        "J-300", "Marina Tower", "1 Pier Rd", "Long Beach", "CA", "90802", [ErpSubJobIn("01", "Podium")]
    )
    received = receive_erp_job(session, SETUP, job)
    p = received.project
    assert received.created and received.sub_jobs_created == 1
    assert (p.number, p.origin_id, p.origin, p.sync_status) == (
        "J-300",
        "J-300",
        Origin.ERP,
        SyncStatus.SYNCED,
    )
    sj = session.scalar(select(SubJob).where(SubJob.project_id == p.id))
    assert (sj.number, sj.origin, sj.sync_status) == ("01", Origin.ERP, SyncStatus.SYNCED)
    assert session.scalar(select(SyncEvent.action).where(SyncEvent.record_id == p.id)) == "receive"
    # again, with one more phase: idempotent refresh
    job.sub_jobs.append(ErpSubJobIn("02", "Tower"))
    job.name = "Marina Tower II"
    again = receive_erp_job(session, SETUP, job)
    assert not again.created and again.sub_jobs_created == 1 and again.project.id == p.id
    assert p.name == "Marina Tower II"
    assert session.scalar(select(func.count()).select_from(Project)) == 1


def test_an_erp_job_whose_number_an_unsynced_project_uses_is_refused(session):
    f.configure(session)
    f.project(session, "J-400", "Made in CostBridge")
    session.commit()
    with pytest.raises(DomainError) as info:
        receive_erp_job(session, SETUP, ErpJobIn("j-400", "Made in Sage"))
    session.rollback()
    assert info.value.code == ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS
    assert "renumber" in info.value.message and "send it to the ERP" in info.value.message
    assert session.scalar(select(func.count()).select_from(Project)) == 1
    assert session.scalar(select(func.count()).select_from(SyncEvent)) == 0


def test_receiving_jobs_needs_erp_admin(session):
    f.configure(session)
    with pytest.raises(DomainError) as info:
        receive_erp_job(session, f.pm(session), ErpJobIn("J-1", "X"))
    assert info.value.code == ErrorCode.PERMISSION_DENIED


# --- the digest -----------------------------------------------------------------------------------


def test_approval_digest_groups_waiting_items_by_type(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    pm = f.pm(session)
    c1 = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    c2 = f.commitment(
        session,
        proj,
        ven,
        number="PO-7",
        kind=CommitmentKind.PURCHASE_ORDER,
        title="Rebar",
        lines=[(rebar, mat, "10", "1", "10", "")],
    )
    v = f.vendor(session, "Bolt Electric")
    for record in (c1, c2, v):
        wf.send(session, pm, record)
    now = dt.datetime.now(dt.UTC)
    c1.sent_at = now - dt.timedelta(days=2, hours=3)
    c2.sent_at = now - dt.timedelta(hours=5)
    v.sent_at = now - dt.timedelta(minutes=20)
    session.flush()
    digest = wf.approval_digest(session, SETUP, now)
    assert digest.total == 3
    assert [(g.record_type, g.count) for g in digest.groups] == [
        (RecordType.VENDOR, 1),
        (RecordType.COMMITMENT, 2),
    ]
    commitments = digest.groups[1]
    assert [i.label for i in commitments.items] == [
        "Subcontract SC-001 Concrete foundations",
        "Purchase order PO-7 Rebar",
    ]
    assert commitments.items[0].project_number == "24-001" and commitments.items[0].sent_by == "Pat Manager"
    text = wf.digest_text(digest)
    assert "3 item(s) waiting" in text
    assert "Subcontract SC-001 Concrete foundations [24-001]: waiting 2d 3h, sent by Pat Manager" in text
    assert "Bolt Electric: waiting 20m" in text
