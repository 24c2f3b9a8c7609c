"""ERP set-up coming in: jobs with their phases (Sage 100) or extras (Sage 300), and the cost code
list with its categories. One implementation of the rules, called by the sync agent's mutation
(``receiveErpJobs``) and by the file loads (``importers/erp_setup.py``): each record is first
checked (``check_erp_job``, ``check_erp_cost_code``: no writes, so a dry run asks the same
questions) and then written through the sync transition functions, so its history is recorded.

A job created in the ERP becomes a SYNCED, origin-ERP project (its Job ID becomes the project
number), with its phases or extras as SYNCED sub jobs. A job is created in one system and synced to
the other, never in both: a job whose number an unsynced CostBridge project already uses is refused
with JOB_EXISTS_IN_BOTH_SYSTEMS and the fix. Receiving the same job again updates its name and
address and adds new sub jobs (idempotent).

An ERP cost code becomes a SYNCED, origin-ERP cost code keyed by its code. A code typed into
CostBridge before the list was loaded is the same code (codes are unique): it is linked (SYNCED, the
ERP's key, the ERP's description) rather than refused, unless it is on its way to the ERP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.budgets import Budget
from models.enums import Origin, SyncStatus
from models.errors import DomainError, ErrorCode
from models.policy import RECEIVE_ERP_COST_CODES, RECEIVE_ERP_JOBS, Actor, require
from models.projects import Project, SubJob
from models.sync import mark_born_synced, record_transition
from models.wbs import CostCode, CostType, company_division

_SENDING = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)


@dataclass
class ErpSubJobIn:
    number: str
    name: str | None  # None or blank: keep the name of a sub job already received


@dataclass
class ErpJobIn:
    """One ERP job. An optional field left None keeps what the project has (a file without the
    column); the agent's mutation sends '' for a field it leaves out, which clears it."""

    job_id: str
    name: str | None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    sub_jobs: list[ErpSubJobIn] = field(default_factory=list)


@dataclass
class ReceivedJob:
    project: Project
    created: bool
    sub_jobs_created: int


@dataclass
class CheckedJob:
    """What receiving a job will do, decided before anything is written."""

    job_id: str
    project: Project | None  # the project to refresh; None: one is created
    values: dict[str, str]  # the project's fields after receiving (all of them when created)
    changes: dict[str, str]  # of ``values``, those that differ from the project's
    new_sub_jobs: list[tuple[str, str]]  # (number, name) to create
    renamed_sub_jobs: list[tuple[SubJob, str]]  # ERP sub jobs whose name changes

    @property
    def changed(self) -> bool:
        return self.project is None or bool(self.changes or self.new_sub_jobs or self.renamed_sub_jobs)


def _text(value: str | None, field_name: str, max_len: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field_name} is required", field_name)
    if len(text) > max_len:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"{field_name} is longer than {max_len} characters", field_name
        )
    return text


_JOB_FIELDS = (("address", 200), ("city", 100), ("state", 50), ("zip", 20))


def check_erp_job(session: Session, job: ErpJobIn) -> CheckedJob:
    """The rules for receiving one ERP job, without writing: raises the DomainError that would
    refuse it (JOB_EXISTS_IN_BOTH_SYSTEMS with the fix, a project still being exported, a missing
    name or number, a value too long)."""
    job_id = _text(job.job_id, "jobId", 32, required=True)
    project = session.scalar(select(Project).where(func.lower(Project.origin_id) == job_id.lower()))
    if project is None:
        same_number = session.scalar(select(Project).where(func.lower(Project.number) == job_id.lower()))
        if same_number is not None:
            raise DomainError(
                ErrorCode.JOB_EXISTS_IN_BOTH_SYSTEMS,
                f"ERP job {job_id} has the number of CostBridge project {same_number.number} "
                f"{same_number.name}, which is not synced ({same_number.sync_status.value}). A job is "
                "created in one system and synced to the other, never in both. Fix: keep the ERP job "
                f"and renumber (or delete) the CostBridge project, or keep the CostBridge project and "
                f"send it to the ERP, where the accounting approver links it to job {job_id}",
                "jobId",
            )
    elif project.sync_status != SyncStatus.SYNCED:
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"Project {project.number} linked to ERP job {job_id} is {project.sync_status.value}; "
            "wait for its export to finish before receiving the job again",
            "jobId",
        )
    values: dict[str, str] = {}
    name = _text(job.name, "name", 200, required=project is None)
    if name:
        values["name"] = name
    for key, max_len in _JOB_FIELDS:
        given = getattr(job, key)
        if given is not None or project is None:
            values[key] = _text(given, key, max_len)
    changes = values if project is None else {k: v for k, v in values.items() if getattr(project, k) != v}

    existing: dict[str, SubJob] = {}
    if project is not None:
        existing = {
            s.number.lower(): s
            for s in session.scalars(select(SubJob).where(SubJob.project_id == project.id))
        }
    new: dict[str, tuple[str, str]] = {}
    renamed: list[tuple[SubJob, str]] = []
    for i, sub in enumerate(job.sub_jobs):
        number = _text(sub.number, f"subJobs.{i}.number", 32, True)
        current = existing.get(number.lower())
        sub_name = _text(sub.name, f"subJobs.{i}.name", 200)
        if current is None and not sub_name:
            raise DomainError(
                ErrorCode.REQUIRED,
                f"Phase/extra {number} of job {job_id} is new: its name is required",
                f"subJobs.{i}.name",
            )
        if current is None:
            new[number.lower()] = (number, sub_name)
        elif current.origin == Origin.ERP and sub_name and sub_name != current.name:
            renamed.append((current, sub_name))
    return CheckedJob(job_id, project, values, changes, list(new.values()), renamed)


def write_erp_job(session: Session, actor: Actor, checked: CheckedJob) -> ReceivedJob:
    """Write what ``check_erp_job`` decided (the caller checked ``actor`` may receive jobs)."""
    job_id = checked.job_id
    project = checked.project
    created = project is None
    if project is None:
        project = Project(number=job_id, **checked.values)
        session.add(project)
        session.add(Budget(project=project))
        session.flush()
        mark_born_synced(session, project, job_id, actor, note=f"ERP job {job_id}")
    else:
        for key, value in checked.changes.items():
            setattr(project, key, value)
    for sub_job, name in checked.renamed_sub_jobs:
        sub_job.name = name
    for number, name in checked.new_sub_jobs:
        sub = SubJob(project_id=project.id, number=number, name=name)
        session.add(sub)
        session.flush()
        mark_born_synced(session, sub, number, actor, note=f"ERP job {job_id} sub job {number}")
    session.flush()
    return ReceivedJob(project=project, created=created, sub_jobs_created=len(checked.new_sub_jobs))


def receive_erp_job(session: Session, actor: Actor, job: ErpJobIn) -> ReceivedJob:
    """Create or refresh the project of one ERP job (ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_JOBS, "Adding an ERP job")
    return write_erp_job(session, actor, check_erp_job(session, job))


# --- cost codes and categories ---------------------------------------------------------------------


@dataclass
class ErpCostCodeIn:
    code: str
    description: str | None = None  # None: keep the description of a code already received


@dataclass
class CheckedCostCode:
    code: str
    found: CostCode | None  # the code already in CostBridge (None: created)
    link: bool  # a CostBridge code taking the ERP's key
    changes: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.found is None or self.link or bool(self.changes)


def cost_code_index(session: Session) -> dict[str, CostCode]:
    """The company's cost codes by their ERP key and by their code (case-insensitive)."""
    index: dict[str, CostCode] = {}
    for row in session.scalars(select(CostCode)):
        index.setdefault(row.code.lower(), row)
    for row in session.scalars(select(CostCode).where(CostCode.origin_id.is_not(None))):
        if row.origin_id:
            index[row.origin_id.lower()] = row
    return index


def check_erp_cost_code(code_in: ErpCostCodeIn, index: dict[str, CostCode]) -> CheckedCostCode:
    """The rules for receiving one ERP cost code against ``index`` (``cost_code_index``), without
    writing: raises the DomainError that would refuse it."""
    code = _text(code_in.code, "code", 32, required=True)
    found = index.get(code.lower())
    description = None if code_in.description is None else _text(code_in.description, "description", 200)
    changes: dict[str, Any] = {}
    if found is not None and description is not None and description != found.description:
        changes["description"] = description
    if found is None:
        return CheckedCostCode(code, None, False, {"description": description or ""})
    if found.origin == Origin.ERP or (found.origin_id or "").lower() == code.lower():
        return CheckedCostCode(code, found, False, changes)
    if found.sync_status in _SENDING:
        raise DomainError(
            ErrorCode.EXPORT_IN_PROGRESS,
            f"Cost code {found.code} is {found.sync_status.value}: it is being sent to the ERP. Fix: "
            "wait for its export to finish (or retrieve it), then load the cost code list again",
            "code",
        )
    if found.origin_id:
        raise DomainError(
            ErrorCode.DUPLICATE_ORIGIN_ID,
            f"Cost code {found.code} is already linked to ERP cost code {found.origin_id}. Fix: unlink it "
            "first, or correct the code in the file",
            "code",
        )
    return CheckedCostCode(code, found, True, changes)


def write_erp_cost_code(session: Session, actor: Actor, checked: CheckedCostCode, note: str) -> CostCode:
    """Write what ``check_erp_cost_code`` decided (the caller checked ``actor`` may receive codes)."""
    row = checked.found
    if row is None:
        row = CostCode(
            code=checked.code,
            description=checked.changes.get("description", ""),
            division=company_division(session, checked.code),
            active=True,
        )
        session.add(row)
        session.flush()
        mark_born_synced(session, row, checked.code, actor, note=note)
        return row
    for key, value in checked.changes.items():
        setattr(row, key, value)
    if checked.link:
        row.origin_id = checked.code
        row.synced_at = utcnow()
        record_transition(
            session, row, "link", SyncStatus.SYNCED, actor, note=f"{note}: linked to ERP cost code {row.code}"
        )
    return row


def receive_erp_cost_code(session: Session, actor: Actor, code_in: ErpCostCodeIn) -> CostCode:
    """Create, refresh or link one ERP cost code (ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_COST_CODES, "Adding an ERP cost code")
    checked = check_erp_cost_code(code_in, cost_code_index(session))
    row = write_erp_cost_code(session, actor, checked, note=f"ERP cost code {checked.code}")
    session.flush()
    return row


def receive_erp_category(session: Session, actor: Actor, code: str, name: str | None) -> CostType:
    """An ERP category (Sage 300) or cost type (Sage 100): found by code, ERP letter or name, else
    added as an ERP-origin cost type (ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_COST_CODES, "Adding an ERP category")
    code = _text(code, "category", 8, required=True)
    for column in (CostType.code, CostType.erp_code, CostType.name):
        found = session.scalar(select(CostType).where(func.lower(column) == code.lower()))
        if found is not None:
            return found
    row = CostType(code=code, name=_text(name, "categoryName", 100) or code, origin="ERP", active=True)
    session.add(row)
    session.flush()
    return row
