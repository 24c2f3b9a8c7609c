"""Strawberry permission classes over the access policy (``models.policy``).

``Requires(need, what)`` guards a root field: an actor that does not meet ``need`` gets the field as
null with a ``PERMISSION_DENIED`` error at its path (the rest of the query still answers). Each
class carries its ``need``, so the permission matrix test reads every field's policy from the
schema. Fields of listed records call ``check`` instead, with the same effect and less overhead.
``PerRecord`` marks a field whose need depends on the record it is asked for (``node(id:)``,
``syncPreflight``): the resolver asks the policy once the record's type is known. ``guarded`` is a
field with its ``Requires`` class: the fields of an object a root field answers to every signed-in
user (``erp``, ``viewer``) each declare theirs, ``SIGNED_IN`` for the open ones, so that nothing
added there goes unguarded.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission

from models.errors import ErrorCode
from models.policy import SIGNED_IN, Need

PERMISSION_DENIED = {"code": ErrorCode.PERMISSION_DENIED.value}


def denied(message: str) -> GraphQLError:
    """The error of a refused read: PERMISSION_DENIED in its extensions."""
    return GraphQLError(message, extensions=dict(PERMISSION_DENIED))


class IsAuthenticated(BasePermission):
    """A signed-in user (every mutation; the domain function then asks the policy itself)."""

    message = "Authentication required: send 'Authorization: Bearer <token>'"
    error_extensions = PERMISSION_DENIED
    need = SIGNED_IN

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.user is not None


class PolicyPermission(BasePermission):
    """Base of the classes ``Requires`` makes; ``need`` is the policy entry of the field."""

    need: Need = SIGNED_IN
    error_extensions = PERMISSION_DENIED

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return self.need.allows(info.context.actor)


_CLASSES: dict[tuple[Need, str], type[PolicyPermission]] = {}


def Requires(need: Need, what: str) -> type[PolicyPermission]:  # noqa: N802 - reads as a class
    """A permission class for fields that need ``need``; ``what`` names the read in the refusal
    ("Reading commitments")."""
    key = (need, what)
    cls = _CLASSES.get(key)
    if cls is None:
        # one class (and one schema directive name) per distinct guard
        name = f"Requires{len(_CLASSES) + 1}"
        attrs = {"need": need, "message": f"{what} needs {need.describe()}", "__module__": __name__}
        cls = type(name, (PolicyPermission,), attrs)
        _CLASSES[key] = cls
    return cls


def guarded(need: Need, what: str, **options: Any) -> Any:
    """A field (or, called on a resolver, a field decorator) whose policy entry is ``need``: null
    with PERMISSION_DENIED at its path for an actor that does not meet it."""
    return strawberry.field(permission_classes=[Requires(need, what)], **options)


def check(info: Any, need: Need, what: str) -> None:
    """Refuse this field (PERMISSION_DENIED at its path) unless the viewer meets ``need``. For fields
    of records in a list, asked once per record: a plain call costs less than a permission class,
    and the answer is kept for the request."""
    if not info.context.allows(need):
        raise denied(f"{what} needs {need.describe()}")


class PerRecord(BasePermission):
    """A signed-in actor; what it may read is decided per record by the resolver (READ_ONLY on the
    record's tool)."""

    message = "Authentication required: send 'Authorization: Bearer <token>'"
    error_extensions = PERMISSION_DENIED
    per_record = True

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.user is not None
