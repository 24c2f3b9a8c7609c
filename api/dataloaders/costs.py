"""Loaders for direct costs: one page of each project's job-cost transactions.

A key is ``(project_id, limit, offset, type)``; keys that share the page and filter are served by
one windowed query, however many projects ask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.costs import DirectCost
from models.enums import DirectCostType

PageKey = tuple[int, int, int, DirectCostType | None]


def direct_cost_pages(session: Session, keys: Sequence[PageKey]) -> list[tuple[list[DirectCost], int]]:
    groups: dict[tuple, set[int]] = defaultdict(set)
    for project_id, limit, offset, kind in keys:
        groups[(limit, offset, kind)].add(project_id)
    results: dict[PageKey, tuple[list[DirectCost], int]] = {}
    for (limit, offset, kind), project_ids in groups.items():
        inner = select(
            DirectCost,
            func.row_number()
            .over(partition_by=DirectCost.project_id, order_by=(DirectCost.item_date, DirectCost.id))
            .label("position"),
            func.count().over(partition_by=DirectCost.project_id).label("total"),
        ).where(DirectCost.project_id.in_(project_ids))
        if kind is not None:
            inner = inner.where(DirectCost.type == kind)
        sub = inner.subquery()
        cost = aliased(DirectCost, sub)
        rows = session.execute(
            select(cost, sub.c.total)
            .where(sub.c.position > offset, sub.c.position <= offset + limit)
            .order_by(sub.c.project_id, sub.c.position)
        ).all()
        pages: dict[int, list[DirectCost]] = defaultdict(list)
        totals: dict[int, int] = {}
        for row, total in rows:
            pages[row.project_id].append(row)
            totals[row.project_id] = total
        missing = project_ids - totals.keys()
        if missing:
            # pages past the end still report the project's total
            count_stmt = select(DirectCost.project_id, func.count()).where(DirectCost.project_id.in_(missing))
            if kind is not None:
                count_stmt = count_stmt.where(DirectCost.type == kind)
            totals.update(dict(session.execute(count_stmt.group_by(DirectCost.project_id)).all()))
        for project_id in project_ids:
            results[(project_id, limit, offset, kind)] = (
                pages.get(project_id, []),
                totals.get(project_id, 0),
            )
    return [results[k] for k in keys]
