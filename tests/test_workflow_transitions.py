"""The sync state machine in the domain layer: every transition, every refused one (with nothing
changed), the outbox acknowledgements, unlinking and the read-only rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from exporters.mapping import build_payload
from models import workflow as wf
from models.enums import ExportStatus, Origin, SyncStatus
from models.errors import DomainError, ErrorCode
from models.projects import update_project
from models.sync import ErpExport, SyncEvent, ensure_editable
from tests import factories_workflow as f
from tests.actors import FILE_CONNECTOR

S = SyncStatus


@pytest.fixture
def world(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    commitment = f.commitment(session, proj, ven, lines=[(concrete, sub, "1000.00", None, None, "Footings")])
    session.commit()
    return {
        "pm": f.pm(session),
        "approver": f.approver(session),
        "commitment": commitment,
        "project": proj,
        "vendor": ven,
        "line": (concrete, sub),
    }


def events(session, record) -> list[tuple]:
    rows = session.scalars(
        select(SyncEvent)
        .where(SyncEvent.record_type == record.RECORD_TYPE, SyncEvent.record_id == record.id)
        .order_by(SyncEvent.id)
    )
    return [(e.action, e.from_status, e.to_status, e.actor_name, e.note) for e in rows]


def snapshot(session, record) -> tuple:
    session.expire_all()
    return (
        record.sync_status,
        record.origin_id,
        record.reject_reason,
        session.scalar(select(func.count()).select_from(SyncEvent)),
        session.scalar(select(func.count()).select_from(ErpExport)),
    )


def refused(session, record, call, code: ErrorCode) -> DomainError:
    before = snapshot(session, record)
    with pytest.raises(DomainError) as info:
        call()
    session.rollback()
    assert info.value.code == code, info.value
    assert snapshot(session, record) == before
    return info.value


def test_send_reject_resend_accept_acknowledge(session, world):
    pm, approver, c = world["pm"], world["approver"], world["commitment"]
    wf.send(session, pm, c, note="please post")
    assert c.sync_status == S.READY_TO_EXPORT and c.sent_by_id == pm.id and c.sent_at is not None
    wf.reject(session, approver, c, "Wrong cost code on line 1")
    assert c.sync_status == S.REJECTED and c.reject_reason == "Wrong cost code on line 1"
    assert c.decided_by_id == approver.id
    wf.resend(session, pm, c)
    assert c.sync_status == S.READY_TO_EXPORT and c.reject_reason is None and c.decided_at is None
    export = wf.accept(session, approver, c, build_payload=build_payload)
    assert c.sync_status == S.EXPORTING
    assert export.status == ExportStatus.PENDING and export.open_key == f"COMMITMENT:{c.id}"
    assert export.erp_entity == "Subcontract"
    acked = wf.acknowledge_export(session, FILE_CONNECTOR, export.id, "SC-001", connector="file")
    session.commit()
    assert acked.status == ExportStatus.ACKNOWLEDGED and acked.open_key is None
    assert c.sync_status == S.SYNCED and c.origin_id == "SC-001" and c.synced_at is not None
    assert events(session, c) == [
        ("send", S.NOT_SENT, S.READY_TO_EXPORT, "Pat Manager", "please post"),
        ("reject", S.READY_TO_EXPORT, S.REJECTED, "Alex Approver", "Wrong cost code on line 1"),
        ("resend", S.REJECTED, S.READY_TO_EXPORT, "Pat Manager", None),
        ("accept", S.READY_TO_EXPORT, S.EXPORTING, "Alex Approver", None),
        ("acknowledge", S.EXPORTING, S.SYNCED, "file", None),
    ]


def test_retrieve_before_a_decision_then_send_again(session, world):
    pm, c = world["pm"], world["commitment"]
    wf.send(session, pm, c)
    wf.retrieve(session, pm, c)
    assert c.sync_status == S.NOT_SENT and c.sent_at is None
    wf.send(session, pm, c)
    assert [e[0] for e in events(session, c)] == ["send", "retrieve", "send"]


def test_fail_then_resend_then_unlink(session, world):
    pm, approver, c = world["pm"], world["approver"], world["commitment"]
    wf.send(session, pm, c)
    export = wf.accept(session, approver, c, build_payload=build_payload)
    wf.fail_export(session, FILE_CONNECTOR, export.id, ["Vendor V-ACME is on hold in Sage"])
    assert c.sync_status == S.FAILED_TO_EXPORT and c.sync_messages == ["Vendor V-ACME is on hold in Sage"]
    assert export.status == ExportStatus.FAILED and export.open_key is None
    wf.resend(session, pm, c)
    second = wf.accept(session, approver, c, build_payload=build_payload)
    assert second.id != export.id
    wf.acknowledge_export(session, FILE_CONNECTOR, second.id)
    assert c.sync_status == S.SYNCED and c.origin_id == "SC-001"  # the payload's key
    wf.unlink(session, approver, c, note="re-created in Sage")
    session.commit()
    assert c.sync_status == S.NOT_SENT and c.origin_id is None and c.origin == Origin.COSTBRIDGE
    assert events(session, c)[-1] == (
        "unlink",
        S.SYNCED,
        S.NOT_SENT,
        "Alex Approver",
        "re-created in Sage (was linked to ERP id SC-001)",
    )


def test_acknowledging_or_failing_twice_is_harmless(session, world):
    pm, approver, c = world["pm"], world["approver"], world["commitment"]
    wf.send(session, pm, c)
    export = wf.accept(session, approver, c, build_payload=build_payload)
    session.commit()
    first = wf.acknowledge_export(session, FILE_CONNECTOR, export.id, "SC-001")
    session.commit()
    n_events = len(events(session, c))
    again = wf.acknowledge_export(session, FILE_CONNECTOR, export.id, "SC-001")
    session.commit()
    assert again.id == first.id and again.status == ExportStatus.ACKNOWLEDGED
    assert len(events(session, c)) == n_events
    # failing an acknowledged export is refused, and changes nothing
    refused(
        session,
        c,
        lambda: wf.fail_export(session, FILE_CONNECTOR, export.id, ["late"]),
        ErrorCode.EXPORT_ALREADY_CLOSED,
    )

    other = f.commitment(
        session,
        world["project"],
        world["vendor"],
        number="SC-002",
        lines=[(*world["line"], "500.00", None, None, "Slab")],
    )
    wf.send(session, pm, other)
    failed = wf.accept(session, approver, other, build_payload=build_payload)
    wf.fail_export(session, FILE_CONNECTOR, failed.id, ["Job closed"])
    session.commit()
    n_events = len(events(session, other))
    wf.fail_export(session, FILE_CONNECTOR, failed.id, ["Job closed"])
    session.commit()
    assert other.sync_status == S.FAILED_TO_EXPORT and len(events(session, other)) == n_events
    refused(
        session,
        other,
        lambda: wf.acknowledge_export(session, FILE_CONNECTOR, failed.id),
        ErrorCode.EXPORT_ALREADY_CLOSED,
    )


def test_unknown_export_is_export_not_found(session, world):
    c = world["commitment"]
    refused(
        session, c, lambda: wf.acknowledge_export(session, FILE_CONNECTOR, 9999), ErrorCode.EXPORT_NOT_FOUND
    )
    refused(
        session, c, lambda: wf.fail_export(session, FILE_CONNECTOR, 9999, ["x"]), ErrorCode.EXPORT_NOT_FOUND
    )


REFUSALS = [
    # status transitions that do not exist
    ([], "retrieve", ErrorCode.INVALID_STATUS_TRANSITION),
    ([], "resend", ErrorCode.INVALID_STATUS_TRANSITION),
    ([], "accept", ErrorCode.INVALID_STATUS_TRANSITION),
    ([], "reject", ErrorCode.INVALID_STATUS_TRANSITION),
    ([], "unlink", ErrorCode.INVALID_STATUS_TRANSITION),
    # sending again says why, with preflight's own code
    (["send"], "send", ErrorCode.ALREADY_SENT),
    (["send", "accept"], "send", ErrorCode.EXPORT_IN_PROGRESS),
    (["send"], "resend", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "accept"], "retrieve", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "accept"], "reject", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "accept"], "accept", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "reject"], "retrieve", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "accept", "ack"], "resend", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "accept", "ack"], "retrieve", ErrorCode.INVALID_STATUS_TRANSITION),
    (["send", "accept", "ack"], "send", ErrorCode.ALREADY_SYNCED),
    # who may do what
    (["send"], "accept_as_pm", ErrorCode.PERMISSION_DENIED),
    (["send"], "reject_as_pm", ErrorCode.PERMISSION_DENIED),
    ([], "send_as_approver", ErrorCode.PERMISSION_DENIED),
    (["send", "accept", "ack"], "unlink_as_pm", ErrorCode.PERMISSION_DENIED),
    # input the approver must give
    (["send"], "reject_blank", ErrorCode.REASON_REQUIRED),
]


def test_refused_transitions_change_nothing(session, world):
    for index, (setup, action, code) in enumerate(REFUSALS):
        c = f.commitment(
            session,
            world["project"],
            world["vendor"],
            number=f"R-{index}",
            lines=[(*world["line"], "10", None, None, "")],
        )
        session.commit()
        check_refusal(session, world, c, setup, action, code)


def check_refusal(session, world, c, setup, action, code):
    pm, approver = world["pm"], world["approver"]
    steps = {
        "send": lambda: wf.send(session, pm, c),
        "accept": lambda: wf.accept(session, approver, c, build_payload=build_payload),
        "reject": lambda: wf.reject(session, approver, c, "No"),
        "retrieve": lambda: wf.retrieve(session, pm, c),
        "resend": lambda: wf.resend(session, pm, c),
        "unlink": lambda: wf.unlink(session, approver, c),
        "ack": lambda: wf.acknowledge_export(
            session, FILE_CONNECTOR, session.scalar(select(ErpExport.id).where(ErpExport.record_id == c.id))
        ),
        "accept_as_pm": lambda: wf.accept(session, pm, c, build_payload=build_payload),
        "reject_as_pm": lambda: wf.reject(session, pm, c, "No"),
        "send_as_approver": lambda: wf.send(session, approver, c),
        "unlink_as_pm": lambda: wf.unlink(session, pm, c),
        "reject_blank": lambda: wf.reject(session, approver, c, "   "),
    }
    for step in setup:
        steps[step]()
    session.commit()
    error = refused(session, c, steps[action], code)
    assert error.message


def test_refusal_messages_say_why(session, world):
    pm, approver, c = world["pm"], world["approver"], world["commitment"]
    wf.send(session, pm, c)
    wf.accept(session, approver, c, build_payload=build_payload)
    session.commit()
    error = refused(session, c, lambda: wf.retrieve(session, pm, c), ErrorCode.INVALID_STATUS_TRANSITION)
    assert "EXPORTING" in error.message and "already accepted" in error.message


def test_accepting_a_project_needs_a_unique_erp_job_id(session):
    f.configure(session)
    pm, approver = f.pm(session), f.approver(session)
    f.project(session, "23-009", "Old Mill", synced=True, erp_job_id="J-200")
    p = f.project(session, "24-010", "Bay Lofts")
    wf.send(session, pm, p)
    session.commit()
    refused(
        session,
        p,
        lambda: wf.accept(session, approver, p, build_payload=build_payload),
        ErrorCode.ORIGIN_ID_REQUIRED,
    )
    error = refused(
        session,
        p,
        lambda: wf.accept(session, approver, p, build_payload=build_payload, origin_id="j-200"),
        ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS,
    )
    assert error.field == "erpJobId" and "Old Mill" in error.message
    export = wf.accept(session, approver, p, build_payload=build_payload, origin_id=" J-210 ")
    assert p.origin_id == "J-210" and export.payload["header"]["Job ID"] == "J-210"


def test_accepting_a_vendor_needs_its_erp_vendor_id(session):
    f.configure(session)
    pm, approver = f.pm(session), f.approver(session)
    f.vendor(session, "Old Vendor", synced=True, erp_id="ACME01")
    v = f.vendor(session, "Acme Drywall")
    wf.send(session, pm, v)
    session.commit()
    refused(
        session,
        v,
        lambda: wf.accept(session, approver, v, build_payload=build_payload),
        ErrorCode.ORIGIN_ID_REQUIRED,
    )
    refused(
        session,
        v,
        lambda: wf.accept(session, approver, v, build_payload=build_payload, origin_id="ACME01"),
        ErrorCode.DUPLICATE_ORIGIN_ID,
    )
    wf.accept(session, approver, v, build_payload=build_payload, origin_id="ACMEDRY")
    assert v.origin_id == "ACMEDRY"


def test_sending_a_commitment_whose_vendor_is_not_synced_is_refused(session, world):
    c, pm = world["commitment"], world["pm"]
    world["vendor"].sync_status = S.NOT_SENT
    session.commit()
    error = refused(session, c, lambda: wf.send(session, pm, c), ErrorCode.VENDOR_NOT_SYNCED)
    assert isinstance(error, wf.BlockedError)
    assert [b.code for b in error.blockers] == [ErrorCode.VENDOR_NOT_SYNCED]


def test_sent_records_are_read_only_until_retrieved_rejected_or_failed(session):
    f.configure(session)
    pm, approver = f.pm(session), f.approver(session)
    p = f.project(session, "24-020", "Dock")
    wf.send(session, pm, p)
    with pytest.raises(DomainError) as info:
        update_project(session, pm, p, name="Dock 2")
    assert info.value.code == ErrorCode.RECORD_LOCKED_BY_SYNC
    wf.reject(session, approver, p, "Add the zip")
    ensure_editable(p)
    update_project(session, pm, p, zip="94107")
    wf.resend(session, pm, p)
    with pytest.raises(DomainError):
        ensure_editable(p)
    wf.retrieve(session, pm, p)
    ensure_editable(p)
