"""ERP direct exports: with the setting on, a sent record is preflighted and goes straight to the
outbox with the sender as the decider; the approver's queue and digest leave it out; records whose
ERP key the approver types still wait; turning the setting off changes only later sends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.relay import to_global_id
from exporters.connectors.file import run_file_connector
from exporters.mapping import build_payload
from models import workflow
from models.db import make_sessionmaker
from models.enums import CommitmentStatus, ExportStatus, PermissionLevel, SyncStatus, Tool
from models.sync import ErpExport, SyncEvent
from tests import factories_workflow as f
from tests.actors import FILE_CONNECTOR

A, S, R = PermissionLevel.ADMIN, PermissionLevel.STANDARD, PermissionLevel.READ_ONLY

SETTINGS = """
mutation($input: UpdateErpSettingsInput!) {
  updateErpSettings(input: $input) { erp { directExports } errors { code } }
}
"""
SEND = """
mutation($ids: [ID!]!) {
  sendToErp(input: {ids: $ids}) {
    results {
      ok errors { code } blockers { code }
      item { sync { status decidedBy { name } sentBy { name } history { action actor toStatus note } } }
    }
  }
}
"""
QUEUE = (
    "{ syncItems(statuses: [READY_TO_EXPORT, EXPORTING]) { totalCount nodes { label } "
    "counts { status count } } approvalDigest { total } }"
)
SYNCED = "{ syncItems(statuses: [SYNCED]) { nodes { label } } }"


@pytest.fixture
def world(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    line = [(concrete, sub, "1000.00", None, None, "")]
    records = {
        "sc1": f.commitment(session, proj, ven, number="SC-1", lines=line),
        "sc2": f.commitment(session, proj, ven, number="SC-2", lines=line),
        "draft": f.commitment(session, proj, ven, number="SC-3", status=CommitmentStatus.DRAFT, lines=line),
        "project": f.project(session, "24-009", "Depot", cost_codes=()),
    }
    session.commit()
    return records


@pytest.fixture
def people(make_actor):
    return {
        "pm": make_actor("Pat Manager", {Tool.COMMITMENTS: A, Tool.PROJECT_ADMIN: A}),
        "erp_admin": make_actor("Erin Admin", {Tool.ERP_INTEGRATIONS: A}),
        "approver": make_actor(
            "Alex Approver",
            {Tool.ERP_INTEGRATIONS: S, Tool.COMMITMENTS: R, Tool.PROJECT_ADMIN: R},
            approver=True,
        ),
    }


def gql(client, actor, query, variables=None):
    body = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=actor.headers
    ).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def send(client, actor, *records):
    ids = [to_global_id(type(r).__name__, r.id) for r in records]
    return gql(client, actor, SEND, {"ids": ids})["sendToErp"]["results"]


def test_a_sent_subcontract_goes_to_the_outbox_with_no_approver_step(
    client, session, world, people, tmp_path
):
    refused = gql(client, people["approver"], SETTINGS, {"input": {"directExports": True}})
    assert refused["updateErpSettings"]["errors"] == [{"code": "PERMISSION_DENIED"}]
    on = gql(client, people["erp_admin"], SETTINGS, {"input": {"directExports": True}})["updateErpSettings"]
    assert on == {"erp": {"directExports": True}, "errors": []}

    [result] = send(client, people["pm"], world["sc1"])
    sync = result["item"]["sync"]
    assert result["ok"] and sync["status"] == "EXPORTING"
    assert sync["decidedBy"] == {"name": "Pat Manager"} and sync["sentBy"] == {"name": "Pat Manager"}
    assert [(h["action"], h["actor"], h["toStatus"]) for h in sync["history"]] == [
        ("send", "Pat Manager", "READY_TO_EXPORT"),
        ("direct_export", "Pat Manager", "EXPORTING"),
    ]
    assert "without approval" in sync["history"][-1]["note"]
    export = session.scalar(select(ErpExport).where(ErpExport.record_id == world["sc1"].id))
    assert (export.status, export.erp_entity, export.payload["header"]["Subcontract #"]) == (
        ExportStatus.PENDING,
        "Subcontract",
        "SC-1",
    )

    # preflight still runs: a draft commitment is refused and nothing reaches the outbox
    [draft] = send(client, people["pm"], world["draft"])
    assert not draft["ok"] and [b["code"] for b in draft["blockers"]] == ["COMMITMENT_NOT_APPROVED"]
    # a project waits for the approver, who types its ERP Job ID
    [project] = send(client, people["pm"], world["project"])
    assert project["ok"] and project["item"]["sync"]["status"] == "READY_TO_EXPORT"

    queue = gql(client, people["approver"], QUEUE)
    assert [n["label"] for n in queue["syncItems"]["nodes"]] == ["24-009 Depot"]
    assert {c["status"]: c["count"] for c in queue["syncItems"]["counts"]}["EXPORTING"] == 0
    assert queue["approvalDigest"]["total"] == 1

    # turning it off changes later sends only: SC-1 stays in the outbox, SC-2 waits for the approver
    off = gql(client, people["erp_admin"], SETTINGS, {"input": {"directExports": False}})["updateErpSettings"]
    assert off["erp"]["directExports"] is False
    [second] = send(client, people["pm"], world["sc2"])
    assert second["item"]["sync"]["status"] == "READY_TO_EXPORT"
    queue = gql(client, people["approver"], QUEUE)
    assert sorted(n["label"] for n in queue["syncItems"]["nodes"]) == [
        "24-009 Depot",
        "Subcontract SC-2 Concrete foundations",
    ]
    session.expire_all()
    assert session.get(ErpExport, export.id).status == ExportStatus.PENDING

    # the connector delivers the direct export like any other; it stays out of the queue once synced
    run = run_file_connector(make_sessionmaker(session.get_bind()), tmp_path)
    assert run.acknowledged == [export.id]
    session.expire_all()
    assert session.get(type(world["sc1"]), world["sc1"].id).sync_status == SyncStatus.SYNCED
    labels = [n["label"] for n in gql(client, people["approver"], SYNCED)["syncItems"]["nodes"]]
    assert "Subcontract SC-1 Concrete foundations" not in labels


def test_the_domain_send_needs_the_mapper_when_direct_exports_are_on(session, world):
    settings = f.configure(session)
    settings.direct_exports = True
    pm = f.pm(session)
    session.commit()
    with pytest.raises(TypeError):
        workflow.send(session, pm, world["sc1"])
    session.rollback()
    record = session.get(type(world["sc1"]), world["sc1"].id)
    workflow.send(session, pm, record, build_payload=build_payload)
    assert record.sync_status == SyncStatus.EXPORTING and record.exported_directly
    events = session.scalars(select(SyncEvent.action).where(SyncEvent.record_id == record.id)).all()
    assert events == ["send", "direct_export"]


REJECT = """
mutation($ids: [ID!]!) { rejectErpExport(input: {ids: $ids, reason: "Wrong retainage"}) { results { ok } } }
"""


def history_of(session, record) -> list[str]:
    return list(
        session.scalars(
            select(SyncEvent.action)
            .where(SyncEvent.record_type == record.RECORD_TYPE, SyncEvent.record_id == record.id)
            .order_by(SyncEvent.id)
        )
    )


def test_a_resend_goes_straight_to_the_outbox_and_direct_exports_keep_the_key_rules(
    client, session, world, people
):
    """sendToErp resends a rejected or failed record; with direct exports on the resend skips the
    approver as a first send does, and the key the export proposes is claimed as at accept."""
    sc1, sc2 = world["sc1"], world["sc2"]
    [first] = send(client, people["pm"], sc1)
    assert first["item"]["sync"]["status"] == "READY_TO_EXPORT"
    [rejected] = gql(client, people["approver"], REJECT, {"ids": [to_global_id("Commitment", sc1.id)]})[
        "rejectErpExport"
    ]["results"]
    assert rejected["ok"]
    gql(client, people["erp_admin"], SETTINGS, {"input": {"directExports": True}})

    [resent] = send(client, people["pm"], sc1)
    assert resent["ok"] and resent["item"]["sync"]["status"] == "EXPORTING"
    session.expire_all()
    assert history_of(session, sc1) == ["send", "reject", "resend", "direct_export"]
    export = session.scalar(select(ErpExport).where(ErpExport.record_id == sc1.id))
    assert (export.status, export.origin_id, session.get(type(sc1), sc1.id).origin_id) == (
        ExportStatus.PENDING,
        "SC-1",
        "SC-1",
    )

    # the ERP refuses it; fixed and sent again, it goes out again under its number
    workflow.fail_export(session, FILE_CONNECTOR, export.id, ["Vendor on hold in Sage"])
    session.commit()
    [again] = send(client, people["pm"], sc1)
    assert again["ok"] and again["item"]["sync"]["status"] == "EXPORTING"
    session.expire_all()
    assert history_of(session, sc1)[-3:] == ["fail", "resend", "direct_export"]
    statuses = session.scalars(
        select(ErpExport.status).where(ErpExport.record_id == sc1.id).order_by(ErpExport.id)
    ).all()
    assert statuses == [ExportStatus.FAILED, ExportStatus.PENDING]

    # a number another commitment holds as its ERP key: refused, nothing sent, nothing exported
    held = f.commitment(session, sc2.project, sc2.vendor, number="SC-9", lines=[])
    f.mark_synced(held, "SC-2")
    session.commit()
    [clash] = send(client, people["pm"], sc2)
    assert not clash["ok"] and [e["code"] for e in clash["errors"]] == ["DUPLICATE_ORIGIN_ID"]
    session.expire_all()
    record = session.get(type(sc2), sc2.id)
    assert (record.sync_status, record.origin_id, history_of(session, record)) == (
        SyncStatus.NOT_SENT,
        None,
        [],
    )
    assert session.scalar(select(ErpExport).where(ErpExport.record_id == sc2.id)) is None
