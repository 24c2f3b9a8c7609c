"""ERP jobs coming in: a job created in the ERP becomes a SYNCED, origin-ERP project (its Job ID
becomes the project number), with its phases (Sage 100) or extras (Sage 300) as SYNCED sub jobs.

A job is created in one system and synced to the other, never in both: a job whose number an
unsynced CostBridge project already uses is refused with JOB_EXISTS_IN_BOTH_SYSTEMS and the fix.
Receiving the same job again updates its name and address and adds new sub jobs (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.budgets import Budget
from models.enums import Origin, SyncStatus
from models.errors import DomainError, ErrorCode
from models.policy import RECEIVE_ERP_JOBS, Actor, require
from models.projects import Project, SubJob
from models.sync import mark_born_synced


@dataclass
class ErpSubJobIn:
    number: str
    name: str


@dataclass
class ErpJobIn:
    job_id: str
    name: str
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    sub_jobs: list[ErpSubJobIn] = field(default_factory=list)


@dataclass
class ReceivedJob:
    project: Project
    created: bool
    sub_jobs_created: int


def _text(value: str | None, field_name: str, max_len: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field_name} is required", field_name)
    if len(text) > max_len:
        raise DomainError(
            ErrorCode.INVALID_VALUE, f"{field_name} is longer than {max_len} characters", field_name
        )
    return text


def receive_erp_job(session: Session, actor: Actor, job: ErpJobIn) -> ReceivedJob:
    """Create or refresh the project of one ERP job (ADMIN on ERP Integrations)."""
    require(actor, RECEIVE_ERP_JOBS, "Adding an ERP job")
    job_id = _text(job.job_id, "jobId", 32, required=True)
    name = _text(job.name, "name", 200, required=True)
    values = {
        "name": name,
        "address": _text(job.address, "address", 200),
        "city": _text(job.city, "city", 100),
        "state": _text(job.state, "state", 50),
        "zip": _text(job.zip, "zip", 20),
    }
    sub_jobs = [
        (_text(s.number, "subJobs.number", 32, True), _text(s.name, "subJobs.name", 200, True))
        for s in job.sub_jobs
    ]

    project = session.scalar(select(Project).where(func.lower(Project.origin_id) == job_id.lower()))
    created = False
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
        project = Project(number=job_id, **values)
        session.add(project)
        session.add(Budget(project=project))
        session.flush()
        mark_born_synced(session, project, job_id, actor, note=f"ERP job {job_id}")
        created = True
    else:
        if project.sync_status != SyncStatus.SYNCED:
            raise DomainError(
                ErrorCode.INVALID_STATUS_TRANSITION,
                f"Project {project.number} linked to ERP job {job_id} is {project.sync_status.value}; "
                "wait for its export to finish before receiving the job again",
                "jobId",
            )
        for key, value in values.items():
            setattr(project, key, value)

    existing = {
        s.number.lower(): s for s in session.scalars(select(SubJob).where(SubJob.project_id == project.id))
    }
    made = 0
    for number, sub_name in sub_jobs:
        current = existing.get(number.lower())
        if current is not None:
            if current.origin == Origin.ERP:
                current.name = sub_name
            continue
        sub = SubJob(project_id=project.id, number=number, name=sub_name)
        session.add(sub)
        session.flush()
        mark_born_synced(session, sub, number, actor, note=f"ERP job {job_id} sub job {number}")
        existing[number.lower()] = sub
        made += 1
    session.flush()
    return ReceivedJob(project=project, created=created, sub_jobs_created=made)
