"""Queries for the imports area: the ImportRun history."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from api.context import Info
from api.permissions import Requires
from api.relay import Connection, decode_id, paginate
from api.types.enums import ImportKind
from api.types.imports import ImportRun
from models import imports as m


@strawberry.type
class ImportQueries:
    @strawberry.field(
        permission_classes=[Requires(m.IMPORT_RUNS_READ, "Reading import runs")],
        description="Import runs, newest first: each kind to readers of the tool it loads (budget "
        "imports to Budget readers, vendor lists to Directory readers, ERP loads to ERP Integrations "
        "readers).",
    )
    def import_runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: ImportKind | None = None,
        project_id: strawberry.ID | None = None,
    ) -> Connection[ImportRun] | None:
        kinds = m.readable_import_kinds(info.context.actor)
        stmt = select(m.ImportRun).where(m.ImportRun.kind.in_(kinds)).order_by(m.ImportRun.id.desc())
        if kind is not None:
            stmt = stmt.where(m.ImportRun.kind == kind)
        if project_id is not None:
            stmt = stmt.where(m.ImportRun.project_id == decode_id(project_id, "Project", "projectId"))
        return paginate(info.context.session, stmt, ImportRun.from_row, first, after)
