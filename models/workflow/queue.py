"""The approver's queue: every syncable record with its status, type, project and how long it has
waited, as one UNION over the record types of the registry, filtered and counted in SQL.

Reading it needs READ_ONLY on ERP Integrations, and each record type is listed only to readers of
its own tool: someone with no access to commitments sees none in the queue either."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Subquery, false, func, select, union_all
from sqlalchemy.orm import Session

from models import registry
from models.enums import RecordType, SyncStatus
from models.policy import QUEUE, Actor, can_read, require

S = SyncStatus

QUEUE_STATUSES = (S.READY_TO_EXPORT, S.EXPORTING, S.FAILED_TO_EXPORT, S.REJECTED, S.SYNCED)


def visible_record_types(actor: Actor, record_types: Sequence[RecordType] | None = None) -> list[RecordType]:
    """The record types (all, or of ``record_types``) whose tool the actor reads, in registry order."""
    return [s.record_type for s in registry.specs(record_types) if can_read(actor, s.tool)]


def queue_query(
    actor: Actor,
    *,
    statuses: Sequence[SyncStatus] | None = None,
    record_types: Sequence[RecordType] | None = None,
    project_id: int | None = None,
) -> tuple[Subquery, Select[Any]]:
    """A subquery of (record_type, record_id, project_id, status, since) over every syncable
    table the actor may read (all types, or those of ``record_types`` when given and not empty),
    filtered by project; and a statement over it filtered by status (the counts per status share
    the subquery without that filter)."""
    require(actor, QUEUE, "Viewing the ERP Integrations queue")
    types = visible_record_types(actor, record_types or None)
    parts = [entry.queue_select() for entry in registry.specs(types)]
    if not parts:  # nothing the actor may see: an empty queue of the same shape
        parts = [registry.REGISTRY[0].queue_select().where(false())]
    queue = union_all(*parts).subquery("sync_queue")
    stmt = select(queue)
    if project_id is not None:
        stmt = stmt.where(queue.c.project_id == project_id)
    if statuses:
        stmt = stmt.where(queue.c.status.in_([SyncStatus(s).value for s in statuses]))
    return queue, stmt


def queue_counts(
    session: Session,
    actor: Actor,
    *,
    record_types: Sequence[RecordType] | None = None,
    project_id: int | None = None,
) -> dict[SyncStatus, int]:
    """How many records of the actor's queue are in each status."""
    queue, _ = queue_query(actor, record_types=record_types, project_id=project_id)
    stmt = select(queue.c.status, func.count()).group_by(queue.c.status)
    if project_id is not None:
        stmt = stmt.where(queue.c.project_id == project_id)
    counts = {s: 0 for s in SyncStatus}
    for status, count in session.execute(stmt):
        counts[SyncStatus(status)] = count
    return counts
