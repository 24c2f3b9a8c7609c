"""The audit trail: every create, update and delete of a financial record and its lines, with the
actor, the time and each changed field's old and new value; bulk imports included; append-only;
read with the record's tool."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.relay import to_global_id
from models import audit
from models.audit import AppendOnly, AuditEntry, MissingActor
from models.commitments import update_commitment
from models.db import make_sessionmaker
from models.directory import Vendor
from models.enums import CommitmentStatus, PermissionLevel, Tool
from tests import factories_workflow as f
from tests import files_common as files
from tests.factories_imports import upload

A, R = PermissionLevel.ADMIN, PermissionLevel.READ_ONLY

TRAIL = """
query($id: ID!) {
  auditTrail(recordId: $id) {
    totalCount
    nodes { actor action entity entityId recordId changes { field old new } }
  }
}
"""
UPDATE_LINE = """
mutation($input: UpdateBudgetLineInput!) {
  updateBudgetLine(input: $input) { budgetLine { id originalAmount } errors { code message } }
}
"""


@pytest.fixture
def world(session):
    proj, ven, concrete, rebar, sub, mat = f.synced_world(session)
    line = f.budget_line(session, proj, concrete, sub, "1500.00", description="Footings")
    session.commit()
    return {"project": proj, "vendor": ven, "line": line, "concrete": concrete, "rebar": rebar, "sub": sub}


def gql(client, actor, query, variables=None):
    body = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=actor.headers
    ).json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_editing_a_budget_line_amount_twice_gives_two_entries_with_values_and_actors(
    client, world, make_actor, session
):
    ann = make_actor("Ann Estimator", {Tool.BUDGET: PermissionLevel.STANDARD})
    bob = make_actor("Bob Controller", {Tool.BUDGET: A})
    line_id = to_global_id("BudgetLine", world["line"].id)
    gql(client, ann, UPDATE_LINE, {"input": {"id": line_id, "originalAmount": "1750.25"}})
    gql(
        client,
        bob,
        UPDATE_LINE,
        {"input": {"id": line_id, "originalAmount": "1699.99", "description": "Footings"}},
    )

    trail = gql(client, bob, TRAIL, {"id": line_id})["auditTrail"]
    budget_gid = to_global_id("Budget", world["line"].budget_id)
    # the test set-up wrote the line: its CREATE is the set-up's, then one UPDATE per edit
    assert trail["totalCount"] == 3
    created = trail["nodes"].pop(0)
    assert (created["actor"], created["action"]) == ("test set-up", "CREATE")
    assert {"field": "originalAmount", "old": None, "new": "1500.00"} in created["changes"]
    assert [
        (e["actor"], e["action"], e["entity"], e["entityId"], e["recordId"], e["changes"])
        for e in trail["nodes"]
    ] == [
        (
            "Ann Estimator",
            "UPDATE",
            "BudgetLine",
            line_id,
            budget_gid,
            [{"field": "originalAmount", "old": "1500.00", "new": "1750.25"}],
        ),
        (
            "Bob Controller",
            "UPDATE",
            "BudgetLine",
            line_id,
            budget_gid,
            [{"field": "originalAmount", "old": "1750.25", "new": "1699.99"}],
        ),
    ]
    # the budget's own trail, and the field on the record, carry the line's changes too
    budget_trail = gql(client, bob, TRAIL, {"id": budget_gid})["auditTrail"]["nodes"]
    assert [e["actor"] for e in budget_trail if e["action"] == "UPDATE"] == [
        "Ann Estimator",
        "Bob Controller",
    ]
    field = gql(
        client,
        bob,
        "query($id: ID!) { node(id: $id) { ... on BudgetLine { auditTrail { actor action } } } }",
        {"id": line_id},
    )["node"]["auditTrail"]
    assert [(e["actor"], e["action"]) for e in field] == [
        ("test set-up", "CREATE"),
        ("Ann Estimator", "UPDATE"),
        ("Bob Controller", "UPDATE"),
    ]
    # an outsider to the Budget tool reads none of it
    outsider = make_actor("Olly Outsider", {Tool.COMMITMENTS: A})
    denied = client.post(
        "/graphql", json={"query": TRAIL, "variables": {"id": line_id}}, headers=outsider.headers
    )
    assert [e["extensions"]["code"] for e in denied.json()["errors"]] == ["PERMISSION_DENIED"]


def test_replaced_lines_and_vendor_edits_are_recorded_with_old_values(session, world):
    pm = f.pm(session)
    audit.acting_as(session, pm)
    concrete, rebar, sub = world["concrete"], world["rebar"], world["sub"]
    commitment = f.commitment(
        session,
        world["project"],
        world["vendor"],
        status=CommitmentStatus.DRAFT,
        lines=[(concrete, sub, "1000.00", None, None, "Pour")],
    )
    old_line = commitment.lines[0].id
    f.budget_line(session, world["project"], rebar, sub, "0.00")  # puts rebar on the project
    update_commitment(
        session,
        pm,
        commitment,
        title="Concrete and rebar",
        lines=[{"cost_code_id": rebar.id, "cost_type_id": sub.id, "amount": "1200.00"}],
    )
    vendor = session.get(Vendor, world["vendor"].id)
    vendor.name, vendor.zip = "ACME Concrete West", "92802"
    session.commit()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    mine = [(e.entity, e.action, e.actor_name) for e in entries if e.actor_name == "Pat Manager"]
    assert mine == [
        ("Commitment", "CREATE", "Pat Manager"),
        ("CommitmentLine", "CREATE", "Pat Manager"),
        ("BudgetLine", "CREATE", "Pat Manager"),
        ("Commitment", "UPDATE", "Pat Manager"),
        ("CommitmentLine", "CREATE", "Pat Manager"),
        ("CommitmentLine", "DELETE", "Pat Manager"),
        ("Vendor", "UPDATE", "Pat Manager"),
    ]
    by_key = {(e.entity, e.entity_id, e.action): e for e in entries}
    deleted = by_key[("CommitmentLine", old_line, "DELETE")]
    assert (deleted.record_type, deleted.record_id) == ("COMMITMENT", commitment.id)
    assert deleted.changes["amount"] == {"old": "1000.00", "new": None}
    assert by_key[("Commitment", commitment.id, "UPDATE")].changes == {
        "title": {"old": "Concrete foundations", "new": "Concrete and rebar"}
    }
    assert by_key[("Vendor", vendor.id, "UPDATE")].changes == {
        "name": {"old": "ACME Concrete, Inc.", "new": "ACME Concrete West"},
        "zip": {"old": "92801", "new": "92802"},
    }


def _pk(gid: str) -> int:
    from api.relay import from_global_id

    return from_global_id(gid)[1]


def test_a_budget_import_records_the_lines_it_changes_and_what_it_created(client, admin, session, world):
    rows = [
        ["Cost Code", "Cost Type", "Original Budget Amount", "Description"],
        [world["concrete"].code, "4", "1600.00", "Footings"],  # the existing line: 1500.00 -> 1600.00
        [world["rebar"].code, "4", "300.00", "Rebar"],  # a new line
    ]
    out = upload(
        client,
        admin,
        "budget",
        "budget.csv",
        files.csv_bytes(rows),
        projectId=to_global_id("Project", world["project"].id),
    )
    assert out["errors"] == [], out["errors"]
    session.expire_all()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.actor_name == "Ada Admin").order_by(AuditEntry.id)
    ).all()
    run_id = _pk(out["importRun"]["id"])
    assert [(e.action, e.entity, e.changes) for e in entries] == [
        ("UPDATE", "BudgetLine", {"originalAmount": {"old": "1500.00", "new": "1600.00"}}),
        (
            "IMPORT",
            "Budget",
            {
                "linesCreated": {"old": None, "new": 1},
                "originalAmountCreated": {"old": None, "new": "300.00"},
                "importRun": {"old": None, "new": run_id},
                "fileName": {"old": None, "new": "budget.csv"},
            },
        ),
    ]
    assert entries[0].entity_id == world["line"].id
    assert all(e.record_type == "BUDGET" and e.record_id == world["line"].budget_id for e in entries)


def test_the_trail_is_append_only_and_needs_an_actor(engine, session, world):
    entry = session.scalars(select(AuditEntry)).first()
    assert entry is not None
    entry.actor_name = "someone else"
    with pytest.raises(AppendOnly):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEntry, entry.id))
    with pytest.raises(AppendOnly):
        session.flush()
    session.rollback()
    count = session.scalar(select(func.count()).select_from(AuditEntry))

    # no API path rewrites it: no mutation names the audit trail
    from api.schema import schema

    mutations = [f.name for f in schema.get_type_by_name("Mutation").fields]
    assert not [name for name in mutations if "audit" in name.lower()]

    # a session nobody acts in cannot change a financial record
    with make_sessionmaker(engine)() as anonymous:
        vendor = anonymous.get(Vendor, world["vendor"].id)
        vendor.city = "Orange"
        with pytest.raises(MissingActor):
            anonymous.flush()
        anonymous.rollback()
    with make_sessionmaker(engine)() as checked:
        assert checked.get(Vendor, world["vendor"].id).city == "Anaheim"
        assert checked.scalar(select(func.count()).select_from(AuditEntry)) == count


def test_a_system_process_names_its_actor_without_changing_the_shared_factory(engine, world):
    """The file connector and the scheduled digest open their sessions through ``acting_factory``:
    their changes name them, and the factory they were given is left without an actor."""
    from tests.actors import FILE_CONNECTOR

    shared = make_sessionmaker(engine)
    connector_sessions = audit.acting_factory(shared, FILE_CONNECTOR)
    with connector_sessions() as s:
        assert audit.actor_of(s) is FILE_CONNECTOR
        s.get(Vendor, world["vendor"].id).city = "Orange"
        s.commit()
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.actor_name, entry.actor_id, entry.changes["city"]["new"]) == ("file", None, "Orange")
    with shared() as s:
        assert audit.actor_of(s) is None
    with pytest.raises(TypeError):
        audit.acting_factory(shared, None)
