"""Loaders for budgets: the budget of each project, its lines and its modifications."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.dataloaders import by_id, group_by, keys_from
from models.budgets import Budget, BudgetLine, BudgetModification
from models.projects import Project
from models.wbs import CostCode


@keys_from((Project, "id"))
def budget_by_project(session: Session, project_ids: Sequence[int]) -> list[Budget | None]:
    rows = session.scalars(select(Budget).where(Budget.project_id.in_(set(project_ids)))).all()
    found = {r.project_id: r for r in rows}
    return [found.get(k) for k in project_ids]


@keys_from((Budget, "id"))
def lines_by_budget(session: Session, budget_ids: Sequence[int]) -> list[list[BudgetLine]]:
    # by cost code in natural order, as the budget export and the report list them
    rows = session.scalars(
        select(BudgetLine)
        .join(CostCode, CostCode.id == BudgetLine.cost_code_id)
        .where(BudgetLine.budget_id.in_(set(budget_ids)))
        .order_by(
            CostCode.sort_key, CostCode.code, BudgetLine.sub_job_key, BudgetLine.cost_type_id, BudgetLine.id
        )
    ).all()
    return group_by(rows, lambda r: r.budget_id, budget_ids)


@keys_from((Budget, "id"))
def modifications_by_budget(session: Session, budget_ids: Sequence[int]) -> list[list[BudgetModification]]:
    rows = session.scalars(
        select(BudgetModification)
        .where(BudgetModification.budget_id.in_(set(budget_ids)))
        .order_by(BudgetModification.id)
    ).all()
    return group_by(rows, lambda r: r.budget_id, budget_ids)


@keys_from((BudgetModification, "from_line_id"), (BudgetModification, "to_line_id"))
def budget_lines(session: Session, keys: Sequence[int]) -> list[BudgetLine | None]:
    return by_id(session, BudgetLine, keys)
