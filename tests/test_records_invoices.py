"""Subcontractor invoices over HTTP: lines defaulting from commitment lines, totals with retainage
to the cent, status transitions, and refusals that write nothing."""

from __future__ import annotations

from api.relay import to_global_id
from models import commitments, invoices, projects
from models.enums import CommitmentKind, PermissionLevel, SyncStatus, Tool
from tests.actors import SETUP
from tests.factories_records import count, seed, set_sync_status, synced_commitment

FIELDS = """
  id number billingPeriodStart billingPeriodEnd billingDate status commitment { number }
  lines { description workCompletedThisPeriod materialsPresentlyStored retainage amount
          commitmentLine { lineNumber } costCode { code } costType { code } }
  totals { workCompletedAmount materialsStoredAmount totalAmount retainageAmount netAmount }
  sync { status }
"""
CREATE = f"""
mutation($input: CreateSubcontractorInvoiceInput!) {{
  createSubcontractorInvoice(input: $input) {{ subcontractorInvoice {{ {FIELDS} }} errors {{ code field }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateSubcontractorInvoiceInput!) {{
  updateSubcontractorInvoice(input: $input) {{ subcontractorInvoice {{ {FIELDS} }} errors {{ code field }} }}
}}
"""
STATUS = """
mutation($input: ChangeSubcontractorInvoiceStatusInput!) {
  changeSubcontractorInvoiceStatus(input: $input) { subcontractorInvoice { status } errors { code message } }
}
"""


def commitment_line_ids(session_factory, commitment_pk):
    with session_factory() as s:
        rows = (
            s.query(commitments.CommitmentLine.id)
            .filter_by(commitment_id=commitment_pk)
            .order_by(commitments.CommitmentLine.line_number)
        )
        return [to_global_id("CommitmentLine", pk) for (pk,) in rows]


def new_invoice(setup, commitment_pk, line_ids, **values):
    return {
        "commitmentId": to_global_id("Commitment", commitment_pk),
        "number": "PA-1",
        "billingPeriodStart": "2026-04-01",
        "billingPeriodEnd": "2026-04-30",
        "billingDate": "2026-05-02",
        "lines": [
            {
                "commitmentLineId": line_ids[0],
                "workCompletedThisPeriod": "400.10",
                "materialsPresentlyStored": "55.55",
                "retainage": "45.57",
            },
            {
                "commitmentLineId": line_ids[1],
                "description": "Rebar on site",
                "workCompletedThisPeriod": "0.05",
                "retainage": "0.01",
            },
        ],
        **values,
    }


def test_create_invoice_with_totals(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    line_ids = commitment_line_ids(session_factory, pk)
    out = gql.data(CREATE, {"input": new_invoice(setup, pk, line_ids)})["createSubcontractorInvoice"]
    assert out["errors"] == []
    inv = out["subcontractorInvoice"]
    assert {
        k: inv[k] for k in ("number", "billingPeriodStart", "billingPeriodEnd", "billingDate", "status")
    } == {
        "number": "PA-1",
        "billingPeriodStart": "2026-04-01",
        "billingPeriodEnd": "2026-04-30",
        "billingDate": "2026-05-02",
        "status": "DRAFT",
    }
    assert inv["commitment"] == {"number": "SC-001"}
    assert inv["lines"] == [
        {
            "description": "",
            "workCompletedThisPeriod": "400.10",
            "materialsPresentlyStored": "55.55",
            "retainage": "45.57",
            "amount": "455.65",
            "commitmentLine": {"lineNumber": 1},
            "costCode": {"code": "01-100"},
            "costType": {"code": "L"},
        },
        {
            "description": "Rebar on site",
            "workCompletedThisPeriod": "0.05",
            "materialsPresentlyStored": "0.00",
            "retainage": "0.01",
            "amount": "0.05",
            "commitmentLine": {"lineNumber": 2},
            "costCode": {"code": "02-200"},
            "costType": {"code": "M"},
        },
    ]
    assert inv["totals"] == {
        "workCompletedAmount": "400.15",
        "materialsStoredAmount": "55.55",
        "totalAmount": "455.70",
        "retainageAmount": "45.58",
        "netAmount": "410.12",
    }
    listed = gql.data(
        "query($id: ID!) "
        "{ node(id: $id) { ... on Project { subcontractorInvoices { number totals { netAmount } } } } }",
        {"id": setup.project},
    )
    assert listed["node"]["subcontractorInvoices"] == [{"number": "PA-1", "totals": {"netAmount": "410.12"}}]


def test_update_invoice_replaces_lines(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    line_ids = commitment_line_ids(session_factory, pk)
    inv = gql.data(CREATE, {"input": new_invoice(setup, pk, line_ids)})["createSubcontractorInvoice"][
        "subcontractorInvoice"
    ]
    out = gql.data(
        UPDATE,
        {
            "input": {
                "id": inv["id"],
                "billingDate": "2026-05-03",
                "lines": [
                    {
                        "costCodeId": setup.cost_codes["02-200"],
                        "costTypeId": setup.cost_types["L"],
                        "workCompletedThisPeriod": "100",
                        "retainage": "10",
                    }
                ],
            }
        },
    )["updateSubcontractorInvoice"]
    assert out["errors"] == []
    assert out["subcontractorInvoice"]["billingDate"] == "2026-05-03"
    assert out["subcontractorInvoice"]["totals"] == {
        "workCompletedAmount": "100.00",
        "materialsStoredAmount": "0.00",
        "totalAmount": "100.00",
        "retainageAmount": "10.00",
        "netAmount": "90.00",
    }
    assert count(session_factory, invoices.SubcontractorInvoiceLine) == 1


def test_bad_invoices_are_refused_and_write_nothing(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    line_ids = commitment_line_ids(session_factory, pk)
    gql.data(CREATE, {"input": new_invoice(setup, pk, line_ids)})
    other_pk = synced_commitment(session_factory, setup, number="SC-002")
    foreign_line = commitment_line_ids(session_factory, other_pk)[0]
    base = new_invoice(setup, pk, line_ids, number="PA-2")
    cases = [
        (new_invoice(setup, pk, line_ids), "DUPLICATE_INVOICE_NUMBER", "number"),
        ({**base, "billingPeriodEnd": "2026-03-31"}, "INVALID_DATE_RANGE", "billingPeriodEnd"),
        (
            {**base, "lines": [{"commitmentLineId": line_ids[0], "retainage": "-1"}]},
            "NEGATIVE_AMOUNT",
            "lines[0].retainage",
        ),
        (
            {**base, "lines": [{"commitmentLineId": line_ids[0], "workCompletedThisPeriod": "0.001"}]},
            "INVALID_AMOUNT",
            "lines[0].workCompletedThisPeriod",
        ),
        (
            {**base, "lines": [{"commitmentLineId": foreign_line}]},
            "LINE_NOT_IN_RECORD",
            "lines[0].commitmentLineId",
        ),
        ({**base, "lines": [{"workCompletedThisPeriod": "1"}]}, "REQUIRED", "lines[0].costCodeId"),
        (
            {
                **base,
                "lines": [{"costCodeId": setup.cost_codes["03-300"], "costTypeId": setup.cost_types["L"]}],
            },
            "COST_CODE_NOT_IN_PROJECT",
            "lines[0].costCodeId",
        ),
        ({**base, "commitmentId": "Q29tbWl0bWVudDo5OTk5"}, "NOT_FOUND", "commitmentId"),
        ({**base, "commitmentId": "x"}, "INVALID_ID", "commitmentId"),
    ]
    for payload, code, field in cases:
        out = gql.data(CREATE, {"input": payload})["createSubcontractorInvoice"]
        assert out == {"subcontractorInvoice": None, "errors": [{"code": code, "field": field}]}, (
            payload,
            out,
        )
    assert count(session_factory, invoices.SubcontractorInvoice) == 1
    assert count(session_factory, invoices.SubcontractorInvoiceLine) == 2


def test_invoices_bill_approved_subcontracts_only(gql, session_factory):
    setup = seed(session_factory)
    with session_factory() as s:
        project = s.get(projects.Project, setup.pk["project"])
        po = commitments.create_commitment(
            s, SETUP, project, kind=CommitmentKind.PURCHASE_ORDER, number="PO-1"
        )
        draft = commitments.create_commitment(
            s, SETUP, project, kind=CommitmentKind.SUBCONTRACT, number="SC-9"
        )
        s.commit()
        po_pk, draft_pk = po.id, draft.id
    for pk, code in ((po_pk, "NOT_A_SUBCONTRACT"), (draft_pk, "COMMITMENT_NOT_APPROVED")):
        out = gql.data(CREATE, {"input": new_invoice(setup, pk, ["x", "y"], lines=[])})[
            "createSubcontractorInvoice"
        ]
        assert out["errors"] == [{"code": code, "field": "commitmentId"}]
    assert count(session_factory, invoices.SubcontractorInvoice) == 0


def test_invoice_status_transitions_and_sync_lock(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    line_ids = commitment_line_ids(session_factory, pk)
    inv = gql.data(CREATE, {"input": new_invoice(setup, pk, line_ids)})["createSubcontractorInvoice"][
        "subcontractorInvoice"
    ]
    skip = gql.data(STATUS, {"input": {"id": inv["id"], "status": "APPROVED"}})[
        "changeSubcontractorInvoiceStatus"
    ]
    assert skip["subcontractorInvoice"] is None
    assert skip["errors"][0]["code"] == "INVALID_STATUS_TRANSITION"
    assert "DRAFT" in skip["errors"][0]["message"] and "APPROVED" in skip["errors"][0]["message"]
    for status in ("UNDER_REVIEW", "REVISE_AND_RESUBMIT", "UNDER_REVIEW", "APPROVED"):
        out = gql.data(STATUS, {"input": {"id": inv["id"], "status": status}})[
            "changeSubcontractorInvoiceStatus"
        ]
        assert out == {"subcontractorInvoice": {"status": status}, "errors": []}
    with session_factory() as s:
        inv_pk = s.query(invoices.SubcontractorInvoice.id).scalar()
    set_sync_status(session_factory, invoices.SubcontractorInvoice, inv_pk, SyncStatus.READY_TO_EXPORT)
    locked = gql.data(UPDATE, {"input": {"id": inv["id"], "number": "PA-9"}})["updateSubcontractorInvoice"]
    assert locked["errors"] == [{"code": "RECORD_LOCKED_BY_SYNC", "field": None}]
    paid = gql.data(STATUS, {"input": {"id": inv["id"], "status": "PAID"}})[
        "changeSubcontractorInvoiceStatus"
    ]
    assert paid["errors"][0]["code"] == "RECORD_LOCKED_BY_SYNC"
    # once synced, the ERP's payment can be recorded
    set_sync_status(session_factory, invoices.SubcontractorInvoice, inv_pk, SyncStatus.SYNCED)
    paid = gql.data(STATUS, {"input": {"id": inv["id"], "status": "PAID"}})[
        "changeSubcontractorInvoiceStatus"
    ]
    assert paid == {"subcontractorInvoice": {"status": "PAID"}, "errors": []}
    with session_factory() as s:
        assert s.get(invoices.SubcontractorInvoice, inv_pk).number == "PA-1"


def test_read_only_user_cannot_create_invoices(gql, make_actor, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    reader = make_actor("Rita Reader", {Tool.INVOICES: PermissionLevel.READ_ONLY})
    out = gql.as_(reader).data(
        CREATE, {"input": new_invoice(setup, pk, commitment_line_ids(session_factory, pk))}
    )
    assert out["createSubcontractorInvoice"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert count(session_factory, invoices.SubcontractorInvoice) == 0


def test_commitment_lines_billed_by_an_invoice_cannot_be_replaced(gql, session_factory):
    setup = seed(session_factory)
    pk = synced_commitment(session_factory, setup)
    gql.data(CREATE, {"input": new_invoice(setup, pk, commitment_line_ids(session_factory, pk))})
    set_sync_status(session_factory, commitments.Commitment, pk, SyncStatus.NOT_SENT)
    update = """mutation($input: UpdateCommitmentInput!)
        { updateCommitment(input: $input) { errors { code field } } }"""
    out = gql.data(update, {"input": {"id": to_global_id("Commitment", pk), "lines": []}})["updateCommitment"]
    assert out["errors"] == [{"code": "LINE_IN_USE", "field": "lines"}]
    assert (
        count(session_factory, commitments.CommitmentLine, commitments.CommitmentLine.commitment_id == pk)
        == 2
    )
