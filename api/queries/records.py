"""Queries over the field-side records: projects, vendors, cost codes, cost types."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select

from api.context import Info
from api.permissions import IsAuthenticated
from api.relay import Connection, paginate
from api.types.enums import SyncStatus
from api.types.projects import Project
from models import projects as m


@strawberry.type
class RecordQueries:
    @strawberry.field(permission_classes=[IsAuthenticated])
    def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        sync_status: SyncStatus | None = None,
    ) -> Connection[Project]:
        stmt = select(m.Project).order_by(m.Project.number, m.Project.id)
        if search:
            like = f"%{search.strip().lower()}%"
            stmt = stmt.where(or_(m.Project.number.ilike(like), m.Project.name.ilike(like)))
        if sync_status is not None:
            stmt = stmt.where(m.Project.sync_status == sync_status)
        return paginate(info.context.session, stmt, Project.from_row, first, after)
