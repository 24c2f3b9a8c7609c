"""GraphQL enums, one per domain enum (the names the front end switches on)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import strawberry

from models import enums

if TYPE_CHECKING:  # to a type checker each is the domain enum strawberry registers
    from models.enums import (
        ChangeOrderStatus,
        CommitmentKind,
        CommitmentStatus,
        Country,
        DirectCostStatus,
        DirectCostType,
        DivisionRule,
        ErpSystem,
        ExportStatus,
        FileLayout,
        ImportKind,
        InvoiceStatus,
        Origin,
        RecordType,
        SyncStatus,
        Tool,
    )
else:
    SyncStatus = strawberry.enum(enums.SyncStatus, name="SyncStatus")
    Origin = strawberry.enum(enums.Origin, name="Origin")
    RecordType = strawberry.enum(enums.RecordType, name="RecordType")
    ErpSystem = strawberry.enum(enums.ErpSystem, name="ErpSystem")
    Country = strawberry.enum(enums.Country, name="Country")
    CommitmentKind = strawberry.enum(enums.CommitmentKind, name="CommitmentKind")
    CommitmentStatus = strawberry.enum(enums.CommitmentStatus, name="CommitmentStatus")
    ChangeOrderStatus = strawberry.enum(enums.ChangeOrderStatus, name="ChangeOrderStatus")
    InvoiceStatus = strawberry.enum(enums.InvoiceStatus, name="InvoiceStatus")
    DirectCostType = strawberry.enum(enums.DirectCostType, name="DirectCostType")
    DirectCostStatus = strawberry.enum(enums.DirectCostStatus, name="DirectCostStatus")
    Tool = strawberry.enum(enums.Tool, name="Tool")
    ExportStatus = strawberry.enum(enums.ExportStatus, name="ExportStatus")
    ImportKind = strawberry.enum(enums.ImportKind, name="ImportKind")
    DivisionRule = strawberry.enum(enums.DivisionRule, name="DivisionRule")
    FileLayout = strawberry.enum(
        enums.FileLayout,
        name="FileLayout",
        description="How the file connector lays an ERP entity's files out: NAMED (columns named as in the "
        "mapping) or an import the ERP runs itself (docs/workflow.md, File layouts).",
    )


@strawberry.enum(name="PermissionLevel")
class PermissionLevel(enum.Enum):
    """GraphQL view of ``models.enums.PermissionLevel`` (an IntEnum internally, named here)."""

    NONE = "NONE"
    READ_ONLY = "READ_ONLY"
    STANDARD = "STANDARD"
    ADMIN = "ADMIN"

    @classmethod
    def from_level(cls, level: int) -> PermissionLevel:
        return cls[enums.PermissionLevel(level).name]

    def to_level(self) -> enums.PermissionLevel:
        return enums.PermissionLevel[self.name]
