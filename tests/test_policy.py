"""The access policy on the read side: what a user sees follows their level on each tool, through
root fields, nested fields, node(id:), lists, mutation payloads and downloads alike."""

from __future__ import annotations

import pytest

from api.relay import to_global_id
from models.enums import PermissionLevel, Tool
from models.errors import DomainError, ErrorCode
from models.policy import (
    ANONYMOUS,
    APPROVER,
    JOB_COST_REPORT,
    SystemActor,
    deciding,
    reading,
    require,
)
from tests.conftest import GraphQLClient
from tests.factories_policy import build_world

R, S, A = PermissionLevel.READ_ONLY, PermissionLevel.STANDARD, PermissionLevel.ADMIN


@pytest.fixture
def world(session_factory):
    with session_factory() as s:
        return build_world(s)


def denied_at(body: dict, *path) -> dict:
    """The PERMISSION_DENIED error at ``path`` (asserting there is one)."""
    for error in body.get("errors") or []:
        if tuple(error["path"]) == path:
            assert error["extensions"]["code"] == "PERMISSION_DENIED", error
            return error
    raise AssertionError(f"no error at {path}: {body.get('errors')}")


def test_a_user_with_no_permission_gets_refusals_not_data(client, make_actor, world):
    nobody = GraphQLClient(client, make_actor("Nobody", {}))
    queries = {
        "projects": "{ projects { nodes { budget { lines { originalAmount } } } } }",
        "vendors": "{ vendors { nodes { name } } }",
        "importRuns": "{ importRuns { nodes { fileName } } }",
        "erpExports": "{ erpExports { nodes { header } } }",
        "syncItems": "{ syncItems { nodes { label } } }",
        "costCodes": "{ costCodes { nodes { code } } }",
        "unsyncableDirectCosts": "{ unsyncableDirectCosts { nodes { amount } } }",
    }
    for field, query in queries.items():
        body = nobody.execute(query)
        assert body["data"] == {field: None}, field
        denied_at(body, field)
    for type_name in ("ErpExport", "DirectCost", "Budget", "BudgetLine", "Commitment", "ImportRun"):
        body = nobody.execute(
            "query($id: ID!) { node(id: $id) { id ... on ErpExport { header payload } } }",
            {"id": world.ids[type_name]},
        )
        assert body["data"] == {"node": None}, type_name
        assert " needs " in denied_at(body, "node")["message"]
    # the ERP configuration is for everyone, its connector settings are not
    erp = nobody.execute("{ erp { system exportFolder exportIntervalSeconds } }")
    assert erp["data"]["erp"] == {
        "system": "SAGE_100_CONTRACTOR",
        "exportFolder": None,
        "exportIntervalSeconds": None,
    }
    denied_at(erp, "erp", "exportFolder")
    pid = world.project
    for path in (
        f"/exports/projects/{pid}/budget.csv",
        "/exports/vendors.csv",
        f"/exports/projects/{pid}/job-cost-report.xlsx",
    ):
        response = client.get(path, headers=nobody.actor.headers)
        assert response.status_code == 403 and response.json()["errors"][0]["code"] == "PERMISSION_DENIED"


def test_project_reader_without_budget_sees_no_budget_and_no_commitments(client, make_actor, world):
    reader = GraphQLClient(client, make_actor("Pia", {Tool.PROJECT_ADMIN: R}))
    body = reader.execute(
        "{ projects { nodes { number budget { lines { originalAmount } } commitments { number } "
        "subcontractorInvoices { number } directCosts { totalCount } } } }"
    )
    nodes = body["data"]["projects"]["nodes"]
    assert [n["number"] for n in nodes] == ["2317", "24-101", "24-102"]
    for index, node in enumerate(nodes):
        for field in ("budget", "commitments", "subcontractorInvoices", "directCosts"):
            assert node[field] is None
            denied_at(body, "projects", "nodes", index, field)


def test_budget_reader_without_commitments_sees_lines_but_no_commitment_anywhere(client, make_actor, world):
    levels = {Tool.PROJECT_ADMIN: R, Tool.BUDGET: R, Tool.ERP_INTEGRATIONS: R}
    reader = GraphQLClient(client, make_actor("Bea", levels))
    body = reader.execute(
        '{ projects(search: "24-101") { nodes { budget { lines { originalAmount } } '
        "commitments { number } } } }"
    )
    harbor = body["data"]["projects"]["nodes"][0]
    assert len(harbor["budget"]["lines"]) == 18
    assert harbor["commitments"] is None
    denied_at(body, "projects", "nodes", 0, "commitments")

    node = "query($id: ID!) { node(id: $id) { __typename } }"
    assert reader.data(node, {"id": world.ids["Budget"]})["node"] == {"__typename": "Budget"}
    assert reader.data(node, {"id": world.ids["BudgetLine"]})["node"] == {"__typename": "BudgetLine"}
    for type_name in ("Commitment", "CommitmentLine", "CommitmentChangeOrder", "SubcontractorInvoice"):
        refused = reader.execute(node, {"id": world.ids[type_name]})
        assert refused["data"] == {"node": None}
        denied_at(refused, "node")

    # the approver's queue and digest leave commitments out, and their counts too
    queue = reader.data("{ syncItems { nodes { recordType } counts { status count } } }")["syncItems"]
    assert {n["recordType"] for n in queue["nodes"]} <= {
        "PROJECT",
        "SUB_JOB",
        "COST_CODE",
        "BUDGET",
        "BUDGET_MODIFICATION",
    }
    admin_queue = GraphQLClient(client, make_actor("Ad", {t: A for t in Tool})).data(
        "{ syncItems { totalCount } }"
    )["syncItems"]
    assert admin_queue["totalCount"] > len(queue["nodes"])
    digest = reader.data("{ approvalDigest { groups { recordType } } }")["approvalDigest"]
    assert "COMMITMENT" not in {g["recordType"] for g in digest["groups"]}
    assert reader.execute("{ erpExports { totalCount } }")["data"] == {"erpExports": None}

    # downloads follow the same rule
    budget = client.get(f"/exports/projects/{world.project}/budget.csv", headers=reader.actor.headers)
    assert budget.status_code == 200 and "Cost Code" in budget.text


def test_a_refused_action_does_not_show_the_record(client, make_actor, world):
    outsider = GraphQLClient(client, make_actor("Olly", {Tool.BUDGET: A}))
    out = outsider.data(
        "mutation($ids: [ID!]!) "
        "{ sendToErp(input: {ids: $ids}) { results { ok item { label } errors { code } } } }",
        {"ids": [world.record_ids["COMMITMENT"]]},
    )["sendToErp"]["results"][0]
    assert out == {"ok": False, "item": None, "errors": [{"code": "PERMISSION_DENIED"}]}


def test_syncpreflight_needs_the_records_tool(client, make_actor, world):
    reader = GraphQLClient(client, make_actor("Cam", {Tool.COMMITMENTS: R}))
    query = "query($id: ID!) { syncPreflight(id: $id) { canSend } }"
    assert reader.data(query, {"id": world.record_ids["COMMITMENT"]})["syncPreflight"] is not None
    refused = reader.execute(query, {"id": world.record_ids["BUDGET"]})
    assert refused["data"] == {"syncPreflight": None}
    denied_at(refused, "syncPreflight")


def test_actors_are_explicit_and_disabled_users_or_anonymous_can_do_nothing():
    with pytest.raises(TypeError):
        require(None, reading(Tool.BUDGET), "Reading a budget")  # type: ignore[arg-type]
    assert not reading(Tool.BUDGET).allows(ANONYMOUS)
    everything = {tool: A for tool in Tool}
    assert deciding(Tool.BUDGET).allows(SystemActor("approver", everything, can_push_to_accounting=True))
    assert not APPROVER.allows(SystemActor("no privilege", everything))
    assert not APPROVER.allows(SystemActor("disabled", everything, can_push_to_accounting=True, active=False))
    with pytest.raises(DomainError) as refused:
        require(
            SystemActor("reports only", {Tool.REPORTS: A}), JOB_COST_REPORT, "Viewing the job-cost report"
        )
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert (
        refused.value.message
        == "Viewing the job-cost report needs READ_ONLY on Reports and ADMIN on one of Budget, Prime Contract"
    )


def test_a_known_global_id_decodes_to_its_record(gql, world):
    # IDs are "<fixed type name>:<primary key>" in URL-safe base64; stored IDs keep working
    assert to_global_id("Project", 1) == "UHJvamVjdDox"
    found = gql.data('{ node(id: "UHJvamVjdDox") { ... on Project { number } } }')["node"]
    assert found["number"] in {"24-101", "24-102", "2317"}
