"""Loaders for projects and what hangs off a project: sub jobs and the project's cost codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dataloaders import group_by, key_in, keys_from, read_rows, returns_rows, rows_by_id, rows_of
from models.budgets import Budget, BudgetLine
from models.commitments import Commitment, CommitmentChangeOrderLine, CommitmentLine
from models.costs import DirectCost
from models.invoices import SubcontractorInvoiceLine
from models.natural_sort import natural_sort_key
from models.projects import Project, ProjectCostCode, SubJob
from models.wbs import CostCode


@returns_rows(SubJob)
@keys_from((Project, "id"))
def sub_jobs_by_project(session: Session, project_ids: Sequence[int]) -> list[list[Any]]:
    rows = sorted(
        read_rows(session, rows_of(SubJob).where(key_in(session, SubJob.project_id, project_ids))),
        key=lambda r: (natural_sort_key(r.number), r.number),
    )
    return group_by(rows, lambda r: r.project_id, project_ids)


@returns_rows(SubJob)
@keys_from(
    (BudgetLine, "sub_job_id"),
    (CommitmentLine, "sub_job_id"),
    (CommitmentChangeOrderLine, "sub_job_id"),
    (SubcontractorInvoiceLine, "sub_job_id"),
    (DirectCost, "sub_job_id"),
)
def sub_jobs(session: Session, keys: Sequence[int]) -> list[Any]:
    return rows_by_id(session, SubJob, keys)


@returns_rows(Project)
@keys_from((Commitment, "project_id"), (Budget, "project_id"))
def projects(session: Session, keys: Sequence[int]) -> list[Any]:
    return rows_by_id(session, Project, keys)


@keys_from((Project, "id"))
def cost_codes_by_project(session: Session, project_ids: Sequence[int]) -> list[list[CostCode]]:
    rows = session.execute(
        select(ProjectCostCode.project_id, CostCode)
        .join(CostCode, CostCode.id == ProjectCostCode.cost_code_id)
        .where(key_in(session, ProjectCostCode.project_id, project_ids))
        .order_by(CostCode.sort_key, CostCode.code)
    ).all()
    grouped = group_by(rows, lambda r: r[0], project_ids)
    return [[r[1] for r in group] for group in grouped]
