"""Project and SubJob types."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.dataloaders import projects as loaders
from api.relay import Node, register_node, to_global_id
from api.types.sync import SyncInfo
from models import projects as m


@register_node(m.SubJob)
@strawberry.type
class SubJob(Node):
    number: str
    name: str
    sync: SyncInfo
    _pk: strawberry.Private[int]
    _project_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.SubJob) -> SubJob:
        return cls(
            id=to_global_id("SubJob", row.id),
            number=row.number,
            name=row.name,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
            _project_id=row.project_id,
        )


@register_node(m.Project)
@strawberry.type(description="A construction project (an ERP job).")
class Project(Node):
    number: str
    name: str
    address: str
    city: str
    state: str
    zip: str
    active: bool
    erp_job_id: str | None = strawberry.field(description="The ERP Job ID once synced.")
    sync: SyncInfo
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.Project) -> Project:
        return cls(
            id=to_global_id("Project", row.id),
            number=row.number,
            name=row.name,
            address=row.address,
            city=row.city,
            state=row.state,
            zip=row.zip,
            active=row.active,
            erp_job_id=row.origin_id,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
        )

    @strawberry.field
    async def sub_jobs(self, info: Info) -> list[SubJob]:
        rows = await info.context.loaders.get(loaders.sub_jobs_by_project).load(self._pk)
        return [SubJob.from_row(r) for r in rows]
