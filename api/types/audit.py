"""The audit trail as GraphQL: ``AuditEntry`` (who changed what, from what to what, when) and the
``auditTrail`` field every audited record type carries (the ``Audited`` mixin)."""

from __future__ import annotations

import datetime as dt
import enum
import json

import strawberry

from api.context import Info
from api.dataloaders import audit as loaders
from api.relay import from_global_id, to_global_id
from models import registry
from models.audit import AuditEntry as AuditEntryRow


@strawberry.enum(
    name="AuditAction",
    description="IMPORT: the lines a file import created, one entry on their record naming the import "
    "run and the file (each line an import changed is an UPDATE of its own).",
)
class AuditAction(enum.Enum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    IMPORT = "IMPORT"


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


@strawberry.type(description="One changed field: its old and new value as text (money as a decimal string).")
class AuditChange:
    field: str
    old: str | None
    new: str | None


@strawberry.type(
    description="One create, update or delete of a financial record or one of its lines. Append-only."
)
class AuditEntry:
    at: dt.datetime
    actor: str = strawberry.field(description="Who did it: a user's name or a named system actor.")
    action: AuditAction
    entity: str = strawberry.field(description="What changed: the record type or line type (BudgetLine).")
    entity_id: strawberry.ID = strawberry.field(description="The global ID of the row that changed.")
    record_id: strawberry.ID = strawberry.field(description="The global ID of the record it belongs to.")
    changes: list[AuditChange]

    @classmethod
    def from_row(cls, row: AuditEntryRow) -> AuditEntry:
        spec = registry.spec(row.record_type)
        return cls(
            at=row.at,
            actor=row.actor_name,
            action=AuditAction(row.action),
            entity=row.entity,
            entity_id=to_global_id(row.entity, row.entity_id),
            record_id=to_global_id(spec.type_name, row.record_id),
            changes=[
                AuditChange(field=name, old=_text(change.get("old")), new=_text(change.get("new")))
                for name, change in (row.changes or {}).items()
            ],
        )


@strawberry.type
class Audited:
    """Mixin of audited node types: the record's audit trail (with its lines'), oldest first."""

    @strawberry.field(
        description="Every create, update and delete of this record (and of its lines), oldest first: "
        "who, when, each changed field with its old and new value. Append-only."
    )
    def audit_trail(self, info: Info) -> list[AuditEntry]:
        type_name, pk = from_global_id(self.id)  # type: ignore[attr-defined]
        spec = registry.by_type_name(type_name)
        if spec is not None:
            rows = info.context.loaders.load(loaders.trail_by_record, (spec.record_type.value, pk))
        else:
            rows = info.context.loaders.load(loaders.trail_by_entity, (type_name, pk))
        return [AuditEntry.from_row(r) for r in rows]
