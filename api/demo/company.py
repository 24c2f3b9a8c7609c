"""Builds the demo company in an empty database: projects, budgets, vendors, commitments, a change
order, a subcontractor invoice and job costs in realistic sync states, each state with its sync
history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from api.demo.data import (
    COMPANY_NAME,
    COST_TYPES,
    COSTBRIDGE_COST_CODES,
    COSTBRIDGE_VENDORS,
    DEMO_USERS,
    ERP_VENDORS,
    HARBOR_POINT_BUDGET,
    MISSION_BAY_BUDGET,
    RIVERSIDE_BUDGET,
    STANDARD_COST_CODES,
)
from models import registry
from models.audit import acting_as
from models.base import money, utcnow
from models.budgets import Budget, BudgetLine, BudgetModification
from models.commitments import Commitment, CommitmentChangeOrder, CommitmentChangeOrderLine, CommitmentLine
from models.company import get_settings
from models.costs import DirectCost
from models.directory import Vendor, normalize_vendor_name
from models.enums import (
    ChangeOrderStatus,
    CommitmentKind,
    CommitmentStatus,
    Country,
    DirectCostType,
    DivisionRule,
    ErpSystem,
    InvoiceStatus,
    Origin,
    SyncStatus,
)
from models.invoices import SubcontractorInvoice, SubcontractorInvoiceLine
from models.policy import DEMO_LOADER, Actor, connector
from models.projects import Project, ProjectCostCode, SubJob
from models.sync import SyncState, record_transition
from models.users import User, create_user
from models.wbs import CostCode, CostType, division_for

# The system actors the demo history names: the ERP sync that brought records in, and the file
# connector that delivered the accepted ones.
ERP_SYNC = connector("ERP sync")
FILE_CONNECTOR = connector("file")


@dataclass
class _Loader:
    session: Session
    users: dict[str, User]
    today: dt.date
    now: dt.datetime
    codes: dict[str, CostCode]
    types: dict[str, CostType]
    vendors: dict[str, Vendor]

    def at(self, days_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days_ago)

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    # --- sync history: every state set here also gets its SyncEvent rows -------------------------

    def _event(
        self,
        record: SyncState,
        action: str,
        to: SyncStatus,
        actor: Actor,
        at: dt.datetime,
        note: str | None = None,
    ) -> None:
        event = record_transition(
            self.session, record, action, to, actor, note=note, at=at, born=action == "import"
        )
        # the amount the step carried, as the workflow records it (the accountant report shows it)
        event.amount = registry.spec_of(record).amount(record)

    def imported(self, record: SyncState, origin_id: str, days_ago: float) -> None:
        """Born SYNCED: the record came from the ERP."""
        record.origin = Origin.ERP
        record.origin_id = origin_id
        record.synced_at = self.at(days_ago)
        self._event(record, "import", SyncStatus.SYNCED, ERP_SYNC, record.synced_at, "Imported from Sage 100")
        self._job_codes(record)

    @staticmethod
    def _job_codes(record: SyncState) -> None:
        """A synced job's cost codes are in Sage (its budget there has them)."""
        if isinstance(record, Project):
            for link in record.project_cost_codes:
                link.in_job_export = True

    def sent(self, record: SyncState, days_ago: float) -> None:
        pm = self.users["pm@pacificridge.example"]
        record.sent_at, record.sent_by_id = self.at(days_ago), pm.id
        self._event(record, "send", SyncStatus.READY_TO_EXPORT, pm, record.sent_at)

    def exported(self, record: SyncState, origin_id: str, days_ago: float) -> None:
        """Sent by the project manager, accepted by the approver, delivered by the file connector."""
        approver = self.users["accounting@pacificridge.example"]
        self.sent(record, days_ago)
        record.decided_at, record.decided_by_id = self.at(days_ago - 0.5), approver.id
        self._event(record, "accept", SyncStatus.EXPORTING, approver, record.decided_at)
        self._job_codes(record)
        record.origin_id, record.synced_at = origin_id, self.at(days_ago - 0.6)
        self._event(
            record,
            "acknowledge",
            SyncStatus.SYNCED,
            FILE_CONNECTOR,
            record.synced_at,
            f"Imported into Sage 100 as {origin_id}",
        )

    def rejected(self, record: SyncState, reason: str, days_ago: float) -> None:
        approver = self.users["accounting@pacificridge.example"]
        self.sent(record, days_ago)
        record.decided_at, record.decided_by_id = self.at(days_ago - 1), approver.id
        record.reject_reason = reason
        self._event(record, "reject", SyncStatus.REJECTED, approver, record.decided_at, reason)

    # --- records ----------------------------------------------------------------------------------

    def project(self, number: str, name: str, address: str, city: str, zip_: str, codes: Iterable[str]):
        project = Project(number=number, name=name, address=address, city=city, state="CA", zip=zip_)
        project.project_cost_codes = [ProjectCostCode(cost_code=self.codes[c]) for c in sorted(set(codes))]
        self.session.add(project)
        return project

    def budget(self, project: Project, lines, *, locked: bool) -> tuple[Budget, dict[tuple, BudgetLine]]:
        sub_jobs = {s.number: s for s in project.sub_jobs}
        budget = Budget(project=project, locked=locked)
        by_key: dict[tuple, BudgetLine] = {}
        for sub, code, ctype, description, amount in lines:
            sub_job = sub_jobs[sub] if sub else None
            line = BudgetLine(
                sub_job=sub_job,
                sub_job_key=sub_job.id if sub_job else 0,
                cost_code=self.codes[code],
                cost_type=self.types[ctype],
                description=description,
                original_amount=money(amount),
            )
            budget.lines.append(line)
            by_key[(sub, code, ctype)] = line
        self.session.add(budget)
        return budget, by_key

    def commitment(
        self,
        project: Project,
        kind: CommitmentKind,
        number: str,
        title: str,
        vendor: str,
        status: CommitmentStatus,
        lines,
        *,
        retainage: str = "0",
        days_ago: int = 30,
    ) -> Commitment:
        """``lines``: (sub job, cost code, cost type, description, amount) or, for purchase orders,
        (sub job, cost code, cost type, description, quantity, unit cost)."""
        sub_jobs = {s.number: s for s in project.sub_jobs}
        commitment = Commitment(
            project=project,
            kind=kind,
            number=number,
            title=title,
            vendor=self.vendors[vendor],
            status=status,
            retainage_percent=money(retainage),
            contract_date=self.day(days_ago),
        )
        for n, (sub, code, ctype, description, *amounts) in enumerate(lines, start=1):
            quantity = unit_cost = None
            if len(amounts) == 2:
                quantity, unit_cost = Decimal(amounts[0]), Decimal(amounts[1])
                amount = money(quantity * unit_cost)
            else:
                amount = money(amounts[0])
            commitment.lines.append(
                CommitmentLine(
                    line_number=n,
                    sub_job=sub_jobs[sub] if sub else None,
                    cost_code=self.codes[code],
                    cost_type=self.types[ctype],
                    description=description,
                    quantity=quantity,
                    unit_cost=unit_cost,
                    amount=amount,
                )
            )
        self.session.add(commitment)
        return commitment

    def direct_cost(
        self,
        project: Project,
        kind: DirectCostType,
        line: tuple[str, str],
        days_ago: int,
        description: str,
        amount: str,
        erp_id: str,
        *,
        sub: str | None = None,
        vendor: str | None = None,
        invoice: str | None = None,
    ) -> DirectCost:
        sub_jobs = {s.number: s for s in project.sub_jobs}
        code, ctype = line
        cost = DirectCost(
            project=project,
            sub_job=sub_jobs[sub] if sub else None,
            cost_code=self.codes[code],
            cost_type=self.types[ctype],
            type=kind,
            item_date=self.day(days_ago),
            description=description,
            vendor=self.vendors[vendor] if vendor else None,
            invoice_number=invoice,
            amount=money(amount),
            erp_transaction_id=erp_id,
            dedupe_key=erp_id,
        )
        self.session.add(cost)
        return cost


def _codes_of(*budgets) -> set[str]:
    return {line[1] for budget in budgets for line in budget}


def load_demo_company(session: Session) -> _Loader:
    """Create the demo company in an empty database."""
    acting_as(session, DEMO_LOADER)
    settings = get_settings(session)
    settings.name = COMPANY_NAME
    settings.erp_system = ErpSystem.SAGE_100_CONTRACTOR
    settings.country = Country.US
    settings.uses_phases = False
    # Sage 100 Contractor cost divisions: 2120.000 and 2200.000 roll up to 2000 (Site Work)
    settings.cost_division_rule = DivisionRule.THOUSANDS

    users = {
        u.email: create_user(
            session,
            DEMO_LOADER,
            name=u.name,
            email=u.email,
            levels=u.levels,
            can_push_to_accounting=u.approver,
            acts_as_connector=u.connector,
        )
        for u in DEMO_USERS
    }
    types = {code: CostType(code=code, name=name, origin="ERP") for code, name in COST_TYPES}
    codes = {
        code: CostCode(
            code=code, description=description, division=division_for(code, DivisionRule.THOUSANDS)
        )
        for code, description in STANDARD_COST_CODES + COSTBRIDGE_COST_CODES
    }
    vendors = {
        name: Vendor(
            name=name,
            normalized_name=normalize_vendor_name(name),
            address=address,
            city=city,
            state="CA",
            zip=zip_,
        )
        for _number, name, address, city, zip_ in ERP_VENDORS
    }
    vendors.update(
        {
            name: Vendor(
                name=name,
                normalized_name=normalize_vendor_name(name),
                address=address,
                city=city,
                state="CA",
                zip=zip_,
            )
            for name, address, city, zip_ in COSTBRIDGE_VENDORS
        }
    )
    session.add_all([*types.values(), *codes.values(), *vendors.values()])
    now = utcnow().replace(microsecond=0)
    d = _Loader(session, users, now.date(), now, codes, types, vendors)

    for code, _description in STANDARD_COST_CODES:
        d.imported(codes[code], code, 120)
    for number, name, *_rest in ERP_VENDORS:
        d.imported(vendors[name], number, 120)
    d.sent(vendors["Ironwood Earthworks"], 2)
    d.rejected(
        vendors["Central Valley Landscaping"],
        "Already in Sage as vendor 214 (CV Landscaping); link that record instead of creating a new one",
        6,
    )

    _harbor_point(d)
    _riverside(d)
    _mission_bay(d)
    return d


def _harbor_point(d: _Loader) -> None:
    """Created in CostBridge and synced (ERP Job ID 2401): the place to try the workflow."""
    project = d.project(
        "24-101",
        "Harbor Point Medical Office",
        "2201 Embarcadero",
        "Oakland",
        "94606",
        _codes_of(HARBOR_POINT_BUDGET),
    )
    d.exported(project, "2401", 60)
    budget, lines = d.budget(project, HARBOR_POINT_BUDGET, locked=True)
    d.exported(budget, "2401", 55)
    modification = BudgetModification(
        budget=budget,
        from_line=lines[(None, "1000.000", "5")],
        to_line=lines[(None, "3300.000", "4")],
        amount=money("12750.00"),
        notes="Elevator pit footing redesign (structural RFI 014), funded from contingency",
    )
    d.session.add(modification)

    concrete = d.commitment(
        project,
        CommitmentKind.SUBCONTRACT,
        "SC-001",
        "Concrete foundations and structure",
        "Bay Area Concrete, Inc.",
        CommitmentStatus.APPROVED,
        [
            (None, "3100.000", "4", "Forming", "185000.00"),
            (None, "3300.000", "4", "Cast-in-place concrete", "242500.00"),
        ],
        retainage="10",
        days_ago=50,
    )
    d.exported(concrete, "2401-SC-001", 48)
    change_order = CommitmentChangeOrder(
        commitment=concrete,
        number="CO-001",
        title="Elevator pit footing",
        description="Deepen the elevator pit footing per structural RFI 014",
        status=ChangeOrderStatus.APPROVED,
        change_date=d.day(9),
    )
    change_order.lines.append(
        CommitmentChangeOrderLine(
            cost_code=d.codes["3300.000"],
            cost_type=d.types["4"],
            description="Additional excavation, rebar and concrete at elevator pit",
            amount=money("12750.00"),
        )
    )
    d.session.add(change_order)

    forming, cast = concrete.lines
    invoice = SubcontractorInvoice(
        commitment=concrete,
        number="BAC-2401-01",
        billing_period_start=d.day(40),
        billing_period_end=d.day(10),
        billing_date=d.day(8),
        status=InvoiceStatus.APPROVED,
    )
    for line, completed, stored in ((forming, "92500.00", "0.00"), (cast, "60625.00", "4850.00")):
        invoice.lines.append(
            SubcontractorInvoiceLine(
                commitment_line=line,
                cost_code=line.cost_code,
                cost_type=line.cost_type,
                description=line.description,
                work_completed_this_period=money(completed),
                materials_presently_stored=money(stored),
                retainage=money((Decimal(completed) + Decimal(stored)) * concrete.retainage_percent / 100),
            )
        )
    d.session.add(invoice)

    # approved, vendor and project synced, not sent yet: ready to send
    d.commitment(
        project,
        CommitmentKind.PURCHASE_ORDER,
        "PO-001",
        "Framing lumber package",
        "Redwood Lumber Supply",
        CommitmentStatus.APPROVED,
        [
            (None, "6100.000", "1", "2x6 DF #2 studs, 10 ft", "2400", "9.85"),
            (None, "6100.000", "1", "4x8 CDX plywood sheathing, 5/8 in", "1150", "31.40"),
        ],
        days_ago=12,
    )
    equipment = d.commitment(
        project,
        CommitmentKind.PURCHASE_ORDER,
        "PO-002",
        "Site clearing equipment",
        "Valley Equipment Rentals",
        CommitmentStatus.COMPLETE,
        [(None, "2120.000", "3", "Excavator with operator, 10 days", "10", "1840.00")],
        days_ago=58,
    )
    d.exported(equipment, "2401-PO-002", 57)
    d.commitment(
        project,
        CommitmentKind.SUBCONTRACT,
        "SC-002",
        "Electrical",
        "Golden State Electric Co.",
        CommitmentStatus.OUT_FOR_SIGNATURE,
        [(None, "16000.000", "4", "Power, lighting and low voltage", "208900.00")],
        retainage="10",
        days_ago=5,
    )
    d.commitment(
        project,
        CommitmentKind.SUBCONTRACT,
        "SC-003",
        "Storefront and windows",
        "Mission Glass & Glazing",  # a vendor not yet in the ERP: shows VENDOR_NOT_SYNCED
        CommitmentStatus.APPROVED,
        [(None, "8500.000", "4", "Storefront glazing at lobby", "36400.00")],
        retainage="5",
        days_ago=3,
    )

    d.direct_cost(
        project,
        DirectCostType.PAYROLL,
        ("1100.000", "2"),
        11,
        "Superintendent, week 44",
        "6240.00",
        "PR-2401-0441",
    )
    d.direct_cost(
        project,
        DirectCostType.INVOICE,
        ("1200.000", "3"),
        20,
        "Site trailer rental, October",
        "2150.00",
        "AP-2401-88213",
        vendor="Valley Equipment Rentals",
        invoice="VER-88213",
    )
    d.direct_cost(
        project,
        DirectCostType.EXPENSE,
        ("1300.000", "5"),
        45,
        "City of Oakland building permit",
        "14382.75",
        "JC-2401-0007",
    )


def _riverside(d: _Loader) -> None:
    """Not yet sent to the ERP, budget still open: shows what blocks a send."""
    project = d.project(
        "24-102",
        "Riverside Commons Apartments",
        "850 River Park Dr",
        "Sacramento",
        "95815",
        _codes_of(RIVERSIDE_BUDGET),
    )
    d.budget(project, RIVERSIDE_BUDGET, locked=False)
    d.commitment(
        project,
        CommitmentKind.SUBCONTRACT,
        "SC-001",
        "Podium concrete",
        "Bay Area Concrete, Inc.",
        CommitmentStatus.DRAFT,
        [(None, "3300.000", "4", "Podium slab and columns", "375000.00")],
        retainage="10",
        days_ago=4,
    )
    d.commitment(
        project,
        CommitmentKind.PURCHASE_ORDER,
        "PO-001",
        "Framing lumber, building A",
        "Redwood Lumber Supply",
        CommitmentStatus.DRAFT,
        [(None, "6100.000", "1", "Lumber package, building A", "1", "198450.00")],
        days_ago=2,
    )


def _mission_bay(d: _Loader) -> None:
    """Imported from Sage 100 with its phases (sub jobs) and budget."""
    project = d.project(
        "2317",
        "Mission Bay Lab Renovation",
        "1700 Owens St",
        "San Francisco",
        "94158",
        _codes_of(MISSION_BAY_BUDGET),
    )
    project.sub_jobs = [
        SubJob(number="1", name="Demolition & Abatement"),
        SubJob(number="2", name="Tenant Improvements"),
        SubJob(number="3", name="Lab Fit-out"),
    ]
    d.imported(project, "2317", 90)
    for sub_job in project.sub_jobs:
        d.imported(sub_job, sub_job.number, 90)
    budget, _lines = d.budget(project, MISSION_BAY_BUDGET, locked=True)
    d.imported(budget, "2317", 90)

    drywall = d.commitment(
        project,
        CommitmentKind.SUBCONTRACT,
        "SC-001",
        "Partitions and ceilings",
        "Pacific Drywall & Paint",
        CommitmentStatus.APPROVED,
        [("2", "9250.000", "4", "Metal stud partitions, gypsum board, ACT ceilings", "139850.00")],
        retainage="10",
        days_ago=70,
    )
    d.exported(drywall, "2317-SC-001", 68)
    equipment = d.commitment(
        project,
        CommitmentKind.PURCHASE_ORDER,
        "PO-001",
        "Demolition equipment",
        "Valley Equipment Rentals",
        CommitmentStatus.COMPLETE,
        [("1", "2120.000", "3", "Skid steer and dumpsters, 4 weeks", "4", "2995.00")],
        days_ago=85,
    )
    d.exported(equipment, "2317-PO-001", 84)

    d.direct_cost(
        project,
        DirectCostType.PAYROLL,
        ("1100.000", "2"),
        30,
        "Superintendent, demolition",
        "4812.00",
        "PR-2317-0388",
        sub="1",
    )
    # the rental invoice was entered in Sage against PO-001 ("AP Cost (with Commitment)"): it is the
    # purchase order's cost, not a second cost on top of it
    d.direct_cost(
        project,
        DirectCostType.SUBCONTRACTOR_INVOICE,
        ("2120.000", "3"),
        35,
        "Skid steer and dumpsters",
        "11980.00",
        "AP-2317-87954",
        sub="1",
        vendor="Valley Equipment Rentals",
        invoice="VER-87954",
    )
