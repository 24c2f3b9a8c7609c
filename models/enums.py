"""Enumerations shared by the data model, the importers, the exporters and the API."""

from __future__ import annotations

import enum


class ErpSystem(enum.StrEnum):
    SAGE_100_CONTRACTOR = "SAGE_100_CONTRACTOR"
    SAGE_300_CRE = "SAGE_300_CRE"


class Country(enum.StrEnum):
    US = "US"
    CA = "CA"


class DivisionRule(enum.StrEnum):
    """How a cost code rolls up to the division that reports subtotal by (see models/wbs.py)."""

    FIRST_SECTION = "FIRST_SECTION"  # the text before the first '-' or '.': 01-100 -> 01
    THOUSANDS = "THOUSANDS"  # Sage 100 Contractor style: 2120.000 -> 2000, 15400.000 -> 15000
    LEADING_CHARACTERS = "LEADING_CHARACTERS"  # the first N characters: 15400 -> 15 (N = 2)


class SyncStatus(enum.StrEnum):
    NOT_SENT = "NOT_SENT"
    READY_TO_EXPORT = "READY_TO_EXPORT"
    EXPORTING = "EXPORTING"
    SYNCED = "SYNCED"
    FAILED_TO_EXPORT = "FAILED_TO_EXPORT"
    REJECTED = "REJECTED"


class Origin(enum.StrEnum):
    COSTBRIDGE = "COSTBRIDGE"
    ERP = "ERP"


class RecordType(enum.StrEnum):
    """Every syncable record type; also the ``record_type`` of SyncEvent and ErpExport rows."""

    PROJECT = "PROJECT"
    SUB_JOB = "SUB_JOB"
    VENDOR = "VENDOR"
    COST_CODE = "COST_CODE"
    BUDGET = "BUDGET"
    BUDGET_MODIFICATION = "BUDGET_MODIFICATION"
    COMMITMENT = "COMMITMENT"
    COMMITMENT_CHANGE_ORDER = "COMMITMENT_CHANGE_ORDER"
    SUBCONTRACTOR_INVOICE = "SUBCONTRACTOR_INVOICE"
    PRIME_CONTRACT = "PRIME_CONTRACT"
    PRIME_CONTRACT_CHANGE_ORDER = "PRIME_CONTRACT_CHANGE_ORDER"


class CommitmentKind(enum.StrEnum):
    SUBCONTRACT = "SUBCONTRACT"
    PURCHASE_ORDER = "PURCHASE_ORDER"


class CommitmentStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    OUT_FOR_BID = "OUT_FOR_BID"
    OUT_FOR_SIGNATURE = "OUT_FOR_SIGNATURE"
    APPROVED = "APPROVED"
    COMPLETE = "COMPLETE"
    TERMINATED = "TERMINATED"
    VOID = "VOID"


class ChangeOrderStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    VOID = "VOID"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    UNDER_REVIEW = "UNDER_REVIEW"
    REVISE_AND_RESUBMIT = "REVISE_AND_RESUBMIT"
    APPROVED = "APPROVED"
    PAID = "PAID"


class DirectCostType(enum.StrEnum):
    INVOICE = "INVOICE"
    SUBCONTRACTOR_INVOICE = "SUBCONTRACTOR_INVOICE"
    PAYROLL = "PAYROLL"
    EXPENSE = "EXPENSE"


class DirectCostStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PENDING = "PENDING"
    APPROVED = "APPROVED"


class PermissionLevel(enum.IntEnum):
    """Ordered so that ``level >= PermissionLevel.STANDARD`` reads naturally."""

    NONE = 0
    READ_ONLY = 1
    STANDARD = 2
    ADMIN = 3


class Tool(enum.StrEnum):
    """The tools a permission level is granted on (as in the seeds' permissions matrix)."""

    ERP_INTEGRATIONS = "ERP_INTEGRATIONS"
    PROJECT_ADMIN = "PROJECT_ADMIN"  # projects, sub jobs, project cost codes (the project Admin tool)
    BUDGET = "BUDGET"
    COMMITMENTS = "COMMITMENTS"
    DIRECTORY = "DIRECTORY"
    INVOICES = "INVOICES"
    REPORTS = "REPORTS"
    PRIME_CONTRACTS = "PRIME_CONTRACTS"  # prime (owner) contracts and their change orders


class ExportStatus(enum.StrEnum):
    """State of one ErpExport (outbox) row."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"  # written by a connector, awaiting acknowledgement
    ACKNOWLEDGED = "ACKNOWLEDGED"
    FAILED = "FAILED"


class ImportKind(enum.StrEnum):
    BUDGET = "BUDGET"
    VENDORS = "VENDORS"
    JOB_COSTS = "JOB_COSTS"
    ERP_JOBS = "ERP_JOBS"
    ERP_SUB_JOBS = "ERP_SUB_JOBS"
    ERP_ESTIMATES = "ERP_ESTIMATES"
    ERP_COST_CODES = "ERP_COST_CODES"
    PRIME_CONTRACTS = "PRIME_CONTRACTS"
