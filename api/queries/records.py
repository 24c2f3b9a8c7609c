"""Queries over the field-side records: projects, vendors, cost codes, cost types."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select

from api.context import Info
from api.dataloaders import rows_of
from api.permissions import Requires
from api.relay import Connection, build_connection, page_rows, paginate, selects
from api.serving.inputs import check_search
from api.types.directory import Vendor
from api.types.enums import SyncStatus
from api.types.projects import Project
from api.types.wbs import CostCode, CostType
from models import directory, wbs
from models import projects as m
from models.enums import Tool
from models.policy import WBS_READ, reading


def _like(search: str) -> str:
    escaped = (
        check_search(search).strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    )
    return f"%{escaped}%"


@strawberry.type
class RecordQueries:
    @strawberry.field(
        permission_classes=[Requires(reading(Tool.PROJECT_ADMIN), "Reading projects")],
        description="Projects by number. search matches number or name. Needs READ_ONLY on Project Admin.",
    )
    def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        sync_status: SyncStatus | None = None,
        active: bool | None = None,
    ) -> Connection[Project] | None:
        # plain rows (the ERP's messages are read by their own loader, when selected)
        stmt = rows_of(m.Project).order_by(m.Project.number, m.Project.id)
        if search:
            like = _like(search)
            stmt = stmt.where(
                or_(m.Project.number.ilike(like, escape="\\"), m.Project.name.ilike(like, escape="\\"))
            )
        if sync_status is not None:
            stmt = stmt.where(m.Project.sync_status == sync_status)
        if active is not None:
            stmt = stmt.where(m.Project.active.is_(active))
        rows, cursors, total, has_next = page_rows(
            info.context.session, stmt, first, after, scalars=False, count=selects(info, "totalCount")
        )
        # their ids are the keys of the page's budgets, sub jobs ... (one SELECT each)
        info.context.loaders.remember(m.Project, rows)
        return build_connection(
            [Project.from_row(r) for r in rows], cursors, total, has_next=has_next, after=after
        )

    @strawberry.field(
        permission_classes=[Requires(reading(Tool.DIRECTORY), "Reading vendors")],
        description="The company directory, by name. search matches the name or the ERP Vendor ID. "
        "Needs READ_ONLY on Directory.",
    )
    def vendors(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        sync_status: SyncStatus | None = None,
        active: bool | None = None,
    ) -> Connection[Vendor] | None:
        model = directory.Vendor
        stmt = select(model).order_by(model.name, model.id)
        if search:
            like = _like(search)
            matches = [model.name.ilike(like, escape="\\"), model.origin_id.ilike(like, escape="\\")]
            normalized = directory.normalize_vendor_name(search)
            if normalized:
                # 'Smith & Sons, LLC' finds 'Smith and Sons Inc.'
                matches.append(model.normalized_name.ilike(_like(normalized), escape="\\"))
            stmt = stmt.where(or_(*matches))
        if sync_status is not None:
            stmt = stmt.where(model.sync_status == sync_status)
        if active is not None:
            stmt = stmt.where(model.active.is_(active))
        return paginate(info.context.session, stmt, Vendor.from_row, first, after)

    @strawberry.field(
        permission_classes=[Requires(WBS_READ, "Reading cost codes")],
        description="The company standard cost code list in natural order (2120.000 before 15400.000, "
        "01-100 before 01-1000). search matches code or description. Needs READ_ONLY on any "
        "project-side tool.",
    )
    def cost_codes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        sync_status: SyncStatus | None = None,
        active: bool | None = None,
        division: str | None = None,
    ) -> Connection[CostCode] | None:
        model = wbs.CostCode
        stmt = select(model).order_by(model.sort_key, model.code, model.id)
        if search:
            like = _like(search)
            stmt = stmt.where(
                or_(model.code.ilike(like, escape="\\"), model.description.ilike(like, escape="\\"))
            )
        if sync_status is not None:
            stmt = stmt.where(model.sync_status == sync_status)
        if active is not None:
            stmt = stmt.where(model.active.is_(active))
        if division is not None:
            stmt = stmt.where(model.division == division)
        return paginate(info.context.session, stmt, CostCode.from_row, first, after)

    @strawberry.field(
        permission_classes=[Requires(WBS_READ, "Reading cost types")],
        description="Cost types by code. search matches code or name. Needs READ_ONLY on any "
        "project-side tool.",
    )
    def cost_types(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        active: bool | None = None,
    ) -> Connection[CostType] | None:
        model = wbs.CostType
        stmt = select(model).order_by(model.code, model.id)
        if search:
            like = _like(search)
            stmt = stmt.where(or_(model.code.ilike(like, escape="\\"), model.name.ilike(like, escape="\\")))
        if active is not None:
            stmt = stmt.where(model.active.is_(active))
        return paginate(info.context.session, stmt, CostType.from_row, first, after)
