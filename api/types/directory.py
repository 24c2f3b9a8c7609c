"""Vendor type (a company in the directory)."""

from __future__ import annotations

import datetime as dt

import strawberry

from api.relay import Node, register_node, to_global_id
from api.types.audit import Audited
from api.types.sync import SyncInfo
from models import directory as m
from models import registry
from models.enums import RecordType, Tool
from models.policy import reading

VENDOR = registry.spec(RecordType.VENDOR).type_name


@register_node(m.Vendor, VENDOR, reading(Tool.DIRECTORY))
@strawberry.type(name=VENDOR, description="A company in the directory (an ERP AP vendor).")
class Vendor(Audited, Node):
    name: str
    address: str
    city: str
    state: str
    zip: str
    insurance_policy_type: str | None
    insurance_expires_on: dt.date | None
    active: bool
    erp_vendor_id: str | None = strawberry.field(description="The ERP Vendor ID once synced.")
    sync: SyncInfo
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.Vendor) -> Vendor:
        return cls(
            id=to_global_id(VENDOR, row.id),
            name=row.name,
            address=row.address,
            city=row.city,
            state=row.state,
            zip=row.zip,
            insurance_policy_type=row.insurance_policy_type,
            insurance_expires_on=row.insurance_expires_on,
            active=row.active,
            erp_vendor_id=row.origin_id,
            sync=SyncInfo.from_row(row),
            _pk=row.id,
        )
