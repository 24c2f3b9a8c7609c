"""Sage 100 Contractor export mapping: one table per row group of the seed document
"Sage 100 Contractor Detailed Data Mapping" (CostBridge field -> Sage 100 Contractor field).

Fields marked ``reference=True`` are not rows of the seed tables: they tell Sage which existing
record a change belongs to. Job and Vendor references are the synced ERP ids (Sage Job ID, ERP
Vendor ID), as the seed's export notes require. Fields with ``added`` are not rows of the seed
tables either: the seed leaves out the line amount of subcontracts and purchase orders (without it
Sage cannot book a contract by cost code), the cost type of purchase order lines (every commitment
line uses an ERP cost code and category), the total of a subcontract change order, and the change
order numbers a person matches later; ``added`` says why each is there.
"""

from __future__ import annotations

import enum
from typing import Any

from exporters.mapping import (
    DATE,
    MONEY,
    QTY,
    ExportContext,
    Field,
    LineItem,
    Table,
    attr,
    cost_code,
    cost_type,
    modification_sides,
    shell_budget,
    sub_job_number,
    total,
)
from models.base import money
from models.commitments import Commitment, CommitmentChangeOrder
from models.directory import Vendor
from models.enums import CommitmentKind, ErpSystem, RecordType
from models.projects import Project

S100 = ErpSystem.SAGE_100_CONTRACTOR


def _job_id(project: Project) -> str | None:
    return project.origin_id


def _vendor_id(vendor: Vendor | None) -> str | None:
    return vendor.origin_id if vendor is not None else None


def _is_subcontract(commitment: Commitment) -> bool:
    return commitment.kind == CommitmentKind.SUBCONTRACT


def _po_change_rows(change_order: CommitmentChangeOrder, _ctx: ExportContext) -> list[Any]:
    # The title goes on the first row below the purchase order's existing lines, then each line.
    return [LineItem(description=change_order.title), *change_order.lines]


def _status_words(status: enum.Enum) -> str:
    return str(status.value).replace("_", " ").title()


AMOUNT_ADDED = "the line's amount: the seed table leaves it out, and Sage books each line by it"
PRICE_ADDED = "the unit price where the line has one (the seed lists it for purchase orders)"
COST_TYPE_ADDED = "every commitment line uses an ERP cost code and cost type (category)"
QTY_ADDED = "the quantity where the line has one (the seed lists it for purchase orders)"

JOB = Table(
    S100,
    RecordType.PROJECT,
    "Job",
    "3-5 Jobs; shell budget in 6-2 Budgets",
    header=(
        Field("Job ID", "Project Number (the Sage Job ID the approver enters)", lambda p, c: _job_id(p)),
        Field("Job Name", "Project Name", attr("name")),
        Field("Job Address", "Address", attr("address")),
        Field("Job City", "City", attr("city")),
        Field("Job State", "State", attr("state")),
        Field("Job Zip", "ZIP", attr("zip")),
    ),
    lines=(
        Field("Cost Code", "Cost Codes & Types", cost_code),
        Field("Cost Type", "Cost Codes & Types", cost_type),
    ),
    line_items=shell_budget,
    origin_key="Job ID",
    notes=("A shell budget is created with the cost codes and types added to the project before syncing.",),
)

VENDOR = Table(
    S100,
    RecordType.VENDOR,
    "AP Vendor",
    "4-4 Vendors (Accounts Payable)",
    header=(
        Field(
            "Vendor Record Number", "ERP Vendor ID (entered by the accounting approver)", attr("origin_id")
        ),
        Field("Name", "Name", attr("name")),
        Field("Address", "Address", attr("address")),
        Field("City", "City", attr("city")),
        Field("State", "State", attr("state")),
        Field("Zip", "ZIP", attr("zip")),
    ),
    origin_key="Vendor Record Number",
)

COST_CODE = Table(
    S100,
    RecordType.COST_CODE,
    "Cost Code",
    "Cost codes (company list)",
    header=(
        Field("Cost Code", "Cost Code", attr("code")),
        Field("Description", "Description", attr("description")),
    ),
    origin_key="Cost Code",
    notes=("The seed maps cost codes with projects (Cost Codes & Types); this is the company-list export.",),
)

BUDGET = Table(
    S100,
    RecordType.BUDGET,
    "Budget",
    "6-2 Budgets",
    header=(Field("Job", "Project (Sage Job ID)", lambda b, c: _job_id(b.project), reference=True),),
    lines=(
        Field("Budget Amount", "Original Budget Amount", attr("original_amount"), MONEY),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type),
    ),
    line_items=lambda budget, ctx: budget.lines,
    origin_key="Job",
    notes=("$0 budget lines are exported.",),
)

BUDGET_CHANGE = Table(
    S100,
    RecordType.BUDGET_MODIFICATION,
    "Budget Change Order",
    "6-4-1 Change Orders > Budget and Sub Change Details",
    header=(
        Field("Job", "Project (Sage Job ID)", lambda m, c: _job_id(m.budget.project), reference=True),
        Field(
            "Change #",
            "Budget Modification #",
            attr("number"),
            added="the budget change order's number, so the change order in Sage can be matched to it",
        ),
    ),
    lines=(
        Field(
            "Budget Amount", "Budget Modifications (negative on From, positive on To)", attr("amount"), MONEY
        ),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type),
    ),
    line_items=modification_sides,
    origin_key="Change #",
)

SUBCONTRACT = Table(
    S100,
    RecordType.COMMITMENT,
    "Subcontract",
    "6-7-1 Subcontracts",
    header=(
        Field("Subcontract #", "Commitment #", attr("number")),
        Field("Original Subcontract", "Contract Amount", lambda c, x: total(c.lines), MONEY),
        Field("Vendor", "Contract Company", lambda c, x: _vendor_id(c.vendor)),
        Field("Job", "Project Name", lambda c, x: _job_id(c.project)),
        Field("Subcontract Date", "System Date at Time of Commitment Creation", attr("created_at"), DATE),
        Field("Description", "Title", attr("title")),
    ),
    lines=(
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type),
        Field("Qty", "Qty (if applicable)", attr("quantity"), QTY),
        Field("Price", "Unit Cost (if applicable)", attr("unit_cost"), MONEY, added=PRICE_ADDED),
        Field("Amount", "Line Amount", attr("amount"), MONEY, added=AMOUNT_ADDED),
    ),
    line_items=lambda c, x: c.lines,
    origin_key="Subcontract #",
    applies=_is_subcontract,
    total="Original Subcontract",
    line_amount="Amount",
)

PURCHASE_ORDER = Table(
    S100,
    RecordType.COMMITMENT,
    "Purchase Order",
    "6-6-1 Purchase Orders",
    header=(
        Field("Order #", "Commitment #", attr("number")),
        Field("Total", "Subtotal", lambda c, x: total(c.lines), MONEY),
        Field("Vendor", "Contract Company", lambda c, x: _vendor_id(c.vendor)),
        Field("Job", "Project Name", lambda c, x: _job_id(c.project)),
        # the seed's purchase order table repeats "Subcontract Date"; 6-6-1 calls it the order Date
        Field("Date", "System Date at Time of Commitment Creation", attr("created_at"), DATE),
        Field("Description", "Title", attr("title")),
    ),
    lines=(
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type, added=COST_TYPE_ADDED),
        Field("Description (on detail grid)", "Description", attr("description")),
        Field("Qty", "Qty (if applicable)", attr("quantity"), QTY),
        Field("Price", "Unit Cost", attr("unit_cost"), MONEY),
        Field("Amount", "Line Amount", attr("amount"), MONEY, added=AMOUNT_ADDED),
    ),
    line_items=lambda c, x: c.lines,
    origin_key="Order #",
    applies=lambda c: not _is_subcontract(c),
    total="Total",
    line_amount="Amount",
)

SUBCONTRACT_CHANGE_ORDER = Table(
    S100,
    RecordType.COMMITMENT_CHANGE_ORDER,
    "Subcontract Change Order",
    "6-4-1 Change Orders (Budget and Sub Change Details)",
    header=(
        Field(
            "Subcontract #",
            "Commitment #",
            lambda co, x: co.commitment.origin_id or co.commitment.number,
            reference=True,
        ),
        Field("Job", "Project Name", lambda co, x: _job_id(co.commitment.project)),
        Field("Description", "Title", attr("title")),
        Field("Change #", "Change Order #", attr("number")),
        Field("Order Date", "System Date at Time of Export", lambda co, x: x.today, DATE),
        Field("Vendor", "Company", lambda co, x: _vendor_id(co.commitment.vendor)),
        Field(
            "Change Amount",
            "Contract Amount (the change order's total)",
            lambda co, x: total(co.lines),
            MONEY,
            added="the change order's total, the sum of its lines' Budget Amounts",
        ),
    ),
    lines=(
        Field("Budget Amount", "Contract Amount", attr("amount"), MONEY),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type),
        Field("Qty", "Qty (if applicable)", attr("quantity"), QTY, added=QTY_ADDED),
        Field("Price", "Unit Cost (if applicable)", attr("unit_cost"), MONEY, added=PRICE_ADDED),
    ),
    line_items=lambda co, x: co.lines,
    origin_key="Change #",
    applies=lambda co: _is_subcontract(co.commitment),
    total="Change Amount",
    line_amount="Budget Amount",
    notes=(
        "The export also updates the Budget Amount (6-4-1 Change Orders > Budget and Sub Change Details).",
    ),
)

PO_CHANGE_ORDER = Table(
    S100,
    RecordType.COMMITMENT_CHANGE_ORDER,
    "Purchase Order Change Order",
    "6-6-1 Purchase Orders (lines appended below the existing line items)",
    header=(
        Field(
            "Order #",
            "Commitment #",
            lambda co, x: co.commitment.origin_id or co.commitment.number,
            reference=True,
        ),
        Field("Job", "Project Name", lambda co, x: _job_id(co.commitment.project)),
        Field("Total", "Contract Amount", lambda co, x: total(co.lines), MONEY),
        Field(
            "Change #",
            "Change Order #",
            attr("number"),
            added="the change order's number, so the lines it appends to the purchase order can be "
            "matched to it",
        ),
    ),
    lines=(
        Field(
            "Description",
            "Title (first row below pre-existing line items), then each line's Description",
            attr("description"),
        ),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type, added=COST_TYPE_ADDED),
        Field("Qty", "Qty", attr("quantity"), QTY),
        Field("Price", "Unit Cost", attr("unit_cost"), MONEY),
        Field("Amount", "Line Amount", attr("amount"), MONEY, added=AMOUNT_ADDED),
    ),
    line_items=_po_change_rows,
    origin_key="Change #",
    applies=lambda co: not _is_subcontract(co.commitment),
    total="Total",
    line_amount="Amount",
    notes=("New line items are added to the purchase order below its pre-existing line items.",),
)

AP_INVOICE = Table(
    S100,
    RecordType.SUBCONTRACTOR_INVOICE,
    "AP Invoice",
    "4-2 AP Invoices",
    header=(
        Field("Posting Period", "Billing Period", lambda i, x: f"{i.billing_period_end:%Y-%m}"),
        Field("Invoice #", "Invoice #", attr("number")),
        Field("Invoice Date", "Billing Date", attr("billing_date"), DATE),
        Field("Status", "Status", lambda i, x: _status_words(i.status)),
        Field("Vendor", "Contractor Company", lambda i, x: _vendor_id(i.commitment.vendor)),
        Field(
            "Retainage Held",
            "Retainage",
            lambda i, x: sum((money(line.retainage) for line in i.lines), money(0)),
            MONEY,
        ),
    ),
    lines=(
        Field(
            "Commitment",
            "Commitment #",
            lambda line, x: x.record.commitment.origin_id or x.record.commitment.number,
        ),
        Field("Job", "Project #", lambda line, x: _job_id(x.record.commitment.project)),
        Field("Phase", "Sub Job #", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Cost Type", "Cost Type", cost_type),
        Field("Description", "Description of Work", attr("description")),
        Field(
            "Amount",
            "Work Completed (This Period) + newly entered Materials Presently Stored",
            lambda line, x: money(line.work_completed_this_period) + money(line.materials_presently_stored),
            MONEY,
        ),
    ),
    line_items=lambda i, x: i.lines,
    origin_key="Invoice #",
    notes=("Retainage is in the Retainage Held field of the 4-2 AP Invoice.",),
)

TABLES = (
    JOB,
    VENDOR,
    COST_CODE,
    BUDGET,
    BUDGET_CHANGE,
    SUBCONTRACT,
    PURCHASE_ORDER,
    SUBCONTRACT_CHANGE_ORDER,
    PO_CHANGE_ORDER,
    AP_INVOICE,
)
