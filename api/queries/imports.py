"""Queries for the imports area: the ImportRun history."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from api.context import Info
from api.permissions import IsAuthenticated
from api.relay import Connection, decode_id, paginate
from api.types.enums import ImportKind
from api.types.imports import ImportRun
from models import imports as m


@strawberry.type
class ImportQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Import runs, newest first.")
    def import_runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: ImportKind | None = None,
        project_id: strawberry.ID | None = None,
    ) -> Connection[ImportRun]:
        stmt = select(m.ImportRun).order_by(m.ImportRun.id.desc())
        if kind is not None:
            stmt = stmt.where(m.ImportRun.kind == kind)
        if project_id is not None:
            stmt = stmt.where(m.ImportRun.project_id == decode_id(project_id, "Project", "projectId"))
        return paginate(info.context.session, stmt, ImportRun.from_row, first, after)
