"""The workflow over HTTP: the whole loop with three users, batch mutations reported per item,
refusals that change nothing, the queue, preflight, digest, ERP settings, the agent's outbox
calls, ERP jobs coming in, and the CLI commands."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from api.relay import to_global_id
from exporters.connectors.file import run_file_connector
from models.enums import CommitmentStatus, PermissionLevel, SyncStatus, Tool
from models.projects import Project
from models.sync import ErpExport, SyncEvent
from tests import factories_workflow as f
from tests.actors import SETUP

RESULT = (
    "results { id ok item { recordType label sync { status rejectReason } } errors { code message field } "
    "blockers { code fix } }"
)
SEND = (
    f"mutation($ids: [ID!]!) {{ sendToErp(input: {{ids: $ids}}) {{ succeeded failed {RESULT} errors {{ code "
    f"}} }} }}"
)
RESEND = f"mutation($ids: [ID!]!) {{ resendToErp(input: {{ids: $ids}}) {{ {RESULT} }} }}"
RETRIEVE = f"mutation($ids: [ID!]!) {{ retrieveFromErp(input: {{ids: $ids}}) {{ {RESULT} }} }}"
REJECT = (
    f"mutation($ids: [ID!]!, $reason: String!) {{ rejectErpExport(input: {{ids: $ids, reason: $reason}}) {{ "
    f"{RESULT} }} }}"
)
ACCEPT = (
    "mutation($items: [AcceptItemInput!]!) { acceptErpExport(input: {items: $items}) { succeeded "
    + RESULT.replace("results {", "results { export { id erpEntity status header lines }")
    + " } }"
)
UNLINK = f"mutation($ids: [ID!]!) {{ unlinkFromErp(input: {{ids: $ids}}) {{ {RESULT} }} }}"

FIELD_TOOLS = (Tool.PROJECT_ADMIN, Tool.BUDGET, Tool.COMMITMENTS, Tool.DIRECTORY, Tool.INVOICES)


@pytest.fixture
def people(make_actor):
    return {
        "pm": make_actor("Pat Manager", {t: PermissionLevel.ADMIN for t in FIELD_TOOLS}),
        "approver": make_actor(
            "Alex Approver",
            {
                **{t: PermissionLevel.READ_ONLY for t in FIELD_TOOLS},
                Tool.ERP_INTEGRATIONS: PermissionLevel.STANDARD,
            },
            approver=True,
        ),
        "viewer": make_actor(
            "Val Viewer", {t: PermissionLevel.READ_ONLY for t in (*FIELD_TOOLS, Tool.ERP_INTEGRATIONS)}
        ),
        # the account the sync agent signs in with (reading the field tools too, to see the records)
        "agent": make_actor(
            "Sync Agent",
            {
                **{t: PermissionLevel.READ_ONLY for t in FIELD_TOOLS},
                Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN,
            },
            connector=True,
        ),
    }


def gid(record) -> str:
    return to_global_id(type(record).__name__, record.id)


def only(payload, name):
    results = payload[name]["results"]
    assert len(results) == 1
    return results[0]


def status_of(session_factory, model, pk) -> SyncStatus:
    with session_factory() as s:
        return s.get(model, pk).sync_status


def counts(session_factory) -> tuple[int, int]:
    with session_factory() as s:
        return (
            s.scalar(select(func.count()).select_from(SyncEvent)),
            s.scalar(select(func.count()).select_from(ErpExport)),
        )


def test_the_whole_loop_with_three_users(gql, people, session, session_factory, tmp_path):
    f.configure(session)
    project = f.project(session, "24-001", "Harbor Clinic", zip="")
    session.commit()
    pm, approver = gql.as_(people["pm"]), gql.as_(people["approver"])
    pid = gid(project)

    sent = only(pm.data(SEND, {"ids": [pid]}), "sendToErp")
    assert sent["ok"] and sent["item"]["sync"]["status"] == "READY_TO_EXPORT"

    queue = approver.data(
        "{ syncItems(statuses: [READY_TO_EXPORT]) { totalCount counts { status count } "
        "nodes { recordType recordId label project { number } sync { status sentBy { name } } "
        "record { ... on Project { name } } } } }"
    )["syncItems"]
    assert queue["totalCount"] == 1
    assert queue["nodes"][0] == {
        "recordType": "PROJECT",
        "recordId": pid,
        "label": "24-001 Harbor Clinic",
        "project": {"number": "24-001"},
        "sync": {"status": "READY_TO_EXPORT", "sentBy": {"name": "Pat Manager"}},
        "record": {"name": "Harbor Clinic"},
    }
    assert {"status": "READY_TO_EXPORT", "count": 1} in queue["counts"]

    rejected = only(
        approver.data(REJECT, {"ids": [pid], "reason": "The job address has no ZIP"}), "rejectErpExport"
    )
    assert rejected["item"]["sync"] == {"status": "REJECTED", "rejectReason": "The job address has no ZIP"}

    fixed = pm.data(
        'mutation($id: ID!) { updateProject(input: {id: $id, zip: "92618"}) { errors { code } } }',
        {"id": pid},
    )
    assert fixed["updateProject"]["errors"] == []
    assert only(pm.data(RESEND, {"ids": [pid]}), "resendToErp")["ok"]

    accepted = only(approver.data(ACCEPT, {"items": [{"id": pid, "erpJobId": "HC-24"}]}), "acceptErpExport")
    assert accepted["ok"] and accepted["item"]["sync"]["status"] == "EXPORTING"
    assert accepted["export"]["erpEntity"] == "Job" and accepted["export"]["status"] == "PENDING"
    assert accepted["export"]["header"]["Job Zip"] == "92618"

    run = run_file_connector(session_factory, tmp_path / "exports")
    assert len(run.files) == 1 and run.acknowledged
    with run.files[0].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "Job ID": "HC-24",
            "Job Name": "Harbor Clinic",
            "Job Address": "12 Harbor Way",
            "Job City": "Irvine",
            "Job State": "CA",
            "Job Zip": "92618",
            "Cost Code": "",
            "Cost Type": "",
        }
    ]

    seen = pm.data(
        "query($id: ID!) { node(id: $id) { ... on Project { erpJobId sync { status originId "
        "history { action actor fromStatus toStatus note } } } } }",
        {"id": pid},
    )["node"]
    assert seen["erpJobId"] == "HC-24" and seen["sync"]["status"] == "SYNCED"
    assert [(h["action"], h["actor"], h["toStatus"]) for h in seen["sync"]["history"]] == [
        ("send", "Pat Manager", "READY_TO_EXPORT"),
        ("reject", "Alex Approver", "REJECTED"),
        ("resend", "Pat Manager", "READY_TO_EXPORT"),
        ("accept", "Alex Approver", "EXPORTING"),
        ("acknowledge", "file", "SYNCED"),
    ]


def test_batch_send_reports_each_item(gql, people, session, session_factory):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    good = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    unsynced = f.vendor(session, "Bolt Electric")
    bad = f.commitment(session, proj, unsynced, number="SC-2", lines=[(concrete, sub, "10", None, None, "")])
    draft = f.commitment(
        session,
        proj,
        ven,
        number="SC-3",
        status=CommitmentStatus.DRAFT,
        lines=[(concrete, sub, "1", None, None, "")],
    )
    session.commit()
    before = counts(session_factory)
    out = gql.as_(people["pm"]).data(SEND, {"ids": [gid(good), gid(bad), "nonsense", gid(draft)]})[
        "sendToErp"
    ]
    assert (out["succeeded"], out["failed"]) == (1, 3)
    ok, vendor, invalid, not_approved = out["results"]
    assert ok["ok"] and ok["item"]["sync"]["status"] == "READY_TO_EXPORT"
    assert vendor["errors"] == [
        {
            "code": "VENDOR_NOT_SYNCED",
            "message": "Vendor Bolt Electric is not synced with Sage 100 Contractor (NOT_SENT)",
            "field": "vendor",
        }
    ]
    assert vendor["blockers"][0]["fix"].startswith("Send vendor Bolt Electric to the ERP")
    assert vendor["item"]["sync"]["status"] == "NOT_SENT"
    assert invalid == {
        "id": "nonsense",
        "ok": False,
        "item": None,
        "errors": [{"code": "INVALID_ID", "message": "'nonsense' is not a valid ID", "field": "id"}],
        "blockers": [],
    }
    assert [e["code"] for e in not_approved["errors"]] == ["COMMITMENT_NOT_APPROVED"]
    assert counts(session_factory) == (before[0] + 1, before[1])
    assert status_of(session_factory, type(bad), bad.id) == SyncStatus.NOT_SENT


def test_refusals_over_http_change_nothing(gql, people, session, session_factory, make_actor):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    session.commit()
    pm, approver = gql.as_(people["pm"]), gql.as_(people["approver"])
    cid = gid(c)
    pm.data(SEND, {"ids": [cid]})
    # an ERP admin without the 'can push to accounting' privilege is not an approver
    erp_admin = gql.as_(make_actor("Erin", {Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN}))

    def refused(client, query, variables, name, code):
        before = counts(session_factory), status_of(session_factory, type(c), c.id)
        result = only(client.data(query, variables), name)
        assert not result["ok"] and result["errors"][0]["code"] == code, result
        assert (counts(session_factory), status_of(session_factory, type(c), c.id)) == before

    refused(erp_admin, ACCEPT, {"items": [{"id": cid}]}, "acceptErpExport", "PERMISSION_DENIED")
    refused(pm, ACCEPT, {"items": [{"id": cid}]}, "acceptErpExport", "PERMISSION_DENIED")
    refused(approver, REJECT, {"ids": [cid], "reason": " "}, "rejectErpExport", "REASON_REQUIRED")
    refused(approver, SEND, {"ids": [cid]}, "sendToErp", "PERMISSION_DENIED")
    assert only(approver.data(ACCEPT, {"items": [{"id": cid}]}), "acceptErpExport")["ok"]
    refused(pm, RETRIEVE, {"ids": [cid]}, "retrieveFromErp", "INVALID_STATUS_TRANSITION")
    with session_factory() as s:
        export_id = s.scalar(select(ErpExport.id))
    ack = (
        "mutation($id: ID!) { acknowledgeErpExport(input: {exportId: $id}) { export { status } errors { code "
        "} } }"
    )
    # ADMIN on every tool and the approver privilege is not the connector: refused, nothing changes
    before = counts(session_factory), status_of(session_factory, type(c), c.id)
    admin_ack = gql.data(ack, {"id": to_global_id("ErpExport", export_id)})["acknowledgeErpExport"]
    assert admin_ack["errors"] == [{"code": "PERMISSION_DENIED"}]
    assert (counts(session_factory), status_of(session_factory, type(c), c.id)) == before
    agent = gql.as_(people["agent"])
    assert (
        agent.data(ack, {"id": to_global_id("ErpExport", export_id)})["acknowledgeErpExport"]["errors"] == []
    )
    refused(pm, RESEND, {"ids": [cid]}, "resendToErp", "INVALID_STATUS_TRANSITION")
    refused(pm, UNLINK, {"ids": [cid]}, "unlinkFromErp", "PERMISSION_DENIED")
    out = only(approver.data(UNLINK, {"ids": [cid]}), "unlinkFromErp")
    assert out["ok"] and out["item"]["sync"]["status"] == "NOT_SENT"


def test_accepting_projects_and_vendors_needs_their_erp_ids(gql, people, session):
    f.configure(session)
    p = f.project(session, "24-002", "Bay Lofts")
    v = f.vendor(session, "Acme Drywall")
    session.commit()
    gql.as_(people["pm"]).data(SEND, {"ids": [gid(p), gid(v)]})
    approver = gql.as_(people["approver"])
    out = approver.data(ACCEPT, {"items": [{"id": gid(p)}, {"id": gid(v), "erpJobId": "wrong field"}]})
    assert [r["errors"][0]["code"] for r in out["acceptErpExport"]["results"]] == ["ORIGIN_ID_REQUIRED"] * 2
    assert [r["errors"][0]["field"] for r in out["acceptErpExport"]["results"]] == ["erpJobId", "erpVendorId"]
    out = approver.data(
        ACCEPT, {"items": [{"id": gid(p), "erpJobId": "BL-1"}, {"id": gid(v), "erpVendorId": "ACMEDRY"}]}
    )
    assert out["acceptErpExport"]["succeeded"] == 2
    headers = [r["export"]["header"] for r in out["acceptErpExport"]["results"]]
    assert headers[0]["Job ID"] == "BL-1" and headers[1]["Vendor Record Number"] == "ACMEDRY"


def test_the_agent_pulls_the_outbox_and_acknowledges_or_fails(gql, people, session, session_factory):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c1 = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    c2 = f.commitment(session, proj, ven, number="SC-2", lines=[(concrete, sub, "20", None, None, "")])
    session.commit()
    gql.as_(people["pm"]).data(SEND, {"ids": [gid(c1), gid(c2)]})
    gql.as_(people["approver"]).data(ACCEPT, {"items": [{"id": gid(c1)}, {"id": gid(c2)}]})
    gql = gql.as_(people["agent"])
    pending = gql.data(
        "{ erpExports(status: PENDING) { totalCount nodes { id recordType erpSystem erpEntity columns header "
        "lines } } }"
    )["erpExports"]
    assert pending["totalCount"] == 2
    first, second = pending["nodes"]
    assert first["erpEntity"] == "Subcontract" and first["header"]["Subcontract #"] == "SC-001"
    assert first["columns"][:2] == ["Subcontract #", "Original Subcontract"]

    ack = (
        "mutation($id: ID!, $origin: String) "
        "{ acknowledgeErpExport(input: {exportId: $id, originId: $origin}) "
        "{ export { status originId } item { sync { status originId } } errors { code } } }"
    )
    once = gql.data(ack, {"id": first["id"], "origin": "SC-001-A"})["acknowledgeErpExport"]
    twice = gql.data(ack, {"id": first["id"], "origin": "SC-001-A"})["acknowledgeErpExport"]
    assert (
        once
        == twice
        == {
            "export": {"status": "ACKNOWLEDGED", "originId": "SC-001-A"},
            "item": {"sync": {"status": "SYNCED", "originId": "SC-001-A"}},
            "errors": [],
        }
    )
    fail = (
        "mutation($id: ID!, $m: [String!]!) { failErpExport(input: {exportId: $id, messages: $m}) "
        "{ export { status messages } item { sync { status messages } } errors { code } } }"
    )
    failed = gql.data(fail, {"id": second["id"], "m": ["Cost code 3300.000 is inactive in Sage"]})[
        "failErpExport"
    ]
    assert failed == gql.data(fail, {"id": second["id"], "m": ["again"]})["failErpExport"]
    assert failed["item"]["sync"] == {
        "status": "FAILED_TO_EXPORT",
        "messages": ["Cost code 3300.000 is inactive in Sage"],
    }
    before = counts(session_factory)
    missing = gql.data(ack, {"id": to_global_id("ErpExport", 999), "origin": None})["acknowledgeErpExport"]
    assert missing == {"export": None, "item": None, "errors": [{"code": "EXPORT_NOT_FOUND"}]}
    assert counts(session_factory) == before
    # a user who is not the connector cannot acknowledge: not a PM, not an approver
    for who in ("pm", "approver"):
        denied = gql.as_(people[who]).data(ack, {"id": second["id"], "origin": None})["acknowledgeErpExport"]
        assert denied["errors"] == [{"code": "PERMISSION_DENIED"}]
    # nor read the outbox
    assert gql.as_(people["pm"]).execute("{ erpExports { totalCount } }")["errors"]


def test_queue_filters_and_counts(gql, people, session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    other = f.project(session, "24-009", "Other", synced=True, erp_job_id="J-9")
    c1 = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    c2 = f.commitment(session, other, ven, number="SC-9", lines=[(concrete, sub, "10", None, None, "")])
    v = f.vendor(session, "Bolt Electric")
    session.commit()
    gql.as_(people["pm"]).data(SEND, {"ids": [gid(c1), gid(c2), gid(v)]})
    viewer = gql.as_(people["viewer"])
    q = (
        "query($s: [SyncStatus!], $t: [RecordType!], $p: ID) "
        "{ syncItems(statuses: $s, recordTypes: $t, projectId: $p) "
        "{ totalCount counts { status count } nodes { recordType label project { number } } } }"
    )
    everything = viewer.data(q)["syncItems"]
    assert everything["totalCount"] == 8  # sent: 3; synced: 2 projects, 1 vendor, 2 cost codes
    assert {c["status"]: c["count"] for c in everything["counts"]}["READY_TO_EXPORT"] == 3
    commitments = viewer.data(q, {"t": ["COMMITMENT"], "p": gid(other)})["syncItems"]
    assert commitments["nodes"] == [
        {
            "recordType": "COMMITMENT",
            "label": "Subcontract SC-9 Concrete foundations",
            "project": {"number": "24-009"},
        }
    ]
    vendors = viewer.data(q, {"s": ["READY_TO_EXPORT"], "t": ["VENDOR"]})["syncItems"]
    assert vendors["nodes"] == [{"recordType": "VENDOR", "label": "Bolt Electric", "project": None}]
    assert {c["status"]: c["count"] for c in vendors["counts"]} == {
        "NOT_SENT": 0,
        "READY_TO_EXPORT": 1,
        "EXPORTING": 0,
        "SYNCED": 1,
        "FAILED_TO_EXPORT": 0,
        "REJECTED": 0,
    }
    typed = viewer.data("{ syncItems { nodes { recordType recordId record { __typename id } } } }")[
        "syncItems"
    ]
    assert {(n["recordType"], n["record"]["__typename"]) for n in typed["nodes"]} == {
        ("PROJECT", "Project"),
        ("VENDOR", "Vendor"),
        ("COST_CODE", "CostCode"),
        ("COMMITMENT", "Commitment"),
    }
    assert all(n["record"]["id"] == n["recordId"] for n in typed["nodes"])
    assert gql.as_(people["pm"]).execute("{ syncItems { totalCount } }")["errors"]


def test_sync_preflight_lists_every_blocker_with_its_fix(gql, people, session):
    f.configure(session)
    p = f.project(session)
    c = f.commitment(session, p, None, status=CommitmentStatus.DRAFT)
    session.commit()
    out = gql.as_(people["pm"]).data(
        "query($id: ID!) "
        "{ syncPreflight(id: $id) { recordType erpSystem status canSend blockers { code message fix field } "
        "} }",
        {"id": gid(c)},
    )["syncPreflight"]
    assert out["recordType"] == "COMMITMENT" and out["canSend"] is False
    assert [b["code"] for b in out["blockers"]] == [
        "COMMITMENT_NOT_APPROVED",
        "PROJECT_NOT_SYNCED",
        "VENDOR_NOT_SYNCED",
        "NO_LINES",
    ]
    assert all(b["fix"] for b in out["blockers"])
    ok = gql.data("query($id: ID!) { syncPreflight(id: $id) { canSend blockers { code } } }", {"id": gid(p)})
    assert ok["syncPreflight"] == {"canSend": True, "blockers": []}
    bad = gql.execute('{ syncPreflight(id: "nope") { canSend } }')
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"


PREFLIGHT = (
    "query($id: ID!) { syncPreflight(id: $id) { status canSend blockers { code fix } "
    "warnings { code message fix } } }"
)


@pytest.mark.parametrize(
    "steps, status, can_send, code",
    [
        ([], "NOT_SENT", True, None),
        (["send"], "READY_TO_EXPORT", False, "ALREADY_SENT"),
        (["send", "accept"], "EXPORTING", False, "EXPORT_IN_PROGRESS"),
        (["send", "accept", "ack"], "SYNCED", False, "ALREADY_SYNCED"),
        (["send", "reject"], "REJECTED", True, None),
        (["send", "accept", "fail"], "FAILED_TO_EXPORT", True, None),
    ],
)
def test_preflight_says_why_for_every_status_and_send_agrees(
    gql, people, session, session_factory, steps, status, can_send, code
):
    """What syncPreflight answers is what sendToErp does: a rejected or failed record is resent, one
    already with the ERP is refused with preflight's own code."""
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    session.commit()
    pm, approver, agent = (gql.as_(people[who]) for who in ("pm", "approver", "agent"))
    cid = gid(c)
    for step in steps:
        if step == "send":
            assert only(pm.data(SEND, {"ids": [cid]}), "sendToErp")["ok"]
        elif step == "accept":
            assert only(approver.data(ACCEPT, {"items": [{"id": cid}]}), "acceptErpExport")["ok"]
        elif step == "reject":
            assert only(approver.data(REJECT, {"ids": [cid], "reason": "Wrong vendor"}), "rejectErpExport")[
                "ok"
            ]
        else:
            with session_factory() as s:
                export_id = to_global_id("ErpExport", s.scalar(select(ErpExport.id)))
            mutation = (
                "mutation($id: ID!) { acknowledgeErpExport(input: {exportId: $id}) { errors { code } } }"
                if step == "ack"
                else 'mutation($id: ID!) { failErpExport(input: {exportId: $id, messages: ["Job closed"]}) '
                "{ errors { code } } }"
            )
            assert not next(iter(agent.data(mutation, {"id": export_id}).values()))["errors"]
    pre = pm.data(PREFLIGHT, {"id": cid})["syncPreflight"]
    assert (pre["status"], pre["canSend"]) == (status, can_send)
    assert [b["code"] for b in pre["blockers"]] == ([code] if code else [])
    assert all(b["fix"] for b in pre["blockers"])
    if status in ("REJECTED", "FAILED_TO_EXPORT"):
        [warning] = pre["warnings"]
        reason = "Wrong vendor" if status == "REJECTED" else "Job closed"
        assert warning["code"] == "RESEND" and reason in warning["message"] and "sendToErp" in warning["fix"]
    before = counts(session_factory)
    sent = only(pm.data(SEND, {"ids": [cid]}), "sendToErp")
    assert sent["ok"] is can_send
    if can_send:
        assert sent["item"]["sync"]["status"] == "READY_TO_EXPORT"
        with session_factory() as s:
            last = s.scalars(select(SyncEvent).order_by(SyncEvent.id.desc())).first()
            assert last.action == ("send" if status == "NOT_SENT" else "resend")
    else:
        assert [e["code"] for e in sent["errors"]] == [code]
        assert sent["blockers"][0]["fix"] == pre["blockers"][0]["fix"]
        assert counts(session_factory) == before and status_of(session_factory, type(c), c.id) == status


def test_erp_configuration_and_settings(gql, people, session, monkeypatch):
    monkeypatch.setenv("COSTBRIDGE_EXPORT_ROOT", "/srv")
    f.configure(session)
    session.commit()
    erp = gql.as_(people["pm"]).data(
        "{ erp { system systemName country usesPhases outOfScope capabilities { feature recordType "
        "exportSupported importSupported notes } } }"
    )["erp"]
    assert (erp["system"], erp["country"], erp["usesPhases"]) == ("SAGE_100_CONTRACTOR", "US", False)
    caps = {c["feature"]: c for c in erp["capabilities"]}
    assert (caps["SUB_JOB"]["exportSupported"], caps["SUB_JOB"]["importSupported"]) == (False, True)
    assert caps["FORECAST_VALUES"]["exportSupported"] is False
    assert (caps["PRIME_CONTRACT"]["exportSupported"], caps["PRIME_CONTRACT"]["importSupported"]) == (
        False,
        False,
    )
    assert any("Owner invoices" in line for line in erp["outOfScope"])

    update = (
        "mutation($i: UpdateErpSettingsInput!) { updateErpSettings(input: $i) { erp { system country "
        "exportFolder exportIntervalSeconds capabilities { feature exportSupported } } errors { code field "
        "} } }"
    )
    denied = gql.as_(people["approver"]).data(update, {"i": {"erpSystem": "SAGE_300_CRE"}})[
        "updateErpSettings"
    ]
    assert denied == {"erp": None, "errors": [{"code": "PERMISSION_DENIED", "field": None}]}
    out = gql.data(
        update,
        {
            "i": {
                "erpSystem": "SAGE_300_CRE",
                "country": "CA",
                "exportFolder": "/srv/sage",
                "exportIntervalSeconds": 300,
            }
        },
    )["updateErpSettings"]
    assert out["errors"] == []
    assert (
        out["erp"]["system"],
        out["erp"]["country"],
        out["erp"]["exportFolder"],
        out["erp"]["exportIntervalSeconds"],
    ) == ("SAGE_300_CRE", "CA", "/srv/sage", 300)
    caps = {c["feature"]: c["exportSupported"] for c in out["erp"]["capabilities"]}
    assert caps["SUB_JOB"] is True and caps["FORECAST_VALUES"] is True and caps["COST_CODE"] is False
    bad = gql.data(update, {"i": {"exportIntervalSeconds": -5}})["updateErpSettings"]
    assert bad["errors"] == [{"code": "INVALID_VALUE", "field": "exportIntervalSeconds"}]
    for outside in ("../../..", "/etc", "sage/../../tmp"):
        refused = gql.data(update, {"i": {"exportFolder": outside}})["updateErpSettings"]
        assert refused == {"erp": None, "errors": [{"code": "PATH_OUTSIDE_ROOT", "field": "exportFolder"}]}
    inside = gql.data(update, {"i": {"exportFolder": "sage/../sage-2"}})["updateErpSettings"]
    assert inside["errors"] == [] and inside["erp"]["exportFolder"] == "sage/../sage-2"


def test_approval_digest_query(gql, people, session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    session.commit()
    gql.as_(people["pm"]).data(SEND, {"ids": [gid(c)]})
    digest = gql.as_(people["approver"]).data(
        "{ approvalDigest { total failedCount text groups { recordType count items { label projectNumber "
        "sentBy waiting waitingSeconds } } } }"
    )["approvalDigest"]
    assert digest["total"] == 1 and digest["failedCount"] == 0
    group = digest["groups"][0]
    assert (group["recordType"], group["count"]) == ("COMMITMENT", 1)
    item = group["items"][0]
    assert (item["label"], item["projectNumber"], item["sentBy"]) == (
        "Subcontract SC-001 Concrete foundations",
        "24-001",
        "Pat Manager",
    )
    assert item["waitingSeconds"] >= 0 and "Subcontract SC-001" in digest["text"]


def test_receive_erp_jobs_reports_per_job(gql, people, session, session_factory):
    f.configure(session)
    f.project(session, "J-400", "Made in CostBridge")
    session.commit()
    q = (
        "mutation($jobs: [ErpJobInput!]!) "
        "{ receiveErpJobs(input: {jobs: $jobs}) { results { jobId created subJobsCreated "
        "project { number erpJobId sync { status origin } subJobs { number sync { status origin } } } errors "
        "{ code message field } } errors { code } } }"
    )
    jobs = [
        {
            "jobId": "J-300",
            "name": "Marina Tower",
            "city": "Long Beach",
            "subJobs": [{"number": "01", "name": "Podium"}],
        },
        {"jobId": "J-400", "name": "Made in Sage"},
    ]
    out = gql.data(q, {"jobs": jobs})["receiveErpJobs"]
    made, clash = out["results"]
    assert made["created"] and made["subJobsCreated"] == 1
    assert made["project"]["erpJobId"] == "J-300"
    assert made["project"]["sync"] == {"status": "SYNCED", "origin": "ERP"}
    assert made["project"]["subJobs"] == [{"number": "01", "sync": {"status": "SYNCED", "origin": "ERP"}}]
    assert clash["project"] is None and clash["errors"][0]["code"] == "JOB_EXISTS_IN_BOTH_SYSTEMS"
    assert "Fix:" in clash["errors"][0]["message"]
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 2
    denied = gql.as_(people["pm"]).data(q, {"jobs": jobs[:1]})["receiveErpJobs"]["results"][0]
    assert denied["errors"][0]["code"] == "PERMISSION_DENIED"


def test_cli_digest_and_connector_run(engine, session, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from exporters.mapping import build_payload
    from models import workflow as wf

    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    c1 = f.commitment(session, proj, ven, lines=[(concrete, sub, "10", None, None, "")])
    c2 = f.commitment(
        session, proj, ven, number="SC-2", title="Walls", lines=[(concrete, sub, "10", None, None, "")]
    )
    wf.send(session, SETUP, c1)
    wf.send(session, SETUP, c2)
    wf.accept(session, SETUP, c2, build_payload=build_payload)
    session.commit()
    monkeypatch.setenv("COSTBRIDGE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    digest = runner.invoke(app, ["digest"])
    assert digest.exit_code == 0, digest.output
    assert (
        "1 item(s) waiting" in digest.output
        and "Subcontract SC-001 Concrete foundations [24-001]" in digest.output
    )
    run = runner.invoke(app, ["connector", "run", "--folder", str(tmp_path / "drop")])
    assert run.exit_code == 0, run.output
    assert "wrote " in run.output and "1 export(s) acknowledged" in run.output
    assert len(list((tmp_path / "drop").glob("*.csv"))) == 1


def test_every_record_type_goes_through_the_workflow(gql, people, session, session_factory, tmp_path):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    a = f.budget_line(session, proj, concrete, sub, "1000")
    b = f.budget_line(session, proj, rebar, mat, "0")
    f.budget_of(session, proj).locked = True
    first_round = [
        f.cost_code(session, "4100.000", "Masonry"),
        f.vendor(session, "Bolt Electric"),
        f.project(session, "24-300", "Depot"),
        f.budget_of(session, proj),
        f.commitment(session, proj, ven, lines=[(concrete, sub, "500", None, None, "")]),
    ]
    session.commit()
    pm, approver = gql.as_(people["pm"]), gql.as_(people["approver"])

    def through(records, typed=None):
        ids = [gid(r) for r in records]
        assert pm.data(SEND, {"ids": ids})["sendToErp"]["succeeded"] == len(ids)
        items = [{"id": i, **(typed or {}).get(i, {})} for i in ids]
        accepted = approver.data(ACCEPT, {"items": items})["acceptErpExport"]
        assert accepted["succeeded"] == len(ids), accepted
        run_file_connector(session_factory, tmp_path / "exports")

    through(
        first_round,
        {gid(first_round[1]): {"erpVendorId": "BOLT"}, gid(first_round[2]): {"erpJobId": "J-300"}},
    )
    commitment = first_round[-1]
    second_round = [
        f.modification(session, proj, a, b, "100"),
        f.change_order(session, commitment, lines=[(concrete, sub, "50", None, None, "")]),
        f.invoice(session, commitment, lines=[(concrete, sub, "100", "0", "10", "Work", None)]),
    ]
    session.commit()
    through(second_round)
    gql.data("mutation { updateErpSettings(input: {erpSystem: SAGE_300_CRE}) { errors { code } } }")
    extra = f.sub_job(session, proj, "100", "Parking")
    session.commit()
    through([extra])

    synced = gql.as_(people["viewer"]).data(
        "{ syncItems(statuses: [SYNCED], first: 100) { nodes { recordType label record { __typename } } } }"
    )["syncItems"]["nodes"]
    assert {n["recordType"] for n in synced} == {
        "PROJECT",
        "SUB_JOB",
        "VENDOR",
        "COST_CODE",
        "BUDGET",
        "BUDGET_MODIFICATION",
        "COMMITMENT",
        "COMMITMENT_CHANGE_ORDER",
        "SUBCONTRACTOR_INVOICE",
    }
    assert all(n["record"] is not None for n in synced)
    files = sorted(p.name.split("-2026")[0] for p in (tmp_path / "exports").glob("*.csv"))
    assert files == [
        "sage-100-contractor-ap-invoice",
        "sage-100-contractor-ap-vendor",
        "sage-100-contractor-budget",
        "sage-100-contractor-budget-change-order",
        "sage-100-contractor-cost-code",
        "sage-100-contractor-job",
        "sage-100-contractor-subcontract",
        "sage-100-contractor-subcontract-change-order",
        "sage-300-cre-extra",
    ]
