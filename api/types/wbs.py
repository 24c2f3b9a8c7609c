"""CostCode (the company standard list) and CostType types."""

from __future__ import annotations

import strawberry

from api.relay import Node, register_node, to_global_id
from api.types.audit import Audited
from api.types.enums import Origin
from api.types.sync import SyncInfo
from models import registry
from models import wbs as m
from models.enums import RecordType
from models.policy import WBS_READ

COST_CODE = registry.spec(RecordType.COST_CODE).type_name


@register_node(m.CostCode, COST_CODE, WBS_READ)
@strawberry.type(
    name=COST_CODE, description="A code of the company standard cost code list (text: leading zeros count)."
)
class CostCode(Audited, Node):
    code: str
    description: str
    division: str = strawberry.field(description="The first section of the code; reports subtotal by it.")
    active: bool
    sync: SyncInfo
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.CostCode) -> CostCode:
        return cls(
            id=to_global_id(COST_CODE, row.id),
            code=row.code,
            description=row.description,
            division=row.division,
            active=row.active,
            sync=SyncInfo.from_row(row, RecordType.COST_CODE),
            _pk=row.id,
        )


@register_node(m.CostType, "CostType", WBS_READ)
@strawberry.type(
    name="CostType",
    description="A cost type / category (Sage 100: 1 Material .. 5 Other; Sage 300: L, M, S, E, O).",
)
class CostType(Node):
    code: str
    name: str
    erp_code: str | None = strawberry.field(description="The ERP's own category when it differs from code.")
    origin: Origin
    active: bool
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: m.CostType) -> CostType:
        return cls(
            id=to_global_id("CostType", row.id),
            code=row.code,
            name=row.name,
            erp_code=row.erp_code,
            origin=Origin(row.origin),
            active=row.active,
            _pk=row.id,
        )
