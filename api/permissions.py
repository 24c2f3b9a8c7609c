"""Strawberry permission classes. Record-level rules (who may send, accept, edit) are decided once,
in ``models.users`` (``require``/``require_approver``), and called by the domain functions."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from models.enums import PermissionLevel, Tool


class IsAuthenticated(BasePermission):
    message = "Authentication required: send 'Authorization: Bearer <token>'"

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        return info.context.user is not None


def HasLevel(tool: Tool, level: PermissionLevel) -> type[BasePermission]:  # noqa: N802 - reads as a class
    """Permission class factory: the viewer needs at least ``level`` on ``tool``."""

    class _HasLevel(BasePermission):
        message = f"Requires {level.name} permission on the {tool.name} tool"

        def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
            user = info.context.user
            return user is not None and user.level(tool) >= level

    _HasLevel.__name__ = f"Has{tool.name.title()}{level.name.title()}"
    return _HasLevel
