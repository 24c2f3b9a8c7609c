"""Sage 300 CRE export mapping: one table per entity of the seed feature map "About the
Procore + Sage 300 CRE Connector" (Job, Extra, AP Vendor, Standard Cost Code, Estimate, Approved
Estimate Change, Commitment, Commitment Change Order, AP Invoice, Contract, Prime Contract Change
Order), with Sage 300's field names.

Standard cost codes and contracts are import only (new codes are created in Sage 300 CRE, contracts
in its Contracts module); their tables exist so the names are in one place, and preflight refuses
the export. Forecast values (Estimated Cost at Completion, Forecast to Complete) travel with the
estimate. A prime contract change order carries, per line, the contract item with the same extra,
cost code and category (blank when the change adds new scope).
"""

from __future__ import annotations

from decimal import Decimal

from exporters.mapping import (
    DATE,
    MONEY,
    QTY,
    ExportContext,
    Field,
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
from models.commitments import Commitment
from models.directory import Vendor
from models.enums import CommitmentKind, ErpSystem, RecordType
from models.invoices import SubcontractorInvoiceLine
from models.prime_contracts import PrimeContractChangeOrder, PrimeContractChangeOrderLine
from models.projects import Project

S300 = ErpSystem.SAGE_300_CRE


def _job_id(project: Project) -> str | None:
    return project.origin_id


def _vendor_id(vendor: Vendor | None) -> str | None:
    return vendor.origin_id if vendor is not None else None


def _commitment_type(commitment: Commitment) -> str:
    return "Subcontract" if commitment.kind == CommitmentKind.SUBCONTRACT else "Purchase Order"


def _gross(line: SubcontractorInvoiceLine) -> Decimal:
    return money(line.work_completed_this_period) + money(line.materials_presently_stored)


def _invoice_amount(line: SubcontractorInvoiceLine, _ctx: ExportContext) -> Decimal:
    # current payment due (gross less this period's retainage) + current retainage held
    payment_due = _gross(line) - money(line.retainage)
    return payment_due + money(line.retainage)


JOB = Table(
    S300,
    RecordType.PROJECT,
    "Job",
    "JC Jobs",
    header=(
        Field("Job", "Project Number (the Job ID the approver enters)", attr("origin_id")),
        Field("Description", "Project Name", attr("name")),
        Field("Address 1", "Address", attr("address")),
        Field("City", "City", attr("city")),
        Field("State", "State", attr("state")),
        Field("ZIP Code", "ZIP", attr("zip")),
    ),
    lines=(
        Field("Cost Code", "Cost Codes", cost_code),
        Field("Category", "Cost Types", cost_type),
    ),
    line_items=shell_budget,
    origin_key="Job",
)

EXTRA = Table(
    S300,
    RecordType.SUB_JOB,
    "Extra",
    "JC Extras",
    header=(
        Field("Job", "Project (Job ID)", lambda s, x: _job_id(s.project), reference=True),
        Field("Extra", "Sub Job Number", attr("number")),
        Field("Description", "Sub Job Name", attr("name")),
    ),
    origin_key="Extra",
)

VENDOR = Table(
    S300,
    RecordType.VENDOR,
    "AP Vendor",
    "AP Vendors",
    header=(
        Field("Vendor", "ERP Vendor ID (entered by the accounting approver)", attr("origin_id")),
        Field("Name", "Name", attr("name")),
        Field("Address 1", "Address", attr("address")),
        Field("City", "City", attr("city")),
        Field("State", "State", attr("state")),
        Field("ZIP Code", "ZIP", attr("zip")),
    ),
    origin_key="Vendor",
)

STANDARD_COST_CODE = Table(
    S300,
    RecordType.COST_CODE,
    "Standard Cost Code",
    "JC Standard Cost Codes (import only)",
    header=(
        Field("Cost Code", "Standard Cost Code", attr("code")),
        Field("Description", "Description", attr("description")),
    ),
    origin_key="Cost Code",
)

ESTIMATE = Table(
    S300,
    RecordType.BUDGET,
    "Estimate",
    "JC Estimate",
    header=(Field("Job", "Project (Job ID)", lambda b, x: _job_id(b.project), reference=True),),
    lines=(
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Description", "Description", attr("description")),
        Field("Amount", "Original Budget Amount", attr("original_amount"), MONEY),
        Field("Units", "Quantity", attr("quantity"), QTY),
        Field("Unit of Measure", "Unit of Measure", attr("unit_of_measure")),
        Field(
            "Estimated Cost at Completion",
            "Estimated Cost at Completion",
            attr("estimated_cost_at_completion"),
            MONEY,
        ),
        Field("Forecast to Complete", "Forecast to Complete", attr("forecast_to_complete"), MONEY),
    ),
    line_items=lambda b, x: b.lines,
    origin_key="Job",
    notes=("$0 budget lines are exported.",),
)

APPROVED_ESTIMATE_CHANGE = Table(
    S300,
    RecordType.BUDGET_MODIFICATION,
    "Approved Estimate Change",
    "JC Approved Estimate Changes",
    header=(
        Field("Job", "Project (Job ID)", lambda m, x: _job_id(m.budget.project), reference=True),
        Field(
            "Change Order",
            "Budget Modification #",
            attr("number"),
            added="the budget change's number, so the estimate change in Sage can be matched to it",
        ),
        Field("Description", "Budget Change Notes", attr("notes")),
        Field("Date", "System Date at Time of Export", lambda m, x: x.today, DATE),
    ),
    lines=(
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Amount", "Budget Change (negative on From, positive on To)", attr("amount"), MONEY),
    ),
    line_items=modification_sides,
    origin_key="Change Order",
)

COMMITMENT = Table(
    S300,
    RecordType.COMMITMENT,
    "Commitment",
    "JC Commitments",
    header=(
        Field("Commitment", "Commitment #", attr("number")),
        Field("Commitment Type", "Subcontract or Purchase Order", lambda c, x: _commitment_type(c)),
        Field("Vendor", "Contract Company", lambda c, x: _vendor_id(c.vendor)),
        Field("Job", "Project (Job ID)", lambda c, x: _job_id(c.project)),
        Field("Description", "Title", attr("title")),
        Field(
            "Date",
            "Contract Date (else the date the commitment was created)",
            lambda c, x: c.contract_date or c.created_at,
            DATE,
        ),
        Field("Retainage Percent", "Retainage %", attr("retainage_percent"), MONEY),
        Field("Amount", "Contract Amount", lambda c, x: total(c.lines), MONEY),
    ),
    lines=(
        Field("Item", "Line #", attr("line_number")),
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Line Description", "Description", attr("description")),
        Field("Units", "Qty", attr("quantity"), QTY),
        Field("Unit Cost", "Unit Cost", attr("unit_cost"), MONEY),
        Field("Line Amount", "Amount", attr("amount"), MONEY),
    ),
    line_items=lambda c, x: c.lines,
    origin_key="Commitment",
    total="Amount",
    line_amount="Line Amount",
)

COMMITMENT_CHANGE_ORDER = Table(
    S300,
    RecordType.COMMITMENT_CHANGE_ORDER,
    "Commitment Change Order",
    "JC Commitment Change Orders",
    header=(
        Field(
            "Commitment",
            "Commitment #",
            lambda co, x: co.commitment.origin_id or co.commitment.number,
            reference=True,
        ),
        Field("Change Order", "Change Order #", attr("number")),
        Field("Job", "Project (Job ID)", lambda co, x: _job_id(co.commitment.project)),
        Field("Vendor", "Company", lambda co, x: _vendor_id(co.commitment.vendor)),
        Field("Description", "Title", attr("title")),
        Field("Date", "System Date at Time of Export", lambda co, x: x.today, DATE),
        Field("Amount", "Contract Amount", lambda co, x: total(co.lines), MONEY),
    ),
    lines=(
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Line Description", "Description", attr("description")),
        Field("Units", "Qty", attr("quantity"), QTY),
        Field("Unit Cost", "Unit Cost", attr("unit_cost"), MONEY),
        Field("Line Amount", "Amount", attr("amount"), MONEY),
    ),
    line_items=lambda co, x: co.lines,
    origin_key="Change Order",
    total="Amount",
    line_amount="Line Amount",
)

AP_INVOICE = Table(
    S300,
    RecordType.SUBCONTRACTOR_INVOICE,
    "AP Invoice",
    "AP Invoices",
    header=(
        Field("Vendor", "Contractor Company", lambda i, x: _vendor_id(i.commitment.vendor)),
        Field("Invoice", "Invoice #", attr("number")),
        Field("Invoice Date", "Billing Date", attr("billing_date"), DATE),
        Field("Accounting Date", "Billing Period (end)", attr("billing_period_end"), DATE),
        Field("Commitment", "Commitment #", lambda i, x: i.commitment.origin_id or i.commitment.number),
    ),
    lines=(
        Field("Job", "Project (Job ID)", lambda line, x: _job_id(x.record.commitment.project)),
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Description", "Description of Work", attr("description")),
        Field("Amount", "Current Payment Due + Current Retainage Held", _invoice_amount, MONEY),
        Field("Retainage", "Current Retainage Held", attr("retainage"), MONEY),
    ),
    line_items=lambda i, x: i.lines,
    origin_key="Invoice",
)


def _contract_item(line: PrimeContractChangeOrderLine, ctx: ExportContext) -> str | None:
    """The item of the prime contract the change line adjusts: the one with the same extra, cost code
    and category."""
    record: PrimeContractChangeOrder = ctx.record
    for item in record.prime_contract.lines:
        if (item.sub_job_id, item.cost_code_id, item.cost_type_id) == (
            line.sub_job_id,
            line.cost_code_id,
            line.cost_type_id,
        ):
            return item.item
    return None


CONTRACT = Table(
    S300,
    RecordType.PRIME_CONTRACT,
    "Contract",
    "CN Contracts (import only)",
    header=(
        Field("Contract", "Prime Contract # (the ERP contract ID)", attr("number")),
        Field("Description", "Title", attr("title")),
        Field("Customer", "Owner / Client", attr("customer")),
        Field("Job", "Project (Job ID)", lambda c, x: _job_id(c.project)),
        Field("Contract Date", "Contract Date", attr("contract_date"), DATE),
        Field("Retainage Percent", "Retainage %", attr("retainage_percent"), MONEY),
    ),
    lines=(
        Field("Item", "Line Item", attr("item")),
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Item Description", "Description", attr("description")),
        Field("Amount", "Amount", attr("amount"), MONEY),
    ),
    line_items=lambda c, x: c.lines,
    origin_key="Contract",
)

PRIME_CONTRACT_CHANGE_ORDER = Table(
    S300,
    RecordType.PRIME_CONTRACT_CHANGE_ORDER,
    "Prime Contract Change Order",
    "CN Contract Change Orders, with JC Misc. Worksheet transactions",
    header=(
        Field(
            "Contract",
            "Prime Contract #",
            lambda co, x: co.prime_contract.origin_id or co.prime_contract.number,
            reference=True,
        ),
        Field("Change Order", "Change Order #", attr("number")),
        Field("Job", "Project (Job ID)", lambda co, x: _job_id(co.prime_contract.project)),
        Field("Description", "Title", attr("title")),
        Field(
            "Date",
            "Change Order Date (else the system date at time of export)",
            lambda co, x: co.change_date or x.today,
            DATE,
        ),
        Field("Status", "Status (only approved change orders are exported)", lambda co, x: "Approved"),
        Field("Amount", "Change Order Amount", lambda co, x: total(co.lines), MONEY),
    ),
    lines=(
        Field("Item", "Contract line item the change adjusts", _contract_item, reference=True),
        Field("Extra", "Sub Job", sub_job_number),
        Field("Cost Code", "Cost Code", cost_code),
        Field("Category", "Cost Type", cost_type),
        Field("Line Description", "Description", attr("description")),
        Field("Units", "Qty", attr("quantity"), QTY),
        Field("Unit Cost", "Unit Cost", attr("unit_cost"), MONEY),
        Field("Line Amount", "Amount (revises the contract amount of the item)", attr("amount"), MONEY),
    ),
    line_items=lambda co, x: co.lines,
    origin_key="Change Order",
    total="Amount",
    line_amount="Line Amount",
    notes=(
        "The approved change revises the contract amount; the miscellaneous worksheet (JC) carries it "
        "to the job's cost codes and categories.",
    ),
)

TABLES = (
    JOB,
    EXTRA,
    VENDOR,
    STANDARD_COST_CODE,
    ESTIMATE,
    APPROVED_ESTIMATE_CHANGE,
    COMMITMENT,
    COMMITMENT_CHANGE_ORDER,
    AP_INVOICE,
    CONTRACT,
    PRIME_CONTRACT_CHANGE_ORDER,
)
