"""Mutations for the company directory: vendors."""

from __future__ import annotations

import datetime as dt

import strawberry

from api.context import Info
from api.errors import UserError
from api.mutations.records_common import UPDATE_SEMANTICS, execute, get_or_fail, values_of
from api.permissions import IsAuthenticated
from api.types.directory import Vendor
from models import directory as m


@strawberry.input
class CreateVendorInput:
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    insurance_policy_type: str | None = None
    insurance_expires_on: dt.date | None = None
    active: bool = True


@strawberry.input(description=UPDATE_SEMANTICS)
class UpdateVendorInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    state: str | None = strawberry.UNSET
    zip: str | None = strawberry.UNSET
    insurance_policy_type: str | None = strawberry.UNSET
    insurance_expires_on: dt.date | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class VendorPayload:
    vendor: Vendor | None
    errors: list[UserError]


@strawberry.type
class DirectoryMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Add a company to the directory (STANDARD on Directory).",
    )
    def create_vendor(self, info: Info, input: CreateVendorInput) -> VendorPayload:
        values = values_of(input)
        row, errors = execute(info, lambda s, u: m.create_vendor(s, u, **values), Vendor.from_row)
        return VendorPayload(vendor=row, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Change a vendor; refused while it is with the ERP."
    )
    def update_vendor(self, info: Info, input: UpdateVendorInput) -> VendorPayload:
        def action(s, u):
            vendor = get_or_fail(s, m.Vendor, input.id, "Vendor")
            return m.update_vendor(s, u, vendor, **values_of(input))

        row, errors = execute(info, action, Vendor.from_row)
        return VendorPayload(vendor=row, errors=errors)
