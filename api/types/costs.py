"""DirectCost type: a job-cost transaction that came in from the ERP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from api.context import Info
from api.dataloaders import directory as directory_loaders
from api.permissions import check
from api.relay import Node, register_node, to_global_id
from api.types.directory import Vendor
from api.types.enums import DirectCostStatus, DirectCostType
from api.types.projects import WbsRefs, wbs_refs
from models import costs as m
from models.enums import Tool
from models.policy import DIRECT_COSTS_READ, reading


@register_node(m.DirectCost, "DirectCost", DIRECT_COSTS_READ)
@strawberry.type(
    name="DirectCost", description="A job-cost transaction from the ERP (AP invoice, payroll, expense)."
)
class DirectCost(WbsRefs, Node):
    type: DirectCostType
    status: DirectCostStatus
    item_date: dt.date
    description: str
    invoice_number: str | None
    amount: Decimal
    erp_transaction_id: str | None
    _pk: strawberry.Private[int]
    _vendor_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: m.DirectCost) -> DirectCost:
        return cls(
            id=to_global_id("DirectCost", row.id),
            type=row.type,
            status=row.status,
            item_date=row.item_date,
            description=row.description,
            invoice_number=row.invoice_number,
            amount=row.amount,
            erp_transaction_id=row.erp_transaction_id,
            _pk=row.id,
            _vendor_id=row.vendor_id,
            **wbs_refs(row),
        )

    @strawberry.field
    def vendor(self, info: Info) -> Vendor | None:
        check(info, reading(Tool.DIRECTORY), "Reading the vendor")
        if self._vendor_id is None:
            return None
        row = info.context.loaders.load(directory_loaders.vendors, self._vendor_id)
        return Vendor.from_row(row) if row else None
