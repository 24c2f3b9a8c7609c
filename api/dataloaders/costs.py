"""Loaders for direct costs: one page of each project's job-cost transactions.

A key is ``(project_id, limit, after, type)``, ``after`` the sort-key values of the cursor the page
follows (None for the first page). Keys that share the page size, cursor values and filter are
served by one windowed query, however many projects ask, plus one grouped count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from api.relay import Keyset
from models.costs import DirectCost
from models.enums import DirectCostType

# the order of a project's direct costs: by item date, then id (unique)
DIRECT_COST_ORDER = Keyset.of(select(DirectCost).order_by(DirectCost.item_date, DirectCost.id))

PageKey = tuple[int, int, tuple[Any, ...] | None, DirectCostType | None]
# a page's rows, the project's total and whether more rows follow
Page = tuple[list[DirectCost], int, bool]


def direct_cost_pages(session: Session, keys: Sequence[PageKey]) -> list[Page]:
    groups: dict[tuple[int, tuple[Any, ...] | None, DirectCostType | None], set[int]] = defaultdict(set)
    for project_id, limit, after, kind in keys:
        groups[(limit, after, kind)].add(project_id)
    results: dict[PageKey, Page] = {}
    for (limit, after, kind), project_ids in groups.items():
        inner = select(
            DirectCost,
            func.row_number()
            .over(partition_by=DirectCost.project_id, order_by=DIRECT_COST_ORDER.order_by())
            .label("position"),
        ).where(DirectCost.project_id.in_(project_ids))
        counted = select(DirectCost.project_id, func.count()).where(DirectCost.project_id.in_(project_ids))
        if kind is not None:
            inner = inner.where(DirectCost.type == kind)
            counted = counted.where(DirectCost.type == kind)
        if after is not None:
            inner = inner.where(DIRECT_COST_ORDER.after(after))
        sub = inner.subquery()
        cost = aliased(DirectCost, sub)
        pages: dict[int, list[DirectCost]] = defaultdict(list)
        if limit:
            rows = session.scalars(
                select(cost).where(sub.c.position <= limit + 1).order_by(sub.c.project_id, sub.c.position)
            ).all()
            for row in rows:
                pages[row.project_id].append(row)
        totals = dict(session.execute(counted.group_by(DirectCost.project_id)).all())
        for project_id in project_ids:
            page = pages.get(project_id, [])
            results[(project_id, limit, after, kind)] = (
                page[:limit],
                totals.get(project_id, 0),
                len(page) > limit,
            )
    return [results[k] for k in keys]
