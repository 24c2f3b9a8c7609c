"""The record-type registry: the one list of syncable record types and, for each, everything the
rest of the code asks about it: its model, the tool that owns it, how a message names it and how
the approver's queue labels it, how to find its project, its GraphQL type name (also the prefix of
its global IDs, written here literally so renaming a class never changes an ID a client stored),
its preflight checks, what each ERP does with it, its ERP key (typed by the approver when
accepting, the record's own number, or assigned by the ERP; and the scope in which it is unique),
and its rows in the approver's queue.

Nothing else lists record types: adding one (prime contracts, say) is one entry here plus its
model, its ERP mapping tables in ``exporters`` and its GraphQL type.

The ERP field mappings live in ``exporters`` (``models`` imports nothing outside itself):
``exporters.mapping`` finds a record's mapping table by its record type, and ``accept`` is handed
that builder by its caller.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, cast, func, literal, null, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models import preflight_checks as checks
from models.budgets import Budget, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder
from models.commitments import lines_total as commitment_lines_total
from models.directory import Vendor
from models.enums import CommitmentKind, ErpSystem, RecordType, Tool
from models.erp import OTHER_FEATURES, Capability, ErpSupport
from models.errors import DomainError, ErrorCode
from models.invoices import SubcontractorInvoice, invoice_totals
from models.prime_contracts import PrimeContract, PrimeContractChangeOrder
from models.prime_contracts import lines_total as prime_lines_total
from models.projects import Project, SubJob, mark_job_cost_codes
from models.wbs import CostCode

S100 = ErpSystem.SAGE_100_CONTRACTOR
S300 = ErpSystem.SAGE_300_CRE

Check = Callable[[checks.CheckContext, Any], None]


@dataclass(frozen=True)
class OriginIdField:
    """The ERP key the approver types when accepting: the input field and how a message names it."""

    field: str
    label: str
    # the code (and what to say) when another record of the type already has the key
    duplicate_code: ErrorCode = ErrorCode.DUPLICATE_ORIGIN_ID
    duplicate_hint: str = ""

    @property
    def attribute(self) -> str:
        """The field as a Python attribute (``erpJobId`` -> ``erp_job_id``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.field).lower()


@dataclass(frozen=True)
class QueueSource:
    """How a record type's rows enter the approver's queue: the column holding its project id
    (None for company-level records) and the joins that column needs."""

    project_id: Callable[[], ColumnElement[Any] | InstrumentedAttribute[Any] | None]
    joins: Callable[[], Sequence[tuple[Any, Any]]] = lambda: ()


@dataclass(frozen=True)
class RecordTypeSpec:
    record_type: RecordType
    model: type[Any]
    tool: Tool  # its records are read with READ_ONLY, edited with STANDARD, sent with ADMIN on it
    noun: str  # how a message names one record
    type_name: str  # the GraphQL type and global-ID prefix: fixed, never derived from a class name
    label: Callable[[Any], str]  # a short label from the record's own columns (queue, digest)
    project_id: Callable[[Any], int | None]  # None for company-level records
    preflight: Check
    erp: Mapping[ErpSystem, ErpSupport]
    queue: QueueSource
    origin_id: OriginIdField | None = None
    # a record that came from the ERP is maintained there and never sent back; budgets decide
    # that with their own ownership rule (models.budgets)
    erp_origin_is_final: bool = True
    # the money a record carries to the ERP (what the accountant report shows); None for records
    # without an amount (projects, vendors, ...)
    amount: Callable[[Any], Decimal | None] = lambda r: None
    # the ERP key is unique among the records of the type that share this column's value (None: in
    # the whole company); see models.workflow.keys
    key_scope: str | None = None
    # the ERP assigns the key (a record number): an acknowledgement may give another key than the
    # export proposed. Otherwise the key is the approver's or the record's own, and must match.
    erp_owns_key: bool = False
    # called when the record is accepted, in the same transaction (after its export is stored)
    on_accept: Callable[[Session, Any], None] | None = None

    def capability(self, system: ErpSystem) -> Capability:
        support = self.erp[ErpSystem(system)]
        return Capability(
            feature=self.record_type.value,
            record_type=self.record_type,
            erp_name=support.erp_name,
            export_supported=support.export_supported,
            import_supported=support.import_supported,
            notes=support.notes,
        )

    def queue_select(self) -> Select[Any]:
        """(record_type, record_id, project_id, status, since) of every record of this type."""
        model = self.model
        project = self.queue.project_id()
        stmt = select(
            literal(self.record_type.value, String(32)).label("record_type"),
            model.id.label("record_id"),
            (project if project is not None else cast(null(), Integer)).label("project_id"),
            model.sync_status.label("status"),
            func.coalesce(model.sent_at, model.created_at).label("since"),
        ).select_from(model)
        # records sent while direct exports were on never waited for an approver
        stmt = stmt.where(model.exported_directly.is_(False))
        for target, on in self.queue.joins():
            stmt = stmt.join(target, on)
        return stmt


def _commitment_label(record: Commitment) -> str:
    kind = "Subcontract" if record.kind == CommitmentKind.SUBCONTRACT else "Purchase order"
    return f"{kind} {record.number} {record.title}".strip()


REGISTRY: tuple[RecordTypeSpec, ...] = (
    RecordTypeSpec(
        RecordType.PROJECT,
        Project,
        Tool.PROJECT_ADMIN,
        "project",
        "Project",
        label=lambda r: f"{r.number} {r.name}",
        project_id=lambda r: r.id,
        preflight=checks.check_project,
        origin_id=OriginIdField(
            "erpJobId",
            "ERP Job ID",
            ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS,
            "a job is created in one system and synced to the other, never in both",
        ),
        queue=QueueSource(lambda: Project.id),
        on_accept=mark_job_cost_codes,
        erp={
            S100: ErpSupport(
                "Job (3-5 Jobs)",
                True,
                True,
                "Create the job in one system, then sync it; never in both. Exporting a project creates "
                "a shell budget in Sage 100 Contractor with the project's cost codes and cost types. "
                "The approver types the Sage Job ID when accepting.",
            ),
            S300: ErpSupport(
                "Job (JC)",
                True,
                True,
                "Create the job in one system, then sync it; never in both. The approver types the Job ID.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.SUB_JOB,
        SubJob,
        Tool.PROJECT_ADMIN,
        "sub job",
        "SubJob",
        label=lambda r: f"Sub job {r.number} {r.name}",
        project_id=lambda r: r.project_id,
        preflight=checks.check_sub_job,
        queue=QueueSource(lambda: SubJob.project_id),
        key_scope="project_id",
        erp={
            S100: ErpSupport(
                "Phase",
                False,
                True,
                "Import from Sage 100 Contractor only: phases are entered in Sage 100 via the budget.",
            ),
            S300: ErpSupport("Extra (JC)", True, True, "Exported as an extra of a synced job."),
        },
    ),
    RecordTypeSpec(
        RecordType.VENDOR,
        Vendor,
        Tool.DIRECTORY,
        "vendor",
        "Vendor",
        label=lambda r: r.name,
        project_id=lambda r: None,
        preflight=checks.check_vendor,
        origin_id=OriginIdField("erpVendorId", "ERP Vendor ID"),
        queue=QueueSource(lambda: None),
        erp={
            S100: ErpSupport(
                "AP Vendor (4-4 Vendors)",
                True,
                True,
                "The approver types the ERP Vendor ID (Vendor Record Number) when accepting.",
            ),
            S300: ErpSupport(
                "AP Vendor (AP)",
                True,
                True,
                "Vendor insurance is import only. The approver types the Vendor ID when accepting.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.COST_CODE,
        CostCode,
        Tool.PROJECT_ADMIN,
        "cost code",
        "CostCode",
        label=lambda r: f"{r.code} {r.description}".strip(),
        project_id=lambda r: None,
        preflight=checks.check_cost_code,
        queue=QueueSource(lambda: None),
        erp={
            S100: ErpSupport(
                "Cost Code",
                True,
                True,
                "Cost types are mandatory and come from the standard list (1 Material .. 5 Other, 6-9 "
                "user). Custom WBS segments are not supported.",
            ),
            S300: ErpSupport(
                "Standard Cost Code (JC)",
                False,
                True,
                "New cost codes are created in Sage 300 CRE and cannot be created in CostBridge. Codes "
                "must be sectioned, 2- or 3-tier, at most 12 characters, and never mix '.' and '-'. "
                "Categories are mandatory and come from the standard list.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.BUDGET,
        Budget,
        Tool.BUDGET,
        "budget",
        "Budget",
        label=lambda r: "Budget",
        project_id=lambda r: r.project_id,
        preflight=checks.check_budget,
        queue=QueueSource(lambda: Budget.project_id),
        key_scope="project_id",
        erp_origin_is_final=False,
        amount=lambda r: sum((line.original_amount for line in r.lines), Decimal("0.00")),
        erp={
            S100: ErpSupport(
                "Budget (6-2 Budgets)",
                True,
                True,
                "Lock the budget before sending; $0 lines are exported. When the company uses Sage 100 "
                "phases, budgets are created in Sage 100 Contractor and synced to CostBridge (export "
                "refused).",
            ),
            S300: ErpSupport(
                "Estimate (JC)",
                True,
                True,
                "Lock the budget before sending; $0 lines are exported with their Estimated Cost at "
                "Completion and Forecast to Complete.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.BUDGET_MODIFICATION,
        BudgetModification,
        Tool.BUDGET,
        "budget modification",
        "BudgetModification",
        label=lambda r: f"Budget modification {r.number} ({r.amount:.2f})",
        project_id=lambda r: r.budget.project_id,
        preflight=checks.check_budget_modification,
        amount=lambda r: r.amount,
        queue=QueueSource(
            lambda: Budget.project_id, lambda: ((Budget, Budget.id == BudgetModification.budget_id),)
        ),
        key_scope="budget_id",
        erp_owns_key=True,
        erp={
            S100: ErpSupport(
                "Change Order, Budget and Sub Change Details (6-4-1)",
                True,
                False,
                "Export only: a negative amount on the From cost code and a positive one on the To "
                "cost code.",
            ),
            S300: ErpSupport("Approved Estimate Change (JC)", True, False, "Export only."),
        },
    ),
    RecordTypeSpec(
        RecordType.COMMITMENT,
        Commitment,
        Tool.COMMITMENTS,
        "commitment",
        "Commitment",
        label=_commitment_label,
        project_id=lambda r: r.project_id,
        preflight=checks.check_commitment,
        amount=lambda r: commitment_lines_total(r.lines),
        queue=QueueSource(lambda: Commitment.project_id),
        erp_owns_key=True,
        erp={
            S100: ErpSupport(
                "Subcontract (6-7-1) / Purchase Order (6-6-1)",
                True,
                False,
                "Export only, APPROVED commitments on a synced project with a synced vendor. Do not "
                "create commitments directly in Sage 100 Contractor.",
            ),
            S300: ErpSupport(
                "Commitment (JC)",
                True,
                False,
                "Export only, APPROVED commitments on a synced job with a synced vendor.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.COMMITMENT_CHANGE_ORDER,
        CommitmentChangeOrder,
        Tool.COMMITMENTS,
        "commitment change order",
        "CommitmentChangeOrder",
        label=lambda r: f"Change order {r.number} {r.title}".strip(),
        project_id=lambda r: r.commitment.project_id,
        preflight=checks.check_change_order,
        amount=lambda r: commitment_lines_total(r.lines),
        queue=QueueSource(
            lambda: Commitment.project_id,
            lambda: ((Commitment, Commitment.id == CommitmentChangeOrder.commitment_id),),
        ),
        key_scope="commitment_id",
        erp_owns_key=True,
        erp={
            S100: ErpSupport(
                "Subcontract Change Order / Purchase Order lines",
                True,
                False,
                "Export only, on synced commitments. A subcontract change order also updates the "
                "Budget Amount (6-4-1); a PO change order appends lines below the existing PO lines.",
            ),
            S300: ErpSupport(
                "Commitment Change Order (JC)", True, False, "Export only, on synced commitments."
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.SUBCONTRACTOR_INVOICE,
        SubcontractorInvoice,
        Tool.INVOICES,
        "subcontractor invoice",
        "SubcontractorInvoice",
        label=lambda r: f"Invoice {r.number}",
        project_id=lambda r: r.commitment.project_id,
        preflight=checks.check_invoice,
        amount=lambda r: invoice_totals(r.lines).amount,
        queue=QueueSource(
            lambda: Commitment.project_id,
            lambda: ((Commitment, Commitment.id == SubcontractorInvoice.commitment_id),),
        ),
        key_scope="commitment_id",
        erp_owns_key=True,
        erp={
            S100: ErpSupport(
                "AP Invoice (4-2)",
                True,
                False,
                "Export only; not supported for Canada (tax restrictions). Retainage goes to Retainage Held.",
            ),
            S300: ErpSupport(
                "AP Invoice (AP)",
                True,
                False,
                "Export only; not supported for Canada. Amount = current payment due + current "
                "retainage held, with retainage in its own field.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.PRIME_CONTRACT,
        PrimeContract,
        Tool.PRIME_CONTRACTS,
        "prime contract",
        "PrimeContract",
        label=lambda r: f"Prime contract {r.number} {r.title}".strip(),
        project_id=lambda r: r.project_id,
        preflight=checks.check_prime_contract,
        amount=lambda r: prime_lines_total(r.lines),
        queue=QueueSource(lambda: PrimeContract.project_id),
        # the Sage 300 contract ID: contracts come from the ERP, and one contract is on one project
        # only, so the ID is unique in the company
        erp_owns_key=True,
        erp={
            S100: ErpSupport(
                "Prime contract (not synced)",
                False,
                False,
                "Not supported: Sage 100 Contractor does not sync prime contracts or owner change orders.",
            ),
            S300: ErpSupport(
                "Contracts (CN) / Misc. Worksheet (JC)",
                False,
                True,
                "Import only, from Sage 300 CRE's Contracts module (version 17.1.4 or newer): several prime "
                "contracts may go to one project, one contract never to more than one project.",
            ),
        },
    ),
    RecordTypeSpec(
        RecordType.PRIME_CONTRACT_CHANGE_ORDER,
        PrimeContractChangeOrder,
        Tool.PRIME_CONTRACTS,
        "prime contract change order",
        "PrimeContractChangeOrder",
        label=lambda r: f"Prime contract change order {r.number} {r.title}".strip(),
        project_id=lambda r: r.prime_contract.project_id,
        preflight=checks.check_prime_contract_change_order,
        amount=lambda r: prime_lines_total(r.lines),
        queue=QueueSource(
            lambda: PrimeContract.project_id,
            lambda: ((PrimeContract, PrimeContract.id == PrimeContractChangeOrder.prime_contract_id),),
        ),
        # the change order number Sage 300 files it under (the export proposes the PCCO's number),
        # unique within its contract, as commitment change orders within their commitment
        key_scope="prime_contract_id",
        erp_owns_key=True,
        erp={
            S100: ErpSupport(
                "Owner change order (not synced)",
                False,
                False,
                "Not supported: Sage 100 Contractor does not sync prime contracts or owner change orders.",
            ),
            S300: ErpSupport(
                "Prime Contract Change Order (CN)",
                True,
                False,
                "Export only, APPROVED change orders on a synced prime contract, with their miscellaneous "
                "worksheet transactions (JC). Sage 300 CRE 17.1.4 or newer.",
            ),
        },
    ),
)

_BY_RECORD_TYPE: dict[RecordType, RecordTypeSpec] = {s.record_type: s for s in REGISTRY}
_BY_TYPE_NAME: dict[str, RecordTypeSpec] = {s.type_name: s for s in REGISTRY}
assert len(_BY_RECORD_TYPE) == len(_BY_TYPE_NAME) == len(REGISTRY), "record types are listed once"


def spec(record_type: RecordType | str) -> RecordTypeSpec:
    return _BY_RECORD_TYPE[RecordType(record_type)]


def spec_of(record: Any) -> RecordTypeSpec:
    """The entry of a syncable record (any model carrying ``RECORD_TYPE``)."""
    return _BY_RECORD_TYPE[record.RECORD_TYPE]


def by_type_name(type_name: str) -> RecordTypeSpec | None:
    return _BY_TYPE_NAME.get(type_name)


def type_names() -> tuple[str, ...]:
    return tuple(_BY_TYPE_NAME)


def specs(record_types: Sequence[RecordType | str] | None = None) -> Iterator[RecordTypeSpec]:
    """The entries in registry order, all of them or those of ``record_types``."""
    wanted = None if record_types is None else {RecordType(t) for t in record_types}
    return (s for s in REGISTRY if wanted is None or s.record_type in wanted)


def models() -> tuple[type[Any], ...]:
    return tuple(s.model for s in REGISTRY)


def capabilities(system: ErpSystem) -> tuple[Capability, ...]:
    """The ERP's feature map: every record type (in registry order), then the other features."""
    system = ErpSystem(system)
    return tuple(s.capability(system) for s in REGISTRY) + OTHER_FEATURES[system]


def capability(system: ErpSystem, record_type: RecordType) -> Capability:
    return spec(record_type).capability(system)


def load_record(
    session: Session, record_type: RecordType | str, record_id: int, *, for_update: bool = False
) -> Any:
    """The record, or NOT_FOUND. ``for_update`` locks the row (SELECT ... FOR UPDATE) where the
    backend supports it, and refreshes it from the database either way."""
    entry = spec(record_type)
    model = entry.model
    if for_update:
        stmt = select(model).where(model.id == record_id).with_for_update()
        record = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    else:
        record = session.get(model, record_id)
    if record is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No {entry.noun} with id {record_id}", "id")
    return record


def load_records(session: Session, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """Rows for (record_type, id) keys: one SELECT per record type present."""
    by_type: dict[str, set[int]] = {}
    for rt, pk in keys:
        by_type.setdefault(RecordType(rt).value, set()).add(pk)
    found: dict[tuple[str, int], Any] = {}
    for rt, ids in by_type.items():
        model = spec(rt).model
        for row in session.scalars(select(model).where(model.id.in_(ids))):
            found[(rt, row.id)] = row
    return found


def global_id(record_type: RecordType | str, record_id: int) -> str:
    """A record's global ID as the API writes it (base64 of "TypeName:id"), for messages sent outside
    the API (the digest e-mail) that name records the way the front end finds them."""
    return base64.urlsafe_b64encode(f"{spec(record_type).type_name}:{record_id}".encode()).decode()


def project_id_of(record: Any) -> int | None:
    """The project a record belongs to (None for company-level records: vendors, cost codes)."""
    return spec_of(record).project_id(record)


def origin_id_fields() -> tuple[OriginIdField, ...]:
    """The ERP keys approvers type, one per record type that has one."""
    return tuple(s.origin_id for s in REGISTRY if s.origin_id is not None)


def label_of(record: Any) -> str:
    return spec_of(record).label(record)
