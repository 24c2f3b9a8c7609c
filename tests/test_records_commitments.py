"""Commitments and their change orders over HTTP: lines and amounts to the cent, totals, status
transitions, change orders only on synced commitments, and refusals that write nothing."""

from __future__ import annotations

from api.relay import to_global_id
from models import commitments
from models.enums import PermissionLevel, SyncStatus, Tool
from tests.factories_records import count, seed, set_sync_status, synced_commitment

FIELDS = """
  id kind number title description status retainagePercent contractDate
  vendor { name } project { number }
  lines { lineNumber description quantity unitCost amount subJob { number } costCode { code } costType { code
    } }
  totals { originalAmount approvedChangeOrdersAmount pendingChangeOrdersAmount revisedAmount }
  sync { status }
"""
CREATE = f"""
mutation($input: CreateCommitmentInput!) {{
  createCommitment(input: $input) {{ commitment {{ {FIELDS} }} errors {{ code field }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateCommitmentInput!) {{
  updateCommitment(input: $input) {{ commitment {{ {FIELDS} }} errors {{ code field }} }}
}}
"""
STATUS = """
mutation($input: ChangeCommitmentStatusInput!) {
  changeCommitmentStatus(input: $input) { commitment { status } errors { code message field } }
}
"""
CREATE_CO = """
mutation($input: CreateCommitmentChangeOrderInput!) {
  createCommitmentChangeOrder(input: $input) {
    changeOrder { id number title status changeDate total lines { amount costCode { code } } commitment {
      number } sync { status } }
    errors { code field }
  }
}
"""
CO_STATUS = """
mutation($input: ChangeCommitmentChangeOrderStatusInput!) {
  changeCommitmentChangeOrderStatus(input: $input) { changeOrder { status } errors { code message } }
}
"""


def line(setup, code="01-100", cost_type="L", **values):
    return {"costCodeId": setup.cost_codes[code], "costTypeId": setup.cost_types[cost_type], **values}


def new_commitment(setup, **values):
    return {
        "projectId": setup.project,
        "kind": "SUBCONTRACT",
        "number": "SC-001",
        "title": "Concrete",
        "vendorId": setup.vendor,
        "retainagePercent": "10",
        "contractDate": "2026-03-01",
        "lines": [
            line(setup, subJobId=setup.sub_job, description="Footings", quantity="12.5", unitCost="80.333"),
            line(setup, code="02-200", cost_type="M", description="Rebar", amount="2500.10"),
        ],
        **values,
    }


def test_create_commitment_with_exact_amounts(gql, session_factory):
    setup = seed(session_factory)
    out = gql.data(CREATE, {"input": new_commitment(setup)})["createCommitment"]
    assert out["errors"] == []
    c = out["commitment"]
    assert {k: c[k] for k in ("kind", "number", "title", "status", "retainagePercent", "contractDate")} == {
        "kind": "SUBCONTRACT",
        "number": "SC-001",
        "title": "Concrete",
        "status": "DRAFT",
        "retainagePercent": "10.00",
        "contractDate": "2026-03-01",
    }
    assert c["vendor"] == {"name": "ACME Concrete, Inc."}
    assert c["project"] == {"number": "24-001"}
    assert c["lines"] == [
        {
            "lineNumber": 1,
            "description": "Footings",
            "quantity": "12.5000",
            "unitCost": "80.3330",
            # 12.5 x 80.333 = 1004.1625 -> 1004.16
            "amount": "1004.16",
            "subJob": {"number": "A"},
            "costCode": {"code": "01-100"},
            "costType": {"code": "L"},
        },
        {
            "lineNumber": 2,
            "description": "Rebar",
            "quantity": None,
            "unitCost": None,
            "amount": "2500.10",
            "subJob": None,
            "costCode": {"code": "02-200"},
            "costType": {"code": "M"},
        },
    ]
    assert c["totals"] == {
        "originalAmount": "3504.26",
        "approvedChangeOrdersAmount": "0.00",
        "pendingChangeOrdersAmount": "0.00",
        "revisedAmount": "3504.26",
    }
    assert c["sync"] == {"status": "NOT_SENT"}
    # a purchase order may reuse the number on another project
    other = gql.data(
        CREATE,
        {
            "input": {
                **new_commitment(setup),
                "projectId": setup.other_project,
                "kind": "PURCHASE_ORDER",
                "lines": [],
            }
        },
    )
    assert other["createCommitment"]["commitment"]["kind"] == "PURCHASE_ORDER"


def test_update_replaces_lines_as_a_whole(gql, session_factory):
    setup = seed(session_factory)
    c = gql.data(CREATE, {"input": new_commitment(setup)})["createCommitment"]["commitment"]
    out = gql.data(
        UPDATE,
        {
            "input": {
                "id": c["id"],
                "title": "Concrete & rebar",
                "retainagePercent": "5.5",
                "lines": [line(setup, amount="99.99")],
            }
        },
    )["updateCommitment"]
    assert out["errors"] == []
    assert out["commitment"]["title"] == "Concrete & rebar"
    assert out["commitment"]["retainagePercent"] == "5.50"
    assert [(x["lineNumber"], x["amount"]) for x in out["commitment"]["lines"]] == [(1, "99.99")]
    assert out["commitment"]["totals"]["originalAmount"] == "99.99"
    assert count(session_factory, commitments.CommitmentLine) == 1


def test_bad_commitments_are_refused_and_write_nothing(gql, session_factory):
    setup = seed(session_factory)
    gql.data(CREATE, {"input": new_commitment(setup)})
    cases = [
        (new_commitment(setup, number=" sc-001 "), "DUPLICATE_COMMITMENT_NUMBER", "number"),
        (
            new_commitment(setup, number="SC-2", lines=[line(setup, code="03-300", amount="1")]),
            "COST_CODE_NOT_IN_PROJECT",
            "lines[0].costCodeId",
        ),
        (
            new_commitment(setup, number="SC-2", lines=[line(setup, amount="-1")]),
            "NEGATIVE_AMOUNT",
            "lines[0].amount",
        ),
        (
            new_commitment(setup, number="SC-2", lines=[line(setup, amount="1.001")]),
            "INVALID_AMOUNT",
            "lines[0].amount",
        ),
        (
            new_commitment(setup, number="SC-2", lines=[line(setup, subJobId=setup.other_sub_job)]),
            "SUB_JOB_NOT_IN_PROJECT",
            "lines[0].subJobId",
        ),
        (
            new_commitment(setup, number="SC-2", retainagePercent="100.01"),
            "INVALID_VALUE",
            "retainagePercent",
        ),
        (new_commitment(setup, number="SC-2", vendorId="VmVuZG9yOjk5OQ=="), "NOT_FOUND", "vendorId"),
        (new_commitment(setup, number="SC-2", vendorId=setup.project), "INVALID_ID", "vendorId"),
        (new_commitment(setup, number="  "), "REQUIRED", "number"),
    ]
    for payload, code, field in cases:
        out = gql.data(CREATE, {"input": payload})["createCommitment"]
        assert out == {"commitment": None, "errors": [{"code": code, "field": field}]}, (payload, out)
    assert count(session_factory, commitments.Commitment) == 1
    assert count(session_factory, commitments.CommitmentLine) == 2


def test_status_transitions(gql, session_factory):
    setup = seed(session_factory)
    c = gql.data(CREATE, {"input": new_commitment(setup)})["createCommitment"]["commitment"]
    for status in ("OUT_FOR_BID", "OUT_FOR_SIGNATURE", "APPROVED", "COMPLETE"):
        out = gql.data(STATUS, {"input": {"id": c["id"], "status": status}})["changeCommitmentStatus"]
        assert out["commitment"] == {"status": status}, out
    refused = gql.data(STATUS, {"input": {"id": c["id"], "status": "DRAFT"}})["changeCommitmentStatus"]
    assert refused["commitment"] is None
    error = refused["errors"][0]
    assert error["code"] == "INVALID_STATUS_TRANSITION" and error["field"] == "status"
    assert "COMPLETE" in error["message"] and "DRAFT" in error["message"]
    with session_factory() as s:
        assert s.query(commitments.Commitment.status).scalar() == "COMPLETE"


def test_commitment_with_the_erp_is_read_only(gql, session_factory):
    setup = seed(session_factory)
    c = gql.data(CREATE, {"input": new_commitment(setup)})["createCommitment"]["commitment"]
    with session_factory() as s:
        pk = s.query(commitments.Commitment.id).scalar()
    gql.data(STATUS, {"input": {"id": c["id"], "status": "APPROVED"}})
    set_sync_status(session_factory, commitments.Commitment, pk, SyncStatus.READY_TO_EXPORT)
    out = gql.data(UPDATE, {"input": {"id": c["id"], "title": "x", "lines": []}})["updateCommitment"]
    assert out == {"commitment": None, "errors": [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]}
    moving = gql.data(STATUS, {"input": {"id": c["id"], "status": "COMPLETE"}})["changeCommitmentStatus"]
    assert moving["errors"][0]["code"] == "RECORD_LOCKED_BY_SYNC"
    set_sync_status(session_factory, commitments.Commitment, pk, SyncStatus.SYNCED)
    out = gql.data(UPDATE, {"input": {"id": c["id"], "title": "x"}})["updateCommitment"]
    assert out["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
    # a synced, approved subcontract can still be completed
    done = gql.data(STATUS, {"input": {"id": c["id"], "status": "COMPLETE"}})["changeCommitmentStatus"]
    assert done == {"commitment": {"status": "COMPLETE"}, "errors": []}
    with session_factory() as s:
        row = s.get(commitments.Commitment, pk)
        assert row.title == "Concrete" and len(row.lines) == 2


def test_change_orders_need_a_synced_commitment(gql, session_factory):
    setup = seed(session_factory)
    c = gql.data(CREATE, {"input": new_commitment(setup)})["createCommitment"]["commitment"]
    out = gql.data(
        CREATE_CO, {"input": {"commitmentId": c["id"], "number": "CO-1", "lines": [line(setup, amount="10")]}}
    )
    assert out["createCommitmentChangeOrder"] == {
        "changeOrder": None,
        "errors": [{"code": "COMMITMENT_NOT_SYNCED", "field": "commitmentId"}],
    }
    assert count(session_factory, commitments.CommitmentChangeOrder) == 0


def test_change_orders_and_revised_commitment(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    gid = to_global_id("Commitment", pk)
    co1 = gql.data(
        CREATE_CO,
        {
            "input": {
                "commitmentId": gid,
                "number": "CO-1",
                "title": "Extra footing",
                "changeDate": "2026-04-02",
                "lines": [
                    line(setup, amount="300.33"),
                    line(setup, code="02-200", quantity="3", unitCost="0.335"),
                ],
            }
        },
    )["createCommitmentChangeOrder"]
    assert co1["errors"] == []
    assert {k: co1["changeOrder"][k] for k in ("number", "title", "status", "changeDate", "total")} == {
        "number": "CO-1",
        "title": "Extra footing",
        "status": "DRAFT",
        "changeDate": "2026-04-02",
        # 300.33 + money(3 x 0.335 = 1.005 -> 1.01)
        "total": "301.34",
    }
    assert co1["changeOrder"]["commitment"] == {"number": "SC-001"}
    # deductive change order
    co2 = gql.data(
        CREATE_CO, {"input": {"commitmentId": gid, "number": "CO-2", "lines": [line(setup, amount="-50.00")]}}
    )
    co2 = co2["createCommitmentChangeOrder"]["changeOrder"]
    dup = gql.data(CREATE_CO, {"input": {"commitmentId": gid, "number": "co-1"}})[
        "createCommitmentChangeOrder"
    ]
    assert dup["errors"] == [{"code": "DUPLICATE_CHANGE_ORDER_NUMBER", "field": "number"}]

    assert (
        gql.data(CO_STATUS, {"input": {"id": co1["changeOrder"]["id"], "status": "APPROVED"}})[
            "changeCommitmentChangeOrderStatus"
        ]["errors"]
        == []
    )
    assert (
        gql.data(CO_STATUS, {"input": {"id": co2["id"], "status": "PENDING"}})[
            "changeCommitmentChangeOrderStatus"
        ]["errors"]
        == []
    )
    bad = gql.data(CO_STATUS, {"input": {"id": co1["changeOrder"]["id"], "status": "DRAFT"}})[
        "changeCommitmentChangeOrderStatus"
    ]
    assert bad["errors"][0]["code"] == "INVALID_STATUS_TRANSITION"

    totals = gql.data(
        "query($id: ID!) { node(id: $id) { ... on Commitment { changeOrders { number status total } "
        "totals { originalAmount approvedChangeOrdersAmount pendingChangeOrdersAmount revisedAmount } } } }",
        {"id": gid},
    )["node"]
    assert totals["changeOrders"] == [
        {"number": "CO-1", "status": "APPROVED", "total": "301.34"},
        {"number": "CO-2", "status": "PENDING", "total": "-50.00"},
    ]
    assert totals["totals"] == {
        "originalAmount": "1500.00",
        "approvedChangeOrdersAmount": "301.34",
        "pendingChangeOrdersAmount": "-50.00",
        "revisedAmount": "1801.34",
    }


def test_change_order_update_and_sync_lock(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    co = gql.data(
        CREATE_CO,
        {
            "input": {
                "commitmentId": to_global_id("Commitment", pk),
                "number": "CO-1",
                "lines": [line(setup, amount="10")],
            }
        },
    )
    co_id = co["createCommitmentChangeOrder"]["changeOrder"]["id"]
    update = """mutation($input: UpdateCommitmentChangeOrderInput!) {
      updateCommitmentChangeOrder(input: $input) { changeOrder { title total lines { amount } } errors { code
        field } } }"""
    out = gql.data(
        update,
        {
            "input": {
                "id": co_id,
                "title": "Revised",
                "lines": [line(setup, amount="20.20"), line(setup, amount="0.80")],
            }
        },
    )
    assert out["updateCommitmentChangeOrder"] == {
        "changeOrder": {
            "title": "Revised",
            "total": "21.00",
            "lines": [{"amount": "20.20"}, {"amount": "0.80"}],
        },
        "errors": [],
    }
    with session_factory() as s:
        co_pk = s.query(commitments.CommitmentChangeOrder.id).scalar()
    set_sync_status(session_factory, commitments.CommitmentChangeOrder, co_pk, SyncStatus.SYNCED)
    locked = gql.data(update, {"input": {"id": co_id, "title": "Nope"}})["updateCommitmentChangeOrder"]
    assert locked["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
    assert count(session_factory, commitments.CommitmentChangeOrderLine) == 2


def test_read_only_user_cannot_create_commitments(gql, make_actor, session_factory):
    setup = seed(session_factory)
    reader = make_actor("Rita Reader", {Tool.COMMITMENTS: PermissionLevel.READ_ONLY})
    out = gql.as_(reader).data(CREATE, {"input": new_commitment(setup)})["createCommitment"]
    assert out["commitment"] is None and out["errors"][0]["code"] == "PERMISSION_DENIED"
    assert count(session_factory, commitments.Commitment) == 0
    c = gql.data(CREATE, {"input": new_commitment(setup)})["createCommitment"]["commitment"]
    moved = gql.as_(reader).data(STATUS, {"input": {"id": c["id"], "status": "APPROVED"}})[
        "changeCommitmentStatus"
    ]
    assert moved["errors"][0]["code"] == "PERMISSION_DENIED"
    with session_factory() as s:
        assert s.query(commitments.Commitment.status).scalar() == "DRAFT"
