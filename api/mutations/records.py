"""Create and update mutations for every record a user makes on the field side."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.errors import UserError, run_in_transaction
from api.permissions import IsAuthenticated
from api.relay import decode_id
from api.types.projects import Project
from models import projects as m
from models.errors import DomainError, ErrorCode


@strawberry.input
class CreateProjectInput:
    number: str
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


@strawberry.input
class UpdateProjectInput:
    id: strawberry.ID
    number: str | None = None
    name: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    active: bool | None = None


@strawberry.type
class ProjectPayload:
    project: Project | None
    errors: list[UserError]


def get_or_fail(session, model, pk: int, label: str, field: str = "id"):
    row = session.get(model, pk)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"{label} not found", field)
    return row


@strawberry.type
class RecordMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated])
    def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        ctx = info.context
        values = strawberry.asdict(input)
        row, errors = run_in_transaction(ctx.session, lambda s: m.create_project(s, ctx.user, **values))
        return ProjectPayload(project=Project.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(permission_classes=[IsAuthenticated])
    def update_project(self, info: Info, input: UpdateProjectInput) -> ProjectPayload:
        ctx = info.context
        values = strawberry.asdict(input)

        def action(s):
            project = get_or_fail(s, m.Project, decode_id(values.pop("id"), "Project"), "Project")
            return m.update_project(s, ctx.user, project, **values)

        row, errors = run_in_transaction(ctx.session, action)
        return ProjectPayload(project=Project.from_row(row) if row else None, errors=errors)
