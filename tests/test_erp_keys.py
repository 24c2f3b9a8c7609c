"""ERP keys: accepting and acknowledging apply one rule. A key another record of the type holds is
refused; an acknowledgement may not change a key the approver typed or the record's own number,
but may give the key the ERP assigned where the ERP owns the type's keys; only the connector may
acknowledge or fail. Every refusal leaves the export, the record and the history as they were."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from exporters.mapping import build_payload
from models import workflow as wf
from models.directory import Vendor
from models.enums import ExportStatus, RecordType, SyncStatus
from models.errors import DomainError, ErrorCode
from models.registry import REGISTRY
from models.sync import ErpExport, SyncEvent
from models.users import User
from models.workflow.keys import KeySource, key_source
from tests import factories_workflow as f
from tests.actors import FILE_CONNECTOR, SETUP


def state(session, export_id: int) -> tuple:
    """Everything a refused acknowledgement must leave as it was."""
    session.expire_all()
    export = session.get(ErpExport, export_id)
    record = session.get(REGISTRY_MODELS[export.record_type], export.record_id)
    return (
        export.status,
        export.origin_id,
        export.closed_at,
        record.sync_status,
        record.origin_id,
        record.synced_at,
        session.scalar(select(func.count()).select_from(SyncEvent)),
    )


REGISTRY_MODELS = {spec.record_type: spec.model for spec in REGISTRY}


def refused_ack(session, actor, export_id, origin_id, code) -> DomainError:
    before = state(session, export_id)
    with pytest.raises(DomainError) as info:
        wf.acknowledge_export(session, actor, export_id, origin_id)
    session.rollback()
    assert info.value.code == code, info.value
    assert state(session, export_id) == before
    return info.value


def accepted(session, record, **typed) -> int:
    wf.send(session, SETUP, record)
    export = wf.accept(session, SETUP, record, build_payload=build_payload, **typed)
    session.commit()
    return export.id


def test_where_each_key_comes_from():
    sources = {spec.record_type: key_source(spec) for spec in REGISTRY}
    assert sources == {
        RecordType.PROJECT: KeySource.APPROVER,
        RecordType.VENDOR: KeySource.APPROVER,
        RecordType.COST_CODE: KeySource.RECORD,
        RecordType.SUB_JOB: KeySource.RECORD,
        RecordType.BUDGET: KeySource.RECORD,
        RecordType.BUDGET_MODIFICATION: KeySource.ERP,
        RecordType.COMMITMENT: KeySource.ERP,
        RecordType.COMMITMENT_CHANGE_ORDER: KeySource.ERP,
        RecordType.SUBCONTRACTOR_INVOICE: KeySource.ERP,
        RecordType.PRIME_CONTRACT: KeySource.ERP,
        RecordType.PRIME_CONTRACT_CHANGE_ORDER: KeySource.ERP,
    }


def test_acknowledging_a_vendor_with_a_held_or_different_key_is_refused(session):
    f.configure(session)
    f.vendor(session, "Old Vendor", synced=True, erp_id="101")
    v = f.vendor(session, "Acme Drywall")
    export_id = accepted(session, v, origin_id="ACMEDRY")
    error = refused_ack(session, FILE_CONNECTOR, export_id, "101", ErrorCode.DUPLICATE_ORIGIN_ID)
    assert "Old Vendor" in error.message and error.field == "originId"
    error = refused_ack(session, FILE_CONNECTOR, export_id, "ACME-2", ErrorCode.ORIGIN_ID_MISMATCH)
    assert "ACMEDRY" in error.message and "approver" in error.message
    # the key the approver typed (any case, or none) is what the record gets
    export = wf.acknowledge_export(session, FILE_CONNECTOR, export_id, " acmedry ")
    session.commit()
    assert export.status == ExportStatus.ACKNOWLEDGED and export.origin_id == "ACMEDRY"
    assert (v.sync_status, v.origin_id) == (SyncStatus.SYNCED, "ACMEDRY")


def test_two_projects_never_share_a_job_id_through_acknowledge(session):
    f.configure(session)
    f.project(session, "23-001", "Old Mill", synced=True, erp_job_id="2401")
    p = f.project(session, "24-001", "New Clinic")
    export_id = accepted(session, p, origin_id="2402")
    error = refused_ack(session, FILE_CONNECTOR, export_id, "2401", ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS)
    assert "Old Mill" in error.message
    refused_ack(session, FILE_CONNECTOR, export_id, "2403", ErrorCode.ORIGIN_ID_MISMATCH)
    wf.acknowledge_export(session, FILE_CONNECTOR, export_id)
    session.commit()
    assert (p.sync_status, p.origin_id) == (SyncStatus.SYNCED, "2402")


def test_a_key_taken_after_accepting_is_refused_at_acknowledge(session):
    """An ERP import links another vendor to the key between accept and acknowledge."""
    f.configure(session)
    v = f.vendor(session, "Acme Drywall")
    export_id = accepted(session, v, origin_id="ACMEDRY")
    f.vendor(session, "Acme Drywall (imported)", synced=True, erp_id="acmedry")
    session.commit()
    refused_ack(session, FILE_CONNECTOR, export_id, None, ErrorCode.DUPLICATE_ORIGIN_ID)


def test_a_records_own_number_is_its_key(session):
    f.configure(session)
    code = f.cost_code(session, "2120.000", "Site grading")
    export_id = accepted(session, code)
    assert code.origin_id == "2120.000"  # reserved at accept
    error = refused_ack(session, FILE_CONNECTOR, export_id, "2120.001", ErrorCode.ORIGIN_ID_MISMATCH)
    assert "2120.000" in error.message
    wf.acknowledge_export(session, FILE_CONNECTOR, export_id, "2120.000")
    session.commit()
    assert code.sync_status == SyncStatus.SYNCED


def test_the_erp_may_assign_its_own_key_where_it_owns_them_but_never_a_held_one(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    synced = f.commitment(session, proj, ven, number="SC-001", lines=[(concrete, sub, "1", None, None, "")])
    f.mark_synced(synced, "7001")
    c = f.commitment(session, proj, ven, number="SC-002", lines=[(concrete, sub, "10", None, None, "")])
    export_id = accepted(session, c)
    assert c.origin_id == "SC-002"  # proposed by the export, reserved at accept
    refused_ack(session, FILE_CONNECTOR, export_id, "7001", ErrorCode.DUPLICATE_ORIGIN_ID)
    export = wf.acknowledge_export(session, FILE_CONNECTOR, export_id, "7002")
    session.commit()
    assert (export.origin_id, c.origin_id, c.sync_status) == ("7002", "7002", SyncStatus.SYNCED)


def test_a_failed_export_releases_the_key_it_proposed(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    other = f.project(session, "24-002", "Other job", synced=True, erp_job_id="J-200")
    first = f.commitment(session, proj, ven, number="SC-001", lines=[(concrete, sub, "1", None, None, "")])
    export_id = accepted(session, first)
    assert first.origin_id == "SC-001"
    wf.fail_export(session, FILE_CONNECTOR, export_id, ["Subcontract numbers are numeric in Sage"])
    session.commit()
    assert (first.sync_status, first.origin_id) == (SyncStatus.FAILED_TO_EXPORT, None)
    # the ERP never took it: another commitment may go under that number
    second = f.commitment(session, other, ven, number="SC-001", lines=[(concrete, sub, "1", None, None, "")])
    accepted(session, second)
    assert second.origin_id == "SC-001"


def test_accept_refuses_a_commitment_whose_number_another_commitment_holds_as_its_key(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    other = f.project(session, "24-002", "Other job", synced=True, erp_job_id="J-200")
    held = f.commitment(session, other, ven, number="SC-001", lines=[(concrete, sub, "1", None, None, "")])
    f.mark_synced(held, "SC-001")
    c = f.commitment(session, proj, ven, number="SC-001", lines=[(concrete, sub, "10", None, None, "")])
    wf.send(session, SETUP, c)
    session.commit()
    with pytest.raises(DomainError) as info:
        wf.accept(session, SETUP, c, build_payload=build_payload)
    session.rollback()
    assert info.value.code == ErrorCode.DUPLICATE_ORIGIN_ID
    assert c.sync_status == SyncStatus.READY_TO_EXPORT and c.origin_id is None
    assert session.scalar(select(func.count()).select_from(ErpExport)) == 0


def test_change_order_numbers_are_keys_per_commitment(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    exports = []
    for number in ("SC-1", "SC-2"):
        c = f.commitment(session, proj, ven, number=number, lines=[(concrete, sub, "1", None, None, "")])
        f.mark_synced(c, number)
        co = f.change_order(session, c, number="1", lines=[(concrete, sub, "5", None, None, "")])
        exports.append(accepted(session, co))
    for export_id in exports:
        wf.acknowledge_export(session, FILE_CONNECTOR, export_id)
    session.commit()
    assert set(session.scalars(select(ErpExport.origin_id))) == {"1"}


def test_pcco_keys_are_the_erps_and_unique_within_their_prime_contract(session):
    """Sage 300 numbers a prime contract change order itself: the acknowledgement may give its number,
    never one another PCCO of the same contract holds; another contract's PCCO may share it."""
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session, f.ErpSystem.SAGE_300_CRE)
    line = [(concrete, sub, "500.00", None, None, "")]
    first, second = (f.prime_contract(session, proj, number) for number in ("C-1001", "C-1002"))
    filed = f.prime_change_order(session, first, number="PCCO-1", lines=line)
    export_id = accepted(session, filed)
    assert filed.origin_id == "PCCO-1"  # proposed by the export, reserved at accept
    export = wf.acknowledge_export(session, FILE_CONNECTOR, export_id, "0007")
    session.commit()
    assert (export.origin_id, filed.origin_id) == ("0007", "0007")

    same_contract = f.prime_change_order(session, first, number="PCCO-2", lines=line)
    export_id = accepted(session, same_contract)
    refused_ack(session, FILE_CONNECTOR, export_id, "0007", ErrorCode.DUPLICATE_ORIGIN_ID)
    # proposing a number another PCCO of the contract holds as its key is refused at accept
    clash = f.prime_change_order(session, first, number="0007", lines=line)
    wf.send(session, SETUP, clash)
    session.commit()
    with pytest.raises(DomainError) as info:
        wf.accept(session, SETUP, clash, build_payload=build_payload)
    session.rollback()
    assert info.value.code == ErrorCode.DUPLICATE_ORIGIN_ID
    assert (clash.sync_status, clash.origin_id) == (SyncStatus.READY_TO_EXPORT, None)

    other_contract = f.prime_change_order(session, second, number="PCCO-1", lines=line)
    export_id = accepted(session, other_contract)
    wf.acknowledge_export(session, FILE_CONNECTOR, export_id, "0007")
    session.commit()
    assert (other_contract.sync_status, other_contract.origin_id) == (SyncStatus.SYNCED, "0007")


def test_only_the_connector_may_acknowledge_or_fail(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    export_id = accepted(session, c)
    admin = f.user(session, "Erin Admin", {t: f.PermissionLevel.ADMIN for t in f.Tool}, approver=True)
    approver = f.approver(session)
    session.commit()
    for actor in (admin, approver):
        refused_ack(session, actor, export_id, None, ErrorCode.PERMISSION_DENIED)
        before = state(session, export_id)
        with pytest.raises(DomainError) as info:
            wf.fail_export(session, actor, export_id, ["no"])
        session.rollback()
        assert info.value.code == ErrorCode.PERMISSION_DENIED and "ERP_CONNECTOR" in info.value.message
        assert state(session, export_id) == before
    agent = f.user(session, "Sync Agent", {f.Tool.ERP_INTEGRATIONS: f.PermissionLevel.ADMIN})
    agent.acts_as_connector = True
    session.commit()
    wf.acknowledge_export(session, agent, export_id)
    session.commit()
    assert c.sync_status == SyncStatus.SYNCED


@pytest.mark.only_backend("postgresql")
def test_two_approvers_giving_one_key_to_two_vendors_at_once(session, session_factory):
    """Concurrent claims of a key take turns: exactly one vendor gets it."""
    f.configure(session)
    vendors = [f.vendor(session, "Acme Drywall"), f.vendor(session, "Acme Drywall West")]
    for v in vendors:
        wf.send(session, SETUP, v)
    approvers = [f.approver(session).id, f.approver(session).id]
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list = []

    def accept(vendor_id: int, user_id: int) -> None:
        with session_factory() as s:
            user, vendor = s.get(User, user_id), s.get(Vendor, vendor_id)
            barrier.wait(timeout=30)
            try:
                wf.accept(s, user, vendor, build_payload=build_payload, origin_id="ACME")
                s.commit()
                outcomes.append("ok")
            except DomainError as exc:
                s.rollback()
                outcomes.append(exc.code)

    threads = [
        threading.Thread(target=accept, args=(v.id, u)) for v, u in zip(vendors, approvers, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == sorted(["ok", ErrorCode.DUPLICATE_ORIGIN_ID])
    session.expire_all()
    assert session.scalar(select(func.count()).where(func.lower(Vendor.origin_id) == "acme")) == 1
