"""Cost codes follow the job (Sage 100 Contractor): the codes on a project when its job export is
accepted travel with the job (its shell budget); a code added to the project afterwards blocks
every record that uses it (COST_CODE_NOT_IN_ERP, naming the fix) until the code itself is sent,
accepted and synced. An accepted record never references a code the ERP has never seen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exporters.connectors.file import run_file_connector
from exporters.mapping import build_payload
from models import workflow as wf
from models.enums import CommitmentKind, ErpSystem, ExportStatus, RecordType, SyncStatus
from models.errors import DomainError, ErrorCode
from models.preflight import preflight
from models.projects import ProjectCostCode, add_project_cost_codes
from models.sync import ErpExport, SyncEvent
from models.wbs import create_cost_code
from tests import factories_workflow as f


def blockers(session, record) -> list[ErrorCode]:
    return [b.code for b in preflight(session, record).blockers]


def test_a_code_added_after_the_job_export_waits_for_its_own_sync(session, session_factory, tmp_path):
    f.configure(session, ErpSystem.SAGE_100_CONTRACTOR)
    pm, approver = f.pm(session), f.approver(session)
    mat = f.cost_type(session, "1", "Material")
    framing = create_cost_code(session, pm, code="6100.000", description="Framing")
    project = f.project(session, "24-050", "Pier 9")
    add_project_cost_codes(session, pm, project, [framing.id])
    f.budget_line(session, project, framing, mat, "0")
    vendor = f.vendor(session, synced=True, erp_id="V-1")
    wf.send(session, pm, project)
    wf.accept(session, approver, project, build_payload=build_payload, origin_id="2450")
    # added while the job export is on its way: not in it
    late = create_cost_code(session, pm, code="6200.000", description="Finish carpentry")
    add_project_cost_codes(session, pm, project, [late.id])
    session.commit()
    run_file_connector(session_factory, tmp_path)
    session.expire_all()
    assert project.sync_status == SyncStatus.SYNCED
    links = {link.cost_code_id: link.in_job_export for link in session.scalars(select(ProjectCostCode))}
    assert links == {framing.id: True, late.id: False}

    # a code that went with the job: records using it go
    po = f.commitment(
        session,
        project,
        vendor,
        kind=CommitmentKind.PURCHASE_ORDER,
        number="PO-1",
        lines=[(framing, mat, "100", "10", "10", "Studs")],
    )
    assert blockers(session, po) == []

    # codes added after the job export: blocked, and sending is refused with the same blocker
    added = create_cost_code(session, pm, code="6300.000", description="Millwork")
    add_project_cost_codes(session, pm, project, [added.id])
    po2 = f.commitment(
        session,
        project,
        vendor,
        kind=CommitmentKind.PURCHASE_ORDER,
        number="PO-2",
        lines=[(late, mat, "50", None, None, "Trim"), (added, mat, "75", None, None, "Casework")],
    )
    session.commit()
    result = preflight(session, po2)
    assert [b.code for b in result.blockers] == [ErrorCode.COST_CODE_NOT_IN_ERP] * 2
    assert "6200.000" in result.blockers[0].message and "send cost code 6200.000" in result.blockers[0].fix
    events_before = session.query(SyncEvent).count()
    with pytest.raises(DomainError) as info:
        wf.send(session, pm, po2)
    session.rollback()
    assert info.value.code == ErrorCode.COST_CODE_NOT_IN_ERP
    assert po2.sync_status == SyncStatus.NOT_SENT and session.query(SyncEvent).count() == events_before

    # the fix: send the codes themselves; once they are synced, the PO goes
    for code in (late, added):
        wf.send(session, pm, code)
        wf.accept(session, approver, code, build_payload=build_payload)
    session.commit()
    assert blockers(session, po2) == [ErrorCode.COST_CODE_NOT_IN_ERP] * 2  # accepted is not synced yet
    run_file_connector(session_factory, tmp_path)
    session.expire_all()
    assert (late.sync_status, added.sync_status) == (SyncStatus.SYNCED, SyncStatus.SYNCED)
    assert blockers(session, po2) == []
    wf.send(session, pm, po2)
    wf.accept(session, approver, po2, build_payload=build_payload)
    session.commit()

    # every code an accepted commitment export references reached the ERP before it
    exports = session.scalars(select(ErpExport).order_by(ErpExport.id)).all()
    code_exports = {
        e.payload["header"]["Cost Code"]: e for e in exports if e.record_type == RecordType.COST_CODE
    }
    job_export = next(e for e in exports if e.record_type == RecordType.PROJECT)
    job_codes = {line["Cost Code"] for line in job_export.payload["lines"]}
    assert job_codes == {"6100.000"}
    po_export = next(e for e in exports if e.record_type == RecordType.COMMITMENT)
    for line in po_export.payload["lines"]:
        code = line["Cost Code"]
        assert code in job_codes or (
            code_exports[code].status == ExportStatus.ACKNOWLEDGED and code_exports[code].id < po_export.id
        )


def test_sage300_codes_must_come_from_its_standard_list_even_on_the_job(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session, ErpSystem.SAGE_300_CRE)
    local = f.cost_code(session, "03-900", "Made in CostBridge")
    f.budget_line(session, proj, local, sub, "0")
    session.query(ProjectCostCode).filter_by(cost_code_id=local.id).one().in_job_export = True
    c = f.commitment(session, proj, ven, lines=[(local, sub, "10", None, None, "")])
    [blocker] = preflight(session, c).blockers
    assert (
        blocker.code == ErrorCode.COST_CODE_NOT_IN_ERP
        and "Sage 300 CRE standard cost code list" in blocker.fix
    )
