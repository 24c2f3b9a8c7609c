"""Queries every client needs: node(id:), viewer."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.permissions import PerRecord, Requires, guarded
from api.relay import Node, resolve_node
from api.types.enums import PermissionLevel, Tool
from api.types.sync import UserSummary
from models.enums import Tool as ToolEnum
from models.policy import SIGNED_IN, is_connector


@strawberry.type
class ToolPermission:
    tool: Tool
    level: PermissionLevel


READING_VIEWER = "Reading the viewer"


@strawberry.type(description="The authenticated user and what they may do.")
class Viewer:
    # each field declares its policy entry (an object every signed-in user reads guards nothing)
    user: UserSummary = guarded(SIGNED_IN, READING_VIEWER)
    is_accounting_approver: bool = guarded(SIGNED_IN, READING_VIEWER)
    can_push_to_accounting: bool = guarded(SIGNED_IN, READING_VIEWER)
    is_erp_connector: bool = guarded(
        SIGNED_IN,
        READING_VIEWER,
        description="ADMIN on ERP Integrations and the ERP_CONNECTOR privilege: may acknowledge and fail "
        "exports (the account a sync agent signs in with).",
    )
    permissions: list[ToolPermission] = guarded(SIGNED_IN, READING_VIEWER)


@strawberry.type
class CoreQueries:
    @strawberry.field(
        permission_classes=[PerRecord],
        description="Fetch any object by its global ID: null for a well-formed ID that names nothing, an "
        "INVALID_ID error for a malformed one, a PERMISSION_DENIED error when the viewer may not read "
        "that type of record.",
    )
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return resolve_node(info.context.session, info.context.actor, id)

    @strawberry.field(permission_classes=[Requires(SIGNED_IN, READING_VIEWER)])
    def viewer(self, info: Info) -> Viewer:
        user = info.context.user
        assert user is not None
        return Viewer(
            user=UserSummary.from_row(user),
            is_accounting_approver=user.is_accounting_approver,
            can_push_to_accounting=user.can_push_to_accounting,
            is_erp_connector=is_connector(user),
            permissions=[
                ToolPermission(tool=tool, level=PermissionLevel.from_level(user.level(tool)))
                for tool in ToolEnum
            ],
        )
