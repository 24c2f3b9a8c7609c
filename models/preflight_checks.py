"""Preflight rules: the blockers that keep a record from going to the configured ERP, each with a
code, a message and the fix. ``CheckContext`` holds the rules several record types share; one
``check_*`` function per record type applies its own (the record-type registry names which).
The entry point, ``models.preflight.preflight``, runs them.

Where the seeds leave a choice, the rules here decide:

- A cost code is "in the ERP" when it is SYNCED on the company list. On Sage 100 Contractor it is
  also in the ERP for a job when the project is SYNCED and the code was one of the project's cost
  codes when its job export was accepted: that export creates the job's shell budget with them.
  A code added to the project afterwards is not in the ERP until it is sent as a cost code and
  synced: until then every record of the project that uses it is blocked (COST_CODE_NOT_IN_ERP,
  naming that fix), so an accepted record never references a code the ERP has never seen. Sage
  300 CRE cost codes always come from its standard list, so there the code itself must be SYNCED.
- A project's shell budget pairs each project cost code with the cost types its budget lines use;
  a project cost code with no cost type is COST_TYPE_MISSING (both ERPs require cost types).
- A budget created from the ERP (origin ERP) is owned by the ERP: neither it nor its
  modifications are sent back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.budgets import Budget, BudgetLine, BudgetModification, budget_owned_by_erp
from models.commitments import Commitment, CommitmentChangeOrder
from models.company import CompanySettings
from models.directory import Vendor
from models.enums import (
    ChangeOrderStatus,
    CommitmentStatus,
    Country,
    ErpSystem,
    InvoiceStatus,
    RecordType,
    SyncStatus,
)
from models.erp import ERP_NAMES
from models.errors import ErrorCode
from models.invoices import SubcontractorInvoice
from models.prime_contracts import PrimeContract, PrimeContractChangeOrder
from models.projects import Project, ProjectCostCode, SubJob
from models.wbs import CostCode, CostType

SAGE_300_MAX_CODE_LENGTH = 12


@dataclass(frozen=True)
class Blocker:
    code: ErrorCode
    message: str
    fix: str
    field: str | None = None
    # the target field's limit when the blocker is about a value that does not fit ("String (50)")
    limit: str | None = None


@dataclass
class Preflight:
    record_type: RecordType
    record_id: int
    erp_system: ErpSystem
    blockers: list[Blocker] = field(default_factory=list)
    # things that will not stop the export but that the sender should know
    warnings: list[Blocker] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blockers

    def block(
        self, code: ErrorCode, message: str, fix: str, field: str | None = None, *, limit: str | None = None
    ) -> None:
        blocker = Blocker(code, message, fix, field, limit)
        if blocker not in self.blockers:
            self.blockers.append(blocker)

    def warn(self, code: ErrorCode, message: str, fix: str) -> None:
        self.warnings.append(Blocker(code, message, fix))


def sage300_code_problem(code: str) -> str | None:
    """Why a cost code cannot be used with Sage 300 CRE, or None when it can."""
    if len(code) > SAGE_300_MAX_CODE_LENGTH:
        return f"is longer than {SAGE_300_MAX_CODE_LENGTH} characters"
    has_dot, has_dash = "." in code, "-" in code
    if has_dot and has_dash:
        return "mixes '.' and '-' delimiters"
    if not (has_dot or has_dash):
        return "is not sectioned (the first section must denote a division, e.g. 01-100)"
    sections = code.split("." if has_dot else "-")
    if any(not s for s in sections):
        return "has an empty section"
    if len(sections) not in (2, 3):
        return f"has {len(sections)} tiers; Sage 300 CRE uses 2- or 3-tier cost codes"
    return None


@dataclass
class CheckContext:
    session: Session
    settings: CompanySettings
    result: Preflight

    @property
    def system(self) -> ErpSystem:
        return ErpSystem(self.settings.erp_system)

    @property
    def erp(self) -> str:
        return ERP_NAMES[self.system]

    def block(self, code: ErrorCode, message: str, fix: str, field: str | None = None) -> None:
        self.result.block(code, message, fix, field)

    # --- shared rules ----------------------------------------------------------------------

    def project_synced(self, project: Project) -> None:
        if project.sync_status != SyncStatus.SYNCED:
            self.block(
                ErrorCode.PROJECT_NOT_SYNCED,
                f"Project {project.number} is not synced with {self.erp} ({project.sync_status.value})",
                f"Send project {project.number} to the ERP and have it accepted first.",
                "project",
            )

    def vendor_synced(self, vendor: Vendor | None) -> None:
        if vendor is None:
            self.block(
                ErrorCode.VENDOR_NOT_SYNCED,
                "No vendor is set",
                "Choose the contract company (a vendor synced with the ERP).",
                "vendor",
            )
        elif vendor.sync_status != SyncStatus.SYNCED:
            self.block(
                ErrorCode.VENDOR_NOT_SYNCED,
                f"Vendor {vendor.name} is not synced with {self.erp} ({vendor.sync_status.value})",
                f"Send vendor {vendor.name} to the ERP (or link it to its ERP vendor) and have it accepted.",
                "vendor",
            )

    def job_code_ids(self, project: Project) -> set[int]:
        """The project's cost codes that went to the ERP with its job export (its shell budget)."""
        return set(
            self.session.scalars(
                select(ProjectCostCode.cost_code_id).where(
                    ProjectCostCode.project_id == project.id, ProjectCostCode.in_job_export.is_(True)
                )
            )
        )

    def cost_codes_in_erp(self, project: Project, codes: Iterable[CostCode]) -> None:
        codes = {c.id: c for c in codes}.values()
        shell_codes = (
            self.job_code_ids(project)
            if self.system == ErpSystem.SAGE_100_CONTRACTOR and project.sync_status == SyncStatus.SYNCED
            else set()
        )
        for code in sorted(codes, key=lambda c: (c.sort_key, c.code)):
            self.code_format(code)
            if code.sync_status == SyncStatus.SYNCED or code.id in shell_codes:
                continue
            if self.system == ErpSystem.SAGE_300_CRE:
                fix = (
                    f"Cost code {code.code} must come from the Sage 300 CRE standard cost code list: "
                    "create it there and sync it."
                )
            elif project.sync_status == SyncStatus.SYNCED:
                fix = (
                    f"Cost code {code.code} was added to project {project.number} after its job went to "
                    f"{self.erp}: send cost code {code.code} to the ERP (sendToErp) and have it accepted; "
                    "this record can be sent once it is synced."
                )
            else:
                fix = (
                    f"Send cost code {code.code} to the ERP and have it accepted, or send project "
                    f"{project.number} with it (the job export carries the project's cost codes)."
                )
            self.block(
                ErrorCode.COST_CODE_NOT_IN_ERP,
                f"Cost code {code.code} does not exist in {self.erp} yet",
                fix,
                "costCode",
            )

    def code_format(self, code: CostCode) -> None:
        if self.system != ErpSystem.SAGE_300_CRE:
            return
        problem = sage300_code_problem(code.code)
        if problem:
            self.block(
                ErrorCode.INVALID_COST_CODE_FORMAT,
                f"Cost code {code.code} {problem}",
                "Use a sectioned 2- or 3-tier code of at most 12 characters with one delimiter, e.g. 01-100 "
                "or 01-100-10.",
                "costCode",
            )

    def cost_types(self, types: Iterable[CostType]) -> None:
        for ctype in {t.id: t for t in types}.values():
            if not ctype.active:
                self.block(
                    ErrorCode.COST_TYPE_MISSING,
                    f"Cost type {ctype.code} is not in the active standard cost type list",
                    f"Reactivate cost type {ctype.code} or use a standard cost type on the line.",
                    "costType",
                )

    def sub_jobs_synced(self, sub_jobs: Iterable[SubJob | None]) -> None:
        for sub_job in {s.id: s for s in sub_jobs if s is not None}.values():
            if sub_job.sync_status != SyncStatus.SYNCED:
                what = "phase" if self.system == ErpSystem.SAGE_100_CONTRACTOR else "extra"
                self.block(
                    ErrorCode.SUB_JOB_NOT_SYNCED,
                    f"Sub job {sub_job.number} is not synced with {self.erp} as a {what}",
                    f"Sync sub job {sub_job.number} first"
                    + (" (Sage 100 phases come from Sage 100)." if what == "phase" else "."),
                    "subJob",
                )

    def lines(self, project: Project, lines: Sequence[Any], what: str) -> None:
        if not lines:
            self.block(
                ErrorCode.NO_LINES, f"The {what} has no lines", f"Add at least one line to the {what}."
            )
            return
        self.cost_codes_in_erp(project, [line.cost_code for line in lines])
        self.cost_types([line.cost_type for line in lines])
        self.sub_jobs_synced([line.sub_job for line in lines])

    def budget_owner(self, budget: Budget) -> None:
        owner = budget_owned_by_erp(budget, self.settings)
        if owner is not None:
            self.block(ErrorCode.BUDGET_OWNED_BY_ERP, owner.message, owner.fix)


# --- per record type -----------------------------------------------------------------------------


def check_project(ctx: CheckContext, project: Project) -> None:
    clash = ctx.session.scalar(
        select(Project).where(Project.id != project.id, Project.origin_id == project.number)
    )
    if clash is not None:
        ctx.block(
            ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS,
            f"ERP job {project.number} is already linked to project {clash.number} {clash.name}",
            "A job is created in one system and synced to the other: use the synced project, or "
            "renumber this one before sending it.",
            "number",
        )
    codes = ctx.session.scalars(
        select(CostCode)
        .join(ProjectCostCode, ProjectCostCode.cost_code_id == CostCode.id)
        .where(ProjectCostCode.project_id == project.id)
    ).all()
    typed = set(
        ctx.session.scalars(
            select(BudgetLine.cost_code_id).join(Budget).where(Budget.project_id == project.id)
        )
    )
    for code in sorted(codes, key=lambda c: (c.sort_key, c.code)):
        ctx.code_format(code)
        if ctx.system == ErpSystem.SAGE_300_CRE and code.sync_status != SyncStatus.SYNCED:
            ctx.block(
                ErrorCode.COST_CODE_NOT_IN_ERP,
                f"Cost code {code.code} is not on the Sage 300 CRE standard cost code list",
                f"Create cost code {code.code} in Sage 300 CRE and sync it, or remove it from the project.",
                "costCode",
            )
        if code.id not in typed:
            ctx.block(
                ErrorCode.COST_TYPE_MISSING,
                f"Cost code {code.code} has no cost type on this project; {ctx.erp} needs a cost type for "
                "every code",
                f"Add a budget line for {code.code} with its cost type (a $0 line is fine).",
                "costType",
            )


def check_sub_job(ctx: CheckContext, sub_job: SubJob) -> None:
    ctx.project_synced(sub_job.project)


def check_vendor(ctx: CheckContext, vendor: Vendor) -> None:
    if not vendor.name.strip():
        ctx.block(ErrorCode.REQUIRED, "The vendor has no name", "Enter the vendor's name.", "name")


def check_cost_code(ctx: CheckContext, code: CostCode) -> None:
    ctx.code_format(code)


def check_budget(ctx: CheckContext, budget: Budget) -> None:
    ctx.budget_owner(budget)
    if not budget.locked:
        ctx.block(
            ErrorCode.BUDGET_NOT_LOCKED,
            "The budget is not locked",
            "Lock the budget, then send it.",
            "locked",
        )
    ctx.project_synced(budget.project)
    if budget.lines:
        ctx.cost_codes_in_erp(budget.project, [line.cost_code for line in budget.lines])
        ctx.cost_types([line.cost_type for line in budget.lines])
        ctx.sub_jobs_synced([line.sub_job for line in budget.lines])
    else:
        ctx.block(ErrorCode.NO_LINES, "The budget has no lines", "Add budget lines or import a budget.")
    if ctx.system != ErpSystem.SAGE_300_CRE and any(
        line.estimated_cost_at_completion is not None or line.forecast_to_complete is not None
        for line in budget.lines
    ):
        ctx.result.warn(
            ErrorCode.UNSUPPORTED_BY_ERP,
            "Estimated cost at completion and forecast to complete are exported to Sage 300 CRE only",
            "Nothing to do: the budget amounts are exported without the forecast values.",
        )


def check_budget_modification(ctx: CheckContext, mod: BudgetModification) -> None:
    budget = mod.budget
    ctx.budget_owner(budget)
    ctx.project_synced(budget.project)
    if budget.sync_status != SyncStatus.SYNCED:
        ctx.block(
            ErrorCode.BUDGET_NOT_SYNCED,
            f"The budget of project {budget.project.number} is not synced ({budget.sync_status.value})",
            "Send the budget to the ERP and have it accepted before its modifications.",
            "budget",
        )
    lines = [mod.from_line, mod.to_line]
    ctx.cost_codes_in_erp(budget.project, [line.cost_code for line in lines])
    ctx.cost_types([line.cost_type for line in lines])
    ctx.sub_jobs_synced([line.sub_job for line in lines])


def check_commitment(ctx: CheckContext, commitment: Commitment) -> None:
    if commitment.status != CommitmentStatus.APPROVED:
        ctx.block(
            ErrorCode.COMMITMENT_NOT_APPROVED,
            f"Commitment {commitment.number} is {commitment.status.value}; only APPROVED commitments are "
            "exported",
            "Set the commitment's status to Approved, then send it.",
            "status",
        )
    ctx.project_synced(commitment.project)
    ctx.vendor_synced(commitment.vendor)
    ctx.lines(commitment.project, commitment.lines, "commitment")


def check_change_order(ctx: CheckContext, change_order: CommitmentChangeOrder) -> None:
    commitment = change_order.commitment
    if commitment.sync_status != SyncStatus.SYNCED:
        ctx.block(
            ErrorCode.COMMITMENT_NOT_SYNCED,
            f"Commitment {commitment.number} is not synced ({commitment.sync_status.value}); "
            "change orders are exported only on synced commitments",
            f"Send commitment {commitment.number} to the ERP and have it accepted first.",
            "commitment",
        )
    if change_order.status != ChangeOrderStatus.APPROVED:
        ctx.block(
            ErrorCode.CHANGE_ORDER_NOT_APPROVED,
            f"Change order {change_order.number} is {change_order.status.value}; only APPROVED change orders "
            "are exported",
            "Approve the change order, then send it.",
            "status",
        )
    ctx.vendor_synced(commitment.vendor)
    ctx.lines(commitment.project, change_order.lines, "change order")


def check_invoice(ctx: CheckContext, invoice: SubcontractorInvoice) -> None:
    if Country(ctx.settings.country) == Country.CA:
        ctx.block(
            ErrorCode.UNSUPPORTED_IN_COUNTRY,
            f"Subcontractor invoices are not exported to {ctx.erp} for Canadian companies (tax restrictions)",
            f"Enter the invoice in {ctx.erp} directly.",
        )
        return
    commitment = invoice.commitment
    if commitment.sync_status != SyncStatus.SYNCED:
        ctx.block(
            ErrorCode.COMMITMENT_NOT_SYNCED,
            f"Commitment {commitment.number} is not synced ({commitment.sync_status.value})",
            f"Send commitment {commitment.number} to the ERP and have it accepted first.",
            "commitment",
        )
    if invoice.status not in (InvoiceStatus.APPROVED, InvoiceStatus.PAID):
        ctx.block(
            ErrorCode.INVOICE_NOT_APPROVED,
            f"Invoice {invoice.number} is {invoice.status.value}; only approved invoices are exported",
            "Approve the invoice, then send it.",
            "status",
        )
    ctx.vendor_synced(commitment.vendor)
    ctx.lines(commitment.project, invoice.lines, "invoice")


def check_prime_contract(ctx: CheckContext, contract: PrimeContract) -> None:
    # prime contracts come from the ERP only; preflight refuses them as unsupported before this
    ctx.project_synced(contract.project)


def check_prime_contract_change_order(ctx: CheckContext, change_order: PrimeContractChangeOrder) -> None:
    contract = change_order.prime_contract
    if contract.sync_status != SyncStatus.SYNCED:
        ctx.block(
            ErrorCode.PRIME_CONTRACT_NOT_SYNCED,
            f"Prime contract {contract.number} is not synced ({contract.sync_status.value}); change orders "
            "are exported only on prime contracts synced with the ERP",
            f"Import prime contract {contract.number} from {ctx.erp} again.",
            "primeContract",
        )
    if change_order.status != ChangeOrderStatus.APPROVED:
        ctx.block(
            ErrorCode.CHANGE_ORDER_NOT_APPROVED,
            f"Change order {change_order.number} is {change_order.status.value}; only APPROVED change orders "
            "are exported",
            "Approve the change order, then send it.",
            "status",
        )
    ctx.project_synced(contract.project)
    ctx.lines(contract.project, change_order.lines, "change order")
