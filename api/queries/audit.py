"""The audit trail query: ``auditTrail(recordId:)``, a record's (or a line's) changes a page at a time."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from sqlalchemy import select

from api.context import Info
from api.permissions import PerRecord, denied
from api.relay import Connection, from_global_id, paginate
from api.types.audit import AuditEntry
from models import registry
from models.audit import AuditEntry as AuditEntryRow
from models.audit import audited_models
from models.errors import DomainError, ErrorCode
from models.policy import reading


@strawberry.type
class AuditQueries:
    @strawberry.field(
        permission_classes=[PerRecord],
        description="Every create, update and delete of a financial record (with its lines) or of one "
        "line, oldest first: who, when, each changed field with its old and new value. Append-only. "
        "Needs READ_ONLY on the record's tool.",
    )
    def audit_trail(
        self, info: Info, record_id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntry] | None:
        try:
            type_name, pk = from_global_id(record_id, field="recordId")
        except DomainError as exc:
            raise GraphQLError(exc.message, extensions={"code": exc.code.value, "field": exc.field}) from None
        spec = registry.by_type_name(type_name)
        stmt = select(AuditEntryRow).order_by(AuditEntryRow.id)
        if spec is not None:
            stmt = stmt.where(
                AuditEntryRow.record_type == spec.record_type.value, AuditEntryRow.record_id == pk
            )
        else:
            line = next((a for a in audited_models().values() if a.entity == type_name), None)
            if line is None:
                raise GraphQLError(
                    f"'{str(record_id)[:100]}' is a {type_name[:40]} ID: an audit trail is kept for "
                    "financial records and their lines",
                    extensions={"code": ErrorCode.INVALID_ID.value, "field": "recordId"},
                )
            spec = registry.spec(line.record_type)
            stmt = stmt.where(AuditEntryRow.entity == type_name, AuditEntryRow.entity_id == pk)
        need = reading(spec.tool)
        if not need.allows(info.context.actor):
            raise denied(f"Reading the audit trail of a {spec.noun} needs {need.describe()}")
        return paginate(info.context.session, stmt, AuditEntry.from_row, first, after)
