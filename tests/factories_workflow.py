"""Test data for the workflow tests, built with the ORM directly."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from models.base import utcnow
from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder, CommitmentChangeOrderLine, CommitmentLine
from models.company import get_settings
from models.directory import Vendor, normalize_vendor_name
from models.enums import (
    ChangeOrderStatus,
    CommitmentKind,
    CommitmentStatus,
    Country,
    ErpSystem,
    InvoiceStatus,
    Origin,
    PermissionLevel,
    SyncStatus,
    Tool,
)
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.prime_contracts import (
    PrimeContract,
    PrimeContractChangeOrder,
    PrimeContractChangeOrderLine,
    PrimeContractLine,
)
from models.projects import Project, ProjectCostCode, SubJob
from models.users import User, create_user
from models.wbs import CostCode, CostType, division_of
from tests.actors import SETUP

_seq = itertools.count(1)
D = Decimal


def configure(session: Session, erp=ErpSystem.SAGE_100_CONTRACTOR, country=Country.US, uses_phases=False):
    settings = get_settings(session)
    settings.erp_system = erp
    settings.country = country
    settings.uses_phases = uses_phases
    session.flush()
    return settings


def user(
    session: Session, name: str, levels: dict[Tool, PermissionLevel] | None = None, approver=False
) -> User:
    return create_user(
        session,
        SETUP,
        name=name,
        email=f"{name.lower().replace(' ', '.')}.{next(_seq)}@example.com",
        levels=levels or {},
        can_push_to_accounting=approver,
    )


def pm(session: Session) -> User:
    """A project manager: ADMIN on the field tools, nothing on ERP Integrations."""
    tools = (Tool.PROJECT_ADMIN, Tool.BUDGET, Tool.COMMITMENTS, Tool.DIRECTORY, Tool.INVOICES)
    return user(session, "Pat Manager", {t: PermissionLevel.ADMIN for t in tools})


def approver(session: Session) -> User:
    """An accounting approver who can read every record tool (accepting needs to see the record)."""
    levels = {tool: PermissionLevel.READ_ONLY for tool in Tool}
    levels[Tool.ERP_INTEGRATIONS] = PermissionLevel.STANDARD
    return user(session, "Alex Approver", levels, approver=True)


def mark_synced(record, origin_id: str | None = None, origin=Origin.COSTBRIDGE):
    record.sync_status = SyncStatus.SYNCED
    record.origin = origin
    record.origin_id = origin_id
    record.synced_at = utcnow()
    return record


def cost_type(
    session: Session, code: str = "4", name: str = "Subcontract", erp_code: str | None = None
) -> CostType:
    row = session.query(CostType).filter_by(code=code).one_or_none()
    if row is None:
        row = CostType(code=code, name=name, erp_code=erp_code)
        session.add(row)
        session.flush()
    return row


def cost_code(session: Session, code: str, description: str = "", synced: bool = False) -> CostCode:
    row = session.query(CostCode).filter_by(code=code).one_or_none()
    if row is None:
        row = CostCode(code=code, description=description or f"Code {code}", division=division_of(code))
        session.add(row)
        session.flush()
    if synced:
        mark_synced(row, code)
    return row


def project(
    session: Session,
    number: str = "24-001",
    name: str = "Harbor Clinic",
    *,
    address: str = "12 Harbor Way",
    city: str = "Irvine",
    state: str = "CA",
    zip: str = "92618",
    synced: bool = False,
    erp_job_id: str | None = None,
    cost_codes=(),
) -> Project:
    row = Project(number=number, name=name, address=address, city=city, state=state, zip=zip)
    session.add(row)
    session.add(Budget(project=row))
    session.flush()
    for code in cost_codes:
        session.add(ProjectCostCode(project_id=row.id, cost_code_id=code.id))
    if synced:
        mark_synced(row, erp_job_id or number)
    session.flush()
    return row


def budget_of(session: Session, project: Project) -> Budget:
    return session.query(Budget).filter_by(project_id=project.id).one()


def sub_job(session: Session, project: Project, number: str, name: str, synced: bool = False) -> SubJob:
    row = SubJob(project_id=project.id, number=number, name=name)
    session.add(row)
    session.flush()
    if synced:
        mark_synced(row, number, Origin.ERP)
    return row


def budget_line(
    session: Session,
    project: Project,
    code: CostCode,
    ctype: CostType,
    amount: str | Decimal,
    *,
    sub_job: SubJob | None = None,
    description: str = "",
    quantity=None,
    unit_of_measure=None,
    unit_cost=None,
    ecac=None,
    ftc=None,
) -> BudgetLine:
    budget = budget_of(session, project)
    line = BudgetLine(
        budget_id=budget.id,
        sub_job_id=sub_job.id if sub_job else None,
        sub_job_key=sub_job.id if sub_job else 0,
        cost_code_id=code.id,
        cost_type_id=ctype.id,
        description=description,
        original_amount=D(amount),
        quantity=quantity,
        unit_of_measure=unit_of_measure,
        unit_cost=unit_cost,
        estimated_cost_at_completion=ecac,
        forecast_to_complete=ftc,
    )
    session.add(line)
    if not session.query(ProjectCostCode).filter_by(project_id=project.id, cost_code_id=code.id).count():
        session.add(ProjectCostCode(project_id=project.id, cost_code_id=code.id))
    session.flush()
    session.expire(budget, ["lines"])
    return line


def modification(
    session: Session, project: Project, from_line, to_line, amount: str, notes: str = ""
) -> BudgetModification:
    budget = budget_of(session, project)
    row = BudgetModification(
        budget_id=budget.id, from_line_id=from_line.id, to_line_id=to_line.id, amount=D(amount), notes=notes
    )
    session.add(row)
    session.flush()
    return row


def vendor(
    session: Session,
    name: str = "ACME Concrete, Inc.",
    *,
    address: str = "400 Mill St",
    city: str = "Anaheim",
    state: str = "CA",
    zip: str = "92801",
    synced: bool = False,
    erp_id: str | None = None,
) -> Vendor:
    row = Vendor(
        name=name,
        normalized_name=normalize_vendor_name(name),
        address=address,
        city=city,
        state=state,
        zip=zip,
    )
    session.add(row)
    session.flush()
    if synced:
        mark_synced(row, erp_id or f"V{row.id:04d}")
    return row


def commitment(
    session: Session,
    project: Project,
    vendor: Vendor | None,
    *,
    kind=CommitmentKind.SUBCONTRACT,
    number: str = "SC-001",
    title: str = "Concrete foundations",
    status=CommitmentStatus.APPROVED,
    lines=(),
    created_at: dt.datetime | None = None,
    contract_date: dt.date | None = None,
    retainage_percent="10.00",
    synced: bool = False,
) -> Commitment:
    """``lines``: (cost_code, cost_type, amount, quantity, unit_cost, description) tuples."""
    row = Commitment(
        project_id=project.id,
        kind=kind,
        number=number,
        title=title,
        vendor_id=vendor.id if vendor else None,
        status=status,
        contract_date=contract_date,
        retainage_percent=D(retainage_percent),
    )
    if created_at is not None:
        row.created_at = created_at
    for i, (code, ctype, amount, qty, unit_cost, desc) in enumerate(lines, start=1):
        row.lines.append(
            CommitmentLine(
                line_number=i,
                cost_code_id=code.id,
                cost_type_id=ctype.id,
                amount=D(amount),
                quantity=None if qty is None else D(qty),
                unit_cost=None if unit_cost is None else D(unit_cost),
                description=desc,
            )
        )
    session.add(row)
    session.flush()
    if synced:
        mark_synced(row, number)
    return row


def change_order(
    session: Session,
    commitment: Commitment,
    *,
    number: str = "CO-1",
    title: str = "Extra footing",
    status=ChangeOrderStatus.APPROVED,
    lines=(),
) -> CommitmentChangeOrder:
    row = CommitmentChangeOrder(commitment_id=commitment.id, number=number, title=title, status=status)
    for code, ctype, amount, qty, unit_cost, desc in lines:
        row.lines.append(
            CommitmentChangeOrderLine(
                cost_code_id=code.id,
                cost_type_id=ctype.id,
                amount=D(amount),
                quantity=None if qty is None else D(qty),
                unit_cost=None if unit_cost is None else D(unit_cost),
                description=desc,
            )
        )
    session.add(row)
    session.flush()
    return row


def prime_contract(session: Session, project: Project, number: str = "C-1001", *, items=()) -> PrimeContract:
    """A prime contract as it comes from Sage 300 CRE (SYNCED, origin ERP, keyed by its contract ID).
    ``items``: (item, cost_code, cost_type, amount) tuples."""
    row = PrimeContract(project_id=project.id, number=number, title=f"Contract {number}")
    for item, code, ctype, amount in items:
        row.lines.append(
            PrimeContractLine(item=item, cost_code_id=code.id, cost_type_id=ctype.id, amount=D(amount))
        )
    mark_synced(row, number, Origin.ERP)
    session.add(row)
    session.flush()
    return row


def prime_change_order(
    session: Session,
    contract: PrimeContract,
    *,
    number: str = "PCCO-1",
    title: str = "Owner change",
    status=ChangeOrderStatus.APPROVED,
    lines=(),
) -> PrimeContractChangeOrder:
    """``lines``: (cost_code, cost_type, amount, quantity, unit_cost, description) tuples."""
    row = PrimeContractChangeOrder(prime_contract_id=contract.id, number=number, title=title, status=status)
    for code, ctype, amount, qty, unit_cost, desc in lines:
        row.lines.append(
            PrimeContractChangeOrderLine(
                cost_code_id=code.id,
                cost_type_id=ctype.id,
                amount=D(amount),
                quantity=None if qty is None else D(qty),
                unit_cost=None if unit_cost is None else D(unit_cost),
                description=desc,
            )
        )
    session.add(row)
    session.flush()
    return row


def invoice(
    session: Session,
    commitment: Commitment,
    *,
    number: str = "INV-7",
    period=(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    billing_date=dt.date(2026, 11, 3),
    status=InvoiceStatus.APPROVED,
    lines=(),
) -> SubcontractorInvoice:
    """``lines``: (cost_code, cost_type, work, materials, retainage, description, sub_job) tuples."""
    row = SubcontractorInvoice(
        commitment_id=commitment.id,
        number=number,
        billing_period_start=period[0],
        billing_period_end=period[1],
        billing_date=billing_date,
        status=status,
    )
    for code, ctype, work, materials, retainage, desc, sub in lines:
        row.lines.append(
            SubcontractorInvoiceLine(
                cost_code_id=code.id,
                cost_type_id=ctype.id,
                work_completed_this_period=D(work),
                materials_presently_stored=D(materials),
                retainage=D(retainage),
                description=desc,
                sub_job_id=sub.id if sub else None,
            )
        )
    session.add(row)
    session.flush()
    return row


def synced_world(session: Session, erp=ErpSystem.SAGE_100_CONTRACTOR):
    """A synced project (ERP job J-100) with a locked budget, a synced vendor (V-ACME) and cost
    codes/types that exist in the ERP: the ground most workflow tests stand on."""
    configure(session, erp)
    concrete = cost_code(
        session,
        "03-300" if erp == ErpSystem.SAGE_300_CRE else "3300.000",
        "Cast-in-place concrete",
        synced=True,
    )
    rebar = cost_code(
        session, "03-200" if erp == ErpSystem.SAGE_300_CRE else "3200.000", "Reinforcing steel", synced=True
    )
    sub = cost_type(session, "4", "Subcontract", erp_code="S" if erp == ErpSystem.SAGE_300_CRE else None)
    mat = cost_type(session, "1", "Material", erp_code="M" if erp == ErpSystem.SAGE_300_CRE else None)
    proj = project(session, synced=True, erp_job_id="J-100")
    ven = vendor(session, synced=True, erp_id="V-ACME")
    return proj, ven, concrete, rebar, sub, mat
