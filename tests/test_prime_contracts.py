"""Prime contracts (Sage 300 CRE): the CN contract file load (several contracts per project, one
contract never on two projects, dry run, re-import unchanged, the CLI), the agent's batch, and
prime contract change orders through send, accept and the file connector with the Sage 300 fields."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from api.relay import to_global_id
from exporters.connectors.file import run_file_connector
from models.enums import ErpSystem, PermissionLevel, SyncStatus, Tool
from models.prime_contracts import PrimeContract, PrimeContractChangeOrder, PrimeContractLine
from models.projects import ProjectCostCode
from models.sync import ErpExport, SyncEvent
from tests import factories_workflow as f
from tests import files_common as files
from tests.factories_imports import upload

S300 = ErpSystem.SAGE_300_CRE
A, S, R = PermissionLevel.ADMIN, PermissionLevel.STANDARD, PermissionLevel.READ_ONLY

HEADER = [
    "Contract",
    "Contract Description",
    "Customer",
    "Job",
    "Contract Date",
    "Retainage %",
    "Item",
    "Item Description",
    "Extra",
    "Cost Code",
    "Category",
    "Amount",
]


def cn_rows(job_two: str = "J-100"):
    """A Sage 300 CN contract export: two contracts for job J-100 (C-1001 with two items)."""
    return [
        HEADER,
        [
            "C-1001",
            "Harbor Clinic base contract",
            "Harbor Health",
            "J-100",
            "03/01/2026",
            "10%",
            "1",
            "Foundations",
            "01",
            "03-300",
            "S",
            "$125,000.00",
        ],
        ["C-1001", "", "", "J-100", "", "", "2", "Rebar", "", "03-200", "M", "40,250.50"],
        [
            "C-1002",
            "Parking structure",
            "Harbor Health",
            job_two,
            "2026-04-15",
            "5",
            "1",
            "Parking slab",
            "",
            "03-300",
            "S",
            "(1,200.25)",
        ],
    ]


@pytest.fixture
def world(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session, S300)
    extra = f.sub_job(session, proj, "01", "Building A", synced=True)
    other = f.project(session, "24-002", "Fremont Fire Station", synced=True, erp_job_id="J-200")
    session.commit()
    return {
        "project": proj,
        "other": other,
        "extra": extra,
        "concrete": concrete,
        "rebar": rebar,
        "sub": sub,
        "mat": mat,
    }


@pytest.fixture
def people(make_actor):
    return {
        # imports prime contracts: STANDARD on ERP Integrations and reads prime contracts
        "accountant": make_actor(
            "Casey Accountant",
            {Tool.ERP_INTEGRATIONS: S, Tool.PRIME_CONTRACTS: R, Tool.PROJECT_ADMIN: R},
        ),
        "pm": make_actor("Pat Manager", {Tool.PRIME_CONTRACTS: A, Tool.PROJECT_ADMIN: R}),
        "approver": make_actor(
            "Alex Approver", {Tool.ERP_INTEGRATIONS: S, Tool.PRIME_CONTRACTS: R}, approver=True
        ),
        "reader": make_actor("Rory Reader", {Tool.ERP_INTEGRATIONS: A}),
    }


def contracts(session) -> dict[str, tuple]:
    session.expire_all()
    return {
        c.number: (
            c.project.origin_id,
            c.title,
            c.customer,
            c.contract_date,
            c.retainage_percent,
            c.sync_status,
            c.origin_id,
            sorted((ln.item, ln.cost_code.code, ln.cost_type.code, ln.amount) for ln in c.lines),
        )
        for c in session.scalars(select(PrimeContract))
    }


def test_a_contract_file_with_two_contracts_for_one_job_imports_both(client, session, world, people):
    out = upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    assert out["errors"] == []
    assert out["importRun"]["status"] == "SUCCEEDED" and out["importRun"]["kind"] == "PRIME_CONTRACTS"
    counts = out["importRun"]["counts"]
    # counts are rows, as for every import; contracts counts the contracts written
    assert (counts["rows"], counts["create"], counts["unchanged"], counts["contracts"]) == (3, 3, 0, 2)
    assert contracts(session) == {
        "C-1001": (
            "J-100",
            "Harbor Clinic base contract",
            "Harbor Health",
            dt.date(2026, 3, 1),
            Decimal("10.00"),
            SyncStatus.SYNCED,
            "C-1001",
            [("1", "03-300", "4", Decimal("125000.00")), ("2", "03-200", "1", Decimal("40250.50"))],
        ),
        "C-1002": (
            "J-100",
            "Parking structure",
            "Harbor Health",
            dt.date(2026, 4, 15),
            Decimal("5.00"),
            SyncStatus.SYNCED,
            "C-1002",
            [("1", "03-300", "4", Decimal("-1200.25"))],
        ),
    }
    c1001 = session.scalar(select(PrimeContract).where(PrimeContract.number == "C-1001"))
    assert c1001.lines[0].sub_job_id == world["extra"].id
    events = session.scalars(select(SyncEvent).where(SyncEvent.record_id == c1001.id)).all()
    assert [(e.record_type.value, e.action, e.to_status, e.actor_name) for e in events] == [
        ("PRIME_CONTRACT", "receive", SyncStatus.SYNCED, "Casey Accountant")
    ]
    # the project lists both, with their totals (several prime contracts on one project)
    pid = to_global_id("Project", world["project"].id)
    query = (
        "query($id: ID!) { node(id: $id) { ... on Project { primeContracts { number "
        "sync { status originId } totals { originalAmount revisedAmount } lines { item amount "
        "costCode { code } costType { code } subJob { number } } } } } }"
    )
    listed = client.post(
        "/graphql", json={"query": query, "variables": {"id": pid}}, headers=people["accountant"].headers
    ).json()
    prime = listed["data"]["node"]["primeContracts"]
    assert [(p["number"], p["totals"]["originalAmount"], p["sync"]["status"]) for p in prime] == [
        ("C-1001", "165250.50", "SYNCED"),
        ("C-1002", "-1200.25", "SYNCED"),
    ]
    assert prime[0]["lines"][0]["subJob"] == {"number": "01"}

    again = upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    again_counts = again["importRun"]["counts"]
    assert (again_counts["unchanged"], again_counts["create"], again_counts["contracts"]) == (3, 0, 0)
    assert session.scalar(select(func.count()).select_from(PrimeContractLine)) == 3


def test_a_contract_already_on_another_project_is_refused_with_the_fix(client, session, world, people):
    upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    before = contracts(session)
    moved = [
        HEADER,
        ["C-1001", "Harbor Clinic base contract", "", "J-200", "", "", "1", "", "", "03-300", "S", "1"],
    ]
    out = upload(client, people["accountant"], "prime-contracts", "moved.xlsx", files.xlsx_bytes(moved))
    assert out["importRun"]["status"] == "FAILED"
    [error] = out["errors"]
    assert (error["code"], error["row"], error["column"]) == (
        "PRIME_CONTRACT_ON_ANOTHER_PROJECT",
        2,
        "Contract",
    )
    assert "already on project 24-001" in error["message"] and "Fix:" in error["message"]
    assert contracts(session) == before


def test_a_contract_on_two_jobs_and_unknown_codes_are_refused_at_their_cells(client, session, world, people):
    rows = cn_rows()
    rows[2][3] = "J-200"  # C-1001's second item on another job
    rows[3][9] = "99-999"  # C-1002 on a cost code Sage 300 does not have
    out = upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(rows))
    assert out["importRun"]["status"] == "FAILED"
    assert sorted((e["row"], e["column"], e["code"]) for e in out["errors"]) == [
        (3, "Job", "PRIME_CONTRACT_ON_SEVERAL_JOBS"),
        (4, "Cost Code", "UNKNOWN_COST_CODE"),
    ]
    assert out["importRun"]["counts"]["error"] == 3  # C-1001's first row goes with it
    assert contracts(session) == {}

    kept = upload(
        client,
        people["accountant"],
        "prime-contracts",
        "cn.csv",
        files.csv_bytes(rows),
        errorPolicy="REJECT_FAILED_ROWS",
    )
    assert kept["importRun"]["status"] == "PARTIAL"
    assert contracts(session) == {}  # both contracts had a bad row: neither is loaded in part


def test_dry_run_writes_nothing_and_sage_100_is_refused(client, session, world, people):
    out = upload(
        client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()), dryRun=True
    )
    dry = out["importRun"]["counts"]
    assert out["importRun"]["status"] == "DRY_RUN" and (dry["create"], dry["contracts"]) == (3, 2)
    assert contracts(session) == {}

    f.configure(session, ErpSystem.SAGE_100_CONTRACTOR)
    session.commit()
    refused = upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    assert [e["code"] for e in refused["errors"]] == ["UNSUPPORTED_BY_ERP"]
    assert "Sage 100 Contractor does not sync prime contracts" in refused["errors"][0]["message"]
    assert contracts(session) == {}


def test_only_importers_of_prime_contracts_may_load_them(client, session, world, people):
    out = upload(client, people["reader"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    assert [e["code"] for e in out["errors"]] == ["PERMISSION_DENIED"] and out["importRun"] is None
    assert contracts(session) == {}


RECEIVE = """
mutation($input: ReceiveErpPrimeContractsInput!) {
  receiveErpPrimeContracts(input: $input) {
    results { contractId created changed primeContract { number totals { originalAmount } }
              errors { code field message } }
    errors { code }
  }
}
"""


def test_the_agent_sends_contracts_in_a_batch_reported_per_contract(client, session, world, people):
    items = [{"item": "1", "costCode": "03-300", "category": "S", "amount": "500.00", "extra": "01"}]
    contracts_in = [
        {"contractId": "C-7", "jobId": "J-100", "title": "Tenant fit-out", "items": items},
        {"contractId": "C-8", "jobId": "J-404", "items": items},
    ]
    body = client.post(
        "/graphql",
        json={"query": RECEIVE, "variables": {"input": {"contracts": contracts_in}}},
        headers=people["accountant"].headers,
    ).json()["data"]["receiveErpPrimeContracts"]
    ok, unknown = body["results"]
    assert (ok["created"], ok["primeContract"]) == (
        True,
        {"number": "C-7", "totals": {"originalAmount": "500.00"}},
    )
    assert [e["code"] for e in unknown["errors"]] == ["UNKNOWN_JOB"] and unknown["primeContract"] is None
    # the same contract for another job: refused, the first one stands
    again = client.post(
        "/graphql",
        json={
            "query": RECEIVE,
            "variables": {"input": {"contracts": [{**contracts_in[0], "jobId": "J-200"}]}},
        },
        headers=people["accountant"].headers,
    ).json()["data"]["receiveErpPrimeContracts"]["results"][0]
    assert [(e["code"], e["field"]) for e in again["errors"]] == [
        ("PRIME_CONTRACT_ON_ANOTHER_PROJECT", "contractId")
    ]
    assert contracts(session)["C-7"][0] == "J-100"


PCCO_FIELDS = (
    "changeOrder { id number status sync { status } total lines { amount } } errors { code field message }"
)
CREATE_PCCO = f"""
mutation($input: CreatePrimeContractChangeOrderInput!) {{
  createPrimeContractChangeOrder(input: $input) {{ {PCCO_FIELDS} }} }}
"""
UPDATE_PCCO = f"""
mutation($input: UpdatePrimeContractChangeOrderInput!) {{
  updatePrimeContractChangeOrder(input: $input) {{ {PCCO_FIELDS} }} }}
"""
STATUS_PCCO = f"""
mutation($input: ChangePrimeContractChangeOrderStatusInput!) {{
  changePrimeContractChangeOrderStatus(input: $input) {{ {PCCO_FIELDS} }} }}
"""
SEND = """mutation($ids: [ID!]!) { sendToErp(input: {ids: $ids}) { results { ok errors { code }
  blockers { code message } item { sync { status } } } } }"""
ACCEPT = """mutation($id: ID!) { acceptErpExport(input: {items: [{id: $id}]}) { results { ok errors { code }
  export { erpEntity header lines } } } }"""
PREFLIGHT = "query($id: ID!) { syncPreflight(id: $id) { canSend blockers { code } } }"


def gql(client, actor, query, variables=None):
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=actor.headers
    )
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_a_pcco_goes_through_send_accept_and_the_file_connector(client, session, world, people, tmp_path):
    upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    contract = session.scalar(select(PrimeContract).where(PrimeContract.number == "C-1001"))
    concrete, rebar, sub = world["concrete"], world["rebar"], world["sub"]
    unsynced = f.cost_code(session, "03-900", "Not in Sage yet")
    session.add(ProjectCostCode(project_id=world["project"].id, cost_code_id=unsynced.id))
    session.commit()
    line = {
        "costCodeId": to_global_id("CostCode", concrete.id),
        "costTypeId": to_global_id("CostType", sub.id),
        "subJobId": to_global_id("SubJob", world["extra"].id),
        "amount": "7500.00",
        "description": "Added footing",
    }
    made = gql(
        client,
        people["pm"],
        CREATE_PCCO,
        {
            "input": {
                "primeContractId": to_global_id("PrimeContract", contract.id),
                "number": "PCCO-1",
                "title": "Owner adds footing",
                "changeDate": "2026-05-02",
                "lines": [
                    line,
                    {
                        **line,
                        "subJobId": None,
                        "costCodeId": to_global_id("CostCode", unsynced.id),
                        "amount": "-250.00",
                        "description": "Credit",
                    },
                ],
            }
        },
    )["createPrimeContractChangeOrder"]
    assert made["errors"] == [] and made["changeOrder"]["total"] == "7250.00"
    pcco = made["changeOrder"]["id"]

    blockers = gql(client, people["pm"], PREFLIGHT, {"id": pcco})["syncPreflight"]
    assert blockers == {
        "canSend": False,
        "blockers": [{"code": "CHANGE_ORDER_NOT_APPROVED"}, {"code": "COST_CODE_NOT_IN_ERP"}],
    }
    # fix the lines (rebar is in Sage 300), approve, send
    fixed = {**line, "costCodeId": to_global_id("CostCode", rebar.id), "subJobId": None, "amount": "-250.00"}
    gql(client, people["pm"], UPDATE_PCCO, {"input": {"id": pcco, "lines": [line, fixed]}})
    for status in ("PENDING", "APPROVED"):
        gql(client, people["pm"], STATUS_PCCO, {"input": {"id": pcco, "status": status}})
    sent = gql(client, people["pm"], SEND, {"ids": [pcco]})["sendToErp"]["results"][0]
    assert (sent["ok"], sent["item"]["sync"]["status"]) == (True, "READY_TO_EXPORT")
    locked = gql(client, people["pm"], UPDATE_PCCO, {"input": {"id": pcco, "title": "x"}})
    assert [e["code"] for e in locked["updatePrimeContractChangeOrder"]["errors"]] == [
        "RECORD_LOCKED_BY_SYNC"
    ]

    accepted = gql(client, people["approver"], ACCEPT, {"id": pcco})["acceptErpExport"]["results"][0]
    export = accepted["export"]
    assert accepted["ok"] and export["erpEntity"] == "Prime Contract Change Order"
    assert export["header"] == {
        "Contract": "C-1001",
        "Change Order": "PCCO-1",
        "Job": "J-100",
        "Description": "Owner adds footing",
        "Date": "2026-05-02",
        "Status": "Approved",
        "Amount": "7250.00",
    }
    assert [
        (ln["Item"], ln["Extra"], ln["Cost Code"], ln["Category"], ln["Line Amount"])
        for ln in export["lines"]
    ] == [
        ("1", "01", "03-300", "S", "7500.00"),
        ("", "", "03-200", "S", "-250.00"),  # no contract item on rebar/S: new scope
    ]

    from models.db import make_sessionmaker

    run = run_file_connector(make_sessionmaker(session.get_bind()), tmp_path)
    assert run.errors == [] and len(run.files) == 1
    with run.files[0].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        (r["Contract"], r["Change Order"], r["Job"], r["Cost Code"], r["Category"], r["Line Amount"])
        for r in rows
    ] == [
        ("C-1001", "PCCO-1", "J-100", "03-300", "S", "7500.00"),
        ("C-1001", "PCCO-1", "J-100", "03-200", "S", "-250.00"),
    ]
    session.expire_all()
    change_order = session.get(PrimeContractChangeOrder, contract.change_orders[0].id)
    assert change_order.sync_status == SyncStatus.SYNCED
    events = session.scalars(
        select(SyncEvent)
        .where(SyncEvent.record_type == "PRIME_CONTRACT_CHANGE_ORDER", SyncEvent.record_id == change_order.id)
        .order_by(SyncEvent.id)
    ).all()
    assert [(e.action, e.to_status.value) for e in events] == [
        ("send", "READY_TO_EXPORT"),
        ("accept", "EXPORTING"),
        ("acknowledge", "SYNCED"),
    ]
    assert session.scalar(select(func.count()).select_from(ErpExport)) == 1


def test_pccos_are_not_supported_on_sage_100(client, session, world, people):
    upload(client, people["accountant"], "prime-contracts", "cn.csv", files.csv_bytes(cn_rows()))
    contract = session.scalar(select(PrimeContract).where(PrimeContract.number == "C-1002"))
    made = gql(
        client,
        people["pm"],
        CREATE_PCCO,
        {"input": {"primeContractId": to_global_id("PrimeContract", contract.id), "number": "1"}},
    )
    pcco = made["createPrimeContractChangeOrder"]["changeOrder"]["id"]
    f.configure(session, ErpSystem.SAGE_100_CONTRACTOR)
    session.commit()
    assert gql(client, people["pm"], PREFLIGHT, {"id": pcco})["syncPreflight"]["blockers"] == [
        {"code": "UNSUPPORTED_BY_ERP"}
    ]
    # a change order needs a synced contract
    unlinked = session.get(PrimeContract, contract.id)
    unlinked.sync_status = SyncStatus.NOT_SENT
    session.commit()
    refused = gql(
        client,
        people["pm"],
        CREATE_PCCO,
        {"input": {"primeContractId": to_global_id("PrimeContract", contract.id), "number": "2"}},
    )
    assert [e["code"] for e in refused["createPrimeContractChangeOrder"]["errors"]] == [
        "PRIME_CONTRACT_NOT_SYNCED"
    ]


def test_the_command_line_loads_a_contract_file_with_a_dry_run_first(engine, session, world, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    path = tmp_path / "contracts.xlsx"
    path.write_bytes(files.xlsx_bytes(cn_rows()))
    env = {"COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    dry = runner.invoke(app, ["import", "prime-contracts", str(path), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "DRY_RUN" in dry.output and "a dry run, nothing was written" in dry.output
    assert contracts(session) == {}
    done = runner.invoke(app, ["import", "prime-contracts", str(path)], env=env)
    assert done.exit_code == 0 and "SUCCEEDED" in done.output, done.output
    assert sorted(contracts(session)) == ["C-1001", "C-1002"]
    assert {c[5] for c in contracts(session).values()} == {SyncStatus.SYNCED}
    bad = tmp_path / "moved.csv"
    bad.write_bytes(files.csv_bytes(cn_rows(job_two="J-404")))
    refused = runner.invoke(app, ["import", "prime-contracts", str(bad)], env=env)
    assert refused.exit_code == 1 and "UNKNOWN_JOB" in refused.output
