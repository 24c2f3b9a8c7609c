"""Mutations for project set-up: projects, sub jobs, company cost codes and cost types, and the
cost codes a project uses."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.errors import UserError
from api.mutations.records_common import UPDATE_SEMANTICS, execute, get_or_fail, values_of
from api.permissions import IsAuthenticated
from api.relay import decode_id
from api.types.projects import Project, SubJob
from api.types.wbs import CostCode, CostType
from models import projects as m
from models import wbs


@strawberry.input
class CreateProjectInput:
    number: str
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateProjectInput:
    id: strawberry.ID
    number: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    state: str | None = strawberry.UNSET
    zip: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class ProjectPayload:
    project: Project | None
    errors: list[UserError]


@strawberry.input
class CreateSubJobInput:
    project_id: strawberry.ID
    number: str
    name: str


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateSubJobInput:
    id: strawberry.ID
    number: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET


@strawberry.type
class SubJobPayload:
    sub_job: SubJob | None
    errors: list[UserError]


@strawberry.input
class CreateCostCodeInput:
    code: str = strawberry.field(description="Kept as text: '01-100', '2120.000'.")
    description: str | None = None
    active: bool = True


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateCostCodeInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class CostCodePayload:
    cost_code: CostCode | None
    errors: list[UserError]


@strawberry.input
class CreateCostTypeInput:
    code: str
    name: str
    erp_code: str | None = None
    active: bool = True


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateCostTypeInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    erp_code: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class CostTypePayload:
    cost_type: CostType | None
    errors: list[UserError]


@strawberry.input
class AddProjectCostCodesInput:
    project_id: strawberry.ID
    cost_code_ids: list[strawberry.ID]


@strawberry.input
class RemoveProjectCostCodeInput:
    project_id: strawberry.ID
    cost_code_id: strawberry.ID


@strawberry.type
class ProjectCostCodesPayload:
    project: Project | None
    errors: list[UserError]


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Create a project (NOT_SENT) with its empty, unlocked budget (STANDARD on Project "
        "Admin).",
    )
    def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        values = values_of(input)
        row, errors = execute(info, lambda s, u: m.create_project(s, u, **values), Project.from_row)
        return ProjectPayload(project=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a project; refused while it is with the ERP.",
    )
    def update_project(self, info: Info, input: UpdateProjectInput) -> ProjectPayload:
        def action(s, u):
            project = get_or_fail(s, m.Project, input.id, "Project")
            return m.update_project(s, u, project, **values_of(input))

        row, errors = execute(info, action, Project.from_row)
        return ProjectPayload(project=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Enable company cost codes on a project; codes already enabled are kept.",
    )
    def add_project_cost_codes(self, info: Info, input: AddProjectCostCodesInput) -> ProjectCostCodesPayload:
        def action(s, u):
            project = get_or_fail(s, m.Project, input.project_id, "Project", "projectId")
            ids = [
                decode_id(gid, "CostCode", f"costCodeIds[{i}]") for i, gid in enumerate(input.cost_code_ids)
            ]
            m.add_project_cost_codes(s, u, project, ids)
            return project

        row, errors = execute(info, action, Project.from_row)
        return ProjectCostCodesPayload(project=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Disable a cost code on a project; refused (COST_CODE_IN_USE) while budget or commitment "
        "lines use it.",
    )
    def remove_project_cost_code(
        self, info: Info, input: RemoveProjectCostCodeInput
    ) -> ProjectCostCodesPayload:
        def action(s, u):
            project = get_or_fail(s, m.Project, input.project_id, "Project", "projectId")
            m.remove_project_cost_code(s, u, project, decode_id(input.cost_code_id, "CostCode", "costCodeId"))
            return project

        row, errors = execute(info, action, Project.from_row)
        return ProjectCostCodesPayload(project=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Add a sub job to a project; the number is unique per project.",
    )
    def create_sub_job(self, info: Info, input: CreateSubJobInput) -> SubJobPayload:
        def action(s, u):
            project = get_or_fail(s, m.Project, input.project_id, "Project", "projectId")
            return m.create_sub_job(s, u, project, number=input.number, name=input.name)

        row, errors = execute(info, action, SubJob.from_row)
        return SubJobPayload(sub_job=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a sub job; refused while it is with the ERP.",
    )
    def update_sub_job(self, info: Info, input: UpdateSubJobInput) -> SubJobPayload:
        def action(s, u):
            sub_job = get_or_fail(s, m.SubJob, input.id, "SubJob")
            return m.update_sub_job(s, u, sub_job, **values_of(input))

        row, errors = execute(info, action, SubJob.from_row)
        return SubJobPayload(sub_job=row, errors=errors)


@strawberry.type
class WbsMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Add a code to the company standard list (unique, kept as text).",
    )
    def create_cost_code(self, info: Info, input: CreateCostCodeInput) -> CostCodePayload:
        values = values_of(input)
        row, errors = execute(info, lambda s, u: wbs.create_cost_code(s, u, **values), CostCode.from_row)
        return CostCodePayload(cost_code=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a company cost code; refused while it is with the ERP.",
    )
    def update_cost_code(self, info: Info, input: UpdateCostCodeInput) -> CostCodePayload:
        def action(s, u):
            row = get_or_fail(s, wbs.CostCode, input.id, "CostCode")
            return wbs.update_cost_code(s, u, row, **values_of(input))

        row, errors = execute(info, action, CostCode.from_row)
        return CostCodePayload(cost_code=row, errors=errors)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Add a cost type (unique code).")
    def create_cost_type(self, info: Info, input: CreateCostTypeInput) -> CostTypePayload:
        values = values_of(input)
        row, errors = execute(info, lambda s, u: wbs.create_cost_type(s, u, **values), CostType.from_row)
        return CostTypePayload(cost_type=row, errors=errors)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Change a cost type.")
    def update_cost_type(self, info: Info, input: UpdateCostTypeInput) -> CostTypePayload:
        def action(s, u):
            row = get_or_fail(s, wbs.CostType, input.id, "CostType")
            return wbs.update_cost_type(s, u, row, **values_of(input))

        row, errors = execute(info, action, CostType.from_row)
        return CostTypePayload(cost_type=row, errors=errors)
