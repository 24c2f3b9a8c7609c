"""Lookup tables loaded once per import (cost codes, cost types, sub jobs, projects, vendors), so
planning never queries per row."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from importers.cells import CodeIndex
from models.directory import Vendor, normalize_vendor_name
from models.projects import Project, ProjectCostCode, SubJob
from models.wbs import CostCode, CostType


def cost_codes(session: Session) -> CodeIndex[int]:
    return CodeIndex(session.execute(select(CostCode.code, CostCode.id)).all())


def cost_types(session: Session) -> CodeIndex[int]:
    """By code ('1', 'L'), by the ERP's own letter/number, and by name ('Labor')."""
    rows = session.execute(select(CostType.id, CostType.code, CostType.erp_code, CostType.name)).all()
    # later pairs win in CodeIndex: names first, then ERP letters, then codes, so a code is never shadowed
    pairs = [(name, tid) for tid, _, _, name in rows]
    pairs += [(erp_code, tid) for tid, _, erp_code, _ in rows if erp_code]
    pairs += [(code, tid) for tid, code, _, _ in rows]
    return CodeIndex(pairs)


def project_cost_code_ids(session: Session, project_id: int) -> set[int]:
    return set(
        session.scalars(select(ProjectCostCode.cost_code_id).where(ProjectCostCode.project_id == project_id))
    )


def sub_jobs(session: Session, project_ids: Iterable[int] | None = None) -> dict[int, CodeIndex[int]]:
    stmt = select(SubJob.project_id, SubJob.number, SubJob.id)
    if project_ids is not None:
        stmt = stmt.where(SubJob.project_id.in_(project_ids))
    grouped: dict[int, list[tuple[str, int]]] = {}
    for project_id, number, sub_job_id in session.execute(stmt):
        grouped.setdefault(project_id, []).append((number, sub_job_id))
    return {pid: CodeIndex(pairs) for pid, pairs in grouped.items()}


def projects(session: Session) -> CodeIndex[int]:
    """Jobs match a project by its ERP Job ID (origin_id) first, then by project number."""
    rows = session.execute(select(Project.id, Project.number, Project.origin_id)).all()
    pairs = [(number, pid) for pid, number, _ in rows]
    pairs += [(origin_id, pid) for pid, _, origin_id in rows if origin_id]
    return CodeIndex(pairs)


class VendorIndex:
    """Job-cost vendors match by ERP Vendor Record Number, then by name (exact, then normalised)."""

    def __init__(self, session: Session):
        rows = session.execute(select(Vendor.id, Vendor.origin_id, Vendor.name, Vendor.normalized_name)).all()
        self.by_number = CodeIndex([(origin_id, vid) for vid, origin_id, _, _ in rows if origin_id])
        self.by_name = {name.strip().lower(): vid for vid, _, name, _ in rows}
        normalized: dict[str, list[int]] = {}
        for vid, _, name, norm in rows:
            normalized.setdefault(norm or normalize_vendor_name(name), []).append(vid)
        self.by_normalized = {k: v[0] for k, v in normalized.items() if len(v) == 1 and k}

    def get(self, text: str) -> int | None:
        found = self.by_number.get(text)
        if found is None:
            found = self.by_name.get(text.lower())
        if found is None:
            found = self.by_normalized.get(normalize_vendor_name(text))
        return found
