"""Mutations for subcontractor invoices."""

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
    line_values,
    values_of,
)
from api.permissions import IsAuthenticated
from api.types.enums import InvoiceStatus
from api.types.invoices import SubcontractorInvoice
from models import invoices as m
from models.commitments import Commitment

INVOICE_LINE_REFS = {**LINE_REFS, "commitment_line_id": "CommitmentLine"}


@strawberry.input(
    description="An invoice line; tied to a commitment line, its sub job, cost code and cost type default "
    "from it."
)
class SubcontractorInvoiceLineInput:
    commitment_line_id: strawberry.ID | None = None
    sub_job_id: strawberry.ID | None = None
    cost_code_id: strawberry.ID | None = None
    cost_type_id: strawberry.ID | None = None
    description: str | None = None
    work_completed_this_period: Decimal = Decimal("0.00")
    materials_presently_stored: Decimal = Decimal("0.00")
    retainage: Decimal = Decimal("0.00")


@strawberry.input
class CreateSubcontractorInvoiceInput:
    commitment_id: strawberry.ID
    number: str
    billing_period_start: dt.date
    billing_period_end: dt.date
    billing_date: dt.date
    lines: list[SubcontractorInvoiceLineInput] = strawberry.field(default_factory=list)


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateSubcontractorInvoiceInput:
    id: strawberry.ID
    number: str | None = strawberry.UNSET
    billing_period_start: dt.date | None = strawberry.UNSET
    billing_period_end: dt.date | None = strawberry.UNSET
    billing_date: dt.date | None = strawberry.UNSET
    lines: list[SubcontractorInvoiceLineInput] | None = strawberry.field(
        default=strawberry.UNSET, description="When given, replaces every line."
    )


@strawberry.input
class ChangeSubcontractorInvoiceStatusInput:
    id: strawberry.ID
    status: InvoiceStatus


@strawberry.type
class SubcontractorInvoicePayload:
    subcontractor_invoice: SubcontractorInvoice | None
    errors: list[UserError]


def _with_lines(input_obj) -> dict:
    """The given fields, with the lines (when given) as domain values; a null list is passed on
    for the domain to refuse."""
    values = values_of(input_obj)
    if input_obj.lines is not strawberry.UNSET:
        values["lines"] = None if input_obj.lines is None else line_values(input_obj.lines, INVOICE_LINE_REFS)
    return values


@strawberry.type
class InvoiceMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Create a DRAFT pay application on an approved subcontract (STANDARD on Invoices).",
    )
    def create_subcontractor_invoice(
        self, info: Info, input: CreateSubcontractorInvoiceInput
    ) -> SubcontractorInvoicePayload:
        def action(s, u):
            commitment = get_or_fail(s, Commitment, input.commitment_id, "Commitment", "commitmentId")
            return m.create_subcontractor_invoice(s, u, commitment, **_with_lines(input))

        row, errors = execute(info, action, SubcontractorInvoice.from_row)
        return SubcontractorInvoicePayload(subcontractor_invoice=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change an invoice; lines, when given, replace all lines. Refused while it is with the "
        "ERP.",
    )
    def update_subcontractor_invoice(
        self, info: Info, input: UpdateSubcontractorInvoiceInput
    ) -> SubcontractorInvoicePayload:
        def action(s, u):
            invoice = get_or_fail(s, m.SubcontractorInvoice, input.id, "SubcontractorInvoice")
            return m.update_subcontractor_invoice(s, u, invoice, **_with_lines(input))

        row, errors = execute(info, action, SubcontractorInvoice.from_row)
        return SubcontractorInvoicePayload(subcontractor_invoice=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Move an invoice along DRAFT -> UNDER_REVIEW -> APPROVED / REVISE_AND_RESUBMIT -> PAID.",
    )
    def change_subcontractor_invoice_status(
        self, info: Info, input: ChangeSubcontractorInvoiceStatusInput
    ) -> SubcontractorInvoicePayload:
        def action(s, u):
            invoice = get_or_fail(s, m.SubcontractorInvoice, input.id, "SubcontractorInvoice")
            return m.change_subcontractor_invoice_status(s, u, invoice, input.status)

        row, errors = execute(info, action, SubcontractorInvoice.from_row)
        return SubcontractorInvoicePayload(subcontractor_invoice=row, errors=errors)
