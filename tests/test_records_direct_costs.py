"""A project's direct costs (job-cost transactions from the ERP) as a paged connection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from models.costs import DirectCost
from models.enums import DirectCostType
from tests.factories_records import seed

QUERY = """
query($id: ID!, $first: Int, $after: String, $type: DirectCostType) {
  node(id: $id) { ... on Project {
    directCosts(first: $first, after: $after, type: $type) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { type status itemDate description invoiceNumber amount erpTransactionId
              vendor { name } costCode { code } costType { code } subJob { number } }
    }
  } }
}
"""


def add_costs(session_factory, setup) -> None:
    rows = [
        (DirectCostType.INVOICE, dt.date(2026, 2, 1), "1200.50", "AP-1"),
        (DirectCostType.PAYROLL, dt.date(2026, 1, 15), "800.25", None),
        (DirectCostType.INVOICE, dt.date(2026, 3, 1), "0.01", "AP-2"),
    ]
    with session_factory() as s:
        for n, (kind, day, amount, invoice) in enumerate(rows):
            s.add(
                DirectCost(
                    project_id=setup.pk["project"],
                    sub_job_id=setup.pk["sub_job"] if n == 0 else None,
                    cost_code_id=setup.pk["cc:01-100"],
                    cost_type_id=setup.pk["ct:L"],
                    type=kind,
                    item_date=day,
                    description=f"Cost {n}",
                    vendor_id=setup.pk["vendor"] if invoice else None,
                    invoice_number=invoice,
                    amount=Decimal(amount),
                    erp_transaction_id=f"T{n}",
                    dedupe_key=f"T{n}",
                )
            )
        s.commit()


def test_direct_costs_page_in_date_order(gql, session_factory):
    setup = seed(session_factory)
    add_costs(session_factory, setup)
    first = gql.data(QUERY, {"id": setup.project, "first": 2})["node"]["directCosts"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["nodes"][0] == {
        "type": "PAYROLL",
        "status": "APPROVED",
        "itemDate": "2026-01-15",
        "description": "Cost 1",
        "invoiceNumber": None,
        "amount": "800.25",
        "erpTransactionId": "T1",
        "vendor": None,
        "costCode": {"code": "01-100"},
        "costType": {"code": "L"},
        "subJob": None,
    }
    assert first["nodes"][1]["vendor"] == {"name": "ACME Concrete, Inc."}
    assert first["nodes"][1]["subJob"] == {"number": "A"}
    rest = gql.data(QUERY, {"id": setup.project, "first": 2, "after": first["pageInfo"]["endCursor"]})
    rest = rest["node"]["directCosts"]
    assert [n["amount"] for n in rest["nodes"]] == ["0.01"]
    assert rest["totalCount"] == 3 and rest["pageInfo"]["hasNextPage"] is False
    invoices = gql.data(QUERY, {"id": setup.project, "type": "INVOICE"})["node"]["directCosts"]
    assert [n["invoiceNumber"] for n in invoices["nodes"]] == ["AP-1", "AP-2"]
    assert invoices["totalCount"] == 2
    other = gql.data(QUERY, {"id": setup.other_project})["node"]["directCosts"]
    assert other == {"totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}


def test_direct_costs_page_size_is_capped(gql, session_factory):
    setup = seed(session_factory)
    body = gql.execute(QUERY, {"id": setup.project, "first": 201})
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
