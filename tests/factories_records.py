"""Test data for the records area, built with the domain functions (as a trusted system caller)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from api.relay import to_global_id
from models import budgets, commitments, directory, projects, wbs
from models.enums import CommitmentKind, CommitmentStatus, SyncStatus
from tests.actors import SETUP


@dataclass
class Setup:
    """Global IDs (and primary keys in ``pk``) of a project with cost codes, cost types, a sub job."""

    project: str
    other_project: str
    cost_codes: dict[str, str]
    cost_types: dict[str, str]
    sub_job: str
    other_sub_job: str
    vendor: str
    pk: dict[str, int] = field(default_factory=dict)


def seed(session_factory) -> Setup:
    """Project 24-001 uses cost codes 01-100 and 02-200 (not 03-300); cost types L and M; sub job A."""
    with session_factory() as s:
        codes = {
            c: wbs.create_cost_code(s, SETUP, code=c, description=f"Code {c}")
            for c in ("01-100", "02-200", "03-300")
        }
        types = {
            c: wbs.create_cost_type(s, SETUP, code=c, name=n) for c, n in (("L", "Labor"), ("M", "Material"))
        }
        project = projects.create_project(s, SETUP, number="24-001", name="Harbor Clinic")
        other = projects.create_project(s, SETUP, number="24-002", name="Bay School")
        projects.add_project_cost_codes(s, SETUP, project, [codes["01-100"].id, codes["02-200"].id])
        projects.add_project_cost_codes(s, SETUP, other, [codes["01-100"].id])
        sub_job = projects.create_sub_job(s, SETUP, project, number="A", name="Phase A")
        other_sub_job = projects.create_sub_job(s, SETUP, other, number="A", name="Other A")
        vendor = directory.create_vendor(s, SETUP, name="ACME Concrete, Inc.")
        s.commit()
        return Setup(
            project=to_global_id("Project", project.id),
            other_project=to_global_id("Project", other.id),
            cost_codes={c: to_global_id("CostCode", r.id) for c, r in codes.items()},
            cost_types={c: to_global_id("CostType", r.id) for c, r in types.items()},
            sub_job=to_global_id("SubJob", sub_job.id),
            other_sub_job=to_global_id("SubJob", other_sub_job.id),
            vendor=to_global_id("Vendor", vendor.id),
            pk={
                "project": project.id,
                "other_project": other.id,
                "vendor": vendor.id,
                "sub_job": sub_job.id,
                **{f"cc:{c}": r.id for c, r in codes.items()},
                **{f"ct:{c}": r.id for c, r in types.items()},
            },
        )


def count(session_factory, model, *where) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def set_sync_status(session_factory, model, pk: int, status: SyncStatus) -> None:
    """Put a record in a sync state directly, as the workflow would have."""
    with session_factory() as s:
        s.get(model, pk).sync_status = status
        s.commit()


def synced_commitment(session_factory, setup: Setup, number: str = "SC-001") -> int:
    """An approved subcontract of 1,000.00 + 500.00 on project 24-001, synced with the ERP."""
    with session_factory() as s:
        project = s.get(projects.Project, setup.pk["project"])
        row = commitments.create_commitment(
            s,
            SETUP,
            project,
            kind=CommitmentKind.SUBCONTRACT,
            number=number,
            title="Concrete",
            vendor_id=setup.pk["vendor"],
            retainage_percent="10",
            lines=[
                {
                    "cost_code_id": setup.pk["cc:01-100"],
                    "cost_type_id": setup.pk["ct:L"],
                    "amount": "1000.00",
                },
                {"cost_code_id": setup.pk["cc:02-200"], "cost_type_id": setup.pk["ct:M"], "amount": "500.00"},
            ],
        )
        commitments.change_commitment_status(s, SETUP, row, CommitmentStatus.APPROVED)
        row.sync_status = SyncStatus.SYNCED
        s.commit()
        return row.id


def budget_pk(session_factory, project_pk: int) -> int:
    with session_factory() as s:
        return s.scalar(select(budgets.Budget.id).where(budgets.Budget.project_id == project_pk))
