"""Loader for audit trails: each record's entries (its own and its lines'), oldest first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.dataloaders import group_by
from models.audit import AuditEntry


def trail_by_record(session: Session, keys: Sequence[tuple[str, int]]) -> list[list[AuditEntry]]:
    """Keys are (record type, record id) of syncable records."""
    rows = session.scalars(
        select(AuditEntry)
        .where(tuple_(AuditEntry.record_type, AuditEntry.record_id).in_(list(set(keys))))
        .order_by(AuditEntry.id)
    ).all()
    return group_by(rows, lambda e: (e.record_type, e.record_id), keys)


def trail_by_entity(session: Session, keys: Sequence[tuple[str, int]]) -> list[list[AuditEntry]]:
    """Keys are (entity type name, id) of audited rows (lines)."""
    rows = session.scalars(
        select(AuditEntry)
        .where(tuple_(AuditEntry.entity, AuditEntry.entity_id).in_(list(set(keys))))
        .order_by(AuditEntry.id)
    ).all()
    return group_by(rows, lambda e: (e.entity, e.entity_id), keys)
