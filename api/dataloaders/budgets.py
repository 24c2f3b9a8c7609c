"""Loaders for budgets: the budget of each project, its lines and its modifications (plain rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from api.dataloaders import group_by, key_in, keys_from, read_rows, returns_rows, rows_by_id, rows_of
from models.budgets import Budget, BudgetLine, BudgetModification
from models.projects import Project
from models.wbs import CostCode


@returns_rows(Budget)
@keys_from((Project, "id"))
def budget_by_project(session: Session, project_ids: Sequence[int]) -> list[Any]:
    rows = read_rows(session, rows_of(Budget).where(key_in(session, Budget.project_id, project_ids)))
    found = {r.project_id: r for r in rows}
    return [found.get(k) for k in project_ids]


@returns_rows(BudgetLine)
@keys_from((Budget, "id"))
def lines_by_budget(session: Session, budget_ids: Sequence[int]) -> list[list[Any]]:
    # by cost code in natural order, as the budget export and the report list them
    rows = read_rows(
        session,
        rows_of(BudgetLine)
        .join(CostCode, CostCode.id == BudgetLine.cost_code_id)
        .where(key_in(session, BudgetLine.budget_id, budget_ids))
        .order_by(
            CostCode.sort_key, CostCode.code, BudgetLine.sub_job_key, BudgetLine.cost_type_id, BudgetLine.id
        ),
    )
    return group_by(rows, lambda r: r.budget_id, budget_ids)


@returns_rows(BudgetModification)
@keys_from((Budget, "id"))
def modifications_by_budget(session: Session, budget_ids: Sequence[int]) -> list[list[Any]]:
    rows = read_rows(
        session,
        rows_of(BudgetModification)
        .where(key_in(session, BudgetModification.budget_id, budget_ids))
        .order_by(BudgetModification.id),
    )
    return group_by(rows, lambda r: r.budget_id, budget_ids)


@returns_rows(BudgetLine)
@keys_from((BudgetModification, "from_line_id"), (BudgetModification, "to_line_id"))
def budget_lines(session: Session, keys: Sequence[int]) -> list[Any]:
    return rows_by_id(session, BudgetLine, keys)
