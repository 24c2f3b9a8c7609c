"""Loaders for what hangs off a project."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dataloaders import group_by
from models.projects import SubJob


def sub_jobs_by_project(session: Session, project_ids: Sequence[int]) -> list[list[SubJob]]:
    rows = session.scalars(
        select(SubJob).where(SubJob.project_id.in_(set(project_ids))).order_by(SubJob.number)
    ).all()
    return group_by(rows, lambda r: r.project_id, project_ids)
