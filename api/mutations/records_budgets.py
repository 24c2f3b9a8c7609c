"""Mutations for budgets: lines, lock and unlock, modifications."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.context import Info
from api.errors import UserError
from api.mutations.records_common import (
    LINE_REFS,
    UPDATE_SEMANTICS,
    execute,
    get_or_fail,
    given_ids,
    values_of,
)
from api.permissions import IsAuthenticated
from api.relay import decode_id, decode_optional_id
from api.types.budgets import Budget, BudgetLine, BudgetModification
from models import budgets as m
from models.projects import Project


def _budget(session, project_gid) -> m.Budget:
    project = get_or_fail(session, Project, project_gid, "Project", "projectId")
    return m.budget_for_project(session, project)


@strawberry.input
class AddBudgetLineInput:
    project_id: strawberry.ID
    cost_code_id: strawberry.ID
    cost_type_id: strawberry.ID
    sub_job_id: strawberry.ID | None = None
    description: str | None = None
    original_amount: Decimal = Decimal("0.00")
    quantity: Decimal | None = None
    unit_of_measure: str | None = None
    unit_cost: Decimal | None = None


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateBudgetLineInput:
    id: strawberry.ID
    cost_code_id: strawberry.ID | None = strawberry.UNSET
    cost_type_id: strawberry.ID | None = strawberry.UNSET
    sub_job_id: strawberry.ID | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    original_amount: Decimal | None = strawberry.UNSET
    quantity: Decimal | None = strawberry.UNSET
    unit_of_measure: str | None = strawberry.UNSET
    unit_cost: Decimal | None = strawberry.UNSET


@strawberry.input
class DeleteBudgetLineInput:
    id: strawberry.ID


@strawberry.type
class BudgetLinePayload:
    budget_line: BudgetLine | None
    errors: list[UserError]


@strawberry.type
class DeleteBudgetLinePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.input
class BudgetInput:
    project_id: strawberry.ID


@strawberry.type
class BudgetPayload:
    budget: Budget | None
    errors: list[UserError]


@strawberry.input
class CreateBudgetModificationInput:
    project_id: strawberry.ID
    from_line_id: strawberry.ID
    to_line_id: strawberry.ID
    amount: Decimal
    notes: str | None = None
    number: str | None = strawberry.field(
        default=None, description="The budget change order # (default: the budget's next number)."
    )


@strawberry.type
class BudgetModificationPayload:
    budget_modification: BudgetModification | None
    errors: list[UserError]


def _line_refs(input_obj) -> dict:
    return {
        "sub_job_id": decode_optional_id(input_obj.sub_job_id, "SubJob", "subJobId"),
        "cost_code_id": decode_optional_id(input_obj.cost_code_id, "CostCode", "costCodeId"),
        "cost_type_id": decode_optional_id(input_obj.cost_type_id, "CostType", "costTypeId"),
    }


@strawberry.type
class BudgetMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Add a line (sub job x cost code x cost type, one each) to an unlocked budget (STANDARD "
        "on Budget).",
    )
    def add_budget_line(self, info: Info, input: AddBudgetLineInput) -> BudgetLinePayload:
        def action(s, u):
            budget = _budget(s, input.project_id)
            return m.add_budget_line(s, u, budget, **_line_refs(input), **values_of(input))

        row, errors = execute(info, action, BudgetLine.from_row)
        return BudgetLinePayload(budget_line=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a line of an unlocked budget that is not with the ERP.",
    )
    def update_budget_line(self, info: Info, input: UpdateBudgetLineInput) -> BudgetLinePayload:
        def action(s, u):
            line = get_or_fail(s, m.BudgetLine, input.id, "BudgetLine")
            return m.update_budget_line(s, u, line, **given_ids(input, LINE_REFS), **values_of(input))

        row, errors = execute(info, action, BudgetLine.from_row)
        return BudgetLinePayload(budget_line=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Delete a line of an unlocked budget; refused when modifications move money on it.",
    )
    def delete_budget_line(self, info: Info, input: DeleteBudgetLineInput) -> DeleteBudgetLinePayload:
        def action(s, u):
            line = get_or_fail(s, m.BudgetLine, input.id, "BudgetLine")
            m.delete_budget_line(s, u, line)
            return input.id

        deleted, errors = execute(info, action, lambda gid: gid)
        return DeleteBudgetLinePayload(deleted_id=deleted, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Lock the budget (needed before it is sent; ADMIN on Budget).",
    )
    def lock_budget(self, info: Info, input: BudgetInput) -> BudgetPayload:
        row, errors = execute(
            info, lambda s, u: m.lock_budget(s, u, _budget(s, input.project_id)), Budget.from_row
        )
        return BudgetPayload(budget=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Unlock the budget; refused while it is with the ERP (ADMIN on Budget).",
    )
    def unlock_budget(self, info: Info, input: BudgetInput) -> BudgetPayload:
        row, errors = execute(
            info, lambda s, u: m.unlock_budget(s, u, _budget(s, input.project_id)), Budget.from_row
        )
        return BudgetPayload(budget=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Move an amount between two lines of a locked budget; refused while the budget is being "
        "sent.",
    )
    def create_budget_modification(
        self, info: Info, input: CreateBudgetModificationInput
    ) -> BudgetModificationPayload:
        def action(s, u):
            budget = _budget(s, input.project_id)
            return m.create_budget_modification(
                s,
                u,
                budget,
                from_line_id=decode_id(input.from_line_id, "BudgetLine", "fromLineId"),
                to_line_id=decode_id(input.to_line_id, "BudgetLine", "toLineId"),
                amount=input.amount,
                notes=input.notes,
                number=input.number,
            )

        row, errors = execute(info, action, BudgetModification.from_row)
        return BudgetModificationPayload(budget_modification=row, errors=errors)
