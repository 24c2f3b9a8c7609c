"""The configured ERP: which record types sync and how, per ERP system (the seeds' feature maps),
the registry of syncable record types, and the ERP settings a company administrator changes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.budgets import Budget, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder
from models.company import CompanySettings, get_settings
from models.directory import Vendor
from models.enums import Country, ErpSystem, PermissionLevel, RecordType, Tool
from models.errors import DomainError, ErrorCode
from models.invoices import SubcontractorInvoice
from models.projects import Project, SubJob
from models.users import User, require
from models.wbs import CostCode

# --- syncable record types ---------------------------------------------------------------------


@dataclass(frozen=True)
class Syncable:
    record_type: RecordType
    model: type
    tool: Tool  # sending, retrieving and resending need ADMIN on this tool
    noun: str  # how a message names one record

    @property
    def type_name(self) -> str:
        """The GraphQL type (and global-ID prefix) of this record type."""
        return self.model.__name__


SYNCABLES: dict[RecordType, Syncable] = {
    s.record_type: s
    for s in (
        Syncable(RecordType.PROJECT, Project, Tool.PROJECT_ADMIN, "project"),
        Syncable(RecordType.SUB_JOB, SubJob, Tool.PROJECT_ADMIN, "sub job"),
        Syncable(RecordType.VENDOR, Vendor, Tool.DIRECTORY, "vendor"),
        Syncable(RecordType.COST_CODE, CostCode, Tool.PROJECT_ADMIN, "cost code"),
        Syncable(RecordType.BUDGET, Budget, Tool.BUDGET, "budget"),
        Syncable(RecordType.BUDGET_MODIFICATION, BudgetModification, Tool.BUDGET, "budget modification"),
        Syncable(RecordType.COMMITMENT, Commitment, Tool.COMMITMENTS, "commitment"),
        Syncable(
            RecordType.COMMITMENT_CHANGE_ORDER,
            CommitmentChangeOrder,
            Tool.COMMITMENTS,
            "commitment change order",
        ),
        Syncable(
            RecordType.SUBCONTRACTOR_INVOICE, SubcontractorInvoice, Tool.INVOICES, "subcontractor invoice"
        ),
    )
}
SYNCABLE_BY_TYPE_NAME: dict[str, Syncable] = {s.type_name: s for s in SYNCABLES.values()}


def syncable(record_type: RecordType) -> Syncable:
    return SYNCABLES[RecordType(record_type)]


def load_record(session: Session, record_type: RecordType, record_id: int, *, for_update: bool = False):
    """The record, or NOT_FOUND. ``for_update`` locks the row (SELECT ... FOR UPDATE) where the
    backend supports it, and refreshes it from the database either way."""
    spec = syncable(record_type)
    if for_update:
        stmt = select(spec.model).where(spec.model.id == record_id).with_for_update()
        record = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    else:
        record = session.get(spec.model, record_id)
    if record is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No {spec.noun} with id {record_id}", "id")
    return record


def project_id_of(record) -> int | None:
    """The project a record belongs to (None for company-level records: vendors, cost codes)."""
    rt = record.RECORD_TYPE
    if rt == RecordType.PROJECT:
        return record.id
    if rt in (RecordType.SUB_JOB, RecordType.BUDGET, RecordType.COMMITMENT):
        return record.project_id
    if rt == RecordType.BUDGET_MODIFICATION:
        return record.budget.project_id
    if rt in (RecordType.COMMITMENT_CHANGE_ORDER, RecordType.SUBCONTRACTOR_INVOICE):
        return record.commitment.project_id
    return None


# --- capability matrix (seeds: feature set maps of both connectors) ----------------------------


@dataclass(frozen=True)
class Capability:
    feature: str  # a record type name, or a feature that is not a record (FORECAST_VALUES, ...)
    record_type: RecordType | None
    erp_name: str  # what the ERP calls it
    export_supported: bool
    import_supported: bool
    notes: str = ""


_S100 = ErpSystem.SAGE_100_CONTRACTOR
_S300 = ErpSystem.SAGE_300_CRE

CAPABILITIES: dict[ErpSystem, tuple[Capability, ...]] = {
    _S100: (
        Capability(
            "PROJECT",
            RecordType.PROJECT,
            "Job (3-5 Jobs)",
            True,
            True,
            "Create the job in one system, then sync it; never in both. Exporting a project creates a "
            "shell budget in Sage 100 Contractor with the project's cost codes and cost types. The "
            "approver types the Sage Job ID when accepting.",
        ),
        Capability(
            "SUB_JOB",
            RecordType.SUB_JOB,
            "Phase",
            False,
            True,
            "Import from Sage 100 Contractor only: phases are entered in Sage 100 via the budget.",
        ),
        Capability(
            "VENDOR",
            RecordType.VENDOR,
            "AP Vendor (4-4 Vendors)",
            True,
            True,
            "The approver types the ERP Vendor ID (Vendor Record Number) when accepting.",
        ),
        Capability(
            "COST_CODE",
            RecordType.COST_CODE,
            "Cost Code",
            True,
            True,
            "Cost types are mandatory and come from the standard list (1 Material .. 5 Other, 6-9 user). "
            "Custom WBS segments are not supported.",
        ),
        Capability(
            "BUDGET",
            RecordType.BUDGET,
            "Budget (6-2 Budgets)",
            True,
            True,
            "Lock the budget before sending; $0 lines are exported. When the company uses Sage 100 "
            "phases, budgets are created in Sage 100 Contractor and synced to CostBridge (export refused).",
        ),
        Capability(
            "BUDGET_MODIFICATION",
            RecordType.BUDGET_MODIFICATION,
            "Change Order, Budget and Sub Change Details (6-4-1)",
            True,
            False,
            "Export only: a negative amount on the From cost code and a positive one on the To cost code.",
        ),
        Capability(
            "COMMITMENT",
            RecordType.COMMITMENT,
            "Subcontract (6-7-1) / Purchase Order (6-6-1)",
            True,
            False,
            "Export only, APPROVED commitments on a synced project with a synced vendor. Do not create "
            "commitments directly in Sage 100 Contractor.",
        ),
        Capability(
            "COMMITMENT_CHANGE_ORDER",
            RecordType.COMMITMENT_CHANGE_ORDER,
            "Subcontract Change Order / Purchase Order lines",
            True,
            False,
            "Export only, on synced commitments. A subcontract change order also updates the Budget "
            "Amount (6-4-1); a PO change order appends lines below the existing PO lines.",
        ),
        Capability(
            "SUBCONTRACTOR_INVOICE",
            RecordType.SUBCONTRACTOR_INVOICE,
            "AP Invoice (4-2)",
            True,
            False,
            "Export only; not supported for Canada (tax restrictions). Retainage goes to Retainage Held.",
        ),
        Capability(
            "JOB_COST_TRANSACTIONS",
            None,
            "Job cost transactions (6-3, 4-2, 5-2)",
            False,
            True,
            "Import only (project and budget must be synced).",
        ),
        Capability(
            "FORECAST_VALUES",
            None,
            "Cost forecast data",
            False,
            False,
            "Estimated cost at completion and forecast to complete are exported to Sage 300 CRE only.",
        ),
        Capability("PRIME_CONTRACT", None, "Prime contract", False, False, "Out of scope for now."),
    ),
    _S300: (
        Capability(
            "PROJECT",
            RecordType.PROJECT,
            "Job (JC)",
            True,
            True,
            "Create the job in one system, then sync it; never in both. The approver types the Job ID.",
        ),
        Capability(
            "SUB_JOB", RecordType.SUB_JOB, "Extra (JC)", True, True, "Exported as an extra of a synced job."
        ),
        Capability(
            "VENDOR",
            RecordType.VENDOR,
            "AP Vendor (AP)",
            True,
            True,
            "Vendor insurance is import only. The approver types the Vendor ID when accepting.",
        ),
        Capability(
            "COST_CODE",
            RecordType.COST_CODE,
            "Standard Cost Code (JC)",
            False,
            True,
            "New cost codes are created in Sage 300 CRE and cannot be created in CostBridge. Codes must "
            "be sectioned, 2- or 3-tier, at most 12 characters, and never mix '.' and '-'. Categories are "
            "mandatory and come from the standard list.",
        ),
        Capability(
            "BUDGET",
            RecordType.BUDGET,
            "Estimate (JC)",
            True,
            True,
            "Lock the budget before sending; $0 lines are exported with their Estimated Cost at "
            "Completion and Forecast to Complete.",
        ),
        Capability(
            "BUDGET_MODIFICATION",
            RecordType.BUDGET_MODIFICATION,
            "Approved Estimate Change (JC)",
            True,
            False,
            "Export only.",
        ),
        Capability(
            "COMMITMENT",
            RecordType.COMMITMENT,
            "Commitment (JC)",
            True,
            False,
            "Export only, APPROVED commitments on a synced job with a synced vendor.",
        ),
        Capability(
            "COMMITMENT_CHANGE_ORDER",
            RecordType.COMMITMENT_CHANGE_ORDER,
            "Commitment Change Order (JC)",
            True,
            False,
            "Export only, on synced commitments.",
        ),
        Capability(
            "SUBCONTRACTOR_INVOICE",
            RecordType.SUBCONTRACTOR_INVOICE,
            "AP Invoice (AP)",
            True,
            False,
            "Export only; not supported for Canada. Amount = current payment due + current retainage "
            "held, with retainage in its own field.",
        ),
        Capability(
            "JOB_COST_TRANSACTIONS", None, "Job cost transaction details", False, True, "Import only."
        ),
        Capability(
            "FORECAST_VALUES",
            None,
            "Cost forecast data",
            True,
            False,
            "Estimated Cost at Completion and Forecast to Complete export with the estimate.",
        ),
        Capability(
            "PRIME_CONTRACT",
            None,
            "Contracts (CN)",
            False,
            False,
            "Out of scope for now: CostBridge has no prime contracts.",
        ),
    ),
}

OUT_OF_SCOPE = (
    "Prime contracts and prime contract change orders (PCCOs) are out of scope for now.",
    "Owner invoices and payments are not integrated.",
    "Custom WBS segments are not supported.",
)


def capability(system: ErpSystem, record_type: RecordType) -> Capability:
    for cap in CAPABILITIES[ErpSystem(system)]:
        if cap.record_type == record_type:
            return cap
    raise KeyError(record_type)


def feature(system: ErpSystem, name: str) -> Capability:
    for cap in CAPABILITIES[ErpSystem(system)]:
        if cap.feature == name:
            return cap
    raise KeyError(name)


ERP_NAMES = {_S100: "Sage 100 Contractor", _S300: "Sage 300 CRE"}


# --- settings ------------------------------------------------------------------------------------


def update_erp_settings(
    session: Session,
    actor: User | None,
    *,
    erp_system: ErpSystem | None = None,
    country: Country | None = None,
    uses_phases: bool | None = None,
    export_folder: str | None = None,
    export_interval_seconds: int | None = None,
) -> CompanySettings:
    """Change the ERP configuration (ADMIN on ERP Integrations). Open exports keep the ERP
    system they were mapped for."""
    if actor is not None:
        require(actor, Tool.ERP_INTEGRATIONS, PermissionLevel.ADMIN, "Changing the ERP settings")
    settings = get_settings(session)
    if export_folder is not None:
        folder = export_folder.strip()
        if not folder:
            raise DomainError(ErrorCode.REQUIRED, "The export folder cannot be empty", "exportFolder")
        if len(folder) > 500:
            raise DomainError(ErrorCode.INVALID_VALUE, "The export folder path is too long", "exportFolder")
        settings.export_folder = folder
    if export_interval_seconds is not None:
        if export_interval_seconds < 0 or export_interval_seconds > 7 * 24 * 3600:
            raise DomainError(
                ErrorCode.INVALID_VALUE,
                "The export interval must be between 0 (on demand) and 604800 seconds",
                "exportIntervalSeconds",
            )
        settings.export_interval_seconds = export_interval_seconds
    if erp_system is not None:
        settings.erp_system = ErpSystem(erp_system)
    if country is not None:
        settings.country = Country(country)
    if uses_phases is not None:
        settings.uses_phases = bool(uses_phases)
    if settings.erp_system == ErpSystem.SAGE_300_CRE and settings.uses_phases:
        # phases are a Sage 100 Contractor notion; Sage 300 CRE has extras, which sync both ways
        if uses_phases:
            raise DomainError(
                ErrorCode.INVALID_VALUE, "Phases are a Sage 100 Contractor setting", "usesPhases"
            )
        settings.uses_phases = False
    session.flush()
    return settings
