"""The approver's queue: every syncable record with its status, type, project and how long it has
waited, as one UNION over the record types of the registry, filtered and counted in SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from models import registry
from models.enums import RecordType, SyncStatus

S = SyncStatus

QUEUE_STATUSES = (S.READY_TO_EXPORT, S.EXPORTING, S.FAILED_TO_EXPORT, S.REJECTED, S.SYNCED)


def queue_query(
    *,
    statuses: Sequence[SyncStatus] | None = None,
    record_types: Sequence[RecordType] | None = None,
    project_id: int | None = None,
):
    """A subquery of (record_type, record_id, project_id, status, since) over every syncable
    table, filtered by record type and project (status is filtered by the caller, so that the
    counts per status can share it)."""
    parts = [entry.queue_select() for entry in registry.specs(record_types or None)]
    queue = union_all(*parts).subquery("sync_queue")
    stmt = select(queue)
    if project_id is not None:
        stmt = stmt.where(queue.c.project_id == project_id)
    if statuses:
        stmt = stmt.where(queue.c.status.in_([SyncStatus(s).value for s in statuses]))
    return queue, stmt


def queue_counts(
    session: Session, *, record_types: Sequence[RecordType] | None = None, project_id: int | None = None
) -> dict[SyncStatus, int]:
    queue, _ = queue_query(record_types=record_types, project_id=project_id)
    stmt = select(queue.c.status, func.count()).group_by(queue.c.status)
    if project_id is not None:
        stmt = stmt.where(queue.c.project_id == project_id)
    counts = {s: 0 for s in SyncStatus}
    for status, count in session.execute(stmt):
        counts[SyncStatus(status)] = count
    return counts
