"""Hand-built job-cost data for the report and export tests, written with the ORM directly.

``build_harbor_clinic`` makes one project whose every report figure is worked out by hand in
EXPECTED_ROWS / EXPECTED_DIVISIONS / EXPECTED_TOTALS, plus a second project that must not leak in.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder, CommitmentChangeOrderLine, CommitmentLine
from models.costs import DirectCost, UnplacedJobCost
from models.directory import Vendor
from models.enums import (
    ChangeOrderStatus,
    CommitmentKind,
    CommitmentStatus,
    DirectCostType,
    InvoiceStatus,
    SyncStatus,
)
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.projects import Project, SubJob
from models.wbs import CostCode, CostType

D = Decimal
_seq = itertools.count(1)
DAY = dt.date(2026, 10, 1)

# (sub job, cost code, cost type) -> figures, in report order
FIELDS = (
    "original_budget",
    "budget_modifications",
    "revised_budget",
    "committed",
    "invoiced",
    "direct_costs",
    "uncommitted_direct_costs",
    "jtd_cost",
    "projected_cost",
    "remaining",
    "over_budget_amount",
    "lines_over_budget",
    "percent_spent",
    "percent_complete",
    "over_budget",
)


def _f(*values) -> dict:
    return {name: (D(v) if isinstance(v, str) else v) for name, v in zip(FIELDS, values, strict=True)}


EXPECTED_ROWS = [
    ((None, "01-100", "L"), _f("10000.00", "-2500.00", "7500.00", "0.00", "0.00", "5000.00", "5000.00",
                               "5000.00", "5000.00", "2500.00", "0.00", 0, "66.67", "66.67", False)),
    ((None, "03-300", "S"), _f("50000.00", "2500.00", "52500.00", "52250.50", "31234.56", "21234.56", "0.00",
                               "31234.56", "52250.50", "249.50", "0.00", 0, "59.49", "59.49", False)),
    (("A", "03-300", "M"), _f("8000.00", "-500.00", "7500.00", "7800.00", "3000.00", "450.10", "450.10",
                              "3450.10", "8250.10", "-750.10", "750.10", 1, "46.00", "41.82", True)),
    ((None, "03-400", "S"), _f("0.00", "500.00", "500.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00",
                               "500.00", "0.00", 0, "0.00", "0.00", False)),
    ((None, "09-900", "M"), _f("0.00", "0.00", "0.00", "0.00", "0.00", "1000.75", "1000.75", "1000.75",
                               "1000.75", "-1000.75", "1000.75", 1, None, "100.00", True)),
]  # fmt: skip
EXPECTED_DIVISIONS = {
    "01": EXPECTED_ROWS[0][1],
    "03": _f("58000.00", "2500.00", "60500.00", "60050.50", "34234.56", "21684.66", "450.10", "34684.66",
             "60500.60", "-0.60", "750.10", 1, "57.33", "57.33", True),
    "09": EXPECTED_ROWS[4][1],
}  # fmt: skip
# two lines over budget (750.10 + 1000.75) are not netted away by the under-runs of the others
EXPECTED_TOTALS = _f("68000.00", "0.00", "68000.00", "60050.50", "34234.56", "27685.41", "6450.85",
                     "40685.41", "66501.35", "1498.65", "1750.85", 2, "59.83", "59.83", True)  # fmt: skip
INJECTION_DESCRIPTION = '=HYPERLINK("http://x","click")'


@dataclass
class HarborClinic:
    project_id: int
    other_project_id: int
    cost_codes: dict[str, int]
    cost_types: dict[str, int]
    sub_job_id: int


def _direct(project: Project, sub_job, code, ctype, kind: DirectCostType, amount: str, description: str = ""):
    return DirectCost(
        project=project,
        sub_job=sub_job,
        cost_code=code,
        cost_type=ctype,
        type=kind,
        item_date=DAY,
        description=description or f"{kind.value.lower()} {amount}",
        amount=D(amount),
        dedupe_key=f"dc-{next(_seq)}",
    )


def build_harbor_clinic(session: Session) -> HarborClinic:
    codes = {
        code: CostCode(code=code, description=desc, division=code.split("-")[0])
        for code, desc in (
            ("01-100", "General Conditions"),
            ("03-300", "Cast-in-Place Concrete"),
            ("03-400", "Precast Concrete"),
            ("09-900", "Painting"),
        )
    }
    types = {
        code: CostType(code=code, name=name)
        for code, name in (("L", "Labor"), ("M", "Material"), ("S", "Subcontract"))
    }
    session.add_all([*codes.values(), *types.values()])
    project = Project(number="24-001", name="Harbor Clinic", city="Irvine")
    budget = Budget(project=project)
    sub_a = SubJob(project=project, number="A", name="Building A")
    vendor = Vendor(
        name="ACME Concrete, Inc.",
        normalized_name="acme concrete",
        sync_status=SyncStatus.SYNCED,
        origin_id="ACME01",
    )
    session.add_all([project, budget, sub_a, vendor])

    def line(sub_job, code, ctype, amount, description=""):
        return BudgetLine(
            budget=budget,
            sub_job=sub_job,
            sub_job_key=0,
            cost_code=codes[code],
            cost_type=types[ctype],
            original_amount=D(amount),
            description=description,
        )

    gc = line(None, "01-100", "L", "10000.00", "Site supervision")
    concrete = line(None, "03-300", "S", "50000.00", INJECTION_DESCRIPTION)
    rebar = line(sub_a, "03-300", "M", "8000.00", "-Rebar, see note")
    rebar.quantity, rebar.unit_of_measure, rebar.unit_cost = D("2000.0000"), "LB", D("4.0000")
    precast = line(None, "03-400", "S", "0.00", "Precast allowance")
    session.add_all([gc, concrete, rebar, precast])
    session.flush()
    rebar.sub_job_key = sub_a.id
    session.add_all(
        [
            BudgetModification(budget=budget, from_line=gc, to_line=concrete, amount=D("2500.00")),
            BudgetModification(budget=budget, from_line=rebar, to_line=precast, amount=D("500.00")),
        ]
    )

    sub = Commitment(
        project=project,
        kind=CommitmentKind.SUBCONTRACT,
        number="SC-001",
        vendor=vendor,
        status=CommitmentStatus.APPROVED,
    )
    sub_line = CommitmentLine(
        line_number=1, cost_code=codes["03-300"], cost_type=types["S"], amount=D("45000.00")
    )
    sub.lines.append(sub_line)
    approved_co = CommitmentChangeOrder(number="CO-1", status=ChangeOrderStatus.APPROVED)
    approved_co.lines.append(
        CommitmentChangeOrderLine(cost_code=codes["03-300"], cost_type=types["S"], amount=D("7250.50"))
    )
    pending_co = CommitmentChangeOrder(number="CO-2", status=ChangeOrderStatus.PENDING)
    pending_co.lines.append(
        CommitmentChangeOrderLine(cost_code=codes["03-300"], cost_type=types["S"], amount=D("1000.00"))
    )
    sub.change_orders.extend([approved_co, pending_co])

    draft = Commitment(
        project=project, kind=CommitmentKind.SUBCONTRACT, number="SC-002", status=CommitmentStatus.DRAFT
    )
    draft.lines.append(
        CommitmentLine(line_number=1, cost_code=codes["03-400"], cost_type=types["S"], amount=D("9999.00"))
    )
    # an approved change order on a commitment that is not approved does not commit anything
    draft_co = CommitmentChangeOrder(number="CO-1", status=ChangeOrderStatus.APPROVED)
    draft_co.lines.append(
        CommitmentChangeOrderLine(cost_code=codes["03-400"], cost_type=types["S"], amount=D("111.00"))
    )
    draft.change_orders.append(draft_co)

    po = Commitment(
        project=project,
        kind=CommitmentKind.PURCHASE_ORDER,
        number="PO-001",
        vendor=vendor,
        status=CommitmentStatus.COMPLETE,
    )
    po.lines.append(
        CommitmentLine(
            line_number=1, sub_job=sub_a, cost_code=codes["03-300"], cost_type=types["M"], amount=D("7800.00")
        )
    )
    session.add_all([sub, draft, po])

    def invoice(
        commitment,
        number,
        status,
        work,
        materials="0.00",
        retainage="0.00",
        sub_job=None,
        code="03-300",
        ctype="S",
    ):
        inv = SubcontractorInvoice(
            commitment=commitment,
            number=number,
            status=status,
            billing_period_start=DAY,
            billing_period_end=DAY,
            billing_date=DAY,
        )
        inv.lines.append(
            SubcontractorInvoiceLine(
                sub_job=sub_job,
                cost_code=codes[code],
                cost_type=types[ctype],
                work_completed_this_period=D(work),
                materials_presently_stored=D(materials),
                retainage=D(retainage),
            )
        )
        return inv

    session.add_all(
        [
            invoice(sub, "1", InvoiceStatus.APPROVED, "20000.00", "1234.56", "2000.00"),
            invoice(sub, "2", InvoiceStatus.DRAFT, "5000.00"),
            invoice(sub, "3", InvoiceStatus.PAID, "10000.00"),
            invoice(sub, "4", InvoiceStatus.UNDER_REVIEW, "777.00"),
            invoice(po, "P1", InvoiceStatus.PAID, "3000.00", sub_job=sub_a, ctype="M"),
        ]
    )
    session.add_all(
        [
            _direct(project, None, codes["01-100"], types["L"], DirectCostType.PAYROLL, "4321.09"),
            _direct(project, None, codes["01-100"], types["L"], DirectCostType.EXPENSE, "678.91"),
            _direct(
                project, None, codes["03-300"], types["S"], DirectCostType.SUBCONTRACTOR_INVOICE, "21234.56"
            ),
            _direct(
                project,
                None,
                codes["09-900"],
                types["M"],
                DirectCostType.INVOICE,
                "1250.75",
                "+Paint supplies",
            ),
            _direct(
                project, None, codes["09-900"], types["M"], DirectCostType.INVOICE, "-250.00", "Credit memo"
            ),
            _direct(project, sub_a, codes["03-300"], types["M"], DirectCostType.INVOICE, "450.10"),
        ]
    )

    other = Project(number="24-002", name="Mesa Library")
    other_budget = Budget(project=other)
    other_budget.lines.append(
        BudgetLine(
            sub_job_key=0, cost_code=codes["01-100"], cost_type=types["L"], original_amount=D("1000.00")
        )
    )
    other_po = Commitment(
        project=other, kind=CommitmentKind.PURCHASE_ORDER, number="PO-001", status=CommitmentStatus.APPROVED
    )
    other_po.lines.append(
        CommitmentLine(line_number=1, cost_code=codes["01-100"], cost_type=types["L"], amount=D("200.00"))
    )
    session.add_all(
        [
            other,
            other_budget,
            other_po,
            _direct(other, None, codes["01-100"], types["L"], DirectCostType.PAYROLL, "100.00"),
        ]
    )
    session.flush()
    return HarborClinic(
        project_id=project.id,
        other_project_id=other.id,
        cost_codes={k: v.id for k, v in codes.items()},
        cost_types={k: v.id for k, v in types.items()},
        sub_job_id=sub_a.id,
    )


def add_unplaced(session: Session, project_id: int | None, **values) -> UnplacedJobCost:
    n = next(_seq)
    row = UnplacedJobCost(
        job=values.pop("job", "24-001"),
        cost_code=values.pop("cost_code", "99-999"),
        cost_type=values.pop("cost_type", "L"),
        amount=D(values.pop("amount", "10.00")),
        dedupe_key=f"un-{n}",
        reason_code=values.pop("reason_code", "UNKNOWN_COST_CODE"),
        reason=values.pop("reason", "Cost code 99-999 is not in the company list"),
        project_id=project_id,
        item_date=DAY,
        **values,
    )
    session.add(row)
    session.flush()
    return row
