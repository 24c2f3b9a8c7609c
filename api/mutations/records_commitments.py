"""Mutations for commitments (subcontracts, purchase orders) and their change orders."""

from __future__ import annotations

import datetime as dt
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
    line_values,
    values_of,
)
from api.permissions import IsAuthenticated
from api.relay import decode_optional_id
from api.types.commitments import Commitment, CommitmentChangeOrder
from api.types.enums import ChangeOrderStatus, CommitmentKind, CommitmentStatus
from models import commitments as m
from models.projects import Project


@strawberry.input(description="A commitment or change order line. amount defaults to quantity x unitCost.")
class CommitmentLineInput:
    cost_code_id: strawberry.ID
    cost_type_id: strawberry.ID
    sub_job_id: strawberry.ID | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_cost: Decimal | None = None
    amount: Decimal | None = None


@strawberry.input
class CreateCommitmentInput:
    project_id: strawberry.ID
    kind: CommitmentKind
    number: str
    title: str | None = None
    description: str | None = None
    vendor_id: strawberry.ID | None = None
    retainage_percent: Decimal | None = None
    contract_date: dt.date | None = None
    lines: list[CommitmentLineInput] = strawberry.field(default_factory=list)


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateCommitmentInput:
    id: strawberry.ID
    kind: CommitmentKind | None = strawberry.UNSET
    number: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    vendor_id: strawberry.ID | None = strawberry.UNSET
    retainage_percent: Decimal | None = strawberry.UNSET
    contract_date: dt.date | None = strawberry.UNSET
    lines: list[CommitmentLineInput] | None = strawberry.field(
        default=strawberry.UNSET, description="When given, replaces every line."
    )


@strawberry.input
class ChangeCommitmentStatusInput:
    id: strawberry.ID
    status: CommitmentStatus


@strawberry.type
class CommitmentPayload:
    commitment: Commitment | None
    errors: list[UserError]


@strawberry.input
class CreateCommitmentChangeOrderInput:
    commitment_id: strawberry.ID
    number: str
    title: str | None = None
    description: str | None = None
    change_date: dt.date | None = None
    lines: list[CommitmentLineInput] = strawberry.field(default_factory=list)


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateCommitmentChangeOrderInput:
    id: strawberry.ID
    number: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    change_date: dt.date | None = strawberry.UNSET
    lines: list[CommitmentLineInput] | None = strawberry.field(
        default=strawberry.UNSET, description="When given, replaces every line."
    )


@strawberry.input
class ChangeCommitmentChangeOrderStatusInput:
    id: strawberry.ID
    status: ChangeOrderStatus


@strawberry.type
class CommitmentChangeOrderPayload:
    change_order: CommitmentChangeOrder | None
    errors: list[UserError]


def _with_lines(input_obj) -> dict:
    """The given fields, with the lines (when given) as domain values; a null list is passed on
    for the domain to refuse."""
    values = values_of(input_obj)
    if input_obj.lines is not strawberry.UNSET:
        values["lines"] = None if input_obj.lines is None else line_values(input_obj.lines, LINE_REFS)
    return values


@strawberry.type
class CommitmentMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Create a DRAFT subcontract or purchase order with its lines (STANDARD on Commitments).",
    )
    def create_commitment(self, info: Info, input: CreateCommitmentInput) -> CommitmentPayload:
        def action(s, u):
            project = get_or_fail(s, Project, input.project_id, "Project", "projectId")
            vendor_id = decode_optional_id(input.vendor_id, "Vendor", "vendorId")
            return m.create_commitment(s, u, project, vendor_id=vendor_id, **_with_lines(input))

        row, errors = execute(info, action, Commitment.from_row)
        return CommitmentPayload(commitment=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a commitment; lines, when given, replace all lines. Refused while it is with the "
        "ERP.",
    )
    def update_commitment(self, info: Info, input: UpdateCommitmentInput) -> CommitmentPayload:
        def action(s, u):
            commitment = get_or_fail(s, m.Commitment, input.id, "Commitment")
            refs = given_ids(input, {"vendor_id": "Vendor"})
            return m.update_commitment(s, u, commitment, **refs, **_with_lines(input))

        row, errors = execute(info, action, Commitment.from_row)
        return CommitmentPayload(commitment=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Move a commitment along DRAFT -> OUT_FOR_BID / OUT_FOR_SIGNATURE -> APPROVED -> "
        "COMPLETE / TERMINATED (or VOID).",
    )
    def change_commitment_status(self, info: Info, input: ChangeCommitmentStatusInput) -> CommitmentPayload:
        def action(s, u):
            commitment = get_or_fail(s, m.Commitment, input.id, "Commitment")
            return m.change_commitment_status(s, u, commitment, input.status)

        row, errors = execute(info, action, Commitment.from_row)
        return CommitmentPayload(commitment=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Create a DRAFT change order on a commitment synced with the ERP; lines may be negative.",
    )
    def create_commitment_change_order(
        self, info: Info, input: CreateCommitmentChangeOrderInput
    ) -> CommitmentChangeOrderPayload:
        def action(s, u):
            commitment = get_or_fail(s, m.Commitment, input.commitment_id, "Commitment", "commitmentId")
            return m.create_change_order(s, u, commitment, **_with_lines(input))

        row, errors = execute(info, action, CommitmentChangeOrder.from_row)
        return CommitmentChangeOrderPayload(change_order=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change a change order; lines, when given, replace all lines. Refused while it is with "
        "the ERP.",
    )
    def update_commitment_change_order(
        self, info: Info, input: UpdateCommitmentChangeOrderInput
    ) -> CommitmentChangeOrderPayload:
        def action(s, u):
            change_order = get_or_fail(s, m.CommitmentChangeOrder, input.id, "CommitmentChangeOrder")
            return m.update_change_order(s, u, change_order, **_with_lines(input))

        row, errors = execute(info, action, CommitmentChangeOrder.from_row)
        return CommitmentChangeOrderPayload(change_order=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Move a change order along DRAFT -> PENDING -> APPROVED / REJECTED (or VOID).",
    )
    def change_commitment_change_order_status(
        self, info: Info, input: ChangeCommitmentChangeOrderStatusInput
    ) -> CommitmentChangeOrderPayload:
        def action(s, u):
            change_order = get_or_fail(s, m.CommitmentChangeOrder, input.id, "CommitmentChangeOrder")
            return m.change_change_order_status(s, u, change_order, input.status)

        row, errors = execute(info, action, CommitmentChangeOrder.from_row)
        return CommitmentChangeOrderPayload(change_order=row, errors=errors)
