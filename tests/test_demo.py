"""The demo company: what it loads, that its sync history is consistent, that loading twice adds
nothing, and that the printed demo tokens sign in with the right permissions."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from graphql import parse, validate
from sqlalchemy import func, select
from typer.testing import CliRunner

import models
from api.cli import app as cli
from api.demo import DEMO_USERS, load_demo_if_empty
from api.schema import schema
from models import registry
from models.base import Base
from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder
from models.company import get_settings
from models.costs import DirectCost
from models.directory import Vendor
from models.enums import (
    CommitmentStatus,
    Country,
    ErpSystem,
    Origin,
    PermissionLevel,
    SyncStatus,
    Tool,
)
from models.invoices import SubcontractorInvoice
from models.policy import JOB_COST_REPORT, UNSYNCABLE_DIRECT_COSTS
from models.projects import Project, ProjectCostCode, SubJob
from models.sync import SyncEvent
from models.users import ApiToken, User
from models.wbs import CostCode, CostType

SYNCABLE = registry.models()


@pytest.fixture
def loaded(session_factory):
    said: list[str] = []
    logins = load_demo_if_empty(session_factory, said.append)
    return logins, said


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _table_counts(session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_demo_company_counts_and_settings(loaded, session):
    settings = get_settings(session)
    assert (settings.name, settings.erp_system, settings.country) == (
        "Pacific Ridge Builders",
        ErpSystem.SAGE_100_CONTRACTOR,
        Country.US,
    )
    counts = {
        model.__name__: _count(session, model)
        for model in (
            Project,
            SubJob,
            CostType,
            CostCode,
            Vendor,
            Budget,
            BudgetLine,
            BudgetModification,
            Commitment,
            CommitmentChangeOrder,
            SubcontractorInvoice,
            DirectCost,
            User,
        )
    }
    assert counts == {
        "Project": 3,
        "SubJob": 3,
        "CostType": 5,
        "CostCode": 28,
        "Vendor": 12,
        "Budget": 3,
        "BudgetLine": 36,
        "BudgetModification": 1,
        "Commitment": 9,
        "CommitmentChangeOrder": 1,
        "SubcontractorInvoice": 1,
        "DirectCost": 5,
        "User": 4,
    }
    types = session.execute(select(CostType.code, CostType.name).order_by(CostType.code)).all()
    assert types == [
        ("1", "Material"),
        ("2", "Labor"),
        ("3", "Equipment"),
        ("4", "Subcontract"),
        ("5", "Other"),
    ]
    clearing = session.scalar(select(CostCode).where(CostCode.code == "2120.000"))
    assert (clearing.description, clearing.division) == ("Site Clearing", "2000")
    projects = session.execute(
        select(Project.number, Project.city, Project.state).order_by(Project.number)
    ).all()
    assert projects == [
        ("2317", "San Francisco", "CA"),
        ("24-101", "Oakland", "CA"),
        ("24-102", "Sacramento", "CA"),
    ]


def test_budget_totals_reconcile_to_the_cent(loaded, session):
    totals = dict(
        session.execute(
            select(Project.number, func.sum(BudgetLine.original_amount))
            .join(Budget, Budget.project_id == Project.id)
            .join(BudgetLine, BudgetLine.budget_id == Budget.id)
            .group_by(Project.number)
        ).all()
    )
    assert totals == {
        "24-101": Decimal("1939871.55"),
        "24-102": Decimal("1747325.35"),
        "2317": Decimal("780225.40"),
    }
    harbor = session.scalar(select(Budget).join(Project).where(Project.number == "24-101"))
    assert harbor.locked is True
    assert sum((line.original_amount for line in harbor.lines), Decimal("0")) == Decimal("1939871.55")
    assert all(isinstance(line.original_amount, Decimal) for line in harbor.lines)
    riverside = session.scalar(select(Budget).join(Project).where(Project.number == "24-102"))
    assert riverside.locked is False
    (modification,) = harbor.modifications
    assert modification.amount == Decimal("12750.00")
    assert (modification.from_line.cost_code.code, modification.to_line.cost_code.code) == (
        "1000.000",
        "3300.000",
    )


def test_commitments_invoice_and_change_order(loaded, session):
    statuses = {
        (number, c_number): (status, sync)
        for number, c_number, status, sync in session.execute(
            select(Project.number, Commitment.number, Commitment.status, Commitment.sync_status).join(Project)
        )
    }
    assert statuses[("24-101", "SC-001")] == (CommitmentStatus.APPROVED, SyncStatus.SYNCED)
    assert statuses[("24-101", "PO-001")] == (CommitmentStatus.APPROVED, SyncStatus.NOT_SENT)
    assert statuses[("24-101", "PO-002")] == (CommitmentStatus.COMPLETE, SyncStatus.SYNCED)
    assert statuses[("24-101", "SC-002")] == (CommitmentStatus.OUT_FOR_SIGNATURE, SyncStatus.NOT_SENT)
    assert statuses[("24-102", "SC-001")] == (CommitmentStatus.DRAFT, SyncStatus.NOT_SENT)

    lumber = session.scalar(
        select(Commitment).join(Project).where(Project.number == "24-101", Commitment.number == "PO-001")
    )
    assert [(line.quantity, line.unit_cost, line.amount) for line in lumber.lines] == [
        (Decimal("2400"), Decimal("9.85"), Decimal("23640.00")),
        (Decimal("1150"), Decimal("31.40"), Decimal("36110.00")),
    ]

    (change_order,) = session.scalars(select(CommitmentChangeOrder)).all()
    assert change_order.commitment.sync_status == SyncStatus.SYNCED
    assert change_order.sync_status == SyncStatus.NOT_SENT
    assert sum(line.amount for line in change_order.lines) == Decimal("12750.00")

    (invoice,) = session.scalars(select(SubcontractorInvoice)).all()
    assert invoice.commitment.retainage_percent == Decimal("10.00")
    assert [(line.amount, line.retainage) for line in invoice.lines] == [
        (Decimal("92500.00"), Decimal("9250.00")),
        (Decimal("65475.00"), Decimal("6547.50")),
    ]

    # every budget and commitment line uses a cost code enabled on its project
    enabled = set(session.execute(select(ProjectCostCode.project_id, ProjectCostCode.cost_code_id)).all())
    budget_lines = session.execute(
        select(Budget.project_id, BudgetLine.cost_code_id).join(Budget, BudgetLine.budget_id == Budget.id)
    ).all()
    commitment_lines = session.execute(
        select(Commitment.project_id, models.CommitmentLine.cost_code_id).join(Commitment)
    ).all()
    assert set(budget_lines) | set(commitment_lines) <= enabled


def test_sync_states_have_a_consistent_history(loaded, session):
    vendors = session.execute(select(Vendor.origin, Vendor.sync_status, Vendor.origin_id)).all()
    erp_vendors = [v for v in vendors if v.origin == Origin.ERP]
    assert len(erp_vendors) == 8 and all(v.sync_status == SyncStatus.SYNCED for v in erp_vendors)
    assert sorted(v.origin_id for v in erp_vendors) == [str(n) for n in range(101, 109)]
    assert {v.sync_status for v in vendors if v.origin == Origin.COSTBRIDGE} == {
        SyncStatus.NOT_SENT,
        SyncStatus.READY_TO_EXPORT,
        SyncStatus.REJECTED,
    }
    harbor = session.scalar(select(Project).where(Project.number == "24-101"))
    assert (harbor.sync_status, harbor.origin, harbor.erp_job_id) == (
        SyncStatus.SYNCED,
        Origin.COSTBRIDGE,
        "2401",
    )

    for model in SYNCABLE:
        for record in session.scalars(select(model)):
            events = session.scalars(
                select(SyncEvent)
                .where(SyncEvent.record_type == model.RECORD_TYPE, SyncEvent.record_id == record.id)
                .order_by(SyncEvent.id)
            ).all()
            where = f"{model.__name__} {record.id}"
            if record.sync_status == SyncStatus.NOT_SENT:
                assert events == [], where
                continue
            assert events, where
            assert events[-1].to_status == record.sync_status, where
            for before, after in zip(events, events[1:], strict=False):
                assert after.from_status == before.to_status, where
                assert after.at >= before.at, where
            if record.origin == Origin.ERP:
                assert [e.action for e in events] == ["import"], where
            if record.sync_status == SyncStatus.REJECTED:
                assert record.reject_reason and events[-1].note == record.reject_reason, where


def test_demo_users_and_their_permissions(loaded, session):
    logins, said = loaded
    assert [login.role for login in logins] == [
        "admin",
        "project manager",
        "accounting approver",
        "sync agent",
    ]
    users = {u.email: u for u in session.scalars(select(User))}
    admin = users["admin@pacificridge.example"]
    pm = users["pm@pacificridge.example"]
    approver = users["accounting@pacificridge.example"]
    assert all(admin.level(tool) == PermissionLevel.ADMIN for tool in Tool) and admin.is_accounting_approver
    assert {tool: pm.level(tool) for tool in Tool} == {
        Tool.PROJECT_ADMIN: PermissionLevel.ADMIN,
        Tool.BUDGET: PermissionLevel.ADMIN,
        Tool.COMMITMENTS: PermissionLevel.ADMIN,
        Tool.INVOICES: PermissionLevel.ADMIN,
        Tool.DIRECTORY: PermissionLevel.ADMIN,
        Tool.PRIME_CONTRACTS: PermissionLevel.ADMIN,
        Tool.ERP_INTEGRATIONS: PermissionLevel.READ_ONLY,
        Tool.REPORTS: PermissionLevel.READ_ONLY,
    }
    assert not pm.is_accounting_approver
    assert approver.is_accounting_approver
    assert approver.level(Tool.ERP_INTEGRATIONS) == PermissionLevel.STANDARD
    assert approver.level(Tool.REPORTS) == PermissionLevel.ADMIN
    assert approver.level(Tool.BUDGET) == PermissionLevel.READ_ONLY
    assert approver.level(Tool.PRIME_CONTRACTS) == PermissionLevel.ADMIN
    # the README's roles see the project job-cost report (READ_ONLY on Reports and ADMIN on Budget or
    # Prime Contract, as the seeds scope it)
    for user in (admin, pm, approver):
        assert JOB_COST_REPORT.allows(user) and UNSYNCABLE_DIRECT_COSTS.allows(user), user.email
    # the sync agent reports what the ERP did with exports, and does nothing else
    agent = users["agent@pacificridge.example"]
    assert agent.acts_as_connector and not agent.is_accounting_approver
    assert {tool: agent.level(tool) for tool in Tool if agent.level(tool)} == {
        Tool.ERP_INTEGRATIONS: PermissionLevel.ADMIN
    }
    assert not any(u.acts_as_connector for u in (admin, pm, approver))
    # the printed table carries every token on one line with its role and email
    for login in logins:
        assert any(login.token in line and login.email in line for line in said)


def test_demo_tokens_sign_in(loaded, client):
    logins, _said = loaded
    for login, user in zip(logins, DEMO_USERS, strict=True):
        response = client.post(
            "/graphql",
            json={
                "query": "{ viewer { user { email } isAccountingApprover isErpConnector } "
                "projects { totalCount } }"
            },
            headers={"Authorization": f"Bearer {login.token}"},
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["viewer"] == {
            "user": {"email": user.email},
            "isAccountingApprover": user.approver,
            "isErpConnector": user.connector,
        }
        if user.connector:  # the agent's account reads no project
            assert data["projects"] is None
        else:
            assert data["projects"]["totalCount"] == 3


def test_second_load_adds_nothing_but_fresh_tokens_and_revokes_the_old_ones(loaded, session_factory, client):
    first_logins, _said = loaded
    with session_factory() as s:
        before = _table_counts(s)
    said: list[str] = []
    logins = load_demo_if_empty(session_factory, said.append)
    with session_factory() as s:
        after = _table_counts(s)
        assert s.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.label == "demo")) == 8
    assert after == {**before, "api_tokens": before["api_tokens"] + 4}
    assert "already has projects" in said[0]
    assert {login.token for login in logins}.isdisjoint(login.token for login in first_logins)
    with session_factory() as s:
        live = (
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.label == "demo", ApiToken.revoked_at.is_(None))
        )
        assert s.scalar(live) == 4
    query = {"query": "{ viewer { user { email } } }"}
    for old, new in zip(first_logins, logins, strict=True):
        assert (
            client.post("/graphql", json=query, headers={"Authorization": f"Bearer {old.token}"}).status_code
            == 401
        )
        assert (
            client.post("/graphql", json=query, headers={"Authorization": f"Bearer {new.token}"}).status_code
            == 200
        )


def test_a_database_with_projects_of_its_own_gets_no_demo(session_factory):
    with session_factory() as s:
        s.add(Project(number="1", name="Ours"))
        s.commit()
    said: list[str] = []
    assert load_demo_if_empty(session_factory, said.append) == []
    with session_factory() as s:
        assert _count(s, Project) == 1 and _count(s, User) == 0 and _count(s, Vendor) == 0
    assert said == ["The database already has projects: demo data not loaded."]


def test_demo_command(engine):
    runner = CliRunner()
    env = {"COSTBRIDGE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    first = runner.invoke(cli, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    assert (
        "Loaded the demo company Pacific Ridge Builders: 3 projects, 12 vendors, 9 commitments."
        in first.stdout
    )
    rows = [line.split() for line in first.stdout.splitlines() if "@pacificridge.example" in line]
    assert [row[-2] for row in rows] == [u.email for u in DEMO_USERS]
    assert all(row[-1].startswith("cb_") for row in rows)
    second = runner.invoke(cli, ["demo"], env=env)
    assert second.exit_code == 0, second.output
    assert "demo data not loaded" in second.stdout
    assert len([line for line in second.stdout.splitlines() if " cb_" in line]) == 4


def _readme_graphql() -> dict[str, str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```graphql\n(.*?)```", readme, flags=re.S)
    name = re.compile(r"\s*(?:query|mutation|subscription)\s+(\w+)")
    return {name.match(block).group(1): block for block in blocks}


def test_readme_graphql_tour_runs_on_the_demo_data(loaded, client):
    logins, _said = loaded
    headers = {login.role: {"Authorization": f"Bearer {login.token}"} for login in logins}
    tour = _readme_graphql()
    subscriptions = {"ProjectBadges", "Outbox", "MyImport"}
    assert set(tour) == {
        "Projects",
        "CreateProject",
        "PurchaseOrders",
        "SendToErp",
        "ApproverQueue",
        "AcceptErpExport",
        *subscriptions,
    }
    for name in subscriptions:  # served over WebSocket (tests/test_subscriptions_live.py): valid here
        assert validate(schema._schema, parse(tour[name])) == [], name

    def run(name: str, role: str = "admin", variables: dict | None = None) -> dict:
        response = client.post(
            "/graphql", json={"query": tour[name], "variables": variables or {}}, headers=headers[role]
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    projects = run("Projects")["projects"]
    assert projects["totalCount"] == 3
    harbor = next(p for p in projects["nodes"] if p["number"] == "24-101")
    assert harbor["budget"]["totals"]["originalAmount"] == "1939871.55"
    assert [h["action"] for h in harbor["sync"]["history"]] == ["send", "accept", "acknowledge"]

    created = run("CreateProject")["createProject"]
    assert created["errors"] == [] and created["project"]["number"] == "24-103"
    again = run("CreateProject")["createProject"]
    assert again["project"] is None
    assert (again["errors"][0]["code"], again["errors"][0]["field"]) == ("DUPLICATE_PROJECT_NUMBER", "number")
    denied = run("CreateProject", "accounting approver")["createProject"]
    assert denied["errors"][0]["code"] == "PERMISSION_DENIED"
    assert run("Projects")["projects"]["totalCount"] == 4

    # the accounting workflow example: the project manager sends PO-001, the approver accepts it
    commitments = run("PurchaseOrders", "project manager")["projects"]["nodes"][0]["commitments"]
    po = next(c for c in commitments if c["number"] == "PO-001")
    assert (po["kind"], po["status"], po["sync"]["status"]) == ("PURCHASE_ORDER", "APPROVED", "NOT_SENT")
    sent = run("SendToErp", "project manager", {"ids": [po["id"]]})["sendToErp"]
    assert (sent["succeeded"], sent["failed"]) == (1, 0), sent
    queue = run("ApproverQueue", "accounting approver")["syncItems"]
    assert any("PO-001" in n["label"] for n in queue["nodes"]), queue
    accepted = run("AcceptErpExport", "accounting approver", {"id": po["id"]})["acceptErpExport"]
    result = accepted["results"][0]
    assert result["ok"] and result["item"]["sync"]["status"] == "EXPORTING", accepted
    assert result["export"]["erpEntity"] == "Purchase Order"


COMMITMENTS = "{ projects { nodes { number commitments { id number } budget { id } } } }"
PREFLIGHT = "query($id: ID!) { syncPreflight(id: $id) { canSend blockers { code } } }"
SEND = """mutation($ids: [ID!]!) { sendToErp(input: {ids: $ids}) {
  succeeded results { ok item { sync { status } } errors { code message } } errors { code } } }"""
ACCEPT = """mutation($id: ID!) { acceptErpExport(input: {items: [{id: $id}]}) {
  succeeded results { ok item { sync { status } } errors { code message } } errors { code } } }"""


def test_demo_workflow_as_the_readme_describes(loaded, client):
    logins, _said = loaded
    headers = {login.role: {"Authorization": f"Bearer {login.token}"} for login in logins}

    def data(role: str, query: str, variables: dict | None = None) -> dict:
        response = client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers[role]
        )
        assert response.status_code == 200, response.text
        assert not response.json().get("errors"), response.json()["errors"]
        return response.json()["data"]

    ids = {
        (p["number"], c["number"]): c["id"]
        for p in data("project manager", COMMITMENTS)["projects"]["nodes"]
        for c in p["commitments"]
    }
    budgets = {p["number"]: p["budget"]["id"] for p in data("admin", COMMITMENTS)["projects"]["nodes"]}

    def blockers(gid: str) -> set[str]:
        return {b["code"] for b in data("admin", PREFLIGHT, {"id": gid})["syncPreflight"]["blockers"]}

    assert blockers(ids[("24-101", "SC-002")]) == {"COMMITMENT_NOT_APPROVED"}
    assert blockers(ids[("24-101", "SC-003")]) == {"VENDOR_NOT_SYNCED"}
    assert "BUDGET_NOT_LOCKED" in blockers(budgets["24-102"])

    po = ids[("24-101", "PO-001")]
    sent = data("project manager", SEND, {"ids": [po]})["sendToErp"]
    assert sent["succeeded"] == 1, sent
    assert sent["results"][0]["item"]["sync"]["status"] == "READY_TO_EXPORT"
    accepted = data("accounting approver", ACCEPT, {"id": po})["acceptErpExport"]
    assert accepted["succeeded"] == 1, accepted
    assert accepted["results"][0]["item"]["sync"]["status"] == "EXPORTING"
