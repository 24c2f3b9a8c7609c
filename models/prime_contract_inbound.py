"""Prime contracts coming in from Sage 300 CRE's Contracts (CN) module, from a CN contract file (the
import pipeline, ``importers.prime_contracts``) or from the sync agent (``receiveErpPrimeContracts``).
Both go through the rules here.

- Only Sage 300 CRE syncs prime contracts; a Sage 100 Contractor company is refused
  (UNSUPPORTED_BY_ERP), as the seeds say.
- A contract's items name the ERP job; the job must be a project synced with the ERP (UNKNOWN_JOB
  otherwise). Several contracts may go to one project; one contract never goes to several:
  items on two jobs are PRIME_CONTRACT_ON_SEVERAL_JOBS, and a contract already on another project is
  PRIME_CONTRACT_ON_ANOTHER_PROJECT, each with the fix.
- Items are placed on the project's sub jobs (extras), the company's cost codes and the standard
  categories (cost types); a cost code the project does not use yet is added to it.
- Receiving a contract again updates it (title, customer, date, retainage, items) when something
  changed and leaves it alone otherwise; the contract is born SYNCED with the ERP's contract ID.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.base import ZERO, utcnow
from models.company import get_settings
from models.enums import ErpSystem, Origin, SyncStatus
from models.erp import ERP_NAMES
from models.errors import DomainError, ErrorCode
from models.inputs import clean_text, parse_money, parse_percent
from models.policy import IMPORT_PRIME_CONTRACTS, Actor, require
from models.prime_contracts import PrimeContract, PrimeContractLine
from models.projects import Project, ProjectCostCode, SubJob
from models.sync import mark_born_synced, record_transition
from models.wbs import CostCode, CostType

MAX_KEY = 32


@dataclass
class PrimeContractItemIn:
    item: str
    cost_code: str
    category: str
    amount: Decimal | str
    extra: str | None = None
    description: str = ""
    job_id: str | None = None  # an item may name its job; it must be the contract's job


@dataclass
class PrimeContractIn:
    contract_id: str
    job_id: str
    title: str = ""
    customer: str = ""
    contract_date: dt.date | None = None
    retainage_percent: Decimal | str | None = None
    items: list[PrimeContractItemIn] = field(default_factory=list)


@dataclass
class ReceivedPrimeContract:
    prime_contract: PrimeContract
    created: bool
    changed: bool


# (item, sub job id, cost code id, cost type id, description, amount)
PlacedItem = tuple[str, int | None, int, int, str, Decimal]


def require_sage_300(session: Session) -> None:
    system = ErpSystem(get_settings(session).erp_system)
    if system != ErpSystem.SAGE_300_CRE:
        raise DomainError(
            ErrorCode.UNSUPPORTED_BY_ERP,
            f"{ERP_NAMES[system]} does not sync prime contracts; prime contracts come from Sage 300 CRE's "
            "Contracts module",
        )


class Placement:
    """Finds what a contract names (its project, sub jobs, cost codes, categories, an existing
    contract) with each lookup loaded once, so checking a file of contracts costs a few queries.
    Every refusal is a DomainError naming the field and the fix."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._projects: dict[str, Project] | None = None
        self._codes: dict[str, CostCode] | None = None
        self._types: dict[str, CostType] | None = None
        self._sub_jobs: dict[int, dict[str, int]] = {}

    def project(self, job_id: str, field_name: str = "jobId") -> Project:
        key = clean_text(job_id, field_name, required=True, max_len=MAX_KEY)
        if self._projects is None:
            self._projects = {
                p.origin_id.lower(): p
                for p in self.session.scalars(
                    select(Project).where(
                        Project.origin_id.is_not(None), Project.sync_status == SyncStatus.SYNCED
                    )
                )
                if p.origin_id
            }
        project = self._projects.get(key.lower())
        if project is None:
            raise DomainError(
                ErrorCode.UNKNOWN_JOB,
                f"No project is synced with ERP job {key}: bring the job in (receiveErpJobs) or send its "
                "project to the ERP first, then import the contract",
                field_name,
            )
        return project

    def sub_job(self, project: Project, number: str | None, field_name: str) -> int | None:
        text = (number or "").strip()
        if not text:
            return None
        numbers = self._sub_jobs.get(project.id)
        if numbers is None:
            numbers = self._sub_jobs[project.id] = {
                n.lower(): sid
                for sid, n in self.session.execute(
                    select(SubJob.id, SubJob.number).where(SubJob.project_id == project.id)
                )
            }
        found = numbers.get(text.lower())
        if found is None:
            raise DomainError(
                ErrorCode.UNKNOWN_SUB_JOB,
                f"Extra {text} is not a sub job of project {project.number}: sync the extra first",
                field_name,
            )
        return found

    def cost_code(self, code: str, field_name: str) -> CostCode:
        text = clean_text(code, field_name, required=True, max_len=MAX_KEY)
        if self._codes is None:
            self._codes = {c.code.lower(): c for c in self.session.scalars(select(CostCode))}
        found = self._codes.get(text.lower())
        if found is None:
            raise DomainError(
                ErrorCode.UNKNOWN_COST_CODE,
                f"Cost code {text} is not on the company's standard cost code list: sync it from "
                "Sage 300 CRE",
                field_name,
            )
        return found

    def cost_type(self, category: str, field_name: str) -> CostType:
        text = clean_text(category, field_name, required=True, max_len=MAX_KEY)
        if self._types is None:
            rows = list(self.session.scalars(select(CostType)))
            # the ERP's category letter wins over a code that happens to read the same
            self._types = {t.code.lower(): t for t in rows}
            self._types.update({t.erp_code.lower(): t for t in rows if t.erp_code})
        found = self._types.get(text.lower())
        if found is None:
            raise DomainError(
                ErrorCode.UNKNOWN_COST_TYPE,
                f"Category {text} is not on the standard category list",
                field_name,
            )
        return found

    def contract_project(self, contract_id: str, project: Project, field_name: str = "contractId") -> None:
        """Refuse a contract that is already on another project: one contract, one project."""
        other = self.session.scalar(
            select(PrimeContract).where(
                func.lower(PrimeContract.number) == contract_id.lower(),
                PrimeContract.project_id != project.id,
            )
        )
        if other is not None:
            held = other.project
            raise DomainError(
                ErrorCode.PRIME_CONTRACT_ON_ANOTHER_PROJECT,
                f"Prime contract {contract_id} is already on project {held.number} {held.name} (ERP job "
                f"{held.origin_id}); a prime contract belongs to one project. Fix: correct the job on the "
                f"contract's items in Sage 300 CRE (Contracts > {contract_id}) to job {held.origin_id}, or "
                f"give the contract for job {project.origin_id} its own contract ID",
                field_name,
            )

    def place_items(self, project: Project, items: list[PrimeContractItemIn]) -> list[PlacedItem]:
        placed: list[PlacedItem] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            where = f"items[{index}]."
            key = clean_text(item.item, where + "item", required=True, max_len=MAX_KEY)
            if key.lower() in seen:
                raise DomainError(ErrorCode.DUPLICATE_ROW, f"Item {key} is listed twice", where + "item")
            seen.add(key.lower())
            if item.job_id and item.job_id.strip().lower() != (project.origin_id or "").lower():
                raise DomainError(
                    ErrorCode.PRIME_CONTRACT_ON_SEVERAL_JOBS,
                    f"Item {key} is on job {item.job_id.strip()}, the contract on job {project.origin_id}: a "
                    "prime contract belongs to one project. Fix: put every item of the contract on one job "
                    "in Sage 300 CRE, or split the contract",
                    where + "jobId",
                )
            placed.append(
                (
                    key,
                    self.sub_job(project, item.extra, where + "extra"),
                    self.cost_code(item.cost_code, where + "costCode").id,
                    self.cost_type(item.category, where + "category").id,
                    clean_text(item.description, where + "description"),
                    parse_money(item.amount, where + "amount", required=True, allow_negative=True),
                )
            )
        return placed


def _add_project_codes(session: Session, project: Project, code_ids: set[int]) -> None:
    present = set(
        session.scalars(select(ProjectCostCode.cost_code_id).where(ProjectCostCode.project_id == project.id))
    )
    for code_id in sorted(code_ids - present):
        session.add(ProjectCostCode(project_id=project.id, cost_code_id=code_id))


def _line_key(line: PrimeContractLine) -> PlacedItem:
    return (line.item, line.sub_job_id, line.cost_code_id, line.cost_type_id, line.description, line.amount)


@dataclass
class PlannedContract:
    """What receiving one contract would do, every rule checked and nothing written."""

    number: str
    project: Project
    header: dict[str, object]
    items: list[PlacedItem]
    existing: PrimeContract | None

    @property
    def created(self) -> bool:
        return self.existing is None

    @property
    def relinked(self) -> bool:
        existing = self.existing
        return existing is not None and (
            existing.sync_status != SyncStatus.SYNCED or existing.origin != Origin.ERP
        )

    @property
    def changed(self) -> bool:
        existing = self.existing
        if existing is None:
            return True
        return any(getattr(existing, k) != v for k, v in self.header.items()) or sorted(
            _line_key(line) for line in existing.lines
        ) != sorted(self.items)


def plan_prime_contract(
    session: Session, contract_in: PrimeContractIn, placement: Placement | None = None
) -> PlannedContract:
    """Check one incoming contract against every rule (DomainError on the first that says no)."""
    placement = placement or Placement(session)
    number = clean_text(contract_in.contract_id, "contractId", required=True, max_len=MAX_KEY)
    project = placement.project(contract_in.job_id)
    placement.contract_project(number, project)
    header: dict[str, object] = {
        "title": clean_text(contract_in.title, "title"),
        "customer": clean_text(contract_in.customer, "customer"),
        "contract_date": contract_in.contract_date,
        "retainage_percent": parse_percent(contract_in.retainage_percent or ZERO, "retainagePercent"),
    }
    items = placement.place_items(project, contract_in.items)
    existing = session.scalar(select(PrimeContract).where(func.lower(PrimeContract.number) == number.lower()))
    return PlannedContract(number, project, header, items, existing)


def apply_prime_contract(session: Session, actor: Actor, planned: PlannedContract) -> ReceivedPrimeContract:
    """Write a planned contract: create it (born SYNCED), or refresh it when something changed."""
    contract = planned.existing
    changed = planned.changed
    relinked = planned.relinked
    project = planned.project
    if contract is None:
        contract = PrimeContract(project_id=project.id, number=planned.number, **planned.header)
        session.add(contract)
        session.flush()
    elif changed:
        for key, value in planned.header.items():
            setattr(contract, key, value)
        contract.lines = []
        session.flush()  # the old items go before new ones take their item numbers
    if changed:
        _add_project_codes(session, project, {code_id for _, _, code_id, _, _, _ in planned.items})
        contract.lines = [
            PrimeContractLine(
                item=item, sub_job_id=sub_job_id, cost_code_id=code_id, cost_type_id=type_id,
                description=description, amount=amount,
            )
            for item, sub_job_id, code_id, type_id, description, amount in planned.items
        ]  # fmt: skip
    note = f"Sage 300 CRE contract {planned.number}"
    if planned.created:
        mark_born_synced(session, contract, planned.number, actor, note=note)
    elif relinked:
        # unlinked earlier: the ERP's contract links it again
        contract.origin, contract.origin_id, contract.synced_at = Origin.ERP, planned.number, utcnow()
        record_transition(session, contract, "receive", SyncStatus.SYNCED, actor, note=note)
    session.flush()
    return ReceivedPrimeContract(contract, planned.created, changed or relinked)


def receive_prime_contract(
    session: Session, actor: Actor, contract_in: PrimeContractIn, placement: Placement | None = None
) -> ReceivedPrimeContract:
    """Create or refresh one prime contract from the ERP (STANDARD on ERP Integrations and READ_ONLY
    on Prime Contract). Refused, changing nothing, when a rule above says no."""
    require(actor, IMPORT_PRIME_CONTRACTS, "Importing a prime contract")
    require_sage_300(session)
    return apply_prime_contract(session, actor, plan_prime_contract(session, contract_in, placement))
