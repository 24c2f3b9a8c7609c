"""Hostile clients against the prime contract change orders, the accountant report and its
downloads, the outbox by record, and the ERP settings (mail, export folder, file layouts): absurd
ids, numbers, strings, NUL bytes, dates, cursors and page sizes get a coded error on the field and
change nothing; a user without the need gets PERMISSION_DENIED with a request id; and on
PostgreSQL, two approvers accepting one prime contract change order at once make one export."""

from __future__ import annotations

import base64
import json
import threading

import pytest
from sqlalchemy import func, select

from api.errors import run_in_transaction
from api.relay import to_global_id
from exporters.mapping import build_payload
from models import workflow as wf
from models.company import CompanySettings
from models.enums import ChangeOrderStatus, ErpSystem, PermissionLevel, SyncStatus, Tool
from models.errors import ErrorCode
from models.prime_contracts import PrimeContractChangeOrder
from models.sync import ErpExport
from models.users import User
from tests import factories_workflow as f
from tests.actors import SETUP

S300 = ErpSystem.SAGE_300_CRE
A, S, R = PermissionLevel.ADMIN, PermissionLevel.STANDARD, PermissionLevel.READ_ONLY
HUGE_MONEY = "1" + "0" * 20
MEGA = "x" * (1024 * 1024)
KB10 = "9" * 10_000


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def world(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session, S300)
    contract = f.prime_contract(session, proj, items=[("1", concrete, sub, "1000.00")])
    draft = f.prime_change_order(
        session,
        contract,
        number="PCCO-7",
        status=ChangeOrderStatus.DRAFT,
        lines=[(concrete, sub, "5", None, None, "")],
    )
    session.commit()
    return {
        "project": to_global_id("Project", proj.id),
        "contract": to_global_id("PrimeContract", contract.id),
        "draft": to_global_id("PrimeContractChangeOrder", draft.id),
        "draft_pk": draft.id,
        "code": to_global_id("CostCode", concrete.id),
        "type": to_global_id("CostType", sub.id),
    }


def gql(client, actor, query, variables=None) -> dict:
    # ASCII JSON, so a lone surrogate travels as the escape a hostile client would send
    content = json.dumps({"query": query, "variables": variables or {}})
    headers = {**actor.headers, "Content-Type": "application/json"}
    response = client.post("/graphql", content=content, headers=headers)
    assert response.status_code < 500, response.text
    return response.json()


def codes(body: dict, name: str) -> list[str]:
    """The codes of a mutation payload's errors, or of the top-level errors when there is none."""
    payload = (body.get("data") or {}).get(name)
    if payload and payload.get("errors"):
        return [e["code"] for e in payload["errors"]]
    return [e["extensions"]["code"] for e in body.get("errors") or []]


# --- downloads ------------------------------------------------------------------------------------


def test_downloads_refuse_readers_without_the_need_with_a_request_id(client, make_actor, world):
    nobody = make_actor("Nora None", {})
    reader = make_actor("Rita Reader", {Tool.ERP_INTEGRATIONS: R, Tool.PRIME_CONTRACTS: R})
    for who in (nobody, reader):
        for path in ("/exports/accountant-report.csv", "/exports/accountant-report.xlsx?since=2026-01-01"):
            response = client.get(path, headers=who.headers)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["errors"][0]["code"] == "PERMISSION_DENIED"
            assert response.headers["x-request-id"]


DOWNLOAD_PARAMETERS = [
    ("since=" + KB10, "INVALID_DATE"),
    ("since=-1", "INVALID_DATE"),
    ("until=99999-12-31", "INVALID_DATE"),
    ("since=2026-02-30", "INVALID_DATE"),
    ("recordType=BOGUS", "INVALID_VALUE"),
    ("recordType=" + KB10, "INVALID_VALUE"),
    ("status=%01", "INVALID_VALUE"),
    ("projectId=" + KB10, "INVALID_ID"),
    ("projectId=-1", "INVALID_ID"),
    ("projectId=" + b64(f"Project:{2**70}"), "INVALID_ID"),
    ("projectId=" + b64("Project:-5"), "INVALID_ID"),
    ("actorId=" + KB10, "INVALID_ID"),
    ("actorId=" + b64(f"User:{2**70}"), "INVALID_ID"),
    ("actorId=%00", "INVALID_ID"),
    ("projectId=%00", "INVALID_ID"),
]


def test_the_accountant_report_download_refuses_absurd_parameters(client, admin):
    for query, code in DOWNLOAD_PARAMETERS:
        response = client.get(f"/exports/accountant-report.csv?{query}", headers=admin.headers)
        assert 400 <= response.status_code < 500, (query[:80], response.text)
        assert response.json()["errors"][0]["code"] == code, (query[:80], response.text)
        assert response.headers["x-request-id"]


def test_unknown_formats_and_absurd_project_ids_on_every_download_are_coded(client, admin, world):
    for path in (
        "/exports/accountant-report.pdf",
        "/exports/accountant-report." + "c" * 10_000,
        f"/exports/projects/{world['project']}/job-cost-report.exe",
        f"/exports/projects/{KB10}/job-cost-report.csv",
        "/exports/projects/-1/budget.xlsx",
        "/exports/projects/%00/budget.csv",
    ):
        response = client.get(path, headers=admin.headers)
        assert 400 <= response.status_code < 500, (path[:80], response.text)
        assert response.json()["errors"][0]["code"] in {"UNSUPPORTED_FILE_TYPE", "INVALID_ID"}


# --- GraphQL: the accountant report, the outbox by record -------------------------------------------

REPORT = """query($p: ID, $a: ID, $s: Date, $u: Date) {
  accountantReport(projectId: $p, actorId: $a, since: $s, until: $u) { __typename } }"""


REPORT_ARGUMENTS = [
    ({"p": KB10}, "INVALID_ID"),
    ({"p": b64(f"Project:{2**70}")}, "INVALID_ID"),
    ({"a": "\x00"}, "INVALID_VALUE"),
    ({"a": b64("Vendor:1")}, "INVALID_ID"),
    ({"s": "10000-01-01"}, None),
    ({"s": "0000-01-01"}, None),
    ({"u": KB10}, None),
]


def test_the_accountant_report_refuses_absurd_arguments(client, admin):
    for variables, code in REPORT_ARGUMENTS:
        body = gql(client, admin, REPORT, variables)
        assert body.get("errors"), body
        assert body["data"] is None or body["data"].get("accountantReport") is None
        if code:
            assert body["errors"][0]["extensions"]["code"] == code, body


OUTBOX = """query($r: ID, $after: String, $first: Int) {
  erpExports(recordId: $r, after: $after, first: $first) { edges { node { id } } } }"""


OUTBOX_ARGUMENTS = [
    ({"r": KB10}, "INVALID_ID"),
    ({"r": "\x00"}, "INVALID_VALUE"),
    ({"r": b64(f"PrimeContractChangeOrder:{2**70}")}, "INVALID_ID"),
    ({"r": b64("UserToken:1")}, "INVALID_ID"),
    ({"after": "not base64!"}, "INVALID_CURSOR"),
    ({"after": b64(f"id:{2**70}")}, "INVALID_CURSOR"),
    ({"after": b64("id:-1")}, "INVALID_CURSOR"),
    ({"after": "\x00" * 100}, "INVALID_VALUE"),
    ({"after": KB10}, "INVALID_CURSOR"),
    ({"first": 201}, "PAGE_SIZE_TOO_LARGE"),
    ({"first": -1}, "PAGE_SIZE_TOO_LARGE"),
]


def test_the_outbox_refuses_absurd_ids_cursors_and_page_sizes(client, admin):
    for variables, code in OUTBOX_ARGUMENTS:
        body = gql(client, admin, OUTBOX, variables)
        assert body["errors"][0]["extensions"]["code"] == code, body


def test_the_outbox_by_record_and_the_report_are_closed_to_readers_without_the_need(
    client, make_actor, world
):
    nobody = make_actor("Nora None", {Tool.PRIME_CONTRACTS: A})
    reader = make_actor("Rita Reader", {Tool.ERP_INTEGRATIONS: R, Tool.PRIME_CONTRACTS: R})
    for who in (nobody, reader):
        body = gql(client, who, OUTBOX, {"r": world["draft"]})
        assert codes(body, "erpExports") == ["PERMISSION_DENIED"], body
        body = gql(client, who, REPORT)
        assert codes(body, "accountantReport") == ["PERMISSION_DENIED"], body


# --- GraphQL: prime contract change orders ----------------------------------------------------------

CREATE = """mutation($input: CreatePrimeContractChangeOrderInput!) {
  createPrimeContractChangeOrder(input: $input) { changeOrder { id } errors { code field } } }"""
UPDATE = """mutation($input: UpdatePrimeContractChangeOrderInput!) {
  updatePrimeContractChangeOrder(input: $input) { changeOrder { id } errors { code field } } }"""


def pcco_state(session, pk: int) -> tuple:
    session.expire_all()
    row = session.get(PrimeContractChangeOrder, pk)
    return (
        row.number,
        row.title,
        row.description,
        row.change_date,
        [(ln.amount, ln.description) for ln in row.lines],
    )


CHANGE_ORDER_INPUTS = [
    ({"number": "PCCO-\x00"}, "INVALID_VALUE"),
    ({"title": "Owner\x00change"}, "INVALID_VALUE"),
    ({"description": "line one\x00"}, "INVALID_VALUE"),
    ({"description": MEGA}, "VALUE_TOO_LONG"),
    ({"title": MEGA}, "VALUE_TOO_LONG"),
    ({"number": "N" * 33}, "INVALID_VALUE"),
    ({"number": "PCCO-\ud800"}, "INVALID_VALUE"),
    ({"title": "bell\x07"}, "INVALID_VALUE"),
    ({"line": {"amount": HUGE_MONEY}}, "INVALID_AMOUNT"),
    ({"line": {"amount": "-" + HUGE_MONEY}}, "INVALID_AMOUNT"),
    ({"line": {"amount": "1e400"}}, "INVALID_AMOUNT"),
    ({"line": {"amount": "0.001"}}, "INVALID_AMOUNT"),
    ({"line": {"quantity": HUGE_MONEY, "unitCost": "1"}}, None),
    ({"line": {"description": "a\x00b"}}, "INVALID_VALUE"),
    ({"line": {"description": MEGA}}, "VALUE_TOO_LONG"),
    ({"line": {"costCodeId": KB10}}, None),
    ({"line": {"subJobId": b64(f"SubJob:{2**70}")}}, "INVALID_ID"),
]


def test_hostile_change_order_input_is_coded_and_changes_nothing(client, session, make_actor, world):
    pm = make_actor("Pat Manager", {Tool.PRIME_CONTRACTS: A, Tool.PROJECT_ADMIN: R})
    before = pcco_state(session, world["draft_pk"])
    count = session.scalar(select(func.count()).select_from(PrimeContractChangeOrder))
    line = {"costCodeId": world["code"], "costTypeId": world["type"], "amount": "10.00"}
    for change, code in CHANGE_ORDER_INPUTS:
        fields = dict(change)
        if "line" in fields:
            fields["lines"] = [{**line, **fields.pop("line")}]
        made = gql(
            client,
            pm,
            CREATE,
            {"input": {"primeContractId": world["contract"], "number": "PCCO-9", **fields}},
        )
        updated = gql(client, pm, UPDATE, {"input": {"id": world["draft"], **fields}})
        for body, name in (
            (made, "createPrimeContractChangeOrder"),
            (updated, "updatePrimeContractChangeOrder"),
        ):
            found = codes(body, name)
            assert found, body
            if code:
                assert found == [code], body
        assert pcco_state(session, world["draft_pk"]) == before
        assert session.scalar(select(func.count()).select_from(PrimeContractChangeOrder)) == count


def test_a_change_date_out_of_range_is_refused(client, session, make_actor, world):
    pm = make_actor("Pat Manager", {Tool.PRIME_CONTRACTS: A, Tool.PROJECT_ADMIN: R})
    before = pcco_state(session, world["draft_pk"])
    for date in ["10000-01-01", "2026-13-01", "0000-00-00", KB10]:
        body = gql(client, pm, UPDATE, {"input": {"id": world["draft"], "changeDate": date}})
        assert body.get("errors") and body["errors"][0]["extensions"]["code"], body
        assert pcco_state(session, world["draft_pk"]) == before


def test_change_orders_are_closed_to_none_and_read_only_on_prime_contracts(
    client, session, make_actor, world
):
    before = pcco_state(session, world["draft_pk"])
    for levels in ({}, {Tool.PRIME_CONTRACTS: R, Tool.PROJECT_ADMIN: R}):
        who = make_actor("Vic Viewer", levels)
        body = gql(client, who, UPDATE, {"input": {"id": world["draft"], "title": "mine now"}})
        assert codes(body, "updatePrimeContractChangeOrder") in (["PERMISSION_DENIED"], ["NOT_FOUND"]), body
        body = gql(client, who, CREATE, {"input": {"primeContractId": world["contract"], "number": "X-1"}})
        assert codes(body, "createPrimeContractChangeOrder") in (["PERMISSION_DENIED"], ["NOT_FOUND"]), body
        body = gql(client, who, "query($id: ID!) { node(id: $id) { id } }", {"id": world["draft"]})
        seen = body["data"]["node"] is not None
        assert seen == bool(levels), body
    assert pcco_state(session, world["draft_pk"]) == before


# --- GraphQL: the agent's prime contract batch and the connector's acknowledgement -----------------

RECEIVE = """mutation($input: ReceiveErpPrimeContractsInput!) {
  receiveErpPrimeContracts(input: $input) {
    errors { code field } results { contractId errors { code field } } } }"""


AGENT_CONTRACTS = [
    {"contractId": "C-\x00"},
    {"contractId": MEGA},
    {"title": "a\x00"},
    {"title": "escape \x1b[2J"},
    {"contractId": "C-\x07"},
    {"customer": MEGA},
    {"retainagePercent": HUGE_MONEY},
    {"retainagePercent": "-1"},
    {"contractDate": "10000-01-01"},
    {"items": [{"item": "1", "costCode": "03-300", "category": "S", "amount": HUGE_MONEY}]},
    {"items": [{"item": "\x00", "costCode": "03-300", "category": "S", "amount": "1"}]},
]


def test_hostile_prime_contracts_from_the_agent_are_coded(client, session, admin, world):
    from models.prime_contracts import PrimeContract

    before = session.scalar(select(func.count()).select_from(PrimeContract))
    for contract in AGENT_CONTRACTS:
        body = gql(
            client,
            admin,
            RECEIVE,
            {"input": {"contracts": [{"contractId": "C-2000", "jobId": "J-100", **contract}]}},
        )
        if body.get("errors"):
            assert body["errors"][0]["extensions"]["code"], body
        else:
            payload = body["data"]["receiveErpPrimeContracts"]
            found = [e["code"] for e in payload["errors"]] + [
                e["code"] for r in payload["results"] for e in r["errors"]
            ]
            assert found, body
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(PrimeContract)) == before


# --- GraphQL: ERP settings ---------------------------------------------------------------------------

SETTINGS = """mutation($input: UpdateErpSettingsInput!) {
  updateErpSettings(input: $input) { errors { code field } } }"""


def settings_state(session) -> tuple:
    session.expire_all()
    s = session.scalars(select(CompanySettings)).one()
    return (
        s.smtp_host,
        s.smtp_port,
        s.smtp_username,
        s.mail_sender,
        s.smtp_security,
        s.export_folder,
        s.file_layouts,
        s.digest_hour_utc,
        s.export_interval_seconds,
    )


SETTINGS_INPUTS = [
    ({"smtpHost": "mail.example.com\nRCPT TO:<x@evil>"}, "INVALID_VALUE"),
    ({"smtpHost": "mail\x00.example.com"}, "INVALID_VALUE"),
    ({"smtpHost": "h" * 256}, "INVALID_VALUE"),
    ({"smtpHost": "bad host name"}, "INVALID_VALUE"),
    ({"smtpPort": 0}, "INVALID_VALUE"),
    ({"smtpPort": 70000}, "INVALID_VALUE"),
    ({"smtpPort": -1}, "INVALID_VALUE"),
    ({"smtpPort": 2**40}, None),
    ({"smtpUsername": "user\r\nX-Evil: 1"}, "INVALID_VALUE"),
    ({"mailSender": "a@b.example\r\nBcc: all@example.com"}, "INVALID_VALUE"),
    ({"mailSender": "a@b\x00"}, "INVALID_VALUE"),
    ({"mailSender": MEGA}, "VALUE_TOO_LONG"),
    ({"smtpSecurity": "TLS\x00"}, "INVALID_VALUE"),
    ({"smtpSecurity": MEGA}, "VALUE_TOO_LONG"),
    ({"exportFolder": "../../etc"}, "PATH_OUTSIDE_ROOT"),
    ({"exportFolder": "/etc"}, "PATH_OUTSIDE_ROOT"),
    ({"exportFolder": "out\x00put"}, "INVALID_VALUE"),
    ({"exportFolder": "out\nput"}, "INVALID_VALUE"),
    ({"exportFolder": "a/" * 6000}, "VALUE_TOO_LONG"),
    ({"exportFolder": "x" * 400}, "INVALID_VALUE"),
    ({"digestHourUtc": 24}, "INVALID_VALUE"),
    ({"exportIntervalSeconds": 2**31 - 1}, "INVALID_VALUE"),
    ({"fileLayout": "NOPE"}, None),
    ({"fileLayout": "SAGE100_DIS"}, "INVALID_VALUE"),
    ({"fileLayouts": [{"entity": "Nope", "layout": "NAMED"}]}, "INVALID_VALUE"),
    ({"fileLayouts": [{"entity": MEGA, "layout": "NAMED"}]}, "VALUE_TOO_LONG"),
    ({"fileLayouts": [{"entity": "\x00", "layout": None}]}, "INVALID_VALUE"),
]


def test_hostile_erp_settings_are_coded_on_the_field_and_change_nothing(
    client, session, admin, world, tmp_path, monkeypatch
):
    monkeypatch.setenv("COSTBRIDGE_EXPORT_ROOT", str(tmp_path))
    before = settings_state(session)
    for change, code in SETTINGS_INPUTS:
        body = gql(client, admin, SETTINGS, {"input": change})
        found = codes(body, "updateErpSettings")
        assert found, body
        if code:
            assert found == [code], body
            payload = (body.get("data") or {}).get("updateErpSettings")
            field = (
                payload["errors"][0]["field"] if payload else body["errors"][0]["extensions"].get("field", "")
            )
            assert field.split(".")[-1] == next(iter(change)) or f".{next(iter(change))}" in field, body
        assert settings_state(session) == before


def test_erp_settings_are_closed_to_read_only_and_none(client, session, make_actor, world):
    before = settings_state(session)
    for levels in ({}, {Tool.ERP_INTEGRATIONS: R}, {Tool.ERP_INTEGRATIONS: S}):
        who = make_actor("Vic Viewer", levels)
        body = gql(client, who, SETTINGS, {"input": {"smtpHost": "mail.example.com", "exportFolder": "out"}})
        assert codes(body, "updateErpSettings") == ["PERMISSION_DENIED"], body
        body = gql(client, who, "{ erp { fileLayouts { entity } exportFolder } }")
        assert body.get("errors"), body
    assert settings_state(session) == before


# --- two at once -------------------------------------------------------------------------------------


@pytest.mark.only_backend("postgresql")
def test_two_approvers_accepting_one_pcco_at_once_make_one_export(session, session_factory, world):
    pk = world["draft_pk"]
    row = session.get(PrimeContractChangeOrder, pk)
    row.status = ChangeOrderStatus.APPROVED
    wf.send(session, SETUP, row)
    approvers = [f.approver(session).id, f.approver(session).id]
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list = []

    def accept(user_id: int) -> None:
        s = session_factory()
        try:
            user = s.get(User, user_id)
            record = s.get(PrimeContractChangeOrder, pk)
            assert record.sync_status == SyncStatus.READY_TO_EXPORT
            barrier.wait(timeout=30)
            export, errors = run_in_transaction(
                s, lambda s: wf.accept(s, user, record, build_payload=build_payload)
            )
            outcomes.append("ok" if export else errors[0].code)
        finally:
            s.close()

    threads = [threading.Thread(target=accept, args=(uid,)) for uid in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes, key=str) == sorted(["ok", ErrorCode.INVALID_STATUS_TRANSITION], key=str)
    session.expire_all()
    exports = session.scalars(select(ErpExport).where(ErpExport.record_id == pk)).all()
    assert len(exports) == 1


@pytest.mark.only_backend("postgresql")
def test_two_change_orders_given_one_number_at_once_keep_one(session_factory, make_actor, world, app):
    from tests.leaks import checked_client

    pm = make_actor("Pat Manager", {Tool.PRIME_CONTRACTS: A, Tool.PROJECT_ADMIN: R})
    barrier = threading.Barrier(2)
    outcomes: list = []

    def create() -> None:
        with checked_client(app) as c:
            barrier.wait(timeout=30)
            body = gql(
                c, pm, CREATE, {"input": {"primeContractId": world["contract"], "number": "pcco-same"}}
            )
            outcomes.append(codes(body, "createPrimeContractChangeOrder"))

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) in ([[], ["DUPLICATE_CHANGE_ORDER_NUMBER"]], [[], ["CONCURRENT_UPDATE"]]), (
        outcomes
    )
    with session_factory() as s:
        numbers = s.scalars(select(PrimeContractChangeOrder.number)).all()
    assert sorted(n.lower() for n in numbers) == ["pcco-7", "pcco-same"]


# --- GraphQL: keys typed by the approver and sent back by the connector ------------------------------

ACCEPT = """mutation($items: [AcceptItemInput!]!) {
  acceptErpExport(input: {items: $items}) { results { ok errors { code field } } } }"""
ACK = """mutation($id: ID!, $key: String) {
  acknowledgeErpExport(input: {exportId: $id, originId: $key}) { errors { code field } } }"""
FAIL = """mutation($id: ID!, $messages: [String!]!) {
  failErpExport(input: {exportId: $id, messages: $messages}) { errors { code field } } }"""


def test_hostile_keys_and_messages_are_coded_and_change_nothing(client, session, make_actor, world):
    unsent = f.project(session, "24-900", "Hostile Keys Hall")
    wf.send(session, SETUP, unsent)
    row = session.get(PrimeContractChangeOrder, world["draft_pk"])
    row.status = ChangeOrderStatus.APPROVED
    wf.send(session, SETUP, row)
    export = wf.accept(session, f.approver(session), row, build_payload=build_payload)
    session.commit()
    project_id, export_id = to_global_id("Project", unsent.id), to_global_id("ErpExport", export.id)
    approver = make_actor("Ana Keys", {Tool.ERP_INTEGRATIONS: S, Tool.PROJECT_ADMIN: R}, approver=True)
    connector = make_actor("File Connector", {Tool.ERP_INTEGRATIONS: A}, connector=True)

    for key in ("J" * 5000, "J-1\x01", "J-1\x00", "J-\ud800", "J-1\tJ-2", "   "):
        body = gql(client, approver, ACCEPT, {"items": [{"id": project_id, "erpJobId": key}]})
        found = codes(body, "acceptErpExport") or [
            e["code"] for r in body["data"]["acceptErpExport"]["results"] for e in r["errors"]
        ]
        assert found and found[0] in {"INVALID_VALUE", "VALUE_TOO_LONG", "ORIGIN_ID_REQUIRED"}, body
    for key in ("P" * 5000, "PCCO-7\x1b", "PCCO\x00"):
        body = gql(client, connector, ACK, {"id": export_id, "key": key})
        assert codes(body, "acknowledgeErpExport")[0] in {"INVALID_VALUE", "VALUE_TOO_LONG"}, body
    for messages in (["x" * 9_000] * 200, ["bad\x00"], []):
        body = gql(client, connector, FAIL, {"id": export_id, "messages": messages})
        assert codes(body, "failErpExport"), body

    session.expire_all()
    assert session.get(type(unsent), unsent.id).sync_status == SyncStatus.READY_TO_EXPORT
    assert session.get(PrimeContractChangeOrder, world["draft_pk"]).sync_status == SyncStatus.EXPORTING
    assert session.get(ErpExport, export.id).status.value == "PENDING"


def test_a_contract_file_with_nul_and_control_characters_in_cells_is_refused_by_row(
    client, session, make_actor, world
):
    from models.prime_contracts import PrimeContract
    from tests import files_common as files
    from tests.factories_imports import upload
    from tests.test_prime_contracts import cn_rows

    accountant = make_actor(
        "Casey Accountant", {Tool.ERP_INTEGRATIONS: S, Tool.PRIME_CONTRACTS: R, Tool.PROJECT_ADMIN: R}
    )
    before = session.scalar(select(func.count()).select_from(PrimeContract))
    for column, value in ((0, "C-1001\x00"), (1, "Harbor\x00Clinic"), (7, "Foundations\x1b[31m")):
        rows = cn_rows()
        rows[1][column] = value
        out = upload(client, accountant, "prime-contracts", "cn.csv", files.csv_bytes(rows))
        run = out["importRun"]
        assert run["status"] != "COMPLETED" or run["counts"]["error"], out
        assert run["errors"] and run["errors"][0]["row"] == 2 and run["errors"][0]["code"], out
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(PrimeContract)) == before


def test_a_vendor_list_with_nul_and_control_characters_in_cells_is_refused_by_row(client, session, admin):
    from models.directory import Vendor
    from tests import files_job_costs as fj
    from tests.factories_imports import seed, upload

    seed(session)
    before = session.scalar(select(func.count()).select_from(Vendor))
    for column, value in ((0, "V2\x0000"), (1, "Bolt\x00Electric"), (2, "1 Main\x07St")):
        rows = [list(r) for r in fj.VENDORS]
        rows[0][column] = value
        out = upload(client, admin, "vendors", "vendors.csv", fj.vendors_csv(rows))
        errors = out["importRun"]["errors"]
        assert errors and errors[0]["row"] == 2 and errors[0]["code"] == "INVALID_VALUE", out
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(Vendor)) == before


AUDIT = """query($id: ID!, $after: String, $first: Int) {
  auditTrail(recordId: $id, after: $after, first: $first) { edges { node { action } } } }"""


def test_the_audit_trail_refuses_absurd_ids_cursors_and_page_sizes_and_outsiders(
    client, admin, make_actor, world
):
    draft = world["draft"]
    for variables, code in (
        ({"id": KB10}, "INVALID_ID"),
        ({"id": b64(f"PrimeContractChangeOrder:{2**70}")}, "INVALID_ID"),
        ({"id": b64("PrimeContractChangeOrder:-1")}, "INVALID_ID"),
        ({"id": "\x00"}, "INVALID_VALUE"),
        ({"id": draft, "after": "not base64!"}, "INVALID_CURSOR"),
        ({"id": draft, "after": b64(f"id:{2**70}")}, "INVALID_CURSOR"),
        ({"id": draft, "after": KB10}, "INVALID_CURSOR"),
        ({"id": draft, "first": 10_000}, "PAGE_SIZE_TOO_LARGE"),
        ({"id": draft, "first": -5}, "PAGE_SIZE_TOO_LARGE"),
    ):
        body = gql(client, admin, AUDIT, variables)
        assert body["errors"][0]["extensions"]["code"] == code, (variables, body)
    outsider = make_actor("Olly Outsider", {Tool.ERP_INTEGRATIONS: A, Tool.COMMITMENTS: A})
    body = gql(client, outsider, AUDIT, {"id": draft})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"], body
